"""What the running kernel offers the lab, found by trying each feature in a scratch namespace.

The lab's routers are real FRR on the running kernel, so a feature the kernel lacks is one the lab
cannot show. Asking `uname` or /boot/config-* would be a guess (a microVM kernel has no config file,
a module may be missing); creating the very thing in a throw-away namespace is not. The probe takes
about 0.1 s and leaves nothing behind.

>>> [feature.id for feature in FEATURES]
['srv6', 'vrf', 'vlan', 'dummy', 'netem', 'mpls']
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Feature:
    id: str
    what: str  # what the lab shows with it
    commands: tuple[str, ...]  # run in the scratch namespace; the feature is there if all succeed


# the scratch namespace starts with lo up and a veth pair (probe0, probe1): what every kernel has
SETUP = ("ip link set lo up", "ip link add probe0 type veth peer name probe1", "ip link set probe0 up")
FEATURES = (
    Feature(
        "srv6",
        "SRv6 End/End.DT SIDs (seg6local)",
        ("ip -6 route add fc00:0:1::/128 encap seg6local action End dev probe0",),
    ),
    Feature("vrf", "VRF devices (named-VRF L3VPN)", ("ip link add v0 type vrf table 10",)),
    Feature("vlan", "VLAN sub-interfaces (PE-CE)", ("ip link add link probe0 name probe0.10 type vlan id 10",)),
    Feature("dummy", "dummy interfaces (SRv6 locator interface)", ("ip link add d0 type dummy",)),
    Feature("netem", "netem latency (WAN-like management)", ("tc qdisc add dev probe0 root netem delay 1ms",)),
    Feature("mpls", "MPLS forwarding (labels in the kernel)", ("sysctl -q -w net.mpls.platform_labels=16",)),
)
BY_ID = {feature.id: feature for feature in FEATURES}
# where a running netauto VM says so on the kernel command line (netauto/lab/vm.py)
VM_MARK = "netauto.state="


def missing(features: tuple[Feature, ...] = FEATURES) -> list[Feature]:
    """The features this kernel lacks (all of them when the probe itself cannot run: not root)."""
    if os.geteuid() != 0:
        return list(features)
    scratch = f"nt-probe-{os.getpid()}"
    if _ip(["netns", "add", scratch]).returncode != 0:
        return list(features)
    try:
        if not all(_in(scratch, command).returncode == 0 for command in SETUP):
            return list(features)
        return [feature for feature in features if not all(_in(scratch, c).returncode == 0 for c in feature.commands)]
    finally:
        _ip(["netns", "delete", scratch])


def inside_netauto_vm() -> bool:
    """Whether this process runs in the lab VM netauto booted (then the lab runs here, never nested)."""
    try:
        return VM_MARK in Path("/proc/cmdline").read_text(encoding="utf-8")
    except OSError:
        return False


# how much slower the lab's routers run under software emulation (TCG) than on a host kernel: measured
# on a 2-core machine, a Python start 1.7 s against 0.03 s and `lab up` of 6 routers 79 s against 15 s
# (5x); CI on a fresh machine of that kind booted the VM 3.6 times slower than a warm one and a router
# there missed a 5x limit, so the margin is wider
EMULATION_SLOWDOWN = 8.0
ACCEL_MARK = "netauto.accel="


def slowdown() -> float:
    """The factor the lab's waits and time limits are stretched by: 1 on a host kernel or under KVM,
    EMULATION_SLOWDOWN in a VM netauto booted under software emulation (its kernel command line says)."""
    try:
        words = Path("/proc/cmdline").read_text(encoding="utf-8").split()
    except OSError:
        return 1.0
    return EMULATION_SLOWDOWN if f"{ACCEL_MARK}tcg" in words else 1.0


def scaled(seconds: float) -> float:
    """A wait or time limit measured on a host kernel, stretched for the kernel this lab runs on."""
    return seconds * slowdown()


def _in(ns: str, command: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["ip", "netns", "exec", ns, *command.split()], capture_output=True, timeout=10)


def _ip(arguments: list[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["ip", *arguments], capture_output=True, timeout=10)
