"""A change: intended configs against the approved baseline (and, if given, the running configs).

Everything a change board sees is masked; the change hash is computed from the unmasked meaning of
each changed device (canonical, so reordering alone changes nothing), so approving binds to exactly
the lines that will be pushed, secrets included, without any secret being stored.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hier_config import Platform, WorkflowRemediation, get_hconfig

from netauto.i18n import N_
from netauto.pipeline import PlanResult
from netauto.plan.export import plan_document
from netauto.platforms import get_platform
from netauto.review.baseline import Approval, Baseline
from netauto.review.configtree import Node, diff_trees, digest, lines, mask_secrets, parse, remediation
from netauto.secrets import Secrets

VILLAGE_THRESHOLD = 20
MODEL_SECTIONS = {"sites": "id", "devices": "name", "links": "id", "vpns": "id", "dedicated_networks": "id"}
# The risks are English, as the JSON summary shows them; each is a message of the catalogue (netauto/i18n.py).
CORE_DEVICE, NEW_DEVICE, SECRETS_CHANGED, DEVICE_REMOVED = (
    N_("core device"),
    N_("new device"),
    N_("secrets changed"),
    N_("device removed"),
)
RISKY_REMOVALS = {
    N_("bgp removed"): ("bgp ", "router bgp"),
    N_("isis removed"): ("isis ", "router isis"),
    N_("interface removed"): ("interface ",),
}
VILLAGES_AFFECTED = N_("{villages} villages affected (more than {threshold})")


@dataclass
class DeviceChange:
    name: str
    site: str
    site_class: str
    role: str
    platform: str
    status: str  # new | changed | removed | secrets
    added: int
    removed: int
    risk: list[str]
    before: list[str]  # merged, masked config lines of the baseline
    after: list[str]  # merged, masked config lines intended
    digest: str  # unmasked meaning of the intended config ("-" when removed)
    remediation: list[str] = field(default_factory=list)  # vs running, masked, when running configs were given


@dataclass
class Change:
    network: str
    change_hash: str
    devices: list[DeviceChange]
    risk_flags: list[str]
    model: dict[str, dict[str, list[str]]]
    analysis: dict[str, Any] | None
    baseline_approvals: int
    unchanged: int
    villages: int = 0  # village CEs touched
    village_threshold: int = VILLAGE_THRESHOLD
    approved: Approval | None = None  # the newest approval of the baseline

    @property
    def first(self) -> bool:
        """The first review of a network: nothing approved yet, every device new."""
        return bool(self.devices) and all(d.status == "new" for d in self.devices)

    @property
    def empty(self) -> bool:
        return not self.devices


def compute_change(
    result: PlanResult,
    secrets: Secrets,
    configs: Path,
    baseline: Baseline,
    running: Path | None = None,
    analysis: dict[str, Any] | None = None,
    village_threshold: int = VILLAGE_THRESHOLD,
) -> Change:
    managed = {d.name: d for d in result.plan.devices if d.platform}
    approved = baseline.digests
    changes: list[DeviceChange] = []
    unchanged = 0
    for name, device in sorted(managed.items()):
        intended = (configs / f"{name}.cfg").read_text(encoding="utf-8")
        platform = device.platform or ""
        syntax = get_platform(platform).config_syntax
        after_tree = parse(secrets.mask(intended), syntax)
        before_text = baseline.configs.get(name)
        before_tree = parse(before_text, syntax) if before_text is not None else Node("")
        meaning = digest(intended, platform)
        tree_diff = diff_trees(before_tree, after_tree)
        status = "new" if before_text is None else "changed"
        if tree_diff.empty and before_text is not None:
            if approved.get(name, meaning) == meaning:
                unchanged += 1
                continue
            status = "secrets"
        change = DeviceChange(
            name=name,
            site=device.site,
            site_class=device.site_class,
            role=device.role,
            platform=platform,
            status=status,
            added=len(tree_diff.added),
            removed=len(tree_diff.removed),
            risk=_device_risk(device.role, status, tree_diff.removed),
            before=lines(before_tree, syntax),
            after=lines(after_tree, syntax),
            digest=meaning,
        )
        if running is not None:
            change.remediation = _remediation(running / f"{name}.cfg", after_tree, platform, secrets)
        changes.append(change)
    for name in sorted(set(baseline.configs) - set(managed)):
        changes.append(_removed_device(name, baseline, result))
    return Change(
        network=result.plan.network,
        change_hash=change_hash(changes, approved, baseline),
        devices=changes,
        risk_flags=_risk_flags(changes, village_threshold),
        model=model_diff(baseline.plan, plan_document(result.plan)),
        analysis=analysis_delta(baseline.analysis, analysis),
        baseline_approvals=len(baseline.approvals),
        unchanged=unchanged,
        villages=_villages(changes),
        village_threshold=village_threshold,
        approved=baseline.approvals[-1] if baseline.approvals else None,
    )


def change_hash(changes: list[DeviceChange], approved: dict[str, str], baseline: Baseline) -> str:
    """What exactly is approved: per changed device, its approved meaning before and intended after."""
    text = hashlib.sha256()
    for change in sorted(changes, key=lambda c: c.name):
        before = approved.get(change.name) or _masked_meaning(baseline, change)
        text.update(f"{change.name}\n{before}\n{change.digest}\n".encode())
    return text.hexdigest()


def _masked_meaning(baseline: Baseline, change: DeviceChange) -> str:
    text = baseline.configs.get(change.name)
    return digest(text, change.platform) if text is not None else "-"


def _device_risk(role: str, status: str, removed: list[tuple[tuple[str, ...], str]]) -> list[str]:
    risk = []
    if role == "core":
        risk.append(CORE_DEVICE)
    if status == "new":
        risk.append(NEW_DEVICE)
    if status == "secrets":
        risk.append(SECRETS_CHANGED)
    for flag, prefixes in RISKY_REMOVALS.items():
        if any(_touches(path, line, prefixes) for path, line in removed):
            risk.append(flag)
    return risk


def _touches(path: tuple[str, ...], line: str, prefixes: tuple[str, ...]) -> bool:
    return any(part.startswith(prefixes) for part in (*path, line))


def _removed_device(name: str, baseline: Baseline, result: PlanResult) -> DeviceChange:
    text = baseline.configs[name]
    platform = _platform_from_plan(baseline, name)
    syntax = get_platform(platform).config_syntax
    tree = parse(text, syntax)
    return DeviceChange(
        name=name,
        site="",
        site_class="",
        role="",
        platform=platform,
        status="removed",
        added=0,
        removed=len(tree.children),
        risk=[DEVICE_REMOVED],
        before=lines(tree, syntax),
        after=[],
        digest="-",
    )


def _platform_from_plan(baseline: Baseline, name: str) -> str:
    for device in (baseline.plan or {}).get("devices", []):
        if device.get("name") == name and device.get("platform"):
            return str(device["platform"])
    return "frr"


def _risk_flags(changes: list[DeviceChange], village_threshold: int) -> list[str]:
    flags = sorted({risk for change in changes for risk in change.risk if risk != NEW_DEVICE})
    villages = _villages(changes)
    if villages > village_threshold:
        flags.append(VILLAGES_AFFECTED.format(villages=villages, threshold=village_threshold))
    return flags


def _villages(changes: list[DeviceChange]) -> int:
    return sum(1 for c in changes if c.site_class == "village")


def _remediation(path: Path, intended: Node, platform: str, secrets: Secrets) -> list[str]:
    syntax = get_platform(platform).config_syntax
    running = parse(secrets.mask(path.read_text(encoding="utf-8")) if path.exists() else "", syntax)
    if syntax.hier_config_platform:
        hier = Platform[syntax.hier_config_platform]
        workflow = WorkflowRemediation(
            get_hconfig(hier, "\n".join(lines(running, syntax))), get_hconfig(hier, "\n".join(lines(intended, syntax)))
        )
        commands = str(workflow.remediation_config).splitlines()
    else:
        commands = remediation(running, intended, syntax)
    return [mask_secrets(command, syntax) for command in commands]  # the device's old secrets too


def model_diff(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    """Sites, devices, links, VPNs and dedicated networks added, removed or changed since the baseline."""
    result = {}
    for section, key in MODEL_SECTIONS.items():
        old = {item[key]: item for item in (before or {}).get(section, [])}
        new = {item[key]: item for item in after.get(section, [])}
        result[section] = {
            "added": sorted(set(new) - set(old)),
            "removed": sorted(set(old) - set(new)),
            "changed": sorted(k for k in set(old) & set(new) if old[k] != new[k]),
        }
    return result


def analysis_delta(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any] | None:
    if after is None:
        return None

    def figures(doc: dict[str, Any] | None) -> dict[str, Any]:
        if doc is None:
            return {}
        errors = sum(1 for f in doc["findings"] if f["severity"] == "error")
        return {
            "ok": doc["ok"],
            "errors": errors,
            "max_utilisation_normal": doc["capacity"]["max_utilisation_normal"],
            "max_utilisation_failure": doc["capacity"]["max_utilisation_failure"],
            "failures_cutting_off_sites": sum(c["cutting_off_sites"] for c in doc["failures"]["counts"].values()),
        }

    return {"before": figures(before) or None, "after": figures(after)}


def side_by_side(before: list[str], after: list[str]) -> list[tuple[str, str, str]]:
    """Rows (kind, left, right) for a side-by-side view; kind is equal, delete, insert or replace."""
    rows: list[tuple[str, str, str]] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        left, right = before[a1:a2], after[b1:b2]
        for i in range(max(len(left), len(right))):
            rows.append((tag, left[i] if i < len(left) else "", right[i] if i < len(right) else ""))
    return rows


def unified(change: DeviceChange) -> str:
    return "\n".join(
        difflib.unified_diff(
            change.before, change.after, f"approved/{change.name}", f"intended/{change.name}", lineterm=""
        )
    )
