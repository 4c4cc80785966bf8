"""Redundancy, failure impact, plane backup and capacity of a plan (DESIGN §7): `netauto analyze`.

The analysis reads like its checks: build the graph, compute every single failure's cut-off sets
once per topology and target, then derive the findings from them; capacity routes the demands.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

import networkx as nx
from networkx.algorithms.connectivity import build_auxiliary_node_connectivity, local_node_connectivity
from networkx.algorithms.flow import build_residual_network, shortest_augmenting_path

from netauto.analyze.capacity import CapacityModel, Failure, SiteDemand, analyse_capacity
from netauto.analyze.connectivity import SingleFailureCuts, reachable, single_failure_cuts
from netauto.analyze.graph import ALL, Topology, plan_graph, topology
from netauto.analyze.model import (
    Analysis,
    BlastRadius,
    CapacitySummary,
    DisjointPaths,
    FailureImpact,
    FailureSummary,
    Finding,
    LinkUtilisation,
    Severity,
)
from netauto.analyze.wording import ENGLISH, words
from netauto.i18n import N_
from netauto.model.checks import IGP_ROLES
from netauto.pipeline import PlanResult

CORE = "core"
WORST_SHOWN = 10
MAX_DISJOINT = 4  # disjoint paths are counted up to this many


@dataclass(frozen=True)
class Thresholds:
    normal: float = 0.8
    failure: float = 1.0


@dataclass
class Context:
    """Everything the checks share, computed once."""

    result: PlanResult
    topo: Topology
    device_site: list[str]
    site_devices: dict[str, list[int]]
    site_class: dict[str, str]
    users: dict[str, int]
    targets: dict[str, list[int]]
    target_sites: dict[str, set[str]]
    backups: dict[str, str | None]
    protected: set[str]
    cuts: dict[tuple[str, str], SingleFailureCuts] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def add(self, severity: Severity, check: str, template: str, objects: Iterable[str], **fields: Any) -> None:
        """A finding whose message is `template` (a catalogue message) with `fields` filled in."""
        message = words(template, fields, ENGLISH)
        finding = Finding(
            severity=severity, check=check, message=message, objects=list(objects), template=template, fields=fields
        )
        self.findings.append(finding)

    @property
    def topologies(self) -> list[str]:
        return [ALL, *self.topo.planes]


def analyze(result: PlanResult, thresholds: Thresholds = Thresholds()) -> Analysis:
    clock: dict[str, float] = {}
    start = time.perf_counter()
    ctx = build_context(result)
    check_uplink_diversity(ctx)
    check_core_resilience(ctx)
    check_core_link_planes(ctx)
    check_plane_reach(ctx)
    disjoint = disjoint_paths(ctx)
    clock["redundancy"] = time.perf_counter() - start
    start = time.perf_counter()
    failures = all_failures(ctx)
    summary = failure_impact(ctx, failures)
    blast = blast_radius(ctx)
    clock["failure_impact"] = time.perf_counter() - start
    start = time.perf_counter()
    capacity = capacity_summary(ctx, failures, thresholds)
    clock["capacity"] = time.perf_counter() - start
    return Analysis(
        network=result.plan.network,
        ok=not any(f.severity == "error" for f in ctx.findings),
        findings=ctx.findings,
        failures=summary,
        capacity=capacity,
        blast_radius=blast,
        disjoint_paths=disjoint,
        elapsed_seconds={k: round(v, 3) for k, v in clock.items()},
    )


def build_context(result: PlanResult) -> Context:
    plan, inv = result.plan, result.inventory
    topo = topology(plan)
    device_site = [d.site for d in plan.devices]
    site_devices: dict[str, list[int]] = defaultdict(list)
    for i, site in enumerate(device_site):
        site_devices[site].append(i)
    site_class = {s.id: s.site_class for s in plan.sites}
    classes = {sc.id: sc for sc in inv.site_classes}
    targets = {CORE: [i for i, d in enumerate(plan.devices) if d.role == "core"]}
    target_sites = {CORE: {d.site for d in plan.devices if d.role == "core"}}
    for sc in inv.site_classes:
        if sc.service:
            members = [i for i, d in enumerate(plan.devices) if d.site_class == sc.id]
            targets.setdefault(sc.service, []).extend(members)
            target_sites.setdefault(sc.service, set()).update(plan.devices[i].site for i in members)
    protected = {s.id for s in plan.sites if classes[s.site_class].diversity or classes[s.site_class].role == "core"}
    ctx = Context(
        result=result,
        topo=topo,
        device_site=device_site,
        site_devices=dict(site_devices),
        site_class=site_class,
        users={s.id: s.users for s in plan.sites},
        targets=targets,
        target_sites=target_sites,
        backups={p.id: p.backup for p in inv.planes},
        protected=protected,
    )
    for name in ctx.topologies:
        for target, nodes in targets.items():
            ctx.cuts[(name, target)] = single_failure_cuts(topo.adjacency[name], nodes)
    return ctx


# --- redundancy -------------------------------------------------------------------------------


def uplinks_by_site(ctx: Context) -> dict[str, list[int]]:
    found: dict[str, list[int]] = defaultdict(list)
    for edge in ctx.topo.edges:
        if edge.id.startswith("uplink:"):
            found[edge.id.split(":")[1]].append(edge.index)
    return found


def check_uplink_diversity(ctx: Context) -> None:
    """Every dual-homed site's uplinks end on different devices and share no SRLG."""
    edges = ctx.topo.edges
    for site, uplinks in sorted(uplinks_by_site(ctx).items()):
        if site not in ctx.protected or len(uplinks) < 2:
            continue
        far_ends = [ctx.topo.names[edges[e].v] for e in uplinks]
        if len(set(far_ends)) < len(far_ends):
            ctx.add(
                "error",
                "uplink-diversity",
                N_("site {site}: its uplinks end on the same device"),
                [site, *far_ends],
                site=site,
            )
        undeclared = [edges[e].id for e in uplinks if not edges[e].srlg]
        if undeclared:
            ctx.add(
                "warning",
                "uplink-diversity",
                N_("site {site}: no fibre route (SRLG) declared for {links}; diversity cannot be proven"),
                [site, *undeclared],
                site=site,
                links=undeclared,
            )
        for i, first in enumerate(uplinks):
            for second in uplinks[i + 1 :]:
                shared = sorted(set(edges[first].srlg) & set(edges[second].srlg))
                if shared:
                    ctx.add(
                        "error",
                        "uplink-diversity",
                        N_(
                            "site {site}: uplinks {first} and {second} share SRLG {srlgs}; "
                            "one cut in that duct takes both"
                        ),
                        [site, edges[first].id, edges[second].id, *shared],
                        site=site,
                        first=edges[first].id,
                        second=edges[second].id,
                        srlgs=shared,
                    )


def check_core_resilience(ctx: Context) -> None:
    """The core alone has no bridge and no articulation point."""
    graph = plan_graph(ctx.result.plan)
    core = [ctx.topo.names[i] for i in ctx.targets[CORE]]
    simple: nx.Graph[str] = nx.Graph()
    simple.add_nodes_from(core)
    multiplicity = Counter(frozenset((u, v)) for u, v in graph.subgraph(core).edges())
    simple.add_edges_from(graph.subgraph(core).edges())
    if len(core) > 1 and not nx.is_connected(simple):
        ctx.add("error", "core-resilience", N_("the core devices are not connected to each other"), core)
        return
    bridges = cast(Iterable[tuple[str, str]], nx.bridges(simple))  # the stubs type it as an iterable of str
    for u, v in bridges:  # a doubled link is no bridge, however the simple graph looks
        if multiplicity[frozenset((u, v))] == 1:
            ctx.add(
                "error",
                "core-resilience",
                N_("core link {u} - {v} is a bridge: its failure splits the core"),
                [u, v],
                u=u,
                v=v,
            )
    for node in sorted(nx.articulation_points(simple)):
        ctx.add(
            "error",
            "core-resilience",
            N_("core device {device} is an articulation point of the core"),
            [node],
            device=node,
        )


def check_core_link_planes(ctx: Context) -> None:
    """Core links carry every plane (DESIGN §6), so each plane has the whole core."""
    core = set(ctx.targets[CORE])
    planes = set(ctx.topo.planes)
    for edge in ctx.topo.edges:
        missing = sorted(planes - edge.planes)
        if edge.u in core and edge.v in core and missing:
            ctx.add(
                "error",
                "plane-affinity",
                N_("core link {link} does not carry the affinity of plane {planes}"),
                [edge.id, *missing],
                link=edge.id,
                planes=missing,
            )


def check_plane_reach(ctx: Context) -> None:
    """Each plane's own topology joins the whole core and reaches every PE."""
    plan = ctx.result.plan
    pes = [i for i, d in enumerate(plan.devices) if d.role in IGP_ROLES and d.platform]
    for plane in ctx.topo.planes:
        core = ctx.targets[CORE]
        joined = reachable(ctx.topo.adjacency[plane], core[:1]) if core else set()
        split = [ctx.topo.names[c] for c in core if c not in joined]
        if split:
            ctx.add(
                "error",
                "plane-reach",
                N_("plane {plane} does not join the core: cut off {devices}"),
                split,
                plane=plane,
                devices=split,
            )
        cuts = ctx.cuts[(plane, CORE)]
        missing = [ctx.topo.names[i] for i in pes if not cuts.reached[i]]
        for name in missing:
            ctx.add(
                "error",
                "plane-reach",
                N_(
                    "plane {plane} does not reach PE {device} (site {site}): "
                    "no path of links carrying the {plane} affinity"
                ),
                [name, plane],
                plane=plane,
                device=name,
                site=plan.devices[ctx.topo.index[name]].site,
            )


def disjoint_paths(ctx: Context) -> list[DisjointPaths]:
    """Edge- and node-disjoint paths from each non-village site to the core (max-flow on the 2-core)."""
    graph: nx.Graph[Any] = nx.Graph()
    for edge in ctx.topo.edges:
        if graph.has_edge(edge.u, edge.v):
            graph[edge.u][edge.v]["capacity"] += 1
        else:
            graph.add_edge(edge.u, edge.v, capacity=1)
    core_node, big = -1, len(ctx.topo.edges) + 1
    for node in ctx.targets[CORE]:
        graph.add_edge(core_node, node, capacity=big)
    for site, devices in ctx.site_devices.items():
        if len(devices) > 1 and site not in ctx.target_sites[CORE]:  # paths may leave through any device
            graph.add_edges_from((("site", site), device, {"capacity": big}) for device in devices)
    pruned = nx.k_core(graph, 2)  # trees hanging off (villages) lie on no path between the rest
    flows = _DisjointPathCounter(pruned)
    results = []
    for site, devices in sorted(ctx.site_devices.items()):
        site_node = ("site", site) if len(devices) > 1 else devices[0]
        required = 2 if site in ctx.protected else 1
        if site in ctx.target_sites[CORE] or (site_node not in pruned and required == 1):
            continue
        counter = flows if site_node in pruned else _DisjointPathCounter(graph)
        edge_k, node_k = counter.count(site_node, core_node)
        results.append(
            DisjointPaths(
                site=site,
                site_class=ctx.site_class[site],
                edge_disjoint=edge_k,
                node_disjoint=node_k,
                required=required,
            )
        )
        if min(edge_k, node_k) < required:
            ctx.add(
                "error",
                "disjoint-paths",
                N_(
                    "site {site} has {edge_k} edge- and {node_k} node-disjoint path(s) to the core; {required} required"
                ),
                [site],
                site=site,
                edge_k=edge_k,
                node_k=node_k,
                required=required,
            )
    return results


class _DisjointPathCounter:
    """Edge- and node-disjoint path counts between pairs of one graph, capped at MAX_DISJOINT.

    The auxiliary and residual networks are built once and reused for every pair (networkx's
    recommended way for many pairs); the cap stops each max-flow once the answer is known.
    """

    def __init__(self, graph: nx.Graph[Any]) -> None:
        self.graph = graph
        self.edge_residual = build_residual_network(graph, "capacity")
        self.node_auxiliary = build_auxiliary_node_connectivity(graph)
        self.node_residual = build_residual_network(self.node_auxiliary, "capacity")

    def count(self, source: Any, target: Any) -> tuple[int, int]:
        edge_k = shortest_augmenting_path(
            self.graph, source, target, residual=self.edge_residual, cutoff=MAX_DISJOINT
        ).graph["flow_value"]
        node_k = local_node_connectivity(
            self.graph,
            source,
            target,
            flow_func=shortest_augmenting_path,
            auxiliary=self.node_auxiliary,
            residual=self.node_residual,
            cutoff=MAX_DISJOINT,
        )
        return min(int(edge_k), MAX_DISJOINT), min(int(node_k), MAX_DISJOINT)


# --- failure impact ---------------------------------------------------------------------------


def all_failures(ctx: Context) -> list[Failure]:
    failures = [Failure("link", e.id, edges=frozenset((e.index,))) for e in ctx.topo.edges]
    failures += [Failure("node", name, nodes=frozenset((i,))) for i, name in enumerate(ctx.topo.names)]
    groups: dict[str, set[int]] = defaultdict(set)
    for edge in ctx.topo.edges:
        for srlg in edge.srlg:
            groups[srlg].add(edge.index)
    failures += [Failure("srlg", name, edges=frozenset(edges)) for name, edges in sorted(groups.items())]
    return failures


def cut_devices(ctx: Context, topology_name: str, target: str, failure: Failure) -> list[int]:
    cuts = ctx.cuts[(topology_name, target)]
    if failure.nodes:
        return cuts.cut_by_node(next(iter(failure.nodes)))
    if len(failure.edges) == 1:
        return cuts.cut_by_link(next(iter(failure.edges)))
    before = {n for n in cuts.order}
    after = reachable(ctx.topo.adjacency[topology_name], ctx.targets[target], removed_edges=failure.edges)
    return sorted(before - after)


def sites_losing(ctx: Context, devices: list[int], failure: Failure, target: str) -> set[str]:
    """Sites all of whose devices are cut off or failed (a site whose devices all failed is down, not cut off)."""
    counted = Counter(ctx.device_site[d] for d in devices)
    lost = set()
    for site, cut in counted.items():
        members = ctx.site_devices[site]
        failed = sum(1 for d in members if d in failure.nodes)
        if cut + failed >= len(members) and failed < len(members) and site not in ctx.target_sites[target]:
            lost.add(site)
    return lost


def impact_of(ctx: Context, failure: Failure) -> FailureImpact:
    lost = {t: sites_losing(ctx, cut_devices(ctx, ALL, t, failure), failure, t) for t in ctx.targets}
    per_plane: dict[str, dict[str, list[str]]] = {}
    rerouted: dict[str, int] = {}
    for plane in ctx.topo.planes:
        backup = ctx.backups.get(plane)
        own = {t: sites_losing(ctx, cut_devices(ctx, plane, t, failure), failure, t) for t in ctx.targets}
        spare = {
            t: sites_losing(ctx, cut_devices(ctx, backup, t, failure), failure, t) if backup else own[t]
            for t in ctx.targets
        }
        per_plane[plane] = {t: sorted(own[t] & spare[t]) for t in ctx.targets if own[t] & spare[t]}
        rerouted[plane] = len(set().union(*(own[t] - spare[t] for t in ctx.targets)))
    cut_off = set().union(*lost.values())
    return FailureImpact(
        kind=failure.kind,
        element=failure.name,
        sites_cut_off=len(cut_off),
        users_cut_off=sum(ctx.users.get(s, 0) for s in cut_off),
        lost={t: sorted(sites) for t, sites in lost.items() if sites},
        lost_per_plane={p: v for p, v in per_plane.items() if v},
        rerouted_to_backup={p: n for p, n in rerouted.items() if n},
    )


def failure_impact(ctx: Context, failures: list[Failure]) -> FailureSummary:
    """Every single link, node and SRLG failure: who loses the core or a service, per plane."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"scenarios": 0, "cutting_off_sites": 0})
    impacts = []
    for failure in failures:
        impact = impact_of(ctx, failure)
        counts[failure.kind]["scenarios"] += 1
        if impact.sites_cut_off:
            counts[failure.kind]["cutting_off_sites"] += 1
            impacts.append(impact)
        _policy_findings(ctx, failure, impact)
    impacts.sort(key=lambda i: (-i.users_cut_off, -i.sites_cut_off, i.kind, i.element))
    return FailureSummary(counts=dict(counts), worst=impacts[:WORST_SHOWN])


def _policy_findings(ctx: Context, failure: Failure, impact: FailureImpact) -> None:
    for target, sites in impact.lost.items():
        hit = [s for s in sites if s in ctx.protected]
        if hit:
            ctx.add(
                "error",
                "single-failure",
                N_("{kind} {element} failing cuts {sites} off the {target}"),
                [failure.name, *hit],
                kind=failure.kind,
                element=failure.name,
                sites=hit,
                target=target,
            )
    for plane, by_target in impact.lost_per_plane.items():
        for target, sites in by_target.items():
            hit = [s for s in sites if s in ctx.protected and s not in impact.lost.get(target, [])]
            if hit:
                ctx.add(
                    "error",
                    "plane-backup",
                    N_(
                        "{kind} {element} failing cuts {sites} off the {target} on plane {plane} "
                        "and on its backup plane {backup}"
                    ),
                    [failure.name, plane, *hit],
                    kind=failure.kind,
                    element=failure.name,
                    sites=hit,
                    target=target,
                    plane=plane,
                    backup=str(ctx.backups.get(plane)),
                )


def blast_radius(ctx: Context) -> list[BlastRadius]:
    """Villages (accepted single-homed) and users cut off when their town's PE fails."""
    plan = ctx.result.plan
    children: dict[str, list[str]] = defaultdict(list)
    for site in plan.sites:
        if site.parent:
            children[site.parent].append(site.id)
    radii = []
    for town in sorted(children):
        for device in ctx.site_devices.get(town, []):
            failure = Failure("node", ctx.topo.names[device], nodes=frozenset((device,)))
            cut = sites_losing(ctx, cut_devices(ctx, ALL, CORE, failure), failure, CORE)
            radii.append(
                BlastRadius(
                    town=town,
                    device=ctx.topo.names[device],
                    villages=len(cut),
                    users=sum(ctx.users.get(s, 0) for s in cut),
                )
            )
    single_homed = sum(len(v) for v in children.values())
    if radii:
        worst = max(radii, key=lambda r: (r.users, r.villages))
        ctx.add(
            "info",
            "single-homed",
            N_(
                "{count} village/residential sites are single-homed by design; the largest blast radius is "
                "{town} ({device}): {villages} sites, {users} users"
            ),
            [worst.town, worst.device],
            count=single_homed,
            town=worst.town,
            device=worst.device,
            villages=worst.villages,
            users=worst.users,
        )
    return radii


# --- capacity ---------------------------------------------------------------------------------


def site_demands(ctx: Context) -> list[SiteDemand]:
    inv = ctx.result.inventory
    sites_of: dict[str, list[str]] = defaultdict(list)
    for site in ctx.result.plan.sites:
        sites_of[site.site_class].append(site.id)
    return [
        SiteDemand(site=site, devices=tuple(ctx.site_devices[site]), plane=d.plane, destination=d.to, gbps=d.gbps)
        for d in inv.demands
        for site in sites_of[d.site_class]
        if d.gbps > 0
    ]


def capacity_summary(ctx: Context, failures: list[Failure], thresholds: Thresholds) -> CapacitySummary:
    model = CapacityModel(ctx.topo, site_demands(ctx), ctx.targets, ctx.backups)
    result = analyse_capacity(model, failures)
    rows = []
    for edge in ctx.topo.edges:
        load = result.loads[edge.index]
        rows.append(
            LinkUtilisation(
                link=edge.id,
                link_class=edge.link_class,
                capacity_gbps=edge.capacity_gbps,
                normal=round(load.normal / edge.capacity_gbps, 4),
                worst=round(load.worst / edge.capacity_gbps, 4),
                worst_failure=load.worst_failure,
            )
        )
    per_class: dict[str, float] = defaultdict(float)
    for row in rows:
        per_class[row.link_class] = max(per_class[row.link_class], row.worst)
    overloaded = [r for r in rows if r.normal > thresholds.normal or r.worst > thresholds.failure]
    for row in overloaded:
        capacity = f"{row.capacity_gbps:g}"
        if row.normal > thresholds.normal:
            template, fields = N_("link {link} ({capacity}G) runs at {share:.0%} in the normal state"), {}
            share = row.normal
        else:
            template, fields = (
                N_("link {link} ({capacity}G) runs at {share:.0%} when {failure} fails"),
                {"failure": row.worst_failure},
            )
            share = row.worst
        ctx.add("error", "capacity", template, [row.link], link=row.link, capacity=capacity, share=share, **fields)
    if result.unserved_normal > 1e-9:
        ctx.add(
            "error",
            "capacity",
            N_("{gbps:.2f} Gbit/s of demand reaches no destination"),
            [],
            gbps=result.unserved_normal,
        )
    return CapacitySummary(
        max_utilisation_normal=max((r.normal for r in rows), default=0.0),
        max_utilisation_failure=max((r.worst for r in rows), default=0.0),
        threshold_normal=thresholds.normal,
        threshold_failure=thresholds.failure,
        overloaded=overloaded,
        worst_per_link_class=dict(sorted(per_class.items())),
        busiest=sorted(rows, key=lambda r: (-r.worst, r.link))[:WORST_SHOWN],
        unserved_gbps_normal=round(result.unserved_normal, 4),
        scenarios_total=result.scenarios_total,
        scenarios_computed=result.scenarios_computed,
    )
