"""Who loses the targets under every single link or node failure, from one depth-first search.

A super node is joined to every target (the core devices, a service's devices); Tarjan's low-link
DFS from it yields the bridges, the articulation points and, for each, the DFS subtree that the
failure cuts off: the block-cut tree rooted at the targets. Cost O(V + E) for all failures at once,
against O(V * (V + E)) for removing each element and searching again (`brute_force_*`, kept for the
tests and the benchmark).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from netauto.analyze.graph import Adjacency

Span = tuple[int, int]  # [start, end) in `order`


@dataclass
class SingleFailureCuts:
    """Cut-off sets of every single link and node failure, as spans of the DFS preorder."""

    order: list[int]
    reached: list[bool]
    link_spans: dict[int, Span] = field(default_factory=dict)
    node_spans: dict[int, list[Span]] = field(default_factory=dict)

    def cut_by_link(self, edge: int) -> list[int]:
        span = self.link_spans.get(edge)
        return self.order[span[0] : span[1]] if span else []

    def cut_by_node(self, node: int) -> list[int]:
        return [n for start, end in self.node_spans.get(node, ()) for n in self.order[start:end]]

    def count_by_link(self, edge: int) -> int:
        span = self.link_spans.get(edge)
        return span[1] - span[0] if span else 0

    def count_by_node(self, node: int) -> int:
        return sum(end - start for start, end in self.node_spans.get(node, ()))


def single_failure_cuts(adjacency: Adjacency, targets: Iterable[int]) -> SingleFailureCuts:
    """Tarjan's bridges and articulation points, rooted at a super node joined to the targets."""
    size = len(adjacency)
    root = size
    target_list = sorted(set(targets))
    super_edges = {t: -1 - i for i, t in enumerate(target_list)}
    root_adjacency = [(t, super_edges[t]) for t in target_list]

    def neighbours(node: int) -> list[tuple[int, int]]:
        if node == root:
            return root_adjacency
        if node in super_edges:
            return adjacency[node] + [(root, super_edges[node])]
        return adjacency[node]

    pre = [-1] * (size + 1)
    low = [0] * (size + 1)
    order: list[int] = []
    cuts = SingleFailureCuts(order=order, reached=[False] * size)
    pre[root] = 0
    order.append(root)
    stack = [(root, -(10**9), iter(neighbours(root)))]
    while stack:
        node, parent_edge, pending = stack[-1]
        for neighbour, edge in pending:
            if edge == parent_edge:
                continue
            if pre[neighbour] == -1:
                pre[neighbour] = low[neighbour] = len(order)
                order.append(neighbour)
                stack.append((neighbour, edge, iter(neighbours(neighbour))))
                break
            low[node] = min(low[node], pre[neighbour])
        else:
            stack.pop()
            if not stack:
                break
            parent = stack[-1][0]
            low[parent] = min(low[parent], low[node])
            span = (pre[node], len(order))
            if low[node] > pre[parent] and parent_edge >= 0:
                cuts.link_spans[parent_edge] = span
            if low[node] >= pre[parent] and parent != root:
                cuts.node_spans.setdefault(parent, []).append(span)
    order.pop(0)  # the super node
    cuts.link_spans = {e: (s - 1, t - 1) for e, (s, t) in cuts.link_spans.items()}
    cuts.node_spans = {n: [(s - 1, t - 1) for s, t in spans] for n, spans in cuts.node_spans.items()}
    for node in order:
        cuts.reached[node] = True
    return cuts


def reachable(
    adjacency: Adjacency,
    targets: Iterable[int],
    removed_edges: frozenset[int] = frozenset(),
    removed_nodes: frozenset[int] = frozenset(),
) -> set[int]:
    """Nodes that still reach a target (breadth-first search), with some edges or nodes removed."""
    seen = {t for t in targets if t not in removed_nodes}
    queue = deque(seen)
    while queue:
        node = queue.popleft()
        for neighbour, edge in adjacency[node]:
            if neighbour not in seen and edge not in removed_edges and neighbour not in removed_nodes:
                seen.add(neighbour)
                queue.append(neighbour)
    return seen


def brute_force_link_cuts(adjacency: Adjacency, targets: list[int], edges: Iterable[int]) -> dict[int, set[int]]:
    """The naive method: remove each link, search again."""
    before = reachable(adjacency, targets)
    return {e: before - reachable(adjacency, targets, removed_edges=frozenset((e,))) for e in edges}


def brute_force_node_cuts(adjacency: Adjacency, targets: list[int], nodes: Iterable[int]) -> dict[int, set[int]]:
    """The naive method: remove each node, search again (the failed node itself is not 'cut off')."""
    before = reachable(adjacency, targets)
    return {n: before - reachable(adjacency, targets, removed_nodes=frozenset((n,))) - {n} for n in nodes}
