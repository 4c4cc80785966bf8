"""What a lab runs: a slice of the plan, and the all-FRR variant of the inventory that runs anywhere."""

from __future__ import annotations

from dataclasses import dataclass

from netauto.model.checks import IGP_ROLES
from netauto.model.schema import Inventory, Vpn
from netauto.plan.model import Plan, PlannedLink
from netauto.platforms import get_platform


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
    vpns = inv.vpns
    if not get_platform(lab_frr.platform).features.get("vrf_forwarding", True):
        vpns = _one_vpn_in_the_global_table(inv.vpns)
    changes = {"site_classes": classes, "sites": sites, "devices": devices, "network": network, "vpns": vpns}
    return inv.model_copy(update=changes)


def _one_vpn_in_the_global_table(vpns: list[Vpn]) -> list[Vpn]:
    """Routers without VRF devices forward one VPN, in their default VRF: the inventory's choice, or the
    first VPN with IPv6 prefixes that sites join (Qingpu: the public network zone of the data plane)."""
    if any(vpn.global_table for vpn in vpns):
        return vpns
    chosen = next((vpn.id for vpn in vpns if vpn.attach and any(p.version == 6 for p in vpn.prefixes)), None)
    return [vpn.model_copy(update={"global_table": True}) if vpn.id == chosen else vpn for vpn in vpns]


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


@dataclass(frozen=True)
class LanHost:
    """A host on a LAN of the global-table VPN: its own namespace behind `device`'s LAN interface."""

    name: str
    device: str
    interface: str  # the router's LAN interface (the plan's sub-interface name)
    address: str  # the host's IPv6 address with the LAN's length (the LAN's second address)
    gateway: str  # the router's address on the LAN (the first)
    prefix: str  # the LAN

    @property
    def ip(self) -> str:
        return self.address.split("/")[0]


@dataclass(frozen=True)
class GlobalVpn:
    """The VPN a lab without VRF devices forwards, in the default VRF: what the lab wires for it."""

    id: str
    asn: int
    pes: list[str]  # the slice's IS-IS routers: each exports the VPN (templates/frr/vrfs.j2)
    attachments: list[tuple[str, str, str, str]]  # PE-CE sub-interfaces: (pe, pe_if, ce, ce_if)
    hosts: list[LanHost]


def global_vpn(inv: Inventory, plan: Plan, devices: list[str]) -> GlobalVpn | None:
    """The global-table VPN inside the slice, or None when the inventory has none."""
    vpn = next((vpn.id for vpn in inv.vpns if vpn.global_table), None)
    if vpn is None:
        return None
    inside = set(devices)
    attachments = [
        (a.pe_device, a.pe_interface, a.ce_device, a.ce_interface)
        for a in plan.attachments
        if a.vpn == vpn and a.pe_device in inside and a.ce_device in inside and a.pe_interface and a.ce_interface
    ]
    pes = sorted(d.name for d in plan.devices if d.name in inside and d.role in IGP_ROLES)
    return GlobalVpn(vpn, plan.asn, pes, attachments, _lan_hosts(plan, vpn, inside))


def _lan_hosts(plan: Plan, vpn: str, inside: set[str]) -> list[LanHost]:
    """A host on every IPv6 LAN of the VPN inside the slice (IPv6: what SRv6 carries for a global
    table, End.DT6; End.DT4 needs a VRF device)."""
    hosts = []
    for lan in sorted(plan.lans, key=lambda lan: lan.device):
        prefix = lan.prefix_v6
        if lan.vpn != vpn or lan.device not in inside or prefix is None or lan.interface is None:
            continue
        gateway, host = prefix.network_address + 1, prefix.network_address + 2
        address = f"{host}/{prefix.prefixlen}"
        hosts.append(LanHost(f"{lan.device}-host", lan.device, lan.interface, address, str(gateway), str(prefix)))
    return hosts
