"""How far each dedicated network's migration is, and the plan as deployed at that point.

The plan allocates everything a migration needs (sticky, like the rest); what is rendered depends on
where each migration stands: the inventory's `state` (planned: nothing of it yet; migrated: all of it),
or, while a runbook is generated, the stage the runbook is at (docs/runbooks.md).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from netauto.model.schema import DedicatedNetwork, Inventory
from netauto.plan.model import Plan

# how far a border is built, in order: its sub-interface, the prefix filters, the peering, NAT
BORDER_LEVELS = ("interface", "filters", "peering", "done")


@dataclass(frozen=True)
class MigrationState:
    sites_in: frozenset[str]  # the network's sites already in the department's VPN (cut-over)
    border_level: str | None  # how far its border is built (interconnect); None: not at all


def planned() -> MigrationState:
    return MigrationState(frozenset(), None)


def migrated(network: DedicatedNetwork) -> MigrationState:
    return MigrationState(frozenset(network.sites), "done" if network.border else None)


def inventory_states(inv: Inventory) -> dict[str, MigrationState]:
    """Each network as the source of truth says it stands."""
    return {n.id: migrated(n) if n.state == "migrated" else planned() for n in inv.dedicated_networks}


def as_deployed(plan: Plan, inv: Inventory, states: dict[str, MigrationState]) -> Plan:
    """The plan without what the networks' migrations have not done yet."""
    held_back: set[tuple[str, str]] = set()  # (site, vpn)
    for network in inv.dedicated_networks:
        state = states.get(network.id, planned())
        if network.mode == "cutover":
            held_back |= {(site, network.target_vpn) for site in network.sites if site not in state.sites_in}
    unbuilt = {n.id for n in inv.dedicated_networks if states.get(n.id, planned()).border_level is None}
    if not held_back and not unbuilt & {b.network for b in plan.borders}:
        return plan
    sites = {d.name: d.site for d in plan.devices}
    return dataclasses.replace(
        plan,
        attachments=[a for a in plan.attachments if (sites.get(a.ce_device), a.vpn) not in held_back],
        lans=[lan for lan in plan.lans if (lan.site, lan.vpn) not in held_back],
        borders=[b for b in plan.borders if b.network not in unbuilt],
    )
