"""What the analysis reports: findings, failure impact, capacity. The shape of `analyze --json`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["error", "warning", "info"]


class AnalysisModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Finding(AnalysisModel):
    severity: Severity
    check: str
    message: str  # in English (netauto/analyze/wording.py)
    objects: list[str]
    # the message's catalogue template and fields, for reports in another language; not in the JSON
    template: str = Field("", exclude=True)
    fields: dict[str, Any] = Field(default_factory=dict, exclude=True)


class FailureImpact(AnalysisModel):
    """One single failure and the sites it cuts off (from the core, or a service), per topology."""

    kind: str
    element: str
    sites_cut_off: int
    users_cut_off: int
    lost: dict[str, list[str]]  # target -> sites that lose it in the whole network
    lost_per_plane: dict[
        str, dict[str, list[str]]
    ]  # plane -> target -> sites that lose it on that plane and its backup
    rerouted_to_backup: dict[str, int]  # plane -> sites that lose it on the plane but keep it on its backup


class FailureSummary(AnalysisModel):
    counts: dict[str, dict[str, int]]  # kind -> {scenarios, cutting_off_sites}
    worst: list[FailureImpact]


class BlastRadius(AnalysisModel):
    town: str
    device: str
    villages: int
    users: int


class DisjointPaths(AnalysisModel):
    site: str
    site_class: str
    edge_disjoint: int
    node_disjoint: int
    required: int


class LinkUtilisation(AnalysisModel):
    link: str
    link_class: str
    capacity_gbps: float
    normal: float
    worst: float
    worst_failure: str


class CapacitySummary(AnalysisModel):
    max_utilisation_normal: float
    max_utilisation_failure: float
    threshold_normal: float
    threshold_failure: float
    overloaded: list[LinkUtilisation]
    worst_per_link_class: dict[str, float]
    busiest: list[LinkUtilisation]
    unserved_gbps_normal: float
    scenarios_total: int
    scenarios_computed: int


class Analysis(AnalysisModel):
    network: str
    ok: bool
    findings: list[Finding]
    failures: FailureSummary
    capacity: CapacitySummary
    blast_radius: list[BlastRadius]
    disjoint_paths: list[DisjointPaths]
    elapsed_seconds: dict[str, float]
