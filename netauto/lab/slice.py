"""What a lab runs: a slice of the plan, and the all-FRR variant of the inventory that runs anywhere."""

from __future__ import annotations

from dataclasses import dataclass

from netauto.model.schema import Inventory
from netauto.plan.model import Plan, PlannedLink

LAB_PLATFORM = "frr"
# FRR 8.4 has no IS-IS SRv6 and this kernel forwards no MPLS (DESIGN §9): SR-MPLS labels on the
# loopback routes kept them out of the kernel (measured), so the lab runs plain IP forwarding.
LAB_TRANSPORT = "ip"


def frr_variant(inv: Inventory) -> Inventory:
    """The same network with every managed device on FRR and the transport FRR 8.4 can run."""
    classes = [
        sc.model_copy(update={"platform": LAB_PLATFORM, "model": "FRR 8.4"}) if sc.role != "external" else sc
        for sc in inv.site_classes
    ]
    sites = [s.model_copy(update={"platform": None, "model": None}) for s in inv.sites]
    devices = [d.model_copy(update={"platform": None, "model": None}) for d in inv.devices]
    network = inv.network.model_copy(update={"transport": LAB_TRANSPORT, "srv6": None})
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
