"""What a device's templates see: one plain dict per device, built from the plan (docs/render-context.md).

Plain dicts and lists, not models: templates read them, and 10,000 of them must be built in well
under a second. Every value comes from the plan or the inventory; nothing is invented here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from ipaddress import ip_network
from typing import Any

from netauto.addressing import address_text
from netauto.model.checks import IGP_ROLES
from netauto.model.schema import DedicatedNetwork
from netauto.pipeline import PlanResult
from netauto.plan.migration import BORDER_LEVELS, MigrationState, as_deployed, inventory_states
from netauto.plan.model import Plan, PlannedAttachment, PlannedBorder, PlannedDevice, PlannedLan, PlannedLink
from netauto.platforms import PlatformSpec, get_platform
from netauto.secrets import Secrets

Context = dict[str, Any]
STATIC_PRIMARY_PREFERENCE = 10
STATIC_BACKUP_PREFERENCE = 20
SRGB = (16000, 23999)
# the IPv6 loopback's prefix SID (where a platform gives it one): the node's index in the SRGB's upper half
NODE_SID_V6_OFFSET = (SRGB[1] - SRGB[0] + 1) // 2


def _mpls(device: PlannedDevice) -> Context:
    index = device.node_id or 0
    return {"node_sid_index": index, "node_sid_index_v6": index + NODE_SID_V6_OFFSET, "srgb": list(SRGB)}


@dataclass(frozen=True, slots=True)
class _Ends:
    """An attachment's four addresses, computed once (with and without the prefix length)."""

    ce_v4: str
    ce_v6: str
    pe_v4: str
    pe_v6: str

    @classmethod
    def of(cls, a: PlannedAttachment) -> _Ends:
        return cls(
            address_text(a.net_v4, 4),
            address_text(a.net_v6, 6),
            address_text(a.net_v4 + 1, 4),
            address_text(a.net_v6 + 1, 6),
        )


@dataclass
class _Index:
    """Everything keyed by device, computed once for all contexts."""

    devices: dict[str, PlannedDevice]
    links: dict[str, list[tuple[PlannedLink, str]]]
    pe_side: dict[str, list[PlannedAttachment]]
    ce_side: dict[str, list[PlannedAttachment]]
    lans: dict[str, list[PlannedLan]]
    ends: dict[str, _Ends]
    lan_by_site_vpn: dict[tuple[str, str], PlannedLan]
    site_names: dict[str, str]
    routing: dict[str, str]  # site class -> static | ebgp
    global_table: set[str]  # VPNs carried in the default VRF
    borders: dict[str, list[PlannedBorder]]
    dedicated: dict[str, DedicatedNetwork]


def build_contexts(
    result: PlanResult,
    secrets: Secrets,
    only: set[str] | None = None,
    migration: dict[str, MigrationState] | None = None,
) -> dict[str, Context]:
    """Contexts of every managed device (or of `only`), keyed by device name, with each dedicated
    network's migration where the inventory says it stands (`migration`: these networks elsewhere)."""
    states = inventory_states(result.inventory) | (migration or {})
    plan = as_deployed(result.plan, result.inventory, states)
    index = _index(result, plan)
    planned_borders = _by_device(result.plan.borders)
    network = _network(result)
    reflectors = [d for d in plan.devices if d.role == "core" and d.platform]
    clients = [d for d in plan.devices if d.role in IGP_ROLES and d.role != "core" and d.platform]
    contexts = {}
    for device in plan.devices:
        if device.platform is None or (only is not None and device.name not in only):
            continue
        naming = get_platform(device.platform).interfaces
        context: Context = {
            "device": _device(device, index, naming.loopback),
            "network": network,
            "planes": network["planes"],
            "management": network["management"],
            "secrets": secrets.values,
            "interfaces": [_interface(link, end, index) for link, end in index.links.get(device.name, [])],
            "subinterfaces": _subinterfaces(device, index),
        }
        # the ports the dedicated networks' border routers are cabled to: up whatever the migration's state
        context["border_ports"] = sorted(
            {b.local.interface.rsplit(".", 1)[0] for b in planned_borders[device.name] if b.local.interface}
        )
        borders = [
            _border(b, index, states[b.network].border_level or "done", device.platform)
            for b in index.borders[device.name]
        ]
        if borders:
            context["borders"] = borders
            context["subinterfaces"] += [b["subinterface"] for b in borders]
        if device.role in IGP_ROLES:
            context["isis"] = _isis(device, context["interfaces"], network)
            context["srv6"] = _srv6(device, result) if plan.transport == "srv6" else None
            context["mpls"] = _mpls(device) if plan.transport == "mpls" else None
            context["bgp"] = _bgp(device, reflectors, clients, plan.asn, plan.transport)
            context["vrfs"] = _vrfs(device, result, index)
        else:
            context["ce"] = _ce(device, result, index)
        contexts[device.name] = context
    return contexts


def _index(result: PlanResult, plan: Plan) -> _Index:
    inv = result.inventory
    links: dict[str, list[tuple[PlannedLink, str]]] = defaultdict(list)
    for link in plan.links:
        links[link.a.device].append((link, "a"))
        links[link.b.device].append((link, "b"))
    pe_side: dict[str, list[PlannedAttachment]] = defaultdict(list)
    ce_side: dict[str, list[PlannedAttachment]] = defaultdict(list)
    for attachment in plan.attachments:
        pe_side[attachment.pe_device].append(attachment)
        ce_side[attachment.ce_device].append(attachment)
    lans: dict[str, list[PlannedLan]] = defaultdict(list)
    for lan in plan.lans:
        lans[lan.device].append(lan)
    return _Index(
        devices={d.name: d for d in plan.devices},
        links=links,
        pe_side=pe_side,
        ce_side=ce_side,
        lans=lans,
        ends={a.id: _Ends.of(a) for a in plan.attachments},
        lan_by_site_vpn={(lan.site, lan.vpn): lan for lan in plan.lans},
        site_names={s.id: s.name for s in plan.sites},
        routing={sc.id: sc.pe_ce_routing for sc in inv.site_classes},
        global_table={v.id for v in inv.vpns if v.global_table},
        borders=_by_device(plan.borders),
        dedicated={d.id: d for d in inv.dedicated_networks},
    )


def _by_device(borders: list[PlannedBorder]) -> dict[str, list[PlannedBorder]]:
    found: dict[str, list[PlannedBorder]] = defaultdict(list)
    for border in borders:
        found[border.device].append(border)
    return found


def _network(result: PlanResult) -> Context:
    inv, plan = result.inventory, result.plan
    net = inv.network
    management = net.management
    return {
        "id": net.id,
        "name": net.name,
        "asn": net.asn,
        "transport": plan.transport,
        "isis_area": net.igp.area,
        "isis_level": net.igp.level,
        "srv6": net.srv6.model_dump() if net.srv6 else None,
        "planes": [
            {
                "id": p.id,
                "name": p.name,
                "flex_algo": p.flex_algo,
                "affinity": p.affinity,
                "affinity_bit": p.affinity_bit,
                "color": p.color,
                "backup": p.backup,
            }
            for p in inv.planes
        ],
        "management": {
            "domain": management.domain,
            "ntp": [str(a) for a in management.ntp],
            "syslog": [str(a) for a in management.syslog],
            "snmp_user": management.snmp_user,
            "snmp_managers": [str(p) for p in management.snmp_managers],
            "login_user": management.login_user,
        },
    }


def _device(device: PlannedDevice, index: _Index, loopback: str) -> Context:
    return {
        "name": device.name,
        "hostname": device.name,
        "site": device.site,
        "site_name": index.site_names.get(device.site, ""),
        "site_class": device.site_class,
        "role": device.role,
        "platform": device.platform,
        "model": device.model,
        "loopback": loopback,
        "loopback_v4": str(device.loopback_v4),
        "loopback_v6": str(device.loopback_v6),
        "router_id": str(device.loopback_v4),
        "isis_net": device.isis_net,
        "node_id": device.node_id,
        "asn": device.asn,
        "is_pe": device.role in IGP_ROLES,
        "is_rr": device.role == "core",
    }


def _interface(link: PlannedLink, end: str, index: _Index) -> Context:
    here, there = (link.a, link.b) if end == "a" else (link.b, link.a)
    far = index.devices[there.device]
    near = index.devices[here.device]
    return {
        "name": here.interface,
        "description": f"to {there.device} {there.interface or '(external)'} [{link.id}]",
        "ipv4": here.address_v4,
        "ipv6": here.address_v6,
        "link_id": link.id,
        "far_device": there.device,
        "far_interface": there.interface,
        "capacity_gbps": link.capacity_gbps,
        "metric": link.metric,
        "planes": link.planes,
        "srlg": link.srlg,
        "isis": near.role in IGP_ROLES and far.role in IGP_ROLES and far.platform is not None,
        "bfd": True,
    }


def _platform_of(device: PlannedDevice) -> PlatformSpec:
    """The platform of a device netauto renders (only managed devices have one)."""
    if device.platform is None:
        raise ValueError(f"{device.name} is not managed: it has no platform to render for")
    return get_platform(device.platform)


def _subinterfaces(device: PlannedDevice, index: _Index) -> list[Context]:
    subs = []
    for a in index.pe_side.get(device.name, []):
        e = index.ends[a.id]
        v4, v6 = f"{e.pe_v4}/31", f"{e.pe_v6}/127"
        subs.append(_sub(a.pe_interface, a.vlan, a.vpn, "pe-ce", v4, v6, a.ce_device, a.primary))
    for a in index.ce_side.get(device.name, []):
        e = index.ends[a.id]
        v4, v6 = f"{e.ce_v4}/31", f"{e.ce_v6}/127"
        subs.append(_sub(a.ce_interface, a.vlan, a.vpn, "pe-ce", v4, v6, a.pe_device, a.primary))
    for lan in index.lans.get(device.name, []):
        subs.append(_sub(lan.interface, lan.vlan, lan.vpn, "lan", *_gateways(lan), None, True))
    platform = _platform_of(device)
    for sub in subs:
        sub["global_table"] = sub["vrf"] in index.global_table
        sub["vrf"] = platform.vrf_name(sub["vrf"])
    return subs


def _gateways(lan: PlannedLan) -> tuple[str | None, str | None]:
    """A LAN's gateway addresses (its first host), with the prefix length."""
    v4 = f"{address_text(lan.net_v4 + 1, 4)}/{lan.len_v4}" if lan.net_v4 is not None else None
    v6 = f"{address_text(lan.net_v6 + 1, 6)}/{lan.len_v6}" if lan.net_v6 is not None else None
    return v4, v6


def _sub(
    name: str | None, vlan: int, vrf: str, kind: str, v4: str | None, v6: str | None, far: str | None, primary: bool
) -> Context:
    parent = name.rsplit(".", 1)[0] if name else None
    described = f"{vrf} {'to ' + far if far else 'LAN'}{'' if primary else ' (backup plane)'}"
    return {
        "name": name,
        "parent": parent,
        "vlan": vlan,
        "vrf": vrf,
        "kind": kind,
        "ipv4": v4,
        "ipv6": v6,
        "far_device": far,
        "primary": primary,
        "description": described,
    }


def _isis(device: PlannedDevice, interfaces: list[Context], network: Context) -> Context:
    return {
        "net": device.isis_net,
        "level": network["isis_level"],
        "interfaces": [i for i in interfaces if i["isis"]],
        "flex_algos": [
            {"algo": p["flex_algo"], "affinity": p["affinity"], "plane": p["id"], "priority": 128}
            for p in network["planes"]
        ],
    }


def _srv6(device: PlannedDevice, result: PlanResult) -> Context:
    srv6 = result.inventory.network.srv6
    assert srv6 is not None
    algos = {p.id: p.flex_algo for p in result.inventory.planes}
    return {
        "source": str(device.loopback_v6),
        "block_len": srv6.block_len,
        "node_len": srv6.node_len,
        "function_len": srv6.function_len,
        "argument_len": srv6.argument_len,
        "usid": srv6.usid,
        "locators": [
            {"name": plane.upper(), "plane": plane, "prefix": str(prefix), "algo": algos[plane]}
            for plane, prefix in device.locators.items()
        ],
    }


def _bgp(
    device: PlannedDevice, reflectors: list[PlannedDevice], clients: list[PlannedDevice], asn: int, transport: str
) -> Context:
    family = "loopback_v6" if transport == "srv6" else "loopback_v4"
    peers = [d for d in reflectors if d.name != device.name]
    if device.role == "core":
        peers += clients
    return {
        "asn": asn,
        "router_id": str(device.loopback_v4),
        "route_reflector": device.role == "core",
        "neighbors": [
            {
                "address": str(getattr(peer, family)),
                "name": peer.name,
                "description": f"iBGP {peer.name}",
                "rr_client": device.role == "core" and peer.role != "core",
            }
            for peer in peers
        ],
    }


def _vrfs(device: PlannedDevice, result: PlanResult, index: _Index) -> list[Context]:
    platform = _platform_of(device)
    colors = {p.id: p.color for p in result.inventory.planes}
    by_vpn: dict[str, list[PlannedAttachment]] = defaultdict(list)
    for attachment in index.pe_side.get(device.name, []):
        by_vpn[attachment.vpn].append(attachment)
    vrfs = []
    for vpn in result.plan.vpns:
        sids = vpn.sids.get(device.name)
        ce_neighbors, static_routes = [], []
        for a in by_vpn.get(vpn.id, []):
            ce = index.devices[a.ce_device]
            preference = STATIC_PRIMARY_PREFERENCE if a.primary else STATIC_BACKUP_PREFERENCE
            if index.routing.get(ce.site_class) == "ebgp" and ce.asn is not None:
                ce_neighbors.append(
                    {
                        "address_v4": index.ends[a.id].ce_v4,
                        "address_v6": index.ends[a.id].ce_v6,
                        "asn": ce.asn,
                        "description": f"CE {ce.name}",
                        "primary": a.primary,
                        "local_preference": 200 if a.primary else 100,
                    }
                )
            lan = index.lan_by_site_vpn.get((ce.site, vpn.id))
            if lan is not None and index.routing.get(ce.site_class) != "ebgp":
                ends = index.ends[a.id]
                for prefix, next_hop in ((lan.prefix_v4, ends.ce_v4), (lan.prefix_v6, ends.ce_v6)):
                    if prefix is not None:
                        static_routes.append(
                            {
                                "prefix": str(prefix),
                                "next_hop": next_hop,
                                "preference": preference,
                                "description": ce.name,
                                "version": prefix.version,
                            }
                        )
        vrfs.append(
            {
                "name": platform.vrf_name(vpn.id),
                "description": vpn.name or vpn.id,
                "vpn_id": vpn.vpn_id,
                "rd": vpn.rd.get(device.name),
                "import_targets": vpn.import_targets,
                "export_targets": vpn.export_targets,
                "plane": vpn.plane,
                "backup_plane": vpn.backup_plane,
                "locator": vpn.plane.upper(),
                "backup_locator": vpn.backup_plane.upper() if vpn.backup_plane else None,
                "sid": str(sids.primary) if sids else None,
                "backup_sid": str(sids.backup) if sids and sids.backup else None,
                "color": colors[vpn.plane],
                "backup_color": colors[vpn.backup_plane] if vpn.backup_plane else None,
                "ce_neighbors": ce_neighbors,
                "static_routes": static_routes,
                "global_table": vpn.id in index.global_table,
                "networks": _networks(device, vpn.id, by_vpn.get(vpn.id, []), static_routes, index)
                if vpn.id in index.global_table
                else [],
            }
        )
    return vrfs


def _networks(
    device: PlannedDevice, vpn: str, attachments: list[PlannedAttachment], static_routes: list[Context], index: _Index
) -> list[Context]:
    """The prefixes a PE originates into a VPN carried in its global table (announced one by one, so
    the rest of the global table - loopbacks, core links - stays out of the VPN)."""
    prefixes = [(f"{address_text(a.net_v4, 4)}/31", 4) for a in attachments]
    prefixes += [(f"{address_text(a.net_v6, 6)}/127", 6) for a in attachments]
    for lan in index.lans.get(device.name, []):
        if lan.vpn == vpn:
            prefixes += [(str(p), p.version) for p in (lan.prefix_v4, lan.prefix_v6) if p is not None]
    prefixes += [(r["prefix"], r["version"]) for r in static_routes]
    ordered = sorted(set(prefixes), key=lambda item: (item[1], ip_network(item[0])))
    return [{"prefix": prefix, "version": version} for prefix, version in ordered]


def _ce(device: PlannedDevice, result: PlanResult, index: _Index) -> Context:
    routing = index.routing.get(device.site_class, "static")
    by_vpn: dict[str, list[PlannedAttachment]] = defaultdict(list)
    for attachment in index.ce_side.get(device.name, []):
        by_vpn[attachment.vpn].append(attachment)
    lans = {lan.vpn: lan for lan in index.lans.get(device.name, [])}
    platform = _platform_of(device)
    vrfs = []
    for vpn in result.plan.vpns:
        uplinks = by_vpn.get(vpn.id, [])
        if not uplinks:
            continue
        lan = lans.get(vpn.id)
        vrfs.append(
            {
                "name": platform.vrf_name(vpn.id),
                "global_table": vpn.id in index.global_table,
                "vlan": vpn.vpn_id,
                "rd": f"{device.loopback_v4}:{vpn.vpn_id}",
                "lan_v4": str(lan.prefix_v4) if lan and lan.prefix_v4 else None,
                "lan_v6": str(lan.prefix_v6) if lan and lan.prefix_v6 else None,
                "uplinks": [
                    {
                        "interface": a.ce_interface,
                        "pe_device": a.pe_device,
                        "pe_address_v4": index.ends[a.id].pe_v4,
                        "pe_address_v6": index.ends[a.id].pe_v6,
                        "primary": a.primary,
                        "preference": STATIC_PRIMARY_PREFERENCE if a.primary else STATIC_BACKUP_PREFERENCE,
                        "local_preference": 200 if a.primary else 100,
                    }
                    for a in sorted(uplinks, key=lambda a: (not a.primary, a.id))
                ],
            }
        )
    return {"routing": routing, "asn": device.asn, "pe_asn": result.plan.asn, "vrfs": vrfs}


def _border(border: PlannedBorder, index: _Index, level: str, platform: str) -> Context:
    """An interconnected dedicated network's border on this device, built up to `level`: the
    sub-interface in the department's VPN, then the prefix filters both ways (only the agreed prefixes),
    then the peering with the network's own border router (eBGP, or static routes to the agreed
    prefixes), then NAT where the department's prefixes overlap the extranet's. The filters come
    before the peering, so that no session ever runs without them."""
    network = index.dedicated[border.network]
    built = BORDER_LEVELS.index(level)
    local = border.local
    allowed = network.allowed
    to_extranet = allowed.to_extranet if allowed else network.prefixes
    from_extranet = allowed.from_extranet if allowed else []
    name = border.network.upper()
    sub = _sub(local.interface, border.vlan, border.vpn, "border", local.address_v4, local.address_v6, None, True)
    sub["description"] = f"{border.vpn} to dedicated network {border.network} border"
    sub["global_table"] = border.vpn in index.global_table
    sub["vrf"] = get_platform(platform).vrf_name(border.vpn)
    return {
        "network": border.network,
        "name": network.name,
        "vrf": sub["vrf"],
        "global_table": border.vpn in index.global_table,
        "interface": local.interface,
        "subinterface": sub,
        "local_v4": local.address_v4,
        "local_v6": local.address_v6,
        "peer_v4": border.peer_v4,
        "peer_v6": border.peer_v6,
        "peering": border.peering,
        "peer_asn": border.peer_asn,
        "description": f"dedicated network {border.network}",
        "filter_in": f"{name}-IN",  # what the extranet accepts from the dedicated network
        "filter_out": f"{name}-OUT",  # what the dedicated network is shown of the extranet
        "accept": [_prefix_entry(p) for p in to_extranet],
        "announce": [_prefix_entry(p) for p in from_extranet],
        "static_routes": [_prefix_entry(p) for p in to_extranet],
        "nat": [_nat_entry(rule.inside, rule.outside) for rule in network.nat],
        # the agreed prefixes as the extranet sees them (after NAT): what the VPN carries
        "extranet_prefixes": [_prefix_entry(translated(p, network)) for p in to_extranet],
        "filters": built >= BORDER_LEVELS.index("filters"),
        "peered": built >= BORDER_LEVELS.index("peering"),
        "translated": built >= BORDER_LEVELS.index("done") and bool(network.nat),
    }


def _prefix_entry(prefix: Any) -> Context:
    return {
        "prefix": str(prefix),
        "version": prefix.version,
        "address": str(prefix.network_address),
        "length": prefix.prefixlen,
        "netmask": str(prefix.netmask),
        "wildcard": str(prefix.hostmask),
    }


def _nat_entry(inside: Any, outside: Any) -> Context:
    """A static net-to-net translation: the inside prefix seen from the extranet as the outside one."""
    return {"inside": _prefix_entry(inside), "outside": _prefix_entry(outside)}


def translated(prefix: Any, network: DedicatedNetwork) -> Any:
    """`prefix` as the extranet sees it: moved into a NAT rule's outside range when an inside one holds it."""
    for rule in network.nat:
        if prefix.version == rule.inside.version and prefix.subnet_of(rule.inside):
            offset = int(prefix.network_address) - int(rule.inside.network_address)
            return ip_network(f"{rule.outside.network_address + offset}/{prefix.prefixlen}")
    return prefix
