"""The plan: every device, link and VPN with its allocations. The only shape later stages read.

Frozen, slotted dataclasses rather than pydantic models: the plan is built by our own code from a
validated inventory (nothing to validate again), and a 10,000-device plan holds ~150,000 of these
objects; pydantic's construction cost alone was a third of the planning budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Literal

from netauto.addressing import address_text


@dataclass(frozen=True, slots=True)
class PlannedSite:
    id: str
    name: str
    site_class: str
    parent: str | None
    users: int


@dataclass(frozen=True, slots=True)
class PlannedDevice:
    name: str
    site: str
    site_class: str
    role: str
    platform: str | None
    model: str | None
    loopback_v4: IPv4Address | None
    loopback_v6: IPv6Address | None
    isis_net: str | None
    node_id: int | None
    locators: dict[str, IPv6Network]
    asn: int | None = None  # eBGP CEs: their private ASN

    @property
    def managed(self) -> bool:
        return self.platform is not None


@dataclass(frozen=True, slots=True)
class Endpoint:
    device: str
    interface: str | None
    address_v4: str | None
    address_v6: str | None


@dataclass(frozen=True, slots=True)
class PlannedLink:
    id: str
    kind: Literal["mesh", "uplink", "explicit"]
    a: Endpoint
    b: Endpoint
    link_class: str
    capacity_gbps: float
    metric: int
    planes: list[str]
    srlg: list[str]
    p2p_v4: IPv4Network
    p2p_v6: IPv6Network


@dataclass(frozen=True, slots=True)
class PlannedAttachment:
    """A PE-CE sub-interface pair: one VPN on one CE uplink (VLAN = the VPN id)."""

    id: str
    link: str
    vpn: str
    vlan: int
    primary: bool  # the uplink carries the VPN's plane (else it is the backup path)
    ce_device: str
    ce_interface: str | None
    pe_device: str
    pe_interface: str | None
    net_v4: int  # the /31: CE gets the first address, PE the second
    net_v6: int  # the /127, likewise

    @property
    def ce(self) -> Endpoint:
        return Endpoint(self.ce_device, self.ce_interface, *self._addresses(0))

    @property
    def pe(self) -> Endpoint:
        return Endpoint(self.pe_device, self.pe_interface, *self._addresses(1))

    def _addresses(self, offset: int) -> tuple[str, str]:
        return f"{address_text(self.net_v4 + offset, 4)}/31", f"{address_text(self.net_v6 + offset, 6)}/127"


@dataclass(frozen=True, slots=True)
class PlannedLan:
    """A site's LAN in one VPN: a sub-interface of the device's LAN port, gateway = first address."""

    site: str
    vpn: str
    device: str
    interface: str | None
    vlan: int
    net_v4: int | None
    len_v4: int
    net_v6: int | None
    len_v6: int

    @property
    def prefix_v4(self) -> IPv4Network | None:
        return None if self.net_v4 is None else IPv4Network((self.net_v4, self.len_v4))

    @property
    def prefix_v6(self) -> IPv6Network | None:
        return None if self.net_v6 is None else IPv6Network((self.net_v6, self.len_v6))


@dataclass(frozen=True, slots=True)
class VrfSids:
    primary: IPv6Address
    backup: IPv6Address | None


@dataclass(frozen=True, slots=True)
class PlannedVpn:
    id: str
    name: str
    zone: str
    plane: str
    backup_plane: str | None
    vpn_id: int
    import_targets: list[str]
    export_targets: list[str]
    rd: dict[str, str]
    sids: dict[str, VrfSids]


@dataclass(frozen=True, slots=True)
class PlannedDedicatedNetwork:
    id: str
    name: str
    department: str
    level: str
    mode: str
    target_vpn: str
    border_device: str | None
    sites: list[str]


@dataclass(frozen=True, slots=True)
class PlannedBorder:
    """Where an interconnected dedicated network meets the extranet: a sub-interface of the border
    device's external port in the department's VPN (VLAN = the VPN id), facing the dedicated network's
    own border router. The /31 and /127: that router gets the first address, the border device the
    second (as a CE and its PE)."""

    id: str  # border|<dedicated network id>: its key in the lock's attachments
    network: str
    vpn: str
    vlan: int
    device: str
    interface: str | None
    peering: str  # ebgp | static
    peer_asn: int | None
    net_v4: int
    net_v6: int

    @property
    def local(self) -> Endpoint:
        v4, v6 = address_text(self.net_v4 + 1, 4), address_text(self.net_v6 + 1, 6)
        return Endpoint(self.device, self.interface, f"{v4}/31", f"{v6}/127")

    @property
    def peer_v4(self) -> str:
        return address_text(self.net_v4, 4)

    @property
    def peer_v6(self) -> str:
        return address_text(self.net_v6, 6)


@dataclass(frozen=True, slots=True)
class Retired:
    """Allocations of things no longer in the inventory: kept reserved, never handed out again."""

    devices: list[str]
    links: list[str]
    vpns: list[str]
    attachments: list[str] = field(default_factory=list)
    lans: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Plan:
    network: str
    name: str
    asn: int
    transport: str
    planes: list[str]
    sites: list[PlannedSite]
    devices: list[PlannedDevice]
    links: list[PlannedLink]
    vpns: list[PlannedVpn]
    dedicated_networks: list[PlannedDedicatedNetwork]
    retired: Retired
    attachments: list[PlannedAttachment] = field(default_factory=list)
    lans: list[PlannedLan] = field(default_factory=list)
    borders: list[PlannedBorder] = field(default_factory=list)
