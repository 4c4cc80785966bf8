"""Analysis benchmarks (issue 3), printed with ratios to the targets. Run on demand: `./dev bench`.

1. N-1 link + node connectivity on a 10,000-device synthetic network: every link's and every node's
   cut-off set towards the core, from the low-link DFS. Target <= 2 s, and >= 50x faster than the
   naive loop (remove the element, search again), timed on a random sample in the same run and
   scaled to all elements (the whole naive loop would take many minutes).
2. The full analysis (redundancy, impact, N-1 capacity) of inventory/qingpu: target <= 5 s.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from netauto.analyze.analysis import CORE, analyze, build_context
from netauto.analyze.connectivity import brute_force_link_cuts, brute_force_node_cuts, single_failure_cuts
from netauto.analyze.graph import ALL, topology
from netauto.example.synth import SynthSize, write_synthetic_inventory
from netauto.pipeline import build_plan

ROOT = Path(__file__).resolve().parent.parent
TEN_THOUSAND = SynthSize(towns=474, villages_per_town=20, bureaus=80)
SAMPLE = 150


def report(label: str, seconds: float, target: float) -> None:
    verdict = "ok" if seconds <= target else "OVER TARGET"
    print(f"{label:<58} {seconds:8.3f} s   target {target:4.1f} s   ratio {seconds / target:5.2f}   {verdict}")


def connectivity_benchmark() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        write_synthetic_inventory(Path(tmp) / "synth", TEN_THOUSAND)
        plan = build_plan(Path(tmp) / "synth").plan
    topo = topology(plan)
    adjacency = topo.adjacency[ALL]
    core = [i for i, d in enumerate(plan.devices) if d.role == "core"]
    start = time.perf_counter()
    cuts = single_failure_cuts(adjacency, core)
    link_sets = {e.index: cuts.cut_by_link(e.index) for e in topo.edges}
    node_sets = {n: cuts.cut_by_node(n) for n in range(topo.size)}
    fast = time.perf_counter() - start

    rng = random.Random(7)
    links = rng.sample(range(len(topo.edges)), SAMPLE)
    nodes = rng.sample(range(topo.size), SAMPLE)
    start = time.perf_counter()
    naive_links = brute_force_link_cuts(adjacency, core, links)
    naive_nodes = brute_force_node_cuts(adjacency, core, nodes)
    sampled = time.perf_counter() - start
    assert all(set(link_sets[e]) == naive_links[e] for e in links), "fast and naive disagree on a link"
    assert all(set(node_sets[n]) == naive_nodes[n] for n in nodes), "fast and naive disagree on a node"
    naive = sampled / (2 * SAMPLE) * (len(topo.edges) + topo.size)

    print(f"synthetic network: {topo.size} devices, {len(topo.edges)} links")
    report(f"N-1 links + nodes, low-link DFS ({len(topo.edges) + topo.size} failures)", fast, 2.0)
    print(f"{'N-1 links + nodes, naive (sampled ' + str(2 * SAMPLE) + ', scaled to all)':<58} {naive:8.1f} s")
    speedup = naive / fast
    print(f"{'speed-up over naive':<58} {speedup:8.0f} x   target   50 x   {'ok' if speedup >= 50 else 'BELOW TARGET'}")


def qingpu_benchmark() -> None:
    result = build_plan(ROOT / "inventory" / "qingpu")
    start = time.perf_counter()
    analysis = analyze(result)
    elapsed = time.perf_counter() - start
    report("full analysis of inventory/qingpu (incl. N-1 capacity)", elapsed, 5.0)
    print(
        f"  stages: {analysis.elapsed_seconds}; capacity scenarios computed "
        f"{analysis.capacity.scenarios_computed} of {analysis.capacity.scenarios_total}"
    )
    ctx = build_context(result)
    print(
        f"  topologies x targets searched: {len(ctx.cuts)} ({', '.join(sorted({t for _, t in ctx.cuts}))}; "
        f"core = {CORE})"
    )


if __name__ == "__main__":
    connectivity_benchmark()
    qingpu_benchmark()
