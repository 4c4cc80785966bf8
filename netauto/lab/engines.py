"""Which lab engine runs a lab, and handing a lab command to the VM when the VM runs it.

`auto` picks the netns engine where the running kernel has every feature the lab shows
(netauto/lab/kernel.py finds out), and the VM engine where it lacks one: the VM boots Debian's kernel
and runs the very same netns lab inside (netauto/lab/vm.py). A lab brought up in the VM is marked in
its folder (build/labs/<name>/engine), so `down`, `status`, `exec` and `verify` on the host hand
themselves to the VM; inside the VM the same commands run the netns engine directly.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from netauto.lab import kernel, vm
from netauto.lab.netns import STATE_DIR, LabError

ENGINES = ("auto", "netns", "vm", "containerlab")


@dataclass(frozen=True)
class Choice:
    engine: str
    lacking: tuple[str, ...]  # the features this kernel lacks (empty when not probed or all there)


def choose(requested: str, lacking: tuple[str, ...] | None = None) -> Choice:
    """The engine for `lab up --engine REQUESTED`; `lacking`: what a probe of this kernel already found."""
    if requested not in ENGINES:
        raise LabError(f"unknown engine {requested}; expected one of {', '.join(ENGINES)}")
    if requested == "containerlab":
        return Choice(requested, ())
    if kernel.inside_netauto_vm():
        if requested == "vm":
            raise LabError("this is the lab VM already: inside it the lab runs with --engine netns")
        return Choice("netns", ())
    if lacking is None:
        lacking = tuple(feature.id for feature in kernel.missing())
    if requested == "auto":
        return Choice("vm" if lacking else "netns", lacking)
    return Choice(requested, lacking)


def marker(name: str, state_dir: Path = STATE_DIR) -> Path:
    return state_dir / name / "engine"


def remember_vm(name: str, vm_name: str, state_dir: Path = STATE_DIR) -> None:
    path = marker(name, state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"vm {vm_name}\n", encoding="utf-8")


def vm_of(name: str, state_dir: Path = STATE_DIR) -> str | None:
    """The VM a lab runs in, when it was brought up with the VM engine (None inside the VM itself)."""
    if kernel.inside_netauto_vm():
        return None
    try:
        words = marker(name, state_dir).read_text(encoding="utf-8").split()
    except OSError:
        return None
    return words[1] if len(words) == 2 and words[0] == "vm" else None


def forget(name: str, state_dir: Path = STATE_DIR) -> None:
    marker(name, state_dir).unlink(missing_ok=True)


def running_vm(name: str, vm_name: str) -> vm.Vm:
    found = vm.find(vm_name)
    if found is None:
        raise LabError(
            f"lab {name} ran in the VM {vm_name}, which is not running (it was stopped or killed, and its "
            f"routers with it); bring the lab up again with `netauto lab up --name {name}`"
        )
    return found


def forward(machine: vm.Vm, argv: Sequence[str]) -> int:
    """Run `netauto ARGV` inside the VM, in this folder, its output passed through; its exit code."""
    return vm.run(machine, [sys.executable, "-m", "netauto", *argv], cwd=Path.cwd()).returncode


def guest_namespaces(machine: vm.Vm) -> list[str]:
    """The network namespaces inside the VM (none: no lab runs there any more)."""
    listed = vm.run(machine, ["ip", "netns", "list"], capture=True)
    return [line.split()[0] for line in listed.stdout.splitlines() if line.strip()]


GUEST_SSH_PORTS = 20000  # guest port 20000 + k leads to the k-th router's sshd (DNAT in the guest)
NFT_TABLE = "netauto_vm_ssh"
NFT = "/usr/sbin/nft"  # Debian package nftables (./dev test installs it), run in the guest from the shared root


def expose_ssh(machine: vm.Vm, folder: Path) -> tuple[Path, Path]:
    """Make the routers' sshd of a lab in the VM reachable from the host, as the lab reaches them in
    the VM: a port on the host's 127.0.0.1 per router, forwarded by QEMU to the guest, where nftables
    sends it on to the router's management address (and masquerades it, so the answer comes back).
    Writes hosts-host.yaml and known_hosts-host beside the guest's hosts.yaml; returns both."""
    import yaml

    hosts = yaml.safe_load((folder / "hosts.yaml").read_text(encoding="utf-8"))
    if not isinstance(hosts, dict) or not hosts:
        raise LabError(f"{folder / 'hosts.yaml'}: the lab in the VM wrote no routers' SSH addresses")
    rules = [f"add table ip {NFT_TABLE}", f"flush table ip {NFT_TABLE}"]
    rules += [f"add chain ip {NFT_TABLE} pre {{ type nat hook prerouting priority -100 ; }}"]
    rules += [f"add chain ip {NFT_TABLE} post {{ type nat hook postrouting priority 100 ; }}"]
    reach: dict[str, dict[str, object]] = {}
    for k, (device, entry) in enumerate(sorted(hosts.items())):
        guest_port, address = GUEST_SSH_PORTS + k, entry["hostname"]
        rules.append(
            f"add rule ip {NFT_TABLE} pre iifname eth0 tcp dport {guest_port} dnat to {address}:{entry['port']}"
        )
        rules.append(f"add rule ip {NFT_TABLE} post ip daddr {address} tcp dport {entry['port']} masquerade")
        reach[device] = {"hostname": "127.0.0.1", "port": vm.forward_port(machine, guest_port)}
    ruleset = folder / "vm-forwarding.nft"  # the folder is shared with the guest
    ruleset.write_text("\n".join(rules) + "\n", encoding="utf-8")
    applied = vm.run(machine, [NFT, "-f", str(ruleset.resolve())], capture=True)
    if applied.returncode != 0:
        raise LabError(f"nftables in the VM refused the forwarding to the routers: {applied.stderr.strip()}")
    hosts_file, known_hosts = folder / "hosts-host.yaml", folder / "known_hosts-host"
    hosts_file.write_text(yaml.safe_dump(reach, sort_keys=True), encoding="utf-8")
    keys = {}
    for line in (folder / "known_hosts").read_text(encoding="utf-8").splitlines():
        address, _, key = line.partition(" ")
        keys[address] = key
    lines = [f"[127.0.0.1]:{reach[d]['port']} {keys[hosts[d]['hostname']]}\n" for d in sorted(reach)]
    known_hosts.write_text("".join(lines), encoding="utf-8")
    return hosts_file, known_hosts
