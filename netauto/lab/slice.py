"""What a lab runs: a slice of the plan, and the all-FRR variant of the inventory that runs anywhere."""

from __future__ import annotations

from dataclasses import dataclass, field

from netauto.model.checks import IGP_ROLES
from netauto.model.schema import Inventory
from netauto.plan.migration import as_deployed, inventory_states
from netauto.plan.model import Plan, PlannedAttachment, PlannedLink
from netauto.platforms import get_platform


@dataclass(frozen=True)
class LabFrr:
    """An FRR the lab can run: the platform its routers render as and the transports it can forward
    (the first unless the lab asks for another)."""

    version: str
    model: str
    platform: str
    transports: tuple[str, ...]

    @property
    def transport(self) -> str:
        return self.transports[0]


# FRR 8.4 has no IS-IS SRv6 and this kernel forwards no MPLS (DESIGN §9): SR-MPLS labels on the
# loopback routes kept them out of the kernel (measured), so the 8.4 lab runs plain IP forwarding.
FRR8 = LabFrr("8", "FRR 8.4", "frr", ("ip",))
# FRR 10.3 runs IS-IS SRv6 and L3VPN over SRv6 (the planes share one locator: no SRv6 flex-algo),
# or IS-IS SR-MPLS and L3VPN over MPLS where the kernel forwards labels (the lab VM's does).
FRR10 = LabFrr("10", "FRR 10.3", "frr10", ("srv6", "mpls"))
LAB_FRR = {lab_frr.version: lab_frr for lab_frr in (FRR8, FRR10)}


def frr_variant(inv: Inventory, lab_frr: LabFrr = FRR8, transport: str | None = None) -> Inventory:
    """The same network with every managed device on the lab's FRR and a transport it can run (its
    first unless `transport` names another of its own)."""
    transport = transport or lab_frr.transport
    if transport not in lab_frr.transports:
        raise ValueError(f"{lab_frr.model} in the lab forwards {' or '.join(lab_frr.transports)}, not {transport}")
    classes = [
        sc.model_copy(update={"platform": lab_frr.platform, "model": lab_frr.model}) if sc.role != "external" else sc
        for sc in inv.site_classes
    ]
    sites = [s.model_copy(update={"platform": None, "model": None}) for s in inv.sites]
    devices = [d.model_copy(update={"platform": None, "model": None}) for d in inv.devices]
    update: dict[str, object] = {"transport": transport}
    if transport != "srv6":
        update["srv6"] = None
    network = inv.network.model_copy(update=update)
    changes = {"site_classes": classes, "sites": sites, "devices": devices, "network": network}
    return inv.model_copy(update=changes)


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
    """A host on a LAN of a VPN: its own namespace behind `device`'s LAN interface. In a VRF, each
    family the LAN has; in the global table IPv6 only (End.DT4 needs a VRF device)."""

    name: str
    device: str
    interface: str  # the router's LAN interface (the plan's sub-interface name)
    address: str | None  # the host's IPv6 address with the LAN's length (the LAN's second address)
    gateway: str | None  # the router's IPv6 address on the LAN (the first)
    prefix: str | None  # the IPv6 LAN
    vrf: str | None = None  # the router's VRF of the LAN (None: the global table)
    vlan: int | None = None  # the LAN's VLAN: a VLAN device on the router's LAN port (None: a port of its own)
    address_v4: str | None = None
    gateway_v4: str | None = None
    prefix_v4: str | None = None

    @property
    def ip(self) -> str | None:
        return self.address.split("/")[0] if self.address else None

    @property
    def ip_v4(self) -> str | None:
        return self.address_v4.split("/")[0] if self.address_v4 else None

    def ip_of(self, family: int) -> str | None:
        """The host's address in IP version `family` (None: it has none)."""
        return self.ip if family == 6 else self.ip_v4

    def prefix_of(self, family: int) -> str | None:
        return self.prefix if family == 6 else self.prefix_v4

    def prefixes(self) -> list[tuple[int, str]]:
        """(IP version, LAN prefix) of each family the host has."""
        return [(6, p) for p in (self.prefix,) if p] + [(4, p) for p in (self.prefix_v4,) if p]


@dataclass(frozen=True)
class LabVpn:
    """A VPN the lab wires and measures: in a VRF of its own on every router (`vrf`), or, for routers
    without VRF devices, in the default VRF (`vrf` None: the global table)."""

    id: str
    asn: int
    pes: list[str]  # the slice's IS-IS routers: each exports the VPN (templates/frr/vrfs.j2)
    attachments: list[tuple[str, str, str, str]]  # PE-CE sub-interfaces: (pe, pe_if, ce, ce_if)
    hosts: list[LanHost]
    vrf: str | None = None
    vlans: dict[tuple[str, str], int] = field(default_factory=dict)  # (router, sub-interface) -> VLAN

    @property
    def families(self) -> tuple[int, ...]:
        return (4, 6) if self.vrf else (6,)


def lab_vpns(inv: Inventory, plan: Plan, devices: list[str]) -> list[LabVpn]:
    """The VPNs the lab wires inside the slice: the global-table one where the inventory has it (routers
    without VRF devices), else, over SRv6 or MPLS, every VPN with a LAN inside the slice, each in its VRF."""
    carried = global_vpn(inv, plan, devices)
    if carried is not None:
        return [carried]
    if inv.network.transport not in ("srv6", "mpls"):  # IP transport carries no VPN between PEs
        return []
    deployed = as_deployed(plan, inv, inventory_states(inv))  # as rendered: no LAN of a network not yet moved in
    vpns = [_named_vpn(deployed, vpn.id, devices) for vpn in inv.vpns]
    return [vpn for vpn in vpns if vpn.hosts]  # one host: no pair to measure, but isolation from the rest


def global_vpn(inv: Inventory, plan: Plan, devices: list[str]) -> LabVpn | None:
    """The global-table VPN inside the slice, or None when the inventory has none."""
    vpn = next((vpn.id for vpn in inv.vpns if vpn.global_table), None)
    if vpn is None:
        return None
    inside = set(devices)
    attachments = [_ends(a) for a in _attached(plan, vpn, inside)]
    return LabVpn(vpn, plan.asn, _igp_routers(plan, inside), attachments, _lan_hosts(plan, vpn, inside))


def _named_vpn(plan: Plan, vpn: str, devices: list[str]) -> LabVpn:
    """A VPN in its VRF: PE-CE sub-interfaces as VLAN devices on the uplinks, LAN hosts dual-stack."""
    inside = set(devices)
    chosen = _attached(plan, vpn, inside)
    attachments = [_ends(a) for a in chosen]
    vlans = {(pe, pe_if): a.vlan for a, (pe, pe_if, _, _) in zip(chosen, attachments, strict=True)}
    vlans |= {(ce, ce_if): a.vlan for a, (_, _, ce, ce_if) in zip(chosen, attachments, strict=True)}
    pes = _igp_routers(plan, inside)
    platform = next(d.platform for d in plan.devices if d.name in inside and d.platform)
    vrf = get_platform(platform).vrf_name(vpn)  # as the routers' configs name it
    hosts = _lan_hosts(plan, vpn, inside, vrf=vrf)
    return LabVpn(vpn, plan.asn, pes, attachments, hosts, vrf=vrf, vlans=vlans)


def _attached(plan: Plan, vpn: str, inside: set[str]) -> list[PlannedAttachment]:
    """The VPN's PE-CE attachments with both ends inside the slice, named on both sides."""
    return [
        a
        for a in plan.attachments
        if a.vpn == vpn and a.pe_device in inside and a.ce_device in inside and a.pe_interface and a.ce_interface
    ]


def _ends(a: PlannedAttachment) -> tuple[str, str, str, str]:
    """(pe, pe_if, ce, ce_if) of an attachment both of whose ends are named (_attached)."""
    return a.pe_device, a.pe_interface or "", a.ce_device, a.ce_interface or ""


def _igp_routers(plan: Plan, inside: set[str]) -> list[str]:
    """The slice's IS-IS routers, sorted: each a PE of every VPN (templates/frr/vrfs.j2)."""
    return sorted(d.name for d in plan.devices if d.name in inside and d.role in IGP_ROLES)


def _lan_hosts(plan: Plan, vpn: str, inside: set[str], vrf: str | None = None) -> list[LanHost]:
    """A host on every LAN of the VPN inside the slice: dual-stack in a VRF; in the global table only
    on IPv6 LANs, IPv6 only (End.DT4 needs a VRF device)."""
    hosts = []
    for lan in sorted(plan.lans, key=lambda lan: lan.device):
        v6, v4 = lan.prefix_v6, lan.prefix_v4 if vrf is not None else None
        if lan.vpn != vpn or lan.device not in inside or lan.interface is None or (v6 or v4) is None:
            continue
        hosts.append(
            LanHost(
                f"{lan.device}-host" if vrf is None else f"{lan.device}-{lan.vlan}",
                lan.device,
                lan.interface,
                f"{v6.network_address + 2}/{v6.prefixlen}" if v6 else None,
                str(v6.network_address + 1) if v6 else None,
                str(v6) if v6 else None,
                vrf=vrf,
                vlan=lan.vlan if vrf is not None else None,
                address_v4=f"{v4.network_address + 2}/{v4.prefixlen}" if v4 else None,
                gateway_v4=str(v4.network_address + 1) if v4 else None,
                prefix_v4=str(v4) if v4 else None,
            )
        )
    return hosts
