"""Planning benchmarks: wall time of the real `netauto plan` command, printed with ratios to the targets.

Run on demand (`./dev bench`), never as a test. Targets (issues 2 and 18): a 10,000-device
synthetic inventory plans in <= 1.5 s and `plan --json` in <= 2 s; the Qingpu sample in <= 0.5 s.
Each figure is the median of several runs of the whole command (interpreter start-up included), as
a user would wait for it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from netauto.example.synth import SynthSize

ROOT = Path(__file__).resolve().parent.parent
QINGPU = ROOT / "inventory" / "qingpu"
TEN_THOUSAND = {"towns": 474, "villages_per_town": 20, "bureaus": 80}


def netauto(*args: str) -> float:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "netauto", *args], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"netauto {' '.join(args)} failed:\n{result.stderr}")
    return elapsed


def median_of(runs: int, *args: str, before: object = None) -> float:
    times = []
    for _ in range(runs):
        if callable(before):
            before()
        times.append(netauto(*args))
    return statistics.median(times)


def report(label: str, seconds: float, target: float) -> None:
    verdict = "ok" if seconds <= target else "OVER TARGET"
    print(f"{label:<46} {seconds:7.3f} s   target {target:4.1f} s   ratio {seconds / target:5.2f}   {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.environ["NETAUTO_CACHE"] = str(work / "cache")  # what netauto remembers between runs, fresh
        synth = work / "synth"
        netauto(
            "example", "synth", "-o", str(synth), *[f"--{k.replace('_', '-')}={v}" for k, v in TEN_THOUSAND.items()]
        )
        lock = synth / "netauto.lock"
        cold = median_of(args.runs, "plan", str(synth), before=lambda: lock.unlink(missing_ok=True))
        warm = median_of(args.runs, "plan", str(synth))
        warm_json = median_of(args.runs, "plan", str(synth), "--json")
        validate = median_of(args.runs, "validate", str(synth))
        qingpu = work / "qingpu"
        shutil.copytree(QINGPU, qingpu)
        sample = median_of(args.runs, "plan", str(qingpu))
        sample_json = median_of(args.runs, "plan", str(qingpu), "--json")
    print(f"netauto plan benchmarks, median of {args.runs} runs, whole command (Python start-up included)")
    print(f"synthetic inventory: {TEN_THOUSAND} -> {SynthSize(**TEN_THOUSAND).device_count} devices")
    report("plan 10k devices, no lock yet (first plan)", cold, 3.0)
    report("plan 10k devices, lock present (re-plan)", warm, 1.5)
    report("plan 10k devices --json", warm_json, 2.0)
    report("validate 10k devices", validate, 3.0)
    report("plan inventory/qingpu", sample, 0.5)
    report("plan inventory/qingpu --json", sample_json, 0.5)


if __name__ == "__main__":
    main()
