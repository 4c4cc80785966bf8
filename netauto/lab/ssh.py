"""SSH into the lab's routers, the way a push reaches real ones: an out-of-band management network
and an sshd per router whose sessions land in the router's vtysh (DESIGN §9).

- management: a bridge in the host's namespace with the first address of the lab's management subnet
  (198.18.N.0/24, benchmarking space, N from the lab's name); each router gets `mgmt0` on it. FRR sees mgmt0 but has no
  config for it, so no routing protocol runs there.
- sshd: one per router, started in the router's namespace with its own host key, listening on the
  router's management address only, public-key login for root, `ForceCommand` to the router's vtysh.
- WAN-like latency (optional): netem on both ends of every management veth, half the round trip
  each way, so a push meets the delay a district's routers answer with (`lab up --wan-delay MS`).
- credentials and trust: the lab writes a client key (0600), `known_hosts` with every router's host key
  (so clients check host keys strictly: `ssh -o StrictHostKeyChecking=yes -o UserKnownHostsFile=...`,
  Netmiko `ssh_strict=True, alt_host_keys=True, alt_key_file=...`), and `hosts.yaml` (device ->
  management address) for the Nornir inventory. All of it lives in build/labs/<name>/ssh, ignored by git.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
from dataclasses import dataclass
from ipaddress import IPv4Network
from pathlib import Path

import yaml
from pyroute2 import IPRoute  # type: ignore[import-untyped]
from pyroute2.netlink.exceptions import NetlinkError  # type: ignore[import-untyped]

from netauto.lab.netns import Lab, LabError, named

SSHD = Path("/usr/sbin/sshd")
PRIVSEP_DIR = Path("/run/sshd")
USER = "root"
FIRST_ROUTER_HOST = 10  # router k gets .10 + k


@dataclass(frozen=True)
class LabSsh:
    folder: Path
    bridge: str
    subnet: IPv4Network
    addresses: dict[str, str]  # device -> management address

    @property
    def client_key(self) -> Path:
        return self.folder / "client_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self.folder / "known_hosts"

    @property
    def hosts_file(self) -> Path:
        return self.folder / "hosts.yaml"


def plan(lab: Lab, folder: Path) -> LabSsh:
    """Names and addresses of the lab's management network (derived from the lab's name)."""
    tag = hashlib.sha256(lab.name.encode()).hexdigest()
    subnet = IPv4Network(f"198.18.{int(tag[:4], 16) % 256}.0/24")  # RFC 2544 benchmarking space
    routers = sorted(lab.namespaces)
    addresses = {device: str(subnet.network_address + FIRST_ROUTER_HOST + k) for k, device in enumerate(routers)}
    return LabSsh(folder.resolve(), f"m{tag[:6]}br", subnet, addresses)


def up(lab: Lab, folder: Path, delay_ms: float = 0.0) -> LabSsh:
    """The management network, one sshd per router, the client key, known_hosts and hosts.yaml; with
    `delay_ms`, each router's management round trip takes that long (netem)."""
    if not SSHD.exists():
        raise LabError("sshd is not installed (Debian package openssh-server); apt-get install -y openssh-server")
    ssh = plan(lab, folder)
    down(lab.name, ssh.folder)  # whatever an earlier lab of this name left
    try:
        return _up(lab, ssh, delay_ms)
    except NetlinkError as error:
        down(lab.name, ssh.folder)
        raise LabError(f"the management network of lab {lab.name}: {error.args[-1]}") from None


def _up(lab: Lab, ssh: LabSsh, delay_ms: float) -> LabSsh:
    folder = ssh.folder
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
    _keygen(ssh.client_key)
    _bridge(ssh)
    known = []
    for k, device in enumerate(sorted(lab.namespaces)):
        host_side = f"{ssh.bridge[:7]}{k:03d}"
        _mgmt_port(lab, ssh, device, host_side)
        if delay_ms:
            _delay(lab, device, host_side, delay_ms)
        host_key = folder / device / "host_ed25519"
        _keygen(host_key)
        _start_sshd(lab, ssh, device)
        public = host_key.with_suffix(".pub").read_text(encoding="utf-8").split()[:2]
        known.append(f"{ssh.addresses[device]} {' '.join(public)}\n")
    ssh.known_hosts.write_text("".join(known), encoding="utf-8")
    hosts = {device: {"hostname": address, "port": 22} for device, address in ssh.addresses.items()}
    ssh.hosts_file.write_text(yaml.safe_dump(hosts, sort_keys=True), encoding="utf-8")
    return ssh


def down(lab_name: str, folder: Path) -> None:
    """Stop every sshd of the lab and remove its management bridge and ports (found by name, like the
    lab, so a half-built one goes too)."""
    for pid_file in folder.glob("*/sshd.pid"):
        try:
            os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
        except (ValueError, ProcessLookupError, OSError):
            pass
    prefix = f"m{hashlib.sha256(lab_name.encode()).hexdigest()[:6]}"
    with IPRoute() as ipr:
        for link in ipr.get_links():
            name = link.get_attr("IFLA_IFNAME") or ""
            if name.startswith(prefix):  # the bridge and any port left behind
                try:
                    ipr.link("del", index=link["index"])
                except NetlinkError:
                    pass  # gone meanwhile: its peer's namespace was removed


def _keygen(path: Path) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "netauto-lab", "-f", str(path)])


def _bridge(ssh: LabSsh) -> None:
    with IPRoute() as ipr:
        if not ipr.link_lookup(ifname=ssh.bridge):
            ipr.link("add", ifname=ssh.bridge, kind="bridge")
        index = ipr.link_lookup(ifname=ssh.bridge)[0]
        gateway = str(ssh.subnet.network_address + 1)
        if not any(a.get_attr("IFA_ADDRESS") == gateway for a in ipr.get_addr(index=index)):
            ipr.addr("add", index=index, address=gateway, prefixlen=ssh.subnet.prefixlen)
        ipr.link("set", index=index, state="up")


def _mgmt_port(lab: Lab, ssh: LabSsh, device: str, host_side: str) -> None:
    """A veth from the bridge to the router's `mgmt0`, with its management address."""
    temporary = f"{host_side}p"  # renamed mgmt0 inside the router's namespace
    with IPRoute() as ipr:
        ipr.link("add", ifname=host_side, kind="veth", peer=temporary)
        ipr.link("set", index=ipr.link_lookup(ifname=temporary)[0], net_ns_fd=lab.ns(device))
        index = ipr.link_lookup(ifname=host_side)[0]
        ipr.link("set", index=index, master=ipr.link_lookup(ifname=ssh.bridge)[0], state="up")
    with IPRoute(netns=lab.ns(device)) as ipr:
        index = ipr.link_lookup(ifname=temporary)[0]
        ipr.link("set", index=index, ifname="mgmt0")
        ipr.addr("add", index=index, address=ssh.addresses[device], prefixlen=ssh.subnet.prefixlen)
        ipr.link("set", index=index, state="up")


def _delay(lab: Lab, device: str, host_side: str, round_trip_ms: float) -> None:
    """Half the round trip on the way out of each end of the router's management veth."""
    one_way = f"{round_trip_ms / 2:g}ms"
    for prefix, interface in (([], host_side), (["ip", "netns", "exec", lab.ns(device)], "mgmt0")):
        _run([*prefix, "tc", "qdisc", "add", "dev", interface, "root", "netem", "delay", one_way])


def _start_sshd(lab: Lab, ssh: LabSsh, device: str) -> None:
    folder = ssh.folder / device
    authorized = folder / "authorized_keys"
    authorized.write_text(ssh.client_key.with_suffix(".pub").read_text(encoding="utf-8"), encoding="utf-8")
    vtysh = " ".join(lab.frr.vtysh(lab.ns(device)))
    config = folder / "sshd_config"
    config.write_text(
        f"ListenAddress {ssh.addresses[device]}:22\n"
        f"HostKey {folder / 'host_ed25519'}\n"
        f"PidFile {folder / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {authorized}\n"
        "PermitRootLogin prohibit-password\n"
        "PubkeyAuthentication yes\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "UsePAM no\n"
        "StrictModes no\n"
        "PrintMotd no\n"
        "X11Forwarding no\n"
        "AllowTcpForwarding no\n"
        f"ForceCommand {vtysh}\n",
        encoding="utf-8",
    )
    # in the router's own UTS namespace, so vtysh's prompt is the router's name
    _run(["ip", "netns", "exec", lab.ns(device), *named(device), str(SSHD), "-f", str(config)])


def _run(command: list[str]) -> None:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        raise LabError(f"{' '.join(command[:4])} ... did not finish within 30 s") from None
    if result.returncode != 0:
        raise LabError(f"{' '.join(command[:4])} ... failed: {result.stderr.strip()}")
