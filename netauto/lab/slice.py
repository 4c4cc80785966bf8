"""What a lab runs: a slice of the plan, and the all-FRR variant of the inventory that runs anywhere."""

from __future__ import annotations

from dataclasses import dataclass

from netauto.model.schema import Inventory
from netauto.plan.model import Plan, PlannedLink


@dataclass(frozen=True)
class LabFrr:
    """An FRR the lab can run: the platform its routers render as and the transport it can forward."""

    version: str
    model: str
    platform: str
    transport: str


# FRR 8.4 has no IS-IS SRv6 and this kernel forwards no MPLS (DESIGN §9): SR-MPLS labels on the
# loopback routes kept them out of the kernel (measured), so the 8.4 lab runs plain IP forwarding.
FRR8 = LabFrr("8", "FRR 8.4", "frr", "ip")
# FRR 10.3 runs IS-IS SRv6 and L3VPN over SRv6 (the planes share one locator: no SRv6 flex-algo).
FRR10 = LabFrr("10", "FRR 10.3", "frr10", "srv6")
LAB_FRR = {lab_frr.version: lab_frr for lab_frr in (FRR8, FRR10)}


def frr_variant(inv: Inventory, lab_frr: LabFrr = FRR8) -> Inventory:
    """The same network with every managed device on the lab's FRR and the transport it can run."""
    classes = [
        sc.model_copy(update={"platform": lab_frr.platform, "model": lab_frr.model}) if sc.role != "external" else sc
        for sc in inv.site_classes
    ]
    sites = [s.model_copy(update={"platform": None, "model": None}) for s in inv.sites]
    devices = [d.model_copy(update={"platform": None, "model": None}) for d in inv.devices]
    update: dict[str, object] = {"transport": lab_frr.transport}
    if lab_frr.transport != "srv6":
        update["srv6"] = None
    network = inv.network.model_copy(update=update)
    return inv.model_copy(update={"site_classes": classes, "sites": sites, "devices": devices, "network": network})


@dataclass(frozen=True)
class SliceSpec:
    """`all`, or the core plus the first `towns` towns with `villages` villages each and `bureaus` bureaus."""

    scope: str = "slice"
    towns: int = 2
    villages: int = 2
    bureaus: int = 1


def select(plan: Plan, spec: SliceSpec) -> list[str]:
    """Names of the managed devices in the slice, sorted."""
    managed = [d for d in plan.devices if d.platform]
    if spec.scope == "all":
        return sorted(d.name for d in managed)
    sites = {s.id: s for s in plan.sites}
    towns = sorted(s.id for s in plan.sites if s.site_class == "town")[: spec.towns]
    villages = [v for t in towns for v in sorted(s.id for s in plan.sites if s.parent == t)[: spec.villages]]
    bureaus = sorted(s.id for s in plan.sites if s.site_class == "bureau")[: spec.bureaus]
    chosen = set(towns) | set(villages) | set(bureaus)
    return sorted(d.name for d in managed if d.role == "core" or d.site in chosen and d.site in sites)


def slice_links(plan: Plan, devices: list[str]) -> list[PlannedLink]:
    inside = set(devices)
    return [link for link in plan.links if link.a.device in inside and link.b.device in inside]
