"""The plan as a graph: a networkx MultiGraph for users and reports, compact adjacency lists for algorithms.

Nodes are devices; edges are links keyed by link id, carrying capacity, IS-IS metric, planes and SRLGs.
Algorithms run on `Topology`: integer node ids and per-plane adjacency lists built once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from netauto.plan.model import Plan

Adjacency = list[list[tuple[int, int]]]  # node -> [(neighbour, edge index)]


@dataclass(frozen=True)
class Edge:
    index: int
    id: str
    u: int
    v: int
    link_class: str
    capacity_gbps: float
    metric: int
    planes: frozenset[str]
    srlg: tuple[str, ...]


@dataclass
class Topology:
    names: list[str]
    index: dict[str, int]
    edges: list[Edge]
    planes: list[str]
    adjacency: dict[str, Adjacency] = field(default_factory=dict)  # "all" and one per plane

    @property
    def size(self) -> int:
        return len(self.names)


ALL = "all"


def plan_graph(plan: Plan) -> nx.MultiGraph[str]:
    """The networkx multigraph of the plan (one edge per link, keyed by link id)."""
    graph: nx.MultiGraph[str] = nx.MultiGraph(name=plan.network)
    for device in plan.devices:
        graph.add_node(device.name, site=device.site, site_class=device.site_class, role=device.role)
    for link in plan.links:
        graph.add_edge(
            link.a.device,
            link.b.device,
            key=link.id,
            link_class=link.link_class,
            capacity_gbps=link.capacity_gbps,
            metric=link.metric,
            planes=tuple(link.planes),
            srlg=tuple(link.srlg),
        )
    return graph


def topology(plan: Plan) -> Topology:
    names = [d.name for d in plan.devices]
    index = {name: i for i, name in enumerate(names)}
    edges = [
        Edge(
            index=i,
            id=link.id,
            u=index[link.a.device],
            v=index[link.b.device],
            link_class=link.link_class,
            capacity_gbps=link.capacity_gbps,
            metric=link.metric,
            planes=frozenset(link.planes),
            srlg=tuple(link.srlg),
        )
        for i, link in enumerate(plan.links)
    ]
    return build_topology(names, edges, list(plan.planes))


def build_topology(names: list[str], edges: list[Edge], planes: list[str]) -> Topology:
    """A topology with its adjacency lists: all links, and the links of each plane."""
    topo = Topology(names=names, index={name: i for i, name in enumerate(names)}, edges=edges, planes=planes)
    topo.adjacency[ALL] = adjacency(len(names), edges)
    for plane in planes:
        topo.adjacency[plane] = adjacency(len(names), [e for e in edges if plane in e.planes])
    return topo


def adjacency(size: int, edges: list[Edge]) -> Adjacency:
    result: Adjacency = [[] for _ in range(size)]
    for edge in edges:
        result[edge.u].append((edge.v, edge.index))
        result[edge.v].append((edge.u, edge.index))
    return result
