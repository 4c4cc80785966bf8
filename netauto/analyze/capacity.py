"""Per-plane demands routed on IS-IS shortest paths with ECMP, in the normal state and under failures.

Each (plane, destination) is one Dijkstra from the destination's devices and one sweep that pushes
every node's traffic down the shortest-path DAG, split equally over equal-cost links. A site that
cannot reach its destination in its plane falls back to the plane's backup (the mutual backup of
the two planes). Failures that cannot raise any load are not recomputed: a failure that only
detaches a sink-free tree (a village, say) only removes demand, and a failure that touches no
shortest path of a (plane, destination) leaves that routing as it was.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass, field

from netauto.analyze.graph import ALL, Adjacency, Topology

INFINITY = float("inf")


@dataclass(frozen=True)
class Failure:
    kind: str  # link | node | srlg
    name: str
    edges: frozenset[int] = frozenset()
    nodes: frozenset[int] = frozenset()


NORMAL = Failure("normal", "normal state")


@dataclass(frozen=True)
class SiteDemand:
    """Traffic of one site in one plane to one destination, split over the site's devices."""

    site: str
    devices: tuple[int, ...]
    plane: str
    destination: str
    gbps: float


@dataclass
class Routing:
    dist: list[float]
    loads: dict[int, float]
    dag_edges: set[int]


@dataclass
class LinkLoad:
    normal: float = 0.0
    worst: float = 0.0
    worst_failure: str = NORMAL.name


@dataclass
class CapacityResult:
    loads: dict[int, LinkLoad] = field(default_factory=dict)
    unserved_normal: float = 0.0
    scenarios_total: int = 0
    scenarios_computed: int = 0


def shortest_paths(adjacency: Adjacency, metrics: list[int], sinks: list[int], failure: Failure) -> list[float]:
    """Distance of every node to the nearest sink (multi-source Dijkstra), avoiding the failure."""
    dist = [INFINITY] * len(adjacency)
    heap: list[tuple[float, int]] = []
    for sink in sinks:
        if sink not in failure.nodes:
            dist[sink] = 0.0
            heap.append((0.0, sink))
    heapq.heapify(heap)
    while heap:
        d, node = heapq.heappop(heap)
        if d > dist[node]:
            continue
        for neighbour, edge in adjacency[node]:
            if edge in failure.edges or neighbour in failure.nodes:
                continue
            candidate = d + metrics[edge]
            if candidate < dist[neighbour]:
                dist[neighbour] = candidate
                heapq.heappush(heap, (candidate, neighbour))
    return dist


def push_flows(
    adjacency: Adjacency, metrics: list[int], dist: list[float], demand: dict[int, float], failure: Failure
) -> dict[int, float]:
    """Push each node's traffic towards the sinks along all equal-cost shortest paths (ECMP)."""
    loads: dict[int, float] = defaultdict(float)
    flow = dict(demand)
    heap = [(-dist[node], node) for node in flow]
    heapq.heapify(heap)
    done: set[int] = set()
    while heap:
        _, node = heapq.heappop(heap)
        if node in done or dist[node] == 0.0:
            continue
        done.add(node)
        amount = flow.pop(node, 0.0)
        hops = [
            (neighbour, edge)
            for neighbour, edge in adjacency[node]
            if edge not in failure.edges
            and neighbour not in failure.nodes
            and dist[neighbour] + metrics[edge] == dist[node]
        ]
        share = amount / len(hops)
        for neighbour, edge in hops:
            loads[edge] += share
            if neighbour not in flow:
                heapq.heappush(heap, (-dist[neighbour], neighbour))
            flow[neighbour] = flow.get(neighbour, 0.0) + share
    return loads


def dag_edges(adjacency: Adjacency, metrics: list[int], dist: list[float]) -> set[int]:
    """Every link on some shortest path towards the sinks."""
    edges = set()
    for node, neighbours in enumerate(adjacency):
        for neighbour, edge in neighbours:
            if dist[node] < INFINITY and dist[neighbour] + metrics[edge] == dist[node]:
                edges.add(edge)
    return edges


class CapacityModel:
    """Routes the demands of a plan on a topology (or on its core, see `collapsed`)."""

    def __init__(
        self,
        topo: Topology,
        demands: list[SiteDemand],
        sinks: dict[str, list[int]],
        backups: dict[str, str | None],
        adjacencies: dict[str, Adjacency] | None = None,
    ) -> None:
        self.topo = topo
        self.demands = demands
        self.sinks = sinks
        self.backups = backups
        self.adjacency = adjacencies if adjacencies is not None else topo.adjacency
        self.metrics = [e.metric for e in topo.edges]
        self.pairs = sorted({(d.plane, d.destination) for d in demands} | self._backup_pairs(demands))
        self.normal = {pair: self._route(pair, NORMAL, with_dag=True) for pair in self.pairs}

    def collapsed(self, pendant_nodes: set[int], pendant_edges: set[int]) -> CapacityModel:
        """The same model on the network without its sink-free hanging trees.

        Each tree's demand enters the network where the tree hangs; the loads of the links that
        remain are the same, and routing a failure scenario costs the core's size, not the network's.
        """
        adjacencies = {
            name: [[(n, e) for n, e in neighbours if e not in pendant_edges] for neighbours in adjacency]
            for name, adjacency in self.topo.adjacency.items()
        }
        root = _tree_roots(self.topo.adjacency[ALL], pendant_nodes)
        merged: dict[tuple[tuple[int, ...], str, str], float] = defaultdict(float)
        for d in self.demands:
            devices = tuple(sorted({r for n in d.devices if (r := root.get(n)) is not None}))
            if devices:
                merged[(devices, d.plane, d.destination)] += d.gbps
        demands = [
            SiteDemand(site="+".join(map(str, devices)), devices=devices, plane=plane, destination=dest, gbps=gbps)
            for (devices, plane, dest), gbps in sorted(merged.items())
        ]
        return CapacityModel(self.topo, demands, self.sinks, self.backups, adjacencies)

    def _backup_pairs(self, demands: list[SiteDemand]) -> set[tuple[str, str]]:
        return {(b, d.destination) for d in demands if (b := self.backups.get(d.plane))}

    def _route(self, pair: tuple[str, str], failure: Failure, with_dag: bool = False) -> Routing:
        plane, destination = pair
        adjacency = self.adjacency[plane]
        dist = shortest_paths(adjacency, self.metrics, self.sinks[destination], failure)
        return Routing(dist=dist, loads={}, dag_edges=dag_edges(adjacency, self.metrics, dist) if with_dag else set())

    def _touches(self, failure: Failure, routing: Routing) -> bool:
        if failure.edges & routing.dag_edges:
            return True
        return any(edge in routing.dag_edges for node in failure.nodes for _, edge in self.adjacency[ALL][node])

    def loads(self, failure: Failure) -> tuple[dict[int, float], float]:
        """Load per link (Gbit/s) and demand that reaches nothing, under `failure`."""
        routings = {
            pair: routing if failure is NORMAL or not self._touches(failure, routing) else self._route(pair, failure)
            for pair, routing in self.normal.items()
        }
        per_pair: dict[tuple[str, str], dict[int, float]] = defaultdict(lambda: defaultdict(float))
        unserved = 0.0
        for demand in self.demands:
            placed = self._place(demand, failure, routings, per_pair)
            unserved += demand.gbps - placed
        total: dict[int, float] = defaultdict(float)
        for (plane, _destination), node_demand in per_pair.items():
            routing = routings[(plane, _destination)]
            for edge, load in push_flows(
                self.adjacency[plane], self.metrics, routing.dist, node_demand, failure
            ).items():
                total[edge] += load
        return total, unserved

    def _place(
        self,
        demand: SiteDemand,
        failure: Failure,
        routings: dict[tuple[str, str], Routing],
        per_pair: dict[tuple[str, str], dict[int, float]],
    ) -> float:
        alive = [d for d in demand.devices if d not in failure.nodes]
        if not alive:
            return demand.gbps  # the site itself is down: nothing to carry
        for plane in (demand.plane, self.backups.get(demand.plane)):
            if plane is None:
                continue
            routing = routings[(plane, demand.destination)]
            reachable = [d for d in alive if routing.dist[d] < INFINITY]
            if reachable:
                for device in reachable:
                    per_pair[(plane, demand.destination)][device] += demand.gbps / len(reachable)
                return demand.gbps
        return 0.0


def pendant_elements(topo: Topology, keep: set[int]) -> tuple[set[int], set[int]]:
    """Nodes and links of sink-free trees hanging off the rest (their failure can only remove demand)."""
    adjacency = topo.adjacency["all"]
    degree = [len(neighbours) for neighbours in adjacency]
    removed_nodes: set[int] = set()
    removed_edges: set[int] = set()
    leaves = [n for n in range(topo.size) if degree[n] <= 1 and n not in keep]
    while leaves:
        node = leaves.pop()
        if node in removed_nodes:
            continue
        removed_nodes.add(node)
        for neighbour, edge in adjacency[node]:
            if edge in removed_edges:
                continue
            removed_edges.add(edge)
            degree[neighbour] -= 1
            if degree[neighbour] <= 1 and neighbour not in keep and neighbour not in removed_nodes:
                leaves.append(neighbour)
    return removed_nodes, removed_edges


def _tree_roots(adjacency: Adjacency, pendant: set[int]) -> dict[int, int | None]:
    """For every node, the non-pendant node its hanging tree is attached to (itself if not pendant)."""
    root: dict[int, int | None] = {n: n for n in range(len(adjacency)) if n not in pendant}
    frontier = list(root)
    while frontier:
        node = frontier.pop()
        for neighbour, _ in adjacency[node]:
            if neighbour not in root:
                root[neighbour] = root[node]
                frontier.append(neighbour)
    return root


def analyse_capacity(model: CapacityModel, failures: list[Failure]) -> CapacityResult:
    """Normal-state loads and, per link, the worst load over every failure that can raise one."""
    sinks = {n for nodes in model.sinks.values() for n in nodes}
    pendant_nodes, pendant_edges = pendant_elements(model.topo, sinks)
    core_model = model.collapsed(pendant_nodes, pendant_edges)
    result = CapacityResult(scenarios_total=len(failures))
    normal, result.unserved_normal = model.loads(NORMAL)
    for edge in model.topo.edges:
        load = normal.get(edge.index, 0.0)
        result.loads[edge.index] = LinkLoad(normal=load, worst=load)
    for failure in failures:
        if failure.edges <= pendant_edges and failure.nodes <= pendant_nodes:
            continue
        result.scenarios_computed += 1
        loads, _ = core_model.loads(failure)
        for edge_index, load in loads.items():
            entry = result.loads[edge_index]
            if load > entry.worst and edge_index not in failure.edges:
                entry.worst = load
                entry.worst_failure = f"{failure.kind} {failure.name}"
    return result
