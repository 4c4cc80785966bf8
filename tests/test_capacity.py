"""ECMP routing and plane fallback on hand-built networks with known answers."""

from __future__ import annotations

import pytest

from conftest import QINGPU
from netauto.analyze.analysis import all_failures, build_context, site_demands
from netauto.analyze.capacity import NORMAL, CapacityModel, Failure, SiteDemand, analyse_capacity, pendant_elements
from netauto.analyze.graph import Edge, Topology, build_topology
from netauto.pipeline import build_plan


def build(names: list[str], links: list[tuple[str, str, int, set[str]]]) -> Topology:
    index = {name: i for i, name in enumerate(names)}
    edges = [
        Edge(i, f"{a}-{b}", index[a], index[b], "test", 10.0, metric, frozenset(planes), ())
        for i, (a, b, metric, planes) in enumerate(links)
    ]
    return build_topology(names, edges, ["data", "video"])


BOTH = {"data", "video"}
# A diamond: site s reaches the core c over a and b at equal cost, plus a longer detour via d.
DIAMOND = build(
    ["c", "a", "b", "s", "d"],
    [
        ("s", "a", 10, BOTH),
        ("s", "b", 10, BOTH),
        ("a", "c", 10, BOTH),
        ("b", "c", 10, BOTH),
        ("s", "d", 50, BOTH),
        ("d", "c", 50, BOTH),
    ],
)


def loads_by_name(topo: Topology, loads: dict[int, float]) -> dict[str, float]:
    return {topo.edges[e].id: round(v, 6) for e, v in loads.items() if v}


def model(topo: Topology, gbps: float = 2.0, plane: str = "data") -> CapacityModel:
    demand = SiteDemand("site", (topo.index["s"],), plane, "core", gbps)
    return CapacityModel(topo, [demand], {"core": [topo.index["c"]]}, {"data": "video", "video": "data"})


def test_equal_cost_paths_share_the_traffic() -> None:
    loads, unserved = model(DIAMOND).loads(NORMAL)
    assert loads_by_name(DIAMOND, loads) == {"s-a": 1.0, "s-b": 1.0, "a-c": 1.0, "b-c": 1.0}
    assert unserved == 0


def test_a_failure_moves_all_traffic_to_the_remaining_shortest_path() -> None:
    loads, _ = model(DIAMOND).loads(Failure("link", "s-a", edges=frozenset({0})))
    assert loads_by_name(DIAMOND, loads) == {"s-b": 2.0, "b-c": 2.0}


def test_two_failures_fall_back_to_the_long_detour() -> None:
    loads, _ = model(DIAMOND).loads(Failure("srlg", "duct", edges=frozenset({0, 1})))
    assert loads_by_name(DIAMOND, loads) == {"s-d": 2.0, "d-c": 2.0}


# Dual-homed site: its first uplink carries only the data plane, the second only the video plane.
PLANES = build(["c", "s"], [("s", "c", 10, {"data"}), ("s", "c", 10, {"video"})])


def test_a_plane_cut_off_falls_back_to_its_backup_plane() -> None:
    capacity = model(PLANES, gbps=3.0)
    normal, _ = capacity.loads(NORMAL)
    assert loads_by_name(PLANES, normal) == {"s-c": 3.0}
    assert [PLANES.edges[e].planes for e in normal] == [frozenset({"data"})]
    loads, unserved = capacity.loads(Failure("link", "data uplink", edges=frozenset({0})))
    assert {e: v for e, v in loads.items() if v} == {1: 3.0}
    assert unserved == 0


def test_demand_with_no_way_out_is_unserved() -> None:
    loads, unserved = model(PLANES, gbps=3.0).loads(Failure("srlg", "both", edges=frozenset({0, 1})))
    assert not any(loads.values()) and unserved == pytest.approx(3.0)


def test_worst_case_per_link_over_all_failures() -> None:
    failures = [Failure("link", e.id, edges=frozenset({e.index})) for e in DIAMOND.edges]
    result = analyse_capacity(model(DIAMOND), failures)
    s_b = result.loads[1]
    assert (s_b.normal, s_b.worst, s_b.worst_failure) == (1.0, 2.0, "link s-a")


def test_sink_free_trees_are_pendant_but_sinks_are_kept() -> None:
    topo = build(
        ["c", "t", "v1", "v2", "cloud"],
        [
            ("t", "c", 10, BOTH),
            ("t", "c", 10, BOTH),
            ("v1", "t", 10, BOTH),
            ("v2", "v1", 10, BOTH),
            ("cloud", "c", 10, BOTH),
        ],
    )
    nodes, edges = pendant_elements(topo, keep={topo.index["c"], topo.index["cloud"]})
    assert {topo.names[n] for n in nodes} == {"v1", "v2"}
    assert {topo.edges[e].id for e in edges} == {"v1-t", "v2-v1"}


def test_shortcuts_do_not_change_the_worst_case_on_qingpu() -> None:
    """Collapsing hanging trees and skipping failures that only detach them gives the exact brute-force answer."""
    ctx = build_context(build_plan(QINGPU))
    full = CapacityModel(ctx.topo, site_demands(ctx), ctx.targets, ctx.backups)
    failures = all_failures(ctx)
    fast = analyse_capacity(full, failures)
    worst: dict[int, float] = dict.fromkeys(range(len(ctx.topo.edges)), 0.0)
    for failure in [NORMAL, *failures]:
        loads, _ = full.loads(failure)
        for edge, load in loads.items():
            if edge not in failure.edges:
                worst[edge] = max(worst[edge], load)
    assert {e: round(v, 9) for e, v in worst.items()} == {e: round(r.worst, 9) for e, r in fast.loads.items()}
    assert fast.scenarios_computed < len(failures)
