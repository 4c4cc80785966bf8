"""Sticky, deterministic allocation of loopbacks, p2p subnets, node ids, interfaces and VPN ids.

Every value already in the lock is kept while it is still valid (inside its pool, not taken by a
pin); new things get the lowest free value. Allocations of things that left the inventory move to
the lock's `retired` part and stay reserved, so no address is silently handed to someone else.
"""

from __future__ import annotations

import re
from functools import cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Any

from netauto.addressing import address_int, address_text, isis_net, locator, plane_block, sid
from netauto.model.checks import Reporter
from netauto.model.schema import Inventory
from netauto.plan.attach import attach_sites, border_key, vpn_members
from netauto.plan.expand import DeviceSpec, Expansion, LinkSpec
from netauto.plan.held import reserve_all
from netauto.plan.lock import KINDS, Entry, Lock
from netauto.plan.model import (
    Endpoint,
    Plan,
    PlannedDedicatedNetwork,
    PlannedDevice,
    PlannedLink,
    PlannedSite,
    PlannedVpn,
    Retired,
    VrfSids,
)
from netauto.plan.pools import (
    AllocationReport,
    PoolAllocator,
    int_of,
    note,
    record,
    report_exhausted,
    sticky,
)
from netauto.platforms import get_platform


def allocate(inv: Inventory, expansion: Expansion, lock: Lock, report: Reporter) -> tuple[Plan, Lock, AllocationReport]:
    result = AllocationReport()
    new_lock = Lock(lock.path)
    _retire(lock, new_lock, result, _present(inv, expansion))
    return _allocate_all(inv, inv, expansion, lock, new_lock, report, result), new_lock, result


def allocate_region(
    inv: Inventory, expansion: Expansion, lock: Lock, report: Reporter, sites: set[str]
) -> tuple[Plan, Lock, AllocationReport]:
    """`allocate` for the things of `sites` only (netauto/plan/region.py says when that gives what a
    full plan gives): every other present thing keeps its entry of the lock, which a full plan would
    keep too; what left the inventory is retired as a full plan retires it."""
    result = AllocationReport()
    new_lock = Lock(lock.path)
    present = _present(inv, expansion)
    _retire(lock, new_lock, result, present)
    for kind in KINDS:
        new_lock.active[kind] = {key: entry for key, entry in lock.active[kind].items() if key in present[kind]}
    new_lock.as_read = lock.as_read  # the entries kept are the very ones read: written again as they were
    devices = {name: spec for name, spec in expansion.devices.items() if spec.site in sites}
    region = Expansion(
        devices=devices,
        links=[link for link in expansion.links if link.a in devices and link.b in devices],
        devices_by_site={site: names for site, names in expansion.devices_by_site.items() if site in sites},
    )
    return _allocate_all(inv, restricted(inv, sites), region, lock, new_lock, report, result), new_lock, result


def restricted(inv: Inventory, sites: set[str]) -> Inventory:
    """The inventory with only `sites` (and the cut-over networks' sites among them)."""
    return inv.model_copy(
        update={
            "sites": [s for s in inv.sites if s.id in sites],
            "dedicated_networks": [
                d.model_copy(update={"sites": [s for s in d.sites if s in sites]}) for d in inv.dedicated_networks
            ],
        }
    )


def _present(inv: Inventory, expansion: Expansion) -> dict[str, Any]:
    return {
        "devices": expansion.devices,
        "links": {link.id: link for link in expansion.links},
        "vpns": {v.id: v for v in inv.vpns},
        "attachments": _attachment_keys(inv, expansion),
        "lans": {f"{site}|{vpn}" for vpn, sites in vpn_members(inv).items() for site in sites},
    }


def _allocate_all(
    inv: Inventory,
    scope: Inventory,
    expansion: Expansion,
    lock: Lock,
    new_lock: Lock,
    report: Reporter,
    result: AllocationReport,
) -> Plan:
    """The plan of `scope`'s sites (the whole inventory, or a region of it); pools, pins and classes
    are the whole inventory's."""
    devices = _allocate_devices(inv, expansion, lock, new_lock, report, result)
    links = _allocate_links(inv, expansion, lock, new_lock, report, result)
    vpns = _allocate_vpns(inv, devices, lock, new_lock, report, result)
    attachments, lans, borders = attach_sites(scope, devices, links, vpns, lock, new_lock, report, result)
    return Plan(
        network=inv.network.id,
        name=inv.network.name,
        asn=inv.network.asn,
        transport=inv.network.transport,
        planes=[p.id for p in inv.planes],
        sites=sorted(
            (
                PlannedSite(id=s.id, name=s.name, site_class=s.site_class, parent=s.parent, users=s.users)
                for s in scope.sites
            ),
            key=lambda s: s.id,
        ),
        devices=[devices[name] for name in sorted(devices)],
        links=sorted(links, key=lambda link: link.id),
        vpns=sorted(vpns, key=lambda v: v.id),
        dedicated_networks=sorted(
            (
                PlannedDedicatedNetwork(
                    id=d.id,
                    name=d.name,
                    department=d.department,
                    level=d.level,
                    mode=d.mode,
                    target_vpn=d.target_vpn,
                    border_device=d.border.device if d.border else None,
                    sites=list(d.sites),
                )
                for d in scope.dedicated_networks
            ),
            key=lambda d: d.id,
        ),
        attachments=sorted(attachments, key=lambda a: a.id),
        lans=sorted(lans, key=lambda lan: (lan.site, lan.vpn)),
        borders=borders,
        retired=Retired(**{kind: sorted(new_lock.retired[kind]) for kind in KINDS}),
    )


def _attachment_keys(inv: Inventory, expansion: Expansion) -> set[str]:
    ce_sites = {d.site for d in expansion.devices.values() if d.role == "ce"}
    uplinks: dict[str, list[str]] = {}
    for link in expansion.links:
        if link.kind == "uplink":
            uplinks.setdefault(expansion.devices[link.a].site, []).append(link.id)
    borders = {border_key(d.id) for d in inv.dedicated_networks if d.mode == "interconnect" and d.border}
    return borders | {
        f"{link}|{vpn}"
        for vpn, sites in vpn_members(inv).items()
        for site in sites
        if site in ce_sites
        for link in uplinks.get(site, [])
    }


def _retire(lock: Lock, new_lock: Lock, result: AllocationReport, present: dict[str, Any]) -> None:
    for kind in KINDS:
        for key, entry in lock.active[kind].items():
            if key not in present[kind]:
                new_lock.retired[kind][key] = entry
                result.retired[kind].append(key)
        for key, entry in lock.retired[kind].items():
            if key in present[kind]:
                result.restored[kind].append(key)
            else:
                new_lock.retired[kind][key] = entry


def _allocate_devices(
    inv: Inventory, expansion: Expansion, lock: Lock, new_lock: Lock, report: Reporter, result: AllocationReport
) -> dict[str, PlannedDevice]:
    net = inv.network
    srv6 = net.srv6 if net.transport == "srv6" else None
    node_bits = srv6.node_len if srv6 else 16
    lo4 = PoolAllocator.in_pool("loopback_v4", net.pools.loopback_v4, 32, first=1)
    lo6 = PoolAllocator.in_pool("loopback_v6", net.pools.loopback_v6, 128, first=1)
    nodes = PoolAllocator.in_range("node_id", 1, (1 << node_bits) - 1)
    ce_asns = PoolAllocator.in_range("ce_asn_range", *net.ce_asn_range)
    ebgp_classes = {sc.id for sc in inv.site_classes if sc.role == "ce" and sc.pe_ce_routing == "ebgp"}
    reserve_all(lo4, lock, "devices", "loopback_v4")
    reserve_all(lo6, lock, "devices", "loopback_v6")
    reserve_all(nodes, lock, "devices", "node_id")
    reserve_all(ce_asns, lock, "devices", "asn")
    pins = _reserve_pins(inv, expansion, lock, lo4, lo6, report)
    blocks = {p.id: plane_block(srv6.locator_pool, srv6.block_len, p.flex_algo) for p in inv.planes} if srv6 else {}
    planned: dict[str, PlannedDevice] = {}
    for name in sorted(expansion.devices):
        spec = expansion.devices[name]
        if spec.platform is None:
            planned[name] = _external_device(spec)
            continue
        previous = lock.entry("devices", name)
        v4, changed4 = sticky(lo4, previous, "loopback_v4", address_int, pins.get((name, "loopback_v4")))
        v6, changed6 = sticky(lo6, previous, "loopback_v6", address_int, pins.get((name, "loopback_v6")))
        node, changed_node = sticky(nodes, previous, "node_id", int) if spec.speaks_igp else (None, False)
        asn, changed_asn = sticky(ce_asns, previous, "asn", int) if spec.site_class in ebgp_classes else (None, False)
        entry: Entry = {
            "loopback_v4": address_text(v4, 4) if v4 is not None else None,
            "loopback_v6": address_text(v6, 6) if v6 is not None else None,
        }
        if node is not None:
            entry["node_id"] = node
        if asn is not None:
            entry["asn"] = asn
        record(new_lock, "devices", name, entry, previous)
        note(result, "devices", name, previous, changed4 or changed6 or changed_node or changed_asn)
        loopback = IPv4Address(v4) if v4 is not None else None
        planned[name] = PlannedDevice(
            name=name,
            site=spec.site,
            site_class=spec.site_class,
            role=spec.role,
            platform=spec.platform,
            model=spec.model,
            loopback_v4=loopback,
            loopback_v6=IPv6Address(v6) if v6 is not None else None,
            isis_net=isis_net(net.igp.area, loopback) if spec.speaks_igp and loopback else None,
            node_id=node,
            asn=asn,
            locators={plane: locator(block, srv6.node_len, node) for plane, block in blocks.items()}
            if srv6 and node
            else {},
        )
    report_exhausted(lo4, report, ("network", "pools", "loopback_v4"))
    report_exhausted(lo6, report, ("network", "pools", "loopback_v6"))
    report_exhausted(nodes, report, ("network", "srv6", "node_len"))
    report_exhausted(ce_asns, report, ("network", "ce_asn_range"))
    return planned


def _external_device(spec: DeviceSpec) -> PlannedDevice:
    return PlannedDevice(
        name=spec.name,
        site=spec.site,
        site_class=spec.site_class,
        role=spec.role,
        platform=None,
        model=spec.model,
        loopback_v4=None,
        loopback_v6=None,
        isis_net=None,
        node_id=None,
        locators={},
    )


def _reserve_pins(
    inv: Inventory, expansion: Expansion, lock: Lock, lo4: PoolAllocator, lo6: PoolAllocator, report: Reporter
) -> dict[tuple[str, str], int]:
    """Pinned loopbacks win over the lock; a pin that another device holds is an error."""
    if not any(o.loopback_v4 or o.loopback_v6 for o in inv.devices):
        return {}  # nothing pinned: no need to read who holds what
    holders: dict[tuple[str, int], str] = {}
    for kind_entries in (lock.active["devices"], lock.retired["devices"]):
        for name, entry in kind_entries.items():
            for attribute, parse in (("loopback_v4", address_int), ("loopback_v6", address_int)):
                value = int_of(entry.get(attribute), parse)
                if value is not None:
                    holders.setdefault((attribute, value), name)
    pins: dict[tuple[str, str], int] = {}
    for i, override in enumerate(inv.devices):
        if override.name not in expansion.devices:
            continue
        for attribute, address, allocator in (
            ("loopback_v4", override.loopback_v4, lo4),
            ("loopback_v6", override.loopback_v6, lo6),
        ):
            if address is None:
                continue
            value = int(address)
            holder = holders.get((attribute, value))
            if holder not in (None, override.name):
                report.error(
                    ("devices", i, attribute),
                    f"{address} is already allocated to '{holder}'",
                    "pin a free address, or release it from the other device first",
                )
                continue
            allocator.used.add(value)
            pins[(override.name, attribute)] = value
    return pins


def _allocate_links(
    inv: Inventory, expansion: Expansion, lock: Lock, new_lock: Lock, report: Reporter, result: AllocationReport
) -> list[PlannedLink]:
    pools = inv.network.pools
    p2p4 = PoolAllocator.in_pool("p2p_v4", pools.p2p_v4, 31)
    p2p6 = PoolAllocator.in_pool("p2p_v6", pools.p2p_v6, 127)
    reserve_all(p2p4, lock, "links", "p2p_v4")
    reserve_all(p2p6, lock, "links", "p2p_v6")
    ports = _PortBook(lock)
    classes = {lc.id: lc for lc in inv.link_classes}
    planned = []
    for link in sorted(expansion.links, key=lambda link: link.id):
        if link.link_class not in classes:
            continue
        link_class = classes[link.link_class]
        previous = lock.entry("links", link.id)
        v4, changed4 = sticky(p2p4, previous, "p2p_v4", address_int)
        v6, changed6 = sticky(p2p6, previous, "p2p_v6", address_int)
        a_if, changed_a = ports.interface(expansion.devices[link.a], link.id, "a", previous, link_class.capacity_gbps)
        b_if, changed_b = ports.interface(expansion.devices[link.b], link.id, "b", previous, link_class.capacity_gbps)
        if v4 is None or v6 is None:
            continue
        entry = {
            "a": link.a,
            "a_interface": a_if,
            "b": link.b,
            "b_interface": b_if,
            "p2p_v4": f"{address_text(v4, 4)}/31",
            "p2p_v6": f"{address_text(v6, 6)}/127",
        }
        record(new_lock, "links", link.id, entry, previous)
        moved = previous is not None and (previous.get("a"), previous.get("b")) != (link.a, link.b)
        note(result, "links", link.id, previous, changed4 or changed6 or changed_a or changed_b or moved)
        planned.append(_planned_link(link, link_class.capacity_gbps, link_class.metric, a_if, b_if, v4, v6))
    for allocator in (p2p4, p2p6):
        report_exhausted(allocator, report, ("network", "pools", allocator.name))
    return planned


def _planned_link(
    link: LinkSpec, capacity: float, metric: int, a_if: str | None, b_if: str | None, v4: int, v6: int
) -> PlannedLink:
    def end(device: str, interface: str | None, offset: int) -> Endpoint:
        return Endpoint(
            device=device,
            interface=interface,
            address_v4=f"{address_text(v4 + offset, 4)}/31",
            address_v6=f"{address_text(v6 + offset, 6)}/127",
        )

    return PlannedLink(
        id=link.id,
        kind=link.kind,
        a=end(link.a, a_if, 0),
        b=end(link.b, b_if, 1),
        link_class=link.link_class,
        capacity_gbps=capacity,
        metric=link.metric or metric,
        planes=list(link.planes),
        srlg=sorted(link.srlg),
        p2p_v4=IPv4Network((v4, 31)),
        p2p_v6=IPv6Network((v6, 127)),
    )


class _PortBook:
    """Interface names per device: sticky per link end, lowest free port for new ends."""

    def __init__(self, lock: Lock) -> None:
        self.used: dict[str, set[str]] = {}
        for entries in (lock.active["links"], lock.retired["links"]):
            for entry in entries.values():
                for end in ("a", "b"):
                    if entry.get(f"{end}_interface"):
                        self.used.setdefault(str(entry.get(end)), set()).add(str(entry[f"{end}_interface"]))
        self.cursor: dict[tuple[str, str], int] = {}

    def interface(
        self, device: DeviceSpec, link_id: str, end: str, previous: Entry | None, capacity: float
    ) -> tuple[str | None, bool]:
        if device.platform is None:
            return None, False
        naming = get_platform(device.platform).interfaces
        pattern = naming.pattern_for(capacity)
        old = previous.get(f"{end}_interface") if previous and previous.get(end) == device.name else None
        if old is not None and _matches(pattern, str(old)):
            return str(old), False
        used = self.used.setdefault(device.name, set())
        used.add(naming.lan_port)  # the LAN port is never a link port
        port = self.cursor.get((device.name, pattern), naming.first_port)
        while pattern.format(port=port) in used:
            port += 1
        self.cursor[(device.name, pattern)] = port + 1
        name = pattern.format(port=port)
        used.add(name)
        return name, previous is not None


@cache
def _pattern_regex(pattern: str) -> re.Pattern[str]:
    prefix, _, suffix = pattern.partition("{port}")
    return re.compile(re.escape(prefix) + r"\d+" + re.escape(suffix))


def _matches(pattern: str, name: str) -> bool:
    return _pattern_regex(pattern).fullmatch(name) is not None


def _allocate_vpns(
    inv: Inventory,
    devices: dict[str, PlannedDevice],
    lock: Lock,
    new_lock: Lock,
    report: Reporter,
    result: AllocationReport,
) -> list[PlannedVpn]:
    net = inv.network
    low, high = net.vpn_id_range
    ids = PoolAllocator.in_range("vpn_id_range", low, high)
    reserve_all(ids, lock, "vpns", "vpn_id")
    for vpn in inv.vpns:
        if vpn.vpn_id is not None:
            ids.used.add(vpn.vpn_id)
    backups = {p.id: p.backup for p in inv.planes}
    pes = [d for d in devices.values() if d.node_id is not None and d.platform is not None]
    planned = []
    for vpn in sorted(inv.vpns, key=lambda v: v.id):
        previous = lock.entry("vpns", vpn.id)
        vpn_id, changed = sticky(ids, previous, "vpn_id", int, vpn.vpn_id)
        if vpn_id is None:
            continue
        record(new_lock, "vpns", vpn.id, {"vpn_id": vpn_id}, previous)
        note(result, "vpns", vpn.id, previous, changed)
        default_rt = f"{net.asn}:{vpn_id}"
        backup = backups.get(vpn.plane)
        planned.append(
            PlannedVpn(
                id=vpn.id,
                name=vpn.name,
                zone=vpn.zone,
                plane=vpn.plane,
                backup_plane=backup,
                vpn_id=vpn_id,
                import_targets=list(vpn.route_targets.import_) if vpn.route_targets else [default_rt],
                export_targets=list(vpn.route_targets.export) if vpn.route_targets else [default_rt],
                rd={d.name: _rd(vpn.rd, net.route_distinguisher, net.asn, d, vpn_id) for d in pes},
                sids=_vrf_sids(inv, pes, vpn.plane, backup, vpn_id),
            )
        )
    report_exhausted(ids, report, ("network", "vpn_id_range"))
    return planned


def _rd(pinned: str | None, scheme: str, asn: int, device: PlannedDevice, vpn_id: int) -> str:
    if pinned is not None:
        return pinned
    if scheme == "asn":
        return f"{asn}:{vpn_id}"
    return f"{device.loopback_v4}:{vpn_id}"


def _vrf_sids(
    inv: Inventory, pes: list[PlannedDevice], plane: str, backup: str | None, vpn_id: int
) -> dict[str, VrfSids]:
    srv6 = inv.network.srv6
    if inv.network.transport != "srv6" or srv6 is None:
        return {}
    sids = {}
    for device in pes:
        primary = device.locators.get(plane)
        if primary is None:
            continue
        fallback = device.locators.get(backup) if backup else None
        sids[device.name] = VrfSids(
            primary=sid(primary, srv6.function_len, vpn_id),
            backup=sid(fallback, srv6.function_len, vpn_id) if fallback else None,
        )
    return sids
