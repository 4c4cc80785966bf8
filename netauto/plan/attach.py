"""Sites joining VPNs: a LAN per (site, VPN) and a PE-CE sub-interface pair per (CE uplink, VPN).

Both are sticky like every other allocation (lock kinds `lans` and `attachments`). A LAN comes
from the VPN's own address plan and avoids what sites and cut-over networks already own there; a
PE-CE pair gets a /31 and a /127 from the network's PE-CE pools. The VLAN is the VPN id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from functools import cache

from netauto.addressing import Prefix, address_int, address_text, last_address, prefix_span
from netauto.model.checks import Reporter
from netauto.model.schema import Inventory, Vpn
from netauto.plan.held import lan_spans, reserve_all
from netauto.plan.lock import Entry, Lock
from netauto.plan.model import PlannedAttachment, PlannedBorder, PlannedDevice, PlannedLan, PlannedLink, PlannedVpn
from netauto.plan.pools import (
    AllocationReport,
    PoolAllocator,
    PrefixAllocator,
    note,
    record,
    report_exhausted,
    sticky,
)
from netauto.platforms import InterfaceNaming, get_platform

V6_LAN_LEN = 64


@cache
def _naming(platform: str) -> InterfaceNaming:
    return get_platform(platform).interfaces


def attach_sites(
    inv: Inventory,
    devices: dict[str, PlannedDevice],
    links: list[PlannedLink],
    vpns: list[PlannedVpn],
    lock: Lock,
    new_lock: Lock,
    report: Reporter,
    result: AllocationReport,
) -> tuple[list[PlannedAttachment], list[PlannedLan], list[PlannedBorder]]:
    members = vpn_members(inv)
    vpn_ids = {v.id: v.vpn_id for v in vpns}
    lans = _allocate_lans(inv, members, devices, vpn_ids, lock, new_lock, report, result)
    attachments, borders = _allocate_attachments(inv, members, devices, links, vpn_ids, lock, new_lock, report, result)
    return attachments, lans, borders


def vpn_members(inv: Inventory) -> dict[str, list[str]]:
    """VPN id -> the sites that join it: every site of the VPN's `attach` classes, and the sites of the
    dedicated networks cut over into it (an interconnected network keeps its sites on its own network:
    it meets the VPN at its border)."""
    by_class: dict[str, list[str]] = defaultdict(list)
    for site in inv.sites:
        by_class[site.site_class].append(site.id)
    members = {vpn.id: {s for c in vpn.attach for s in by_class[c]} for vpn in inv.vpns}
    for network in (n for n in inv.dedicated_networks if n.mode == "cutover"):
        members.setdefault(network.target_vpn, set()).update(network.sites)
    return {vpn: sorted(sites) for vpn, sites in members.items()}


def _owned_in_vpn(inv: Inventory, vpn: str) -> list[Prefix]:
    """Prefixes sites already hold in the VPN (a cut-over network's sites get their LANs from its prefixes,
    which the department keeps)."""
    return [p for site in inv.sites for p in site.prefixes.get(vpn, [])]


def _allocate_lans(
    inv: Inventory,
    members: dict[str, list[str]],
    devices: dict[str, PlannedDevice],
    vpn_ids: dict[str, int],
    lock: Lock,
    new_lock: Lock,
    report: Reporter,
    result: AllocationReport,
) -> list[PlannedLan]:
    classes = {sc.id: sc for sc in inv.site_classes}
    sites = {s.id: s for s in inv.sites}
    first_device: dict[str, PlannedDevice] = {}
    for device in sorted(devices.values(), key=lambda d: d.name):
        first_device.setdefault(device.site, device)
    planned = []
    for vpn_index, vpn in enumerate(inv.vpns):
        if vpn.id not in vpn_ids:
            continue
        v4_space, v6_space = _lan_space(inv, vpn, lock)
        lengths = {site: classes[sites[site].site_class].lan_v4_len for site in members[vpn.id]}
        previous = {site: lock.entry("lans", f"{site}|{vpn.id}") for site in members[vpn.id]}
        # First keep what the lock holds (in order, so a clash keeps the first), then hand out the rest.
        kept = {
            site: (
                _keep(v4_space, previous[site], "v4", lengths[site]),
                _keep(v6_space, previous[site], "v6", V6_LAN_LEN),
            )
            for site in members[vpn.id]
        }
        exhausted = False
        for site_id in members[vpn.id]:
            length = lengths[site_id]
            key = f"{site_id}|{vpn.id}"
            (v4, changed4), (v6, changed6) = (
                _or_take(v4_space, kept[site_id][0], length, previous[site_id]),
                _or_take(v6_space, kept[site_id][1], V6_LAN_LEN, previous[site_id]),
            )
            exhausted |= (bool(v4_space.pools) and v4 is None) or (bool(v6_space.pools) and v6 is None)
            entry = {}
            if v4 is not None:
                entry["v4"] = f"{address_text(v4, 4)}/{length}"
            if v6 is not None:
                entry["v6"] = f"{address_text(v6, 6)}/{V6_LAN_LEN}"
            record(new_lock, "lans", key, entry, previous[site_id])
            note(result, "lans", key, previous[site_id], changed4 or changed6)
            planned.append(_planned_lan(site_id, vpn.id, vpn_ids[vpn.id], first_device.get(site_id), v4, length, v6))
        if exhausted:
            report.error(
                ("vpns", vpn_index, "prefixes"),
                f"the address plan of VPN '{vpn.id}' has no room left for the LANs of its {len(members[vpn.id])} sites",
                "widen the VPN's prefixes or use a longer lan_v4_len for the site class",
            )
    return planned


def _lan_space(inv: Inventory, vpn: Vpn, lock: Lock) -> tuple[PrefixAllocator, PrefixAllocator]:
    """One allocator per family over the VPN's plan; what sites and cut-over networks own there, and
    every LAN the lock knows (any length, active or retired), is reserved before anything is handed out."""
    spaces = {
        4: PrefixAllocator([p for p in vpn.prefixes if p.version == 4]),
        6: PrefixAllocator([p for p in vpn.prefixes if p.version == 6]),
    }
    for prefix in _owned_in_vpn(inv, vpn.id):
        spaces[prefix.version].reserve(int(prefix.network_address), int(prefix.broadcast_address))

    def reserve_locked(version: int) -> Callable[[], None]:
        def reservation() -> None:
            for first, last in lan_spans(lock, vpn.id, version):
                spaces[version].reserve(first, last)

        return reservation

    spaces[4].defer(reserve_locked(4))
    spaces[6].defer(reserve_locked(6))
    return spaces[4], spaces[6]


def _keep(space: PrefixAllocator, previous: Entry | None, attribute: str, length: int) -> int | None:
    """The lock's prefix, reserved, while it has the wanted length, lies in the plan and overlaps
    nothing kept or owned before it; else None."""
    text = previous.get(attribute) if previous else None
    old = prefix_span(text) if isinstance(text, str) and space.pools else None
    if old is None or old[2] != length:
        return None
    start, end = old[1], last_address(*old)
    if not space.owns(start, length) or space.overlaps(start, end):
        return None
    space.reserve(start, end)
    return start


def _or_take(space: PrefixAllocator, kept: int | None, length: int, previous: Entry | None) -> tuple[int | None, bool]:
    """The kept prefix, or a free one (a change when the lock had an entry)."""
    if kept is not None:
        return kept, False
    if not space.pools:
        return None, False
    return space.take(length), previous is not None


def _planned_lan(
    site: str, vpn: str, vlan: int, device: PlannedDevice | None, v4: int | None, len_v4: int, v6: int | None
) -> PlannedLan:
    interface = None
    if device is not None and device.platform is not None:
        naming = _naming(device.platform)
        interface = naming.sub(naming.lan_port, vlan)
    return PlannedLan(
        site=site,
        vpn=vpn,
        device=device.name if device else "",
        interface=interface,
        vlan=vlan,
        net_v4=v4,
        len_v4=len_v4,
        net_v6=v6,
        len_v6=V6_LAN_LEN,
    )


def _allocate_attachments(
    inv: Inventory,
    members: dict[str, list[str]],
    devices: dict[str, PlannedDevice],
    links: list[PlannedLink],
    vpn_ids: dict[str, int],
    lock: Lock,
    new_lock: Lock,
    report: Reporter,
    result: AllocationReport,
) -> tuple[list[PlannedAttachment], list[PlannedBorder]]:
    """PE-CE attachments, then the borders of interconnected dedicated networks, from the same pools."""
    pools = inv.network.pools
    if pools.pe_ce_v4 is None or pools.pe_ce_v6 is None:
        return [], []
    p4 = PoolAllocator.in_pool("pe_ce_v4", pools.pe_ce_v4, 31)
    p6 = PoolAllocator.in_pool("pe_ce_v6", pools.pe_ce_v6, 127)
    reserve_all(p4, lock, "attachments", "p2p_v4")
    reserve_all(p6, lock, "attachments", "p2p_v6")
    uplinks: dict[str, list[PlannedLink]] = defaultdict(list)
    for link in links:
        if link.kind == "uplink":
            uplinks[devices[link.a.device].site].append(link)
    plane_of = {v.id: v.plane for v in inv.vpns}
    planned = []
    for vpn in sorted(members):
        if vpn not in vpn_ids:
            continue
        for site in members[vpn]:
            for link in uplinks.get(site, []):
                ce, pe = devices[link.a.device], devices[link.b.device]
                if ce.role != "ce" or ce.platform is None or pe.platform is None:
                    continue
                key = f"{link.id}|{vpn}"
                pair = _sticky_pair(p4, p6, key, lock, new_lock, result)
                if pair is None:
                    continue
                v4, v6 = pair
                vlan = vpn_ids[vpn]
                planned.append(
                    PlannedAttachment(
                        id=key,
                        link=link.id,
                        vpn=vpn,
                        vlan=vlan,
                        primary=plane_of[vpn] in link.planes,
                        ce_device=ce.name,
                        ce_interface=_sub(ce, link.a.interface, vlan),
                        pe_device=pe.name,
                        pe_interface=_sub(pe, link.b.interface, vlan),
                        net_v4=v4,
                        net_v6=v6,
                    )
                )
    borders = _allocate_borders(inv, devices, vpn_ids, (p4, p6), lock, new_lock, result)
    report_exhausted(p4, report, ("network", "pools", "pe_ce_v4"))
    report_exhausted(p6, report, ("network", "pools", "pe_ce_v6"))
    return planned, borders


def border_key(network: str) -> str:
    return f"border|{network}"


def _allocate_borders(
    inv: Inventory,
    devices: dict[str, PlannedDevice],
    vpn_ids: dict[str, int],
    pools: tuple[PoolAllocator, PoolAllocator],
    lock: Lock,
    new_lock: Lock,
    result: AllocationReport,
) -> list[PlannedBorder]:
    """One per interconnected dedicated network with a border: a sub-interface of the border device's
    external port (its platform's `lan_port`) in the target VPN."""
    borders = []
    for network in sorted(inv.dedicated_networks, key=lambda d: d.id):
        border = network.border
        device = devices.get(border.device) if border else None
        if network.mode != "interconnect" or border is None or device is None or network.target_vpn not in vpn_ids:
            continue
        key = border_key(network.id)
        pair = _sticky_pair(*pools, key, lock, new_lock, result)
        if pair is None:
            continue
        vlan = vpn_ids[network.target_vpn]
        port = _naming(device.platform).lan_port if device.platform else None
        borders.append(
            PlannedBorder(
                key,
                network.id,
                network.target_vpn,
                vlan,
                device.name,
                _sub(device, port, vlan),
                border.peering,
                border.peer_asn,
                *pair,
            )
        )
    return borders


def _sticky_pair(
    p4: PoolAllocator, p6: PoolAllocator, key: str, lock: Lock, new_lock: Lock, result: AllocationReport
) -> tuple[int, int] | None:
    """A /31 and a /127 for `key`, the ones it had if it had them; recorded in the new lock."""
    previous = lock.entry("attachments", key)
    v4, changed4 = sticky(p4, previous, "p2p_v4", address_int)
    v6, changed6 = sticky(p6, previous, "p2p_v6", address_int)
    if v4 is None or v6 is None:
        return None
    entry = {"p2p_v4": f"{address_text(v4, 4)}/31", "p2p_v6": f"{address_text(v6, 6)}/127"}
    record(new_lock, "attachments", key, entry, previous)
    note(result, "attachments", key, previous, changed4 or changed6)
    return v4, v6


def _sub(device: PlannedDevice, parent: str | None, vlan: int) -> str | None:
    return _naming(device.platform or "").sub(parent, vlan) if parent else None
