"""The fast single-failure method agrees with removing each element and searching again."""

from __future__ import annotations

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from netauto.analyze.connectivity import (
    brute_force_link_cuts,
    brute_force_node_cuts,
    single_failure_cuts,
)
from netauto.analyze.graph import Adjacency


@st.composite
def graphs_with_targets(draw: st.DrawFn) -> tuple[Adjacency, list[int]]:
    size = draw(st.integers(min_value=1, max_value=14))
    pairs = draw(st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, size - 1)), max_size=30))
    adjacency: Adjacency = [[] for _ in range(size)]
    for edge, (u, v) in enumerate(pairs):
        if u != v:  # parallel links allowed: they are what makes a link not a bridge
            adjacency[u].append((v, edge))
            adjacency[v].append((u, edge))
    targets = draw(st.lists(st.integers(0, size - 1), min_size=1, max_size=3, unique=True))
    return adjacency, targets


@settings(max_examples=400, deadline=None)
@given(graphs_with_targets())
def test_fast_cuts_equal_brute_force(case: tuple[Adjacency, list[int]]) -> None:
    adjacency, targets = case
    cuts = single_failure_cuts(adjacency, targets)
    edges = {edge for neighbours in adjacency for _, edge in neighbours}
    for edge, expected in brute_force_link_cuts(adjacency, targets, edges).items():
        assert set(cuts.cut_by_link(edge)) == expected
        assert cuts.count_by_link(edge) == len(expected)
    for node, expected in brute_force_node_cuts(adjacency, targets, range(len(adjacency))).items():
        assert set(cuts.cut_by_node(node)) == expected
        assert cuts.count_by_node(node) == len(expected)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=2, max_value=25), st.floats(min_value=0.05, max_value=0.5), st.integers(0, 10**6))
def test_bridges_and_articulation_points_match_networkx(size: int, density: float, seed: int) -> None:
    graph = nx.gnp_random_graph(size, density, seed=seed)
    index = {edge: i for i, edge in enumerate(graph.edges())}
    adjacency: Adjacency = [[] for _ in range(size)]
    for (u, v), i in index.items():
        adjacency[u].append((v, i))
        adjacency[v].append((u, i))
    component = max(nx.connected_components(graph), key=len)
    root = min(component)
    cuts = single_failure_cuts(adjacency, [root])
    bridges = {index.get((u, v), index.get((v, u))) for u, v in nx.bridges(graph.subgraph(component))}
    assert set(cuts.link_spans) == bridges
    articulation = set(nx.articulation_points(graph.subgraph(component)))
    cutting = {n for n, spans in cuts.node_spans.items() if spans}
    # The root target is a normal node for us: it cuts only what hangs off it alone.
    assert cutting - {root} == articulation - {root}


def test_unreached_nodes_are_reported() -> None:
    adjacency: Adjacency = [[(1, 0)], [(0, 0)], []]
    cuts = single_failure_cuts(adjacency, [0])
    assert cuts.reached == [True, True, False]
    assert cuts.cut_by_link(0) == [1]
    assert cuts.cut_by_node(0) == [1]
