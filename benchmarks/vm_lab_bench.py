"""VM lab engine benchmark (issue 15), run on demand as root: `./dev bench`.

1. the VM's assets cold (kernel package downloaded and unpacked, modules resolved, initramfs built)
   and warm (from the cache);
2. the VM's start: boot until its channel answers (KVM where a probe boot works, else TCG);
3. the FRR 8.4 lab benchmark (20 routers up and converged, full link-failure sweep) inside the VM
   beside the same on the host, where the host runs it, with the ratio;
4. the FRR 10.3 SRv6 lab benchmark (11- and 20-router slices, VPNs in VRFs) inside the VM.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from netauto.lab import vm

ROOT = Path(__file__).resolve().parent.parent
NAME = "bench"
UP_AND_CONVERGED = re.compile(r"^up and converged\s+([\d.]+) s", re.MULTILINE)


def line(label: str, value: str) -> None:
    print(f"{label:<62} {value}")


def assets() -> None:
    with tempfile.TemporaryDirectory() as cache:
        cold = vm.ensure_assets(Path(cache))
    warm = vm.ensure_assets()
    line("VM assets cold (apt-get download, dpkg-deb -x, depmod, initramfs)", f"{cold.seconds:6.1f} s")
    line("VM assets warm (cached)", f"{warm.seconds:6.1f} s  (kernel {warm.version})")


def boot() -> vm.Vm:
    vm.stop(NAME)
    start = time.perf_counter()
    machine = vm.start(NAME)
    line(f"VM start until its channel answers ({machine.accel})", f"{time.perf_counter() - start:6.1f} s")
    return machine


def bench(command: list[str], machine: vm.Vm | None) -> tuple[str, float | None]:
    """Run a benchmark script here or in the VM; its output and its `up and converged` figure."""
    if machine is None:
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    else:
        result = vm.run(machine, command, cwd=ROOT, capture=True)
    output = result.stdout + result.stderr
    found = UP_AND_CONVERGED.search(output)
    return output, float(found.group(1)) if found else None


def main() -> int:
    if os.geteuid() != 0 or shutil.which(vm.QEMU) is None:
        print("VM lab benchmark skipped: it needs root and QEMU (apt-get install -y qemu-system-x86)")
        return 0
    assets()
    machine = boot()
    try:
        lab_bench = [sys.executable, str(ROOT / "benchmarks" / "lab_bench.py")]
        print("--- FRR 8.4 lab benchmark on the host:")
        host_output, host_seconds = bench(lab_bench, None)
        print(host_output.rstrip())
        print("--- FRR 8.4 lab benchmark in the VM:")
        vm_output, vm_seconds = bench(lab_bench, machine)
        print(vm_output.rstrip())
        if host_seconds and vm_seconds:
            line("20 routers up and converged: VM / host", f"{vm_seconds / host_seconds:6.1f}x")
        print("--- FRR 10.3 SRv6 lab benchmark in the VM (VPNs in VRFs):")
        srv6_output, _ = bench([sys.executable, str(ROOT / "benchmarks" / "srv6_lab_bench.py")], machine)
        print(srv6_output.rstrip())
    finally:
        vm.stop(NAME)
    return 0


if __name__ == "__main__":
    sys.exit(main())
