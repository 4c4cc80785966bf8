"""The source of truth as typed models (DESIGN §5). Field names are the YAML keys users write."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from netauto.addressing import (
    check_ident,
    check_isis_area,
    check_route_distinguisher,
    check_route_target,
    parse_address,
    parse_prefix,
)

Ident = Annotated[str, AfterValidator(check_ident)]
AnyPrefix = Annotated[IPv4Network | IPv6Network, BeforeValidator(parse_prefix)]
RouteTarget = Annotated[str, AfterValidator(check_route_target)]
Role = Literal["core", "pe", "ce", "border", "external"]
Transport = Literal[
    "srv6", "mpls", "ip"
]  # ip: IS-IS + BGP without segment routing (labs whose kernel forwards neither)


def _of_version(parse: Callable[[object], Any], version: int, noun: str, user: str) -> Callable[[object], Any]:
    """A validator that parses with `parse` and insists on one IP version."""

    def check(value: object) -> Any:
        parsed = parse(value)
        if parsed.version != version:
            raise ValueError(f"'{value}' is an IPv{parsed.version} {noun}; {user} needs IPv{version}")
        return parsed

    return check


def check_time_zone(value: str) -> str:
    """An IANA time zone name, as reports show dates in it.

    >>> check_time_zone("Asia/Shanghai")
    'Asia/Shanghai'
    >>> check_time_zone("Asia/Qingpu")
    Traceback (most recent call last):
    ...
    ValueError: unknown time zone 'Asia/Qingpu'; use an IANA name such as Asia/Shanghai
    """
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone '{value}'; use an IANA name such as Asia/Shanghai") from None
    return value


TimeZone = Annotated[str, AfterValidator(check_time_zone)]
ReportLanguage = Literal["zh-CN", "en"]
DEFAULT_LOCALE: ReportLanguage = "zh-CN"  # a Chinese district's network, unless its inventory says otherwise
DEFAULT_TIME_ZONE = "Asia/Shanghai"
V4Prefix = Annotated[IPv4Network, BeforeValidator(_of_version(parse_prefix, 4, "prefix", "this pool"))]
V6Prefix = Annotated[IPv6Network, BeforeValidator(_of_version(parse_prefix, 6, "prefix", "this pool"))]
V4Address = Annotated[IPv4Address, BeforeValidator(_of_version(parse_address, 4, "address", "this pin"))]
V6Address = Annotated[IPv6Address, BeforeValidator(_of_version(parse_address, 6, "address", "this pin"))]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Igp(Model):
    protocol: Literal["isis"] = "isis"
    level: Literal[2] = 2
    area: Annotated[str, AfterValidator(check_isis_area)] = "49.0001"


class Pools(Model):
    loopback_v4: V4Prefix
    loopback_v6: V6Prefix
    p2p_v4: V4Prefix
    p2p_v6: V6Prefix
    pe_ce_v4: V4Prefix | None = None  # one /31 per PE-CE sub-interface (uplink x VPN)
    pe_ce_v6: V6Prefix | None = None  # one /127 per PE-CE sub-interface

    def defined(self) -> list[tuple[str, IPv4Network | IPv6Network]]:
        return [(name, value) for name in type(self).model_fields if (value := getattr(self, name)) is not None]


class Management(Model):
    """Baseline services every managed device gets (addresses, not secrets: those come from outside)."""

    domain: str = "extranet.local"
    ntp: list[Annotated[IPv4Address | IPv6Address, BeforeValidator(parse_address)]] = []
    syslog: list[Annotated[IPv4Address | IPv6Address, BeforeValidator(parse_address)]] = []
    snmp_user: str = "netauto"
    snmp_managers: list[AnyPrefix] = []
    login_user: str = "netops"


class Srv6(Model):
    """SID structure: block + node = locator; locator + function + argument <= 128 bits.

    Each plane's block is `locator_pool` followed by the plane's flex-algo id, so a locator
    names its plane (fcbb:bb80::/32 is flex-algo 128).
    """

    locator_pool: V6Prefix
    block_len: int = Field(32, ge=8, le=120)
    node_len: int = Field(16, ge=1, le=64)
    function_len: int = Field(16, ge=1, le=64)
    argument_len: int = Field(0, ge=0, le=64)
    usid: bool = False

    @property
    def locator_len(self) -> int:
        return self.block_len + self.node_len


class Network(Model):
    id: Ident
    name: str
    asn: int = Field(ge=1, le=4294967295)
    igp: Igp = Igp()
    transport: Transport
    pools: Pools
    srv6: Srv6 | None = None
    route_distinguisher: Literal["loopback", "asn"] = "loopback"
    vpn_id_range: tuple[int, int] = (100, 4094)
    ce_asn_range: tuple[int, int] = (4200000000, 4294967294)  # private 4-byte ASNs for eBGP CEs
    management: Management = Management()
    locale: ReportLanguage = DEFAULT_LOCALE  # the language of the reports (review, analysis, runbook)
    time_zone: TimeZone = DEFAULT_TIME_ZONE  # the reports' dates are shown in it


class Plane(Model):
    id: Ident
    name: str = ""
    flex_algo: int
    affinity: str
    affinity_bit: int = Field(ge=0, le=255)
    color: int = Field(ge=1, le=4294967295)
    backup: Ident | None = None

    @field_validator("flex_algo")
    @classmethod
    def _flex_algo_range(cls, value: int) -> int:
        if not 128 <= value <= 255:
            raise ValueError(f"flex-algo {value} is outside 128-255 (RFC 9350: 0-127 are reserved)")
        return value


class LinkClass(Model):
    id: Ident
    name: str = ""
    capacity_gbps: float = Field(gt=0)
    metric: int = Field(10, ge=1, le=16777215)


class SiteClass(Model):
    id: Ident
    name: str = ""
    role: Role
    devices: int = Field(1, ge=1, le=16)
    device_prefix: Ident
    platform: str | None = None
    model: str | None = None
    uplinks: int = Field(0, ge=0, le=8)
    link_class: Ident | None = None
    attach_to: Ident | None = None
    uplink_planes: list[list[Ident]] | None = None
    diversity: bool = False
    parent_class: Ident | None = None
    mesh_link_class: Ident | None = None
    service: Ident | None = None  # a service every site must reach (cloud, upstream); demands may go to it
    pe_ce_routing: Literal["static", "ebgp"] = "static"  # for CE classes: how the CE and its PE exchange routes
    lan_v4_len: int = Field(26, ge=8, le=30)  # LAN prefix per attached VPN, from the VPN's plan


class Uplink(Model):
    to: Ident | None = None
    srlg: list[Ident] = []


class Site(Model):
    id: Ident
    name: str = ""
    site_class: Ident = Field(alias="class")
    parent: Ident | None = None
    platform: str | None = None
    model: str | None = None
    users: int = Field(0, ge=0)
    uplinks: list[Uplink] | None = None
    prefixes: dict[Ident, list[AnyPrefix]] = {}


class DeviceOverride(Model):
    """Pins or overrides attributes of a device the planner generates from a site."""

    name: Ident
    platform: str | None = None
    model: str | None = None
    loopback_v4: V4Address | None = None
    loopback_v6: V6Address | None = None


class ExplicitLink(Model):
    """A link added by hand, or an override of a generated one (matched by its two ends)."""

    a: Ident
    b: Ident
    link_class: Ident = Field(alias="class")
    srlg: list[Ident] = []
    metric: int | None = Field(None, ge=1, le=16777215)
    planes: list[Ident] | None = None


class RouteTargets(Model):
    import_: list[RouteTarget] = Field(alias="import")
    export: list[RouteTarget]


class Vpn(Model):
    id: Ident
    name: str = ""
    zone: Literal["public", "internet", "dedicated"]
    plane: Ident
    department: str | None = None
    prefixes: list[AnyPrefix] = []
    rd: Annotated[str, AfterValidator(check_route_distinguisher)] | None = None
    route_targets: RouteTargets | None = None
    vpn_id: int | None = Field(None, ge=1, le=4094)  # also the VLAN of its PE-CE and LAN sub-interfaces
    attach: list[Ident] = []  # site classes whose every site joins this VPN (dedicated networks add their sites)
    # carried in the default VRF (the global routing table) instead of a VRF of its own: for routers
    # without VRF devices (the SRv6 lab); at most one per network, or two VPNs would share a table
    global_table: bool = False


class Border(Model):
    device: Ident
    peering: Literal["ebgp", "static"]
    peer_asn: int | None = Field(None, ge=1, le=4294967295)


class AllowedPrefixes(Model):
    to_extranet: list[AnyPrefix]
    from_extranet: list[AnyPrefix]


class NatRule(Model):
    inside: AnyPrefix
    outside: AnyPrefix


class MaintenanceWindow(Model):
    start: datetime
    hours: float = Field(gt=0, le=72)


class DedicatedNetwork(Model):
    id: Ident
    name: str
    department: str
    level: Literal["municipal", "district"]
    mode: Literal["cutover", "interconnect"]
    sites: list[Ident] = []
    prefixes: list[AnyPrefix]
    target_vpn: Ident
    border: Border | None = None
    allowed: AllowedPrefixes | None = None
    nat: list[NatRule] = []
    window: MaintenanceWindow | None = None
    # where the migration stands: planned (nothing of it is rendered yet) or migrated (its runbook ran;
    # all of it is rendered). A runbook's stages lie between the two.
    state: Literal["planned", "migrated"] = "planned"


class Demand(Model):
    """Peak traffic of every site of a class, in one plane, towards the core or a service."""

    site_class: Ident
    plane: Ident
    gbps: float = Field(ge=0)
    to: Ident = "core"


class Inventory(Model):
    network: Network
    planes: list[Plane]
    link_classes: list[LinkClass]
    site_classes: list[SiteClass]
    sites: list[Site]
    devices: list[DeviceOverride] = []
    links: list[ExplicitLink] = []
    vpns: list[Vpn] = []
    dedicated_networks: list[DedicatedNetwork] = []
    demands: list[Demand] = []
