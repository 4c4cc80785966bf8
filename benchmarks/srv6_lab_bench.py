"""SRv6 lab benchmark (issue 9), run on demand as root: `./dev bench` (add `--cold` to this script to
also build the FRR 10.3 tree from scratch, which downloads ~60 MB from the Debian registry).

1. the FRR 10.3 tree: warm = unpacked from the cached tarball into a fresh folder; cold (--cold) =
   debootstrap + apt inside the chroot + tarball;
2. the default slice (11 routers) and a 20-router slice on FRR 10.3: up (namespaces, links, hosts,
   FRR, configs), converged (IS-IS adjacencies, loopbacks, every locator learned, End SIDs), then the
   verification without the link sweep: L3VPN over SRv6 between every pair of LAN hosts, the End
   demo with counters, a core link failure against the analysis.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from netauto.lab import netns, rootfs
from netauto.lab.slice import FRR10, SliceSpec, frr_variant, lab_vpns, select, slice_links
from netauto.lab.verify import expected, verify
from netauto.pipeline import build_plan
from netauto.render.engine import render_all
from netauto.secrets import load_secrets

ROOT = Path(__file__).resolve().parent.parent
INVENTORY = ROOT / "inventory" / "qingpu"
SECRETS = ROOT / "tests" / "fixtures" / "secrets.yaml"
SLICES = {"default slice": SliceSpec(), "20-router slice": SliceSpec("slice", towns=3, villages=4, bureaus=1)}
NAME = "nt-srv6-bench"


def line(label: str, value: str) -> None:
    print(f"{label:<62} {value}")


def tree(cold: bool) -> None:
    tarballs = rootfs.cached_tarballs()
    if cold or not tarballs:
        with tempfile.TemporaryDirectory() as cache:
            built = rootfs.ensure(Path(cache) / "tree", Path(cache))
            figure = f"{built.seconds:6.1f} s  FRR {built.frr_version}"
            line("FRR 10.3 tree, cold (debootstrap + apt + tarball)", figure)
            if not tarballs:
                rootfs.CACHE.mkdir(parents=True, exist_ok=True)
                shutil.copy2(next(Path(cache).glob("*.tar.gz")), rootfs.CACHE)
    with tempfile.TemporaryDirectory() as folder:
        warm = rootfs.ensure(Path(folder) / "tree")
        size = rootfs.cached_tarballs()[-1].stat().st_size / 2**20
        line("FRR 10.3 tree, warm (unpack the cached tarball)", f"{warm.seconds:6.1f} s  ({size:.0f} MiB tarball)")


def lab(label: str, spec: SliceSpec) -> bool:
    result = build_plan(INVENTORY, variant=lambda inv: frr_variant(inv, FRR10))
    devices = select(result.plan, spec)
    links = slice_links(result.plan, devices)
    vpns = lab_vpns(result.inventory, result.plan, devices)
    rootfs.ensure(netns.FRR10_ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        configs, state = Path(tmp) / "configs", Path(tmp) / "state"
        render_all(result, load_secrets(SECRETS, INVENTORY), configs, set(devices))
        try:
            start = time.perf_counter()
            running = netns.up(devices, links, configs, NAME, state, frr=netns.FRR10, vpns=vpns)
            built = time.perf_counter() - start
            planned = expected(result.plan, devices, links)
            verification = verify(running, planned, sweep=False, vpns=vpns)
            verified = time.perf_counter() - start - built
        finally:
            netns.down(NAME, state)
    checks = verification.checks
    print(f"{label}: {len(devices)} routers ({len(planned.igp)} in IS-IS), {len(links)} links")
    line("  up: namespaces, links, LAN hosts, FRR 10.3, configs, VPN export", f"{built:6.1f} s")
    line("  converged: adjacencies, loopbacks, locators, End SIDs", f"{verification.converged_seconds:6.1f} s")
    line("  checks as planned", f"{sum(c.ok for c in checks)} of {len(checks)}")
    for check in verification.vpns:
        lossless = sum(p.ok for p in check.pairs)
        line(f"  VPN {check.vpn}: routes complete on every PE (after convergence)", f"{check.routes_seconds} s")
        line(f"  VPN {check.vpn}: host pairs with 0% loss (IPv4 and IPv6)", f"{lossless} of {len(check.pairs)}")
        for path in check.paths:
            what = f"  flow after {path.failed_link} failed" if path.failed_link else "  flow in the normal state"
            verdict = "as the analysis predicted" if path.ok else "NOT as predicted"
            line(what, f"{path.arrived}/{path.sent} arrived, {verdict}; whole again {path.seconds:.1f} s")
    demo = verification.srv6
    if demo is not None:
        line("  End SID demo (ping through B's End, B's counter)", f"{demo.counted_at_end}/{demo.sent}, ok={demo.ok}")
    line("  verification (without the link sweep)", f"{verified:6.1f} s, {'AGREE' if verification.ok else 'DISAGREE'}")
    return verification.ok


def main() -> int:
    if os.geteuid() != 0 or shutil.which("debootstrap") is None:
        print("SRv6 lab benchmark skipped: it needs root and debootstrap (apt-get install -y debootstrap)")
        return 0
    tree("--cold" in sys.argv)
    return 0 if all([lab(label, spec) for label, spec in SLICES.items()]) else 1


if __name__ == "__main__":
    sys.exit(main())
