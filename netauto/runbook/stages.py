"""A dedicated network's migration in stages: where it stands before the runbook, after each step,
and at the end (docs/runbooks.md).

A stage is a MigrationState (netauto/plan/migration.py): the sites already moved into the department's
VPN, and how far the border is built. The templates render a stage like any plan, so the config of a
step is the difference between two consecutive stages' renders, and its rollback the difference back:
the templates own the syntax.
"""

from __future__ import annotations

from dataclasses import dataclass

from netauto.errors import NetautoError
from netauto.model.schema import DedicatedNetwork
from netauto.plan.migration import MigrationState, planned


class RunbookError(NetautoError):
    pass


@dataclass(frozen=True)
class Stage:
    id: str  # baseline, vpn, site:<id>, border, filters, peering, nat
    title: str
    state: MigrationState


def stages(network: DedicatedNetwork) -> list[Stage]:
    """The network's stages in order, first the one before any change."""
    if network.mode == "cutover":
        moved: list[Stage] = [Stage("baseline", "before the cut-over", planned())]
        done: set[str] = set()
        for site in network.sites:
            done.add(site)
            state = MigrationState(frozenset(done), None)
            moved.append(Stage(f"site:{site}", f"site {site} in VPN {network.target_vpn}", state))
        return moved
    if network.border is None:
        raise RunbookError(f"dedicated network {network.id}: an interconnect needs a border")
    everyone = frozenset(network.sites)
    built = [
        Stage("baseline", "before the interconnect", planned()),
        Stage("vpn", f"the department's sites in VPN {network.target_vpn}", MigrationState(everyone, None)),
        Stage("border", f"the border interface on {network.border.device}", MigrationState(everyone, "interface")),
        Stage("filters", "prefix filters both ways (only the agreed prefixes)", MigrationState(everyone, "filters")),
        Stage(
            "peering",
            f"{network.border.peering} peering with the network's border router",
            MigrationState(everyone, "peering"),
        ),
    ]
    if network.nat:
        built.append(Stage("nat", "NAT of the overlapping prefixes", MigrationState(everyone, "done")))
    return built
