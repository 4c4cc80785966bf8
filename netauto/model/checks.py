"""Semantic checks that need no generated devices and no graph (DESIGN §7); all run, all reported."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from ipaddress import IPv4Network, IPv6Network
from typing import Any

from netauto.addressing import Prefix, overlapping_pairs
from netauto.errors import Diagnostic, DiagnosticCollector, did_you_mean
from netauto.model.loader import DataPath, SourceMap
from netauto.model.schema import Inventory, Site, SiteClass
from netauto.platforms import platforms

IGP_ROLES = ("core", "pe", "border")
FLEX_ALGO_ID_BITS = 8


class Reporter:
    """Turns (data path, message, hint) into located diagnostics."""

    def __init__(self, source_map: SourceMap, collector: DiagnosticCollector) -> None:
        self.source_map = source_map
        self.collector = collector

    def error(self, path: DataPath, message: str, hint: str = "") -> None:
        self.collector.add(Diagnostic(message, self.source_map.locate(path), hint))

    def warning(self, path: DataPath, message: str, hint: str = "") -> None:
        self.collector.add(Diagnostic(message, self.source_map.locate(path), hint, "warning"))

    def reference(self, path: DataPath, what: str, value: str, known: Collection[str]) -> bool:
        """Report `value` if it is not among `known` (a set or dict, for speed); True when it resolves."""
        if value in known:
            return True
        self.error(path, f"unknown {what} '{value}'", did_you_mean(value, known))
        return False


def check_inventory(inv: Inventory, report: Reporter) -> None:
    for check in CHECKS:
        check(inv, report)


def check_unique_ids(inv: Inventory, report: Reporter) -> None:
    sections: dict[str, Sequence[Any]] = {
        "planes": inv.planes,
        "link_classes": inv.link_classes,
        "site_classes": inv.site_classes,
        "sites": inv.sites,
        "vpns": inv.vpns,
        "dedicated_networks": inv.dedicated_networks,
    }
    for section, items in sections.items():
        _unique(report, section, "id", [item.id for item in items])
    for attribute in ("name", "loopback_v4", "loopback_v6"):
        _unique(report, "devices", attribute, [getattr(d, attribute) for d in inv.devices])
    for attribute in ("flex_algo", "affinity", "affinity_bit", "color"):
        _unique(report, "planes", attribute, [getattr(p, attribute) for p in inv.planes])
    _unique(report, "vpns", "vpn_id", [v.vpn_id for v in inv.vpns])
    _unique(report, "vpns", "rd", [v.rd for v in inv.vpns])


def _unique(report: Reporter, section: str, attribute: str, values: list[Any]) -> None:
    first: dict[Any, int] = {}
    for index, value in enumerate(values):
        if value is None:
            continue
        if value in first:
            other = report.source_map.locate((section, first[value]))
            where = f" (first at line {other.line} of {other.file})" if other else ""
            report.error(
                (section, index, attribute),
                f"duplicate {attribute} '{value}'{where}",
                f"every {section} entry needs its own {attribute}",
            )
        else:
            first[value] = index


def check_network(inv: Inventory, report: Reporter) -> None:
    net = inv.network
    low, high = net.vpn_id_range
    if not 1 <= low <= high <= 4094:
        report.error(
            ("network", "vpn_id_range"),
            f"vpn_id_range [{low}, {high}] is not an ascending range inside 1-4094 (a VPN id is also its VLAN id)",
        )
    asn_low, asn_high = net.ce_asn_range
    if not 1 <= asn_low <= asn_high <= 4294967295 or asn_low <= net.asn <= asn_high:
        report.error(
            ("network", "ce_asn_range"), f"ce_asn_range [{asn_low}, {asn_high}] must be ascending and exclude {net.asn}"
        )
    if net.transport == "srv6" and net.srv6 is None:
        report.error(("network", "transport"), "transport srv6 needs a 'srv6' section", "add network.srv6")
    pools: list[tuple[Prefix, str]] = [(value, name) for name, value in net.pools.defined()]
    if net.srv6 is not None:
        pools.append((net.srv6.locator_pool, "srv6.locator_pool"))
    for first, second, a, b in overlapping_pairs(pools):
        report.error(
            ("network", "pools", second if second in type(net.pools).model_fields else "srv6"),
            f"pool {second} ({b}) overlaps pool {first} ({a})",
            "give every address pool its own range",
        )


def check_srv6_structure(inv: Inventory, report: Reporter) -> None:
    srv6 = inv.network.srv6
    if srv6 is None:
        return
    path = ("network", "srv6")
    if srv6.locator_len > 128:
        report.error(path, f"block_len {srv6.block_len} + node_len {srv6.node_len} is longer than 128 bits")
    total = srv6.locator_len + srv6.function_len + srv6.argument_len
    if total > 128:
        report.error(
            path,
            f"SID structure is {total} bits: locator {srv6.locator_len} (block {srv6.block_len} + node "
            f"{srv6.node_len}) + function {srv6.function_len} + argument {srv6.argument_len} > 128",
            "shorten the block, node, function or argument length",
        )
    room = srv6.block_len - srv6.locator_pool.prefixlen
    if room < FLEX_ALGO_ID_BITS:
        report.error(
            path + ("block_len",),
            f"block_len {srv6.block_len} leaves {room} bits after locator_pool "
            f"/{srv6.locator_pool.prefixlen}; the plane's flex-algo id needs {FLEX_ALGO_ID_BITS}",
            f"use a locator_pool of /{srv6.block_len - FLEX_ALGO_ID_BITS} or shorter",
        )
    if srv6.locator_pool.prefixlen > srv6.block_len:
        report.error(path + ("locator_pool",), "locator_pool is longer than block_len")
    low, high = inv.network.vpn_id_range
    if high >= 1 << srv6.function_len:
        report.error(
            ("network", "vpn_id_range"),
            f"VPN ids up to {high} do not fit the {srv6.function_len}-bit SRv6 function "
            "(the per-VRF SID function is the VPN id)",
        )


def check_planes(inv: Inventory, report: Reporter) -> None:
    ids = {p.id for p in inv.planes}
    if not inv.planes:
        report.error(("planes",), "no planes defined", "define at least the data plane")
    for i, plane in enumerate(inv.planes):
        if plane.backup is None:
            continue
        if plane.backup == plane.id:
            report.error(("planes", i, "backup"), f"plane '{plane.id}' cannot back itself up")
        else:
            report.reference(("planes", i, "backup"), "plane", plane.backup, ids)


def check_site_classes(inv: Inventory, report: Reporter) -> None:
    link_classes = {lc.id for lc in inv.link_classes}
    class_ids = {sc.id for sc in inv.site_classes}
    planes = {p.id for p in inv.planes}
    for i, sc in enumerate(inv.site_classes):
        path = ("site_classes", i)
        _check_platform(report, path + ("platform",), sc.platform, sc.role)
        if sc.link_class is not None:
            report.reference(path + ("link_class",), "link class", sc.link_class, link_classes)
        if sc.mesh_link_class is not None:
            report.reference(path + ("mesh_link_class",), "link class", sc.mesh_link_class, link_classes)
        if sc.parent_class is not None:
            report.reference(path + ("parent_class",), "site class", sc.parent_class, class_ids)
        if sc.attach_to not in (None, "parent"):
            report.reference(path + ("attach_to",), "site class", sc.attach_to, class_ids)
        if sc.attach_to == "parent" and sc.parent_class is None:
            report.error(path + ("attach_to",), "attach_to: parent needs a parent_class")
        if sc.uplinks and (sc.link_class is None or sc.attach_to is None):
            report.error(path + ("uplinks",), f"class '{sc.id}' has uplinks but no link_class or attach_to")
        if sc.diversity and sc.uplinks < 2:
            report.error(
                path + ("uplinks",),
                f"class '{sc.id}' requires diversity (dual homing) but has {sc.uplinks} uplink(s)",
                "set uplinks: 2, or diversity: false for single-homed sites",
            )
        _check_uplink_planes(report, path, sc, planes)


def _check_uplink_planes(report: Reporter, path: DataPath, sc: SiteClass, planes: set[str]) -> None:
    if sc.uplink_planes is None:
        return
    if len(sc.uplink_planes) != sc.uplinks:
        report.error(
            path + ("uplink_planes",),
            f"uplink_planes lists {len(sc.uplink_planes)} uplink(s) but the class has {sc.uplinks}",
        )
    for j, members in enumerate(sc.uplink_planes):
        for k, plane in enumerate(members):
            report.reference(path + ("uplink_planes", j, k), "plane", plane, planes)


def _check_platform(report: Reporter, path: DataPath, platform: str | None, role: str | None) -> None:
    if platform is None:
        return
    known = platforms()
    if not report.reference(path, "platform", platform, known) or role is None:
        return
    if role not in known[platform].roles:
        report.error(
            path,
            f"platform '{platform}' cannot take the role '{role}' (it supports {', '.join(known[platform].roles)})",
        )


def check_sites(inv: Inventory, report: Reporter) -> None:
    classes = {sc.id: sc for sc in inv.site_classes}
    sites = {s.id: s for s in inv.sites}
    vpns = {v.id for v in inv.vpns}
    for i, site in enumerate(inv.sites):
        path = ("sites", i)
        if not report.reference(path + ("class",), "site class", site.site_class, classes):
            continue
        sc = classes[site.site_class]
        _check_platform(report, path + ("platform",), site.platform, sc.role)
        if sc.role != "external" and (site.platform or sc.platform) is None:
            report.error(path, f"site '{site.id}' has no platform", f"set platform on the site or on class '{sc.id}'")
        _check_parent(report, path, site.parent, sc, sites, classes)
        if site.uplinks is not None and len(site.uplinks) != sc.uplinks:
            report.error(
                path + ("uplinks",),
                f"site '{site.id}' lists {len(site.uplinks)} uplink(s); its class '{sc.id}' has {sc.uplinks}",
                "list one entry per uplink of the class",
            )
        for vpn in site.prefixes:
            report.reference(path + ("prefixes", vpn), "VPN", vpn, vpns)


def _check_parent(
    report: Reporter,
    path: DataPath,
    parent: str | None,
    sc: SiteClass,
    sites: dict[str, Any],
    classes: dict[str, SiteClass],
) -> None:
    if parent is None:
        if sc.parent_class is not None:
            report.error(
                path,
                f"a site of class '{sc.id}' needs a parent of class '{sc.parent_class}'",
                f"add 'parent: <{sc.parent_class} site id>'",
            )
        return
    if not report.reference(path + ("parent",), "site", parent, sites):
        return
    parent_class = sites[parent].site_class
    if sc.parent_class is not None and parent_class != sc.parent_class:
        report.error(
            path + ("parent",),
            f"parent '{parent}' is a '{parent_class}' site; class '{sc.id}' hangs off a '{sc.parent_class}' site",
        )


def check_capabilities(inv: Inventory, report: Reporter) -> None:
    """Every IGP speaker's platform supports the transport; with several planes, a platform without the
    plane separation of that transport (SRv6 or SR-MPLS flex-algo) is a warning: its planes share one
    topology (and, with SRv6, one locator), so a lab of such routers (FRR) is possible and says what
    it cannot show.
    """
    needed = {"srv6": ["srv6"], "mpls": ["sr_mpls"], "ip": []}[inv.network.transport]
    plane_feature = {"srv6": "srv6_flex_algo", "mpls": "flex_algo", "ip": None}[inv.network.transport]
    planes = len(inv.planes) > 1
    classes = {sc.id: sc for sc in inv.site_classes}
    known = platforms()
    for i, site, sc, platform in _sites_with_platform(inv, classes):
        if sc.role not in IGP_ROLES or platform not in known:
            continue
        features = known[platform].features
        missing = [f for f in needed if not features.get(f, False)]
        if missing:
            report.error(
                ("sites", i, "platform"),
                f"platform '{platform}' of {sc.role} site '{site.id}' lacks {', '.join(missing)}, "
                f"needed by transport {inv.network.transport}",
                "choose a platform that supports it, or change network.transport",
            )
        elif planes and plane_feature and not features.get(plane_feature, False):
            report.warning(
                ("sites", i, "platform"),
                f"platform '{platform}' of site '{site.id}' has no {plane_feature.replace('_', '-')}: "
                "its planes share the base IS-IS topology",
                "the planes are separated only on platforms with flex-algo",
            )


def check_vpn_forwarding(inv: Inventory, report: Reporter) -> None:
    """What the VPNs can forward on each platform (DESIGN §9): a VPN in the global table needs a platform
    that renders it (`global_table_vpn`); a platform without VRF devices (`vrf_forwarding: false`, the
    FRR 10.3 lab) forwards only that VPN, so the others are a warning: control plane only."""
    global_vpns = [(i, vpn) for i, vpn in enumerate(inv.vpns) if vpn.global_table]
    for i, vpn in global_vpns[1:]:
        report.error(
            ("vpns", i, "global_table"),
            f"VPN '{vpn.id}' is the second VPN in the global table (after '{global_vpns[0][1].id}'): "
            "they would share one routing table",
            "keep at most one VPN with global_table: true",
        )
    classes = {sc.id: sc for sc in inv.site_classes}
    known = platforms()
    first_site: dict[str, int] = {}
    for i, _, _, platform in _sites_with_platform(inv, classes):
        if platform in known:
            first_site.setdefault(platform, i)
    for platform, i in sorted(first_site.items(), key=lambda item: item[1]):
        features = known[platform].features
        if global_vpns and not features.get("global_table_vpn", False):
            report.error(
                ("sites", i, "platform"),
                f"platform '{platform}' cannot carry VPN '{global_vpns[0][1].id}' in its global table",
                "global_table VPNs are rendered for FRR; remove global_table or change the platform",
            )
        named = [vpn.id for vpn in inv.vpns if not vpn.global_table]
        if named and not features.get("vrf_forwarding", True):
            report.warning(
                ("sites", i, "platform"),
                f"platform '{platform}' has no VRF devices: VPNs in a VRF of their own "
                f"({_few_ids(named)}) get their control plane but forward nothing",
                "the VPN in the global table (global_table: true) is the one these routers forward",
            )


def _few_ids(ids: list[str], shown: int = 3) -> str:
    return ", ".join(ids[:shown]) + (f" and {len(ids) - shown} more" if len(ids) > shown else "")


def _sites_with_platform(
    inv: Inventory, classes: dict[str, SiteClass]
) -> Iterator[tuple[int, Site, SiteClass, str | None]]:
    """(index, site, its class, its platform: the site's own or its class's), for sites of a known class."""
    for i, site in enumerate(inv.sites):
        sc = classes.get(site.site_class)
        if sc is not None:
            yield i, site, sc, site.platform or sc.platform


def check_attachment_pools(inv: Inventory, report: Reporter) -> None:
    """VPNs attached to sites need the PE-CE pools."""
    attached = any(v.attach for v in inv.vpns) or bool(inv.dedicated_networks)
    pools = inv.network.pools
    for name in ("pe_ce_v4", "pe_ce_v6"):
        if attached and getattr(pools, name) is None:
            report.error(
                ("network", "pools"),
                f"VPNs are attached to sites but pool {name} is not defined",
                f"add network.pools.{name} for the PE-CE sub-interfaces",
            )


def check_vpns(inv: Inventory, report: Reporter) -> None:
    planes = {p.id for p in inv.planes}
    low, high = inv.network.vpn_id_range
    classes = {sc.id for sc in inv.site_classes}
    for i, vpn in enumerate(inv.vpns):
        report.reference(("vpns", i, "plane"), "plane", vpn.plane, planes)
        for j, site_class in enumerate(vpn.attach):
            report.reference(("vpns", i, "attach", j), "site class", site_class, classes)
        if vpn.vpn_id is not None and not low <= vpn.vpn_id <= high:
            report.error(("vpns", i, "vpn_id"), f"vpn_id {vpn.vpn_id} is outside network.vpn_id_range [{low}, {high}]")
    _check_vpn_overlaps(inv, report)


def _check_vpn_overlaps(inv: Inventory, report: Reporter) -> None:
    """Inside one VPN, no two owners (sites, cut-over dedicated networks) may share addresses."""
    owned: dict[str, list[tuple[Prefix, str]]] = defaultdict(list)
    paths: dict[str, DataPath] = {}
    for i, site in enumerate(inv.sites):
        for vpn, prefixes in site.prefixes.items():
            owner = f"site '{site.id}'"
            paths[owner] = ("sites", i, "prefixes", vpn)
            owned[vpn].extend((p, owner) for p in prefixes)
    for i, dn in enumerate(inv.dedicated_networks):
        if dn.mode == "cutover":
            owner = f"dedicated network '{dn.id}'"
            paths[owner] = ("dedicated_networks", i, "prefixes")
            owned[dn.target_vpn].extend((p, owner) for p in dn.prefixes)
    plans = {v.id: v.prefixes for v in inv.vpns}
    for vpn, owned_prefixes in sorted(owned.items()):
        for first, second, a, b in overlapping_pairs(owned_prefixes):
            report.error(
                paths[second],
                f"{b} of {second} overlaps {a} of {first} inside VPN '{vpn}'",
                "addresses may overlap between department VPNs, never inside one; renumber or use NAT",
            )
        plan = plans.get(vpn) or []
        for candidate, holder in owned_prefixes:
            if plan and not _inside_any(candidate, plan):
                report.error(
                    paths[holder],
                    f"{candidate} of {holder} is outside the address plan of VPN '{vpn}' ({', '.join(map(str, plan))})",
                    f"add the range to vpns[{vpn}].prefixes or correct the prefix",
                )


def _inside_any(prefix: Prefix, pool: Iterable[Prefix]) -> bool:
    return any(prefix.version == p.version and prefix.subnet_of(p) for p in pool)  # type: ignore[arg-type]


def check_dedicated_networks(inv: Inventory, report: Reporter) -> None:
    vpns = {v.id: v for v in inv.vpns}
    sites = {s.id for s in inv.sites}
    for i, dn in enumerate(inv.dedicated_networks):
        path = ("dedicated_networks", i)
        for j, site in enumerate(dn.sites):
            report.reference(path + ("sites", j), "site", site, sites)
        if report.reference(path + ("target_vpn",), "VPN", dn.target_vpn, vpns):
            _check_migration_target(inv, report, path, dn, vpns[dn.target_vpn])
        if dn.mode == "interconnect":
            _check_interconnect(inv, report, path, dn, vpns.get(dn.target_vpn))


def _check_migration_target(inv: Inventory, report: Reporter, path: DataPath, dn: Any, vpn: Any) -> None:
    if vpn.zone != "dedicated":
        report.warning(
            path + ("target_vpn",),
            f"dedicated network '{dn.id}' targets VPN '{vpn.id}' of the {vpn.zone} zone",
            "department networks normally move into their own dedicated-zone VPN",
        )


def _check_interconnect(inv: Inventory, report: Reporter, path: DataPath, dn: Any, vpn: Any) -> None:
    if dn.border is None:
        report.error(path, f"interconnect '{dn.id}' has no border", "add border: {device, peering}")
    elif dn.border.peering == "ebgp" and dn.border.peer_asn is None:
        report.error(path + ("border",), "eBGP peering needs peer_asn")
    if dn.allowed is None:
        report.error(
            path, f"interconnect '{dn.id}' has no allowed prefixes", "add allowed: {to_extranet, from_extranet}"
        )
    else:
        for j, prefix in enumerate(dn.allowed.to_extranet):
            if not _inside_any(prefix, dn.prefixes):
                report.error(
                    path + ("allowed", "to_extranet", j),
                    f"{prefix} is not one of the network's own prefixes",
                    "only the dedicated network's prefixes may be announced to the extranet",
                )
    _check_nat(inv, report, path, dn, vpn)


def _check_nat(inv: Inventory, report: Reporter, path: DataPath, dn: Any, vpn: Any) -> None:
    extranet = _extranet_prefixes(inv, vpn)
    translated = [rule.inside for rule in dn.nat]
    for j, prefix in enumerate(dn.prefixes):
        clash = next((owner for p, owner in extranet if p.version == prefix.version and p.overlaps(prefix)), None)
        if clash and not _inside_any(prefix, translated):
            report.error(
                path + ("prefixes", j),
                f"{prefix} overlaps {clash} and is not translated",
                "add a nat rule {inside: <prefix>, outside: <free range>} for it",
            )
    for j, rule in enumerate(dn.nat):
        if rule.inside.version != rule.outside.version or rule.inside.prefixlen != rule.outside.prefixlen:
            report.error(path + ("nat", j), f"NAT {rule.inside} -> {rule.outside}: sizes or families differ")
        clash = next((o for p, o in extranet if p.version == rule.outside.version and p.overlaps(rule.outside)), None)
        if clash:
            report.error(path + ("nat", j, "outside"), f"NAT range {rule.outside} overlaps {clash}")


def _extranet_prefixes(inv: Inventory, vpn: Any) -> list[tuple[IPv4Network | IPv6Network, str]]:
    """What an interconnected network's routes meet: the public zone and the infrastructure pools.

    Its own department VPN's plan is its own address space, so it does not count.
    """
    found: list[tuple[IPv4Network | IPv6Network, str]] = []
    for other in inv.vpns:
        if other is not vpn and other.zone == "public":
            found.extend((p, f"the plan of VPN '{other.id}'") for p in other.prefixes)
    pools = inv.network.pools
    found.extend((value, f"pool {name}") for name, value in pools.defined())
    return found


def check_demands(inv: Inventory, report: Reporter) -> None:
    classes = {sc.id for sc in inv.site_classes}
    planes = {p.id for p in inv.planes}
    destinations = {"core"} | {sc.service for sc in inv.site_classes if sc.service}
    for i, demand in enumerate(inv.demands):
        report.reference(("demands", i, "site_class"), "site class", demand.site_class, classes)
        report.reference(("demands", i, "plane"), "plane", demand.plane, planes)
        report.reference(("demands", i, "to"), "demand destination", demand.to, destinations)


def check_device_overrides(inv: Inventory, report: Reporter) -> None:
    pools = inv.network.pools
    for i, device in enumerate(inv.devices):
        _check_platform(report, ("devices", i, "platform"), device.platform, None)
        pins = (
            (device.loopback_v4, pools.loopback_v4, "loopback_v4"),
            (device.loopback_v6, pools.loopback_v6, "loopback_v6"),
        )
        for address, pool, name in pins:
            if address is not None and address not in pool:
                report.error(
                    ("devices", i, name),
                    f"{address} is outside pool {name} {pool}",
                    f"pick an address inside {pool} or widen network.pools.{name}",
                )


def check_explicit_links(inv: Inventory, report: Reporter) -> None:
    link_classes = {lc.id for lc in inv.link_classes}
    planes = {p.id for p in inv.planes}
    for i, link in enumerate(inv.links):
        report.reference(("links", i, "class"), "link class", link.link_class, link_classes)
        for j, plane in enumerate(link.planes or []):
            report.reference(("links", i, "planes", j), "plane", plane, planes)
        if link.a == link.b:
            report.error(("links", i), f"link from '{link.a}' to itself")


CHECKS: tuple[Callable[[Inventory, Reporter], None], ...] = (
    check_unique_ids,
    check_network,
    check_srv6_structure,
    check_planes,
    check_site_classes,
    check_sites,
    check_capabilities,
    check_vpns,
    check_vpn_forwarding,
    check_attachment_pools,
    check_dedicated_networks,
    check_demands,
    check_device_overrides,
    check_explicit_links,
)
