"""Lab benchmark (issue 6), printed with ratios to the target. Run on demand as root: `./dev bench`.

A 20-router slice of inventory/qingpu (the 4 core routers, 3 towns with 4 villages each, 1 bureau) as
real FRR routers in network namespaces:
1. up and converged (namespaces, links, FRR started, configs loaded; then every IS-IS adjacency up and
   every IS-IS router pinging every loopback as planned): target <= 30 s;
2. the full single-link-failure sweep (fail, measure who reaches whom against the analysis, restore),
   wall time and per link; no target, reported.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from netauto.lab import netns
from netauto.lab.slice import SliceSpec, frr_variant, select, slice_links
from netauto.lab.verify import expected, verify, wait_converged
from netauto.pipeline import build_plan
from netauto.render.engine import render_all
from netauto.secrets import load_secrets

ROOT = Path(__file__).resolve().parent.parent
INVENTORY = ROOT / "inventory" / "qingpu"
SECRETS = ROOT / "tests" / "fixtures" / "secrets.yaml"
SLICE = SliceSpec("slice", towns=3, villages=4, bureaus=1)
NAME = "nt-bench"


def report(label: str, seconds: float, target: float | None) -> None:
    if target is None:
        print(f"{label:<58} {seconds:8.2f} s")
        return
    verdict = "ok" if seconds <= target else "OVER TARGET"
    print(f"{label:<58} {seconds:8.2f} s   target {target:4.1f} s   ratio {seconds / target:5.2f}   {verdict}")


def main() -> int:
    if os.geteuid() != 0 or not (netns.FRR_BIN / "zebra").exists():
        print("lab benchmark skipped: it needs root and FRR (apt-get install -y frr)")
        return 0
    result = build_plan(INVENTORY, variant=frr_variant)  # FRR 8.4
    devices = select(result.plan, SLICE)
    links = slice_links(result.plan, devices)
    with tempfile.TemporaryDirectory() as tmp:
        configs = Path(tmp) / "configs"
        render_all(result, load_secrets(SECRETS, INVENTORY), configs, set(devices))
        state = Path(tmp) / "state"
        try:
            start = time.perf_counter()
            lab = netns.up(devices, links, configs, NAME, state)
            built = time.perf_counter() - start
            planned = expected(result.plan, devices, links)
            wait_converged(lab, planned, timeout=60)
            converged = time.perf_counter() - start
            sweep_start = time.perf_counter()
            verification = verify(lab, planned)
            sweep = time.perf_counter() - sweep_start
        finally:
            netns.down(NAME, state)
    print(f"slice: {len(devices)} FRR routers ({len(planned.igp)} in IS-IS), {len(links)} links")
    report("namespaces, links, FRR, configs", built, None)
    report("up and converged", converged, 30.0)
    report(f"verify with full sweep ({len(verification.sweep)} link failures)", sweep, None)
    per_link = [row.seconds for row in verification.sweep]
    print(
        f"{'  reroute measured per failure (min / median / max)':<58} "
        f"{min(per_link):.2f} / {sorted(per_link)[len(per_link) // 2]:.2f} / {max(per_link):.2f} s"
    )
    agree = sum(row.agree for row in verification.sweep)
    print(
        f"agreement with the analysis: {agree} of {len(verification.sweep)} failures; "
        f"checks {sum(c.ok for c in verification.checks)} of {len(verification.checks)}; "
        "SRv6 path "
        + (
            "not shown (this kernel has no SRv6)"
            if verification.srv6 is None
            else "ok"
            if verification.srv6.ok
            else "NOT OK"
        )
    )
    return 0 if verification.ok else 1


if __name__ == "__main__":
    sys.exit(main())
