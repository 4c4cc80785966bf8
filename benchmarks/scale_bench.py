"""Province scale (issue 18): the whole commands at ~10,000 and ~50,000 devices of the same shape
(13 cities, each town dual-homed to its city's core), wall time and peak memory of each, and how
each grows from one size to the other (the exponent of t ~ n^k). Targets: each command <= 8 GiB.

Run on demand (`./dev bench`, or `python benchmarks/scale_bench.py`): about 10 minutes here, most
of it the 50,000-device N-1 analysis. Every command runs in its own process, as an engineer runs it;
peak memory is that process's maximum resident set (wait4).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from netauto.example.synth import SynthSize, write_synthetic_inventory
from netauto.secrets import init_secrets

CITY_SHAPED_10K = SynthSize(towns=13 * 38, villages_per_town=19, bureaus=104, core_sites=13, cities=True)
MEMORY_LIMIT = 8 * 2**30


def run(*args: str) -> tuple[float, int]:
    """Wall seconds and peak resident bytes of one netauto command."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "netauto", *args], stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            raise SystemExit(f"netauto {' '.join(args)} failed ({process.returncode}):\n{errors.read().decode()}")
    return elapsed, usage.ru_maxrss * 1024


def measure(size: SynthSize, work: Path) -> dict[str, tuple[float, int]]:
    inventory = work / f"synth-{size.device_count}"
    write_synthetic_inventory(inventory, size)
    secrets = init_secrets(work / "secrets" / f"{size.device_count}.yaml")
    env_cache = str(work / f"cache-{size.device_count}")
    os.environ["NETAUTO_CACHE"] = env_cache
    out = work / f"configs-{size.device_count}"
    figures = {
        "plan (first: no lock, no memo)": run("plan", str(inventory)),
        "plan (again)": run("plan", str(inventory)),
        "plan --json": run("plan", str(inventory), "--json"),
        "analyze --strict (N-1 links, nodes, SRLGs, capacity)": run("analyze", str(inventory), "--strict"),
        "render (every device)": run("render", str(inventory), "--secrets", str(secrets), "-o", str(out)),
    }
    with (inventory / "sites-villages.yaml").open("a", encoding="utf-8") as villages:
        villages.write("- id: village-0001-999\n  class: village\n  parent: town-0001\n  users: 20\n")
    figures["render after adding one village"] = run(
        "render", str(inventory), "--secrets", str(secrets), "-o", str(out)
    )
    return figures


def main() -> None:
    sizes = [CITY_SHAPED_10K, SynthSize.province()]
    with tempfile.TemporaryDirectory() as tmp:
        results = {size.device_count: measure(size, Path(tmp)) for size in sizes}
    small, large = (size.device_count for size in sizes)
    print(f"province-shaped synthetic networks: {small} and {large} devices (13 cities); whole commands")
    print(f"{'command':<56} {small:>7} dev   {large:>7} dev   exponent   peak memory at {large}")
    for label in results[small]:
        (t1, _), (t2, m2) = results[small][label], results[large][label]
        exponent = math.log(t2 / t1) / math.log(large / small)
        verdict = "ok" if m2 <= MEMORY_LIMIT else "OVER 8 GiB"
        print(f"{label:<56} {t1:8.2f} s   {t2:8.2f} s   {exponent:8.2f}   {m2 / 2**30:6.2f} GiB {verdict}")


if __name__ == "__main__":
    main()
