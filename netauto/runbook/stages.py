"""A dedicated network's migration in stages: the plan as it stands before the migration, after each
step, and at the end (docs/runbooks.md).

A stage is the plan with part of the network's work taken out: its sites' attachments and LANs in the
department's VPN (`sites_in`: the sites already moved), and its border built up to a level. The
templates render a stage like any plan, so the config of a step is the difference between two
consecutive stages' renders, and its rollback the difference back: the templates own the syntax.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from netauto.errors import NetautoError
from netauto.model.schema import DedicatedNetwork
from netauto.pipeline import PlanResult
from netauto.render.context import BORDER_LEVELS


class RunbookError(NetautoError):
    pass


@dataclass(frozen=True)
class Stage:
    id: str  # baseline, vpn, site:<id>, border, filters, peering, nat
    title: str
    sites_in: frozenset[str]  # the network's sites already in the department's VPN
    border_level: str | None  # how far the border is built (None: not there at all)


def stages(network: DedicatedNetwork, has_nat_rules: bool) -> list[Stage]:
    """The network's stages in order, first the one before any change."""
    everyone = frozenset(network.sites)
    if network.mode == "cutover":
        moved: list[Stage] = [Stage("baseline", "before the cut-over", frozenset(), None)]
        done: set[str] = set()
        for site in network.sites:
            done.add(site)
            moved.append(Stage(f"site:{site}", f"site {site} in VPN {network.target_vpn}", frozenset(done), None))
        return moved
    if network.border is None:
        raise RunbookError(f"dedicated network {network.id}: an interconnect needs a border")
    built = [
        Stage("baseline", "before the interconnect", frozenset(), None),
        Stage("vpn", f"the department's sites in VPN {network.target_vpn}", everyone, None),
        Stage("border", f"the border interface on {network.border.device}", everyone, "interface"),
        Stage("filters", "prefix filters both ways (only the agreed prefixes)", everyone, "filters"),
        Stage("peering", f"{network.border.peering} peering with the network's border router", everyone, "peering"),
    ]
    if has_nat_rules:
        built.append(Stage("nat", "NAT of the overlapping prefixes", everyone, "done"))
    return built


def staged(result: PlanResult, network: DedicatedNetwork, stage: Stage) -> PlanResult:
    """The plan at `stage` of the network's migration (every other network as planned)."""
    plan = result.plan
    vpn, held_back = network.target_vpn, set(network.sites) - stage.sites_in
    sites = {d.name: d.site for d in plan.devices}
    attachments = [a for a in plan.attachments if not (a.vpn == vpn and sites.get(a.ce_device) in held_back)]
    lans = [lan for lan in plan.lans if not (lan.vpn == vpn and lan.site in held_back)]
    borders = [b for b in plan.borders if b.network != network.id or stage.border_level is not None]
    changed = dataclasses.replace(plan, attachments=attachments, lans=lans, borders=borders)
    return dataclasses.replace(result, plan=changed)


def border_levels(network: DedicatedNetwork, stage: Stage) -> dict[str, str]:
    level = stage.border_level or BORDER_LEVELS[0]
    return {network.id: level}
