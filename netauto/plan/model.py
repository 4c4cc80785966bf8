"""The plan: every device, link and VPN with its allocations. The only shape later stages read."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Literal

from pydantic import BaseModel, ConfigDict


class PlanModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlannedSite(PlanModel):
    id: str
    name: str
    site_class: str
    parent: str | None
    users: int


class PlannedDevice(PlanModel):
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

    @property
    def managed(self) -> bool:
        return self.platform is not None


class Endpoint(PlanModel):
    device: str
    interface: str | None
    address_v4: str | None
    address_v6: str | None


class PlannedLink(PlanModel):
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


class VrfSids(PlanModel):
    primary: IPv6Address
    backup: IPv6Address | None


class PlannedVpn(PlanModel):
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


class PlannedDedicatedNetwork(PlanModel):
    id: str
    name: str
    department: str
    level: str
    mode: str
    target_vpn: str
    border_device: str | None
    sites: list[str]


class Retired(PlanModel):
    """Allocations of things no longer in the inventory: kept reserved, never handed out again."""

    devices: list[str]
    links: list[str]
    vpns: list[str]


class Plan(PlanModel):
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
