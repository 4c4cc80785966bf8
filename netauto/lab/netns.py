"""Real FRR routers in Linux network namespaces (DESIGN §9): the `netns` lab engine.

pyroute2 (netlink) creates the namespaces and the veth pairs, named as the plan names the
interfaces; each router runs FRR 8.4's zebra, staticd, isisd and bgpd inside its namespace with its
own pathspace (`-N`), and gets its rendered config through vtysh. Why pyroute2 rather than munet:
the lab outlives the command that built it (`lab up`, then `verify`, `exec`, `down` as separate
commands), while munet runs the lab as the foreground PID 1 of a fresh PID namespace.

The lab's state (namespaces, links) is a JSON file for `verify`, `exec` and `status`; `down` finds the
lab's namespaces and daemons by name, so it cleans up whatever `up` made even after a crash or a
kill, and `up` first removes any leftover of a lab with the same name.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pyroute2 import IPRoute, netns  # type: ignore[import-untyped]
from pyroute2.netlink.exceptions import NetlinkError  # type: ignore[import-untyped]

from netauto.errors import NetautoError
from netauto.lab.kernel import scaled
from netauto.lab.slice import LabVpn, LanHost
from netauto.plan.model import PlannedLink

FRR_BIN = Path("/usr/lib/frr")
STATE_DIR = Path("build/labs")
LAB_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,19}")
SYSCTLS = (
    "net.ipv4.ip_forward=1",
    "net.ipv6.conf.all.forwarding=1",
    "net.ipv6.conf.all.seg6_enabled=1",
    "net.ipv6.conf.default.seg6_enabled=1",
    "net.ipv6.conf.all.keep_addr_on_down=1",
    "net.ipv6.conf.all.accept_dad=0",
    "net.ipv6.conf.default.accept_dad=0",
)


class LabError(NetautoError):
    pass


@dataclass(frozen=True)
class FrrInstall:
    """Where a lab's FRR comes from: the host's (Debian 12: 8.4) or a chroot tree (trixie: 10.3)."""

    root: Path | None = None
    daemons: tuple[str, ...] = ("zebra", "staticd", "isisd", "bgpd")
    run_inside: str = "/var/run/frr"
    # 8.4: without it zebra's FIB falls out of step with the kernel after a link flap (DESIGN §9);
    # None: the daemons start without startup files (10.3's mgmtd refuses one) and get all through vtysh
    zebra_startup: str | None = "no zebra nexthop kernel enable\n"
    # lab settings given through vtysh before the rendered config, when there is no startup file; the
    # same FIB fix (10.3, measured: after a link flap zebra's re-install of BGP routes over SRv6 was
    # refused by the kernel and the route stayed out of the FIB)
    settings: tuple[str, ...] = ()
    # the interface IS-IS SRv6 installs the End SID on (templates/frr/srv6.j2); this kernel has no
    # dummy interfaces, an empty bridge serves (DESIGN §9)
    srv6_interface: str | None = None

    def host_path(self, inside: str) -> Path:
        return Path(self.root, inside.lstrip("/")) if self.root else Path(inside)

    def etc(self, ns: str) -> Path:
        return self.host_path(f"/etc/frr/{ns}")

    def run_dir(self, ns: str) -> Path:
        return self.host_path(f"{self.run_inside}/{ns}")

    def prefix(self) -> list[str]:
        return ["chroot", str(self.root)] if self.root else []

    def vtysh(self, ns: str, *args: str) -> list[str]:
        return [*self.prefix(), "vtysh", "-N", ns, *args]


HOST_FRR = FrrInstall()
FRR10_ROOT = Path("/var/lib/netauto/rootfs-trixie")
FRR10 = FrrInstall(
    FRR10_ROOT,
    ("zebra", "mgmtd", "staticd", "bfdd", "isisd", "bgpd"),
    "/run/frr",
    zebra_startup=None,
    srv6_interface="sr0",
)


def install_of(root: str | None) -> FrrInstall:
    return FRR10 if root else HOST_FRR


@dataclass
class Lab:
    name: str
    namespaces: dict[str, str]  # device -> namespace
    links: list[tuple[str, str, str, str]] = field(default_factory=list)  # a, a_if, b, b_if
    root: str | None = None  # FRR from this chroot tree (FRR10), else the host's
    # the global-table VPN: PE-CE sub-interfaces (pe, pe_if, ce, ce_if) and hosts on its LANs (name -> ns)
    attachments: list[tuple[str, str, str, str]] = field(default_factory=list)
    hosts: dict[str, str] = field(default_factory=dict)

    def ns(self, device: str) -> str:
        return self.namespaces.get(device) or self.hosts[device]

    def ends(self, link: PlannedLink) -> tuple[str, str, str, str]:
        """The lab's (a, a_if, b, b_if) of a planned link."""
        devices = {link.a.device, link.b.device}
        return next(ln for ln in self.links if {ln[0], ln[2]} == devices and link.a.interface in ln)

    @property
    def frr(self) -> FrrInstall:
        return install_of(self.root)


def named(hostname: str) -> list[str]:
    """A command prefix: what follows runs in a UTS namespace of its own, named `hostname` (IS-IS and
    vtysh show the system's hostname)."""
    return ["unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', hostname]


def require_root() -> None:
    if os.geteuid() != 0:
        raise LabError("the netns lab needs root (network namespaces); run it as root or with sudo")
    if not (FRR_BIN / "zebra").exists():
        raise LabError("FRR is not installed (Debian package frr); apt-get install -y frr")


def state_file(name: str, state_dir: Path = STATE_DIR) -> Path:
    return state_dir / f"{name}.json"


def up(
    devices: list[str],
    links: list[PlannedLink],
    configs: Path,
    name: str,
    state_dir: Path = STATE_DIR,
    frr: FrrInstall = HOST_FRR,
    vpns: list[LabVpn] | None = None,
    bridges: dict[str, list[str]] | None = None,
    strict: bool = False,
    transport: str = "srv6",
) -> Lab:
    """Build the namespaces and links, start FRR in each, load each router's rendered config.

    `vpns` are the VPNs the lab wires. One in a VRF: its PE-CE sub-interfaces are VLAN devices on the
    uplinks, each LAN a VLAN device on the router's LAN port (a bridge) with a host namespace behind it,
    and every VRF the routers' configs name a VRF device holding the interfaces the configs put in it.
    One carried in the global table (for kernels without VLAN and VRF devices): each sub-interface is
    a veth pair of its own, named as the plan names it, and a host namespace on each of its LANs.
    `bridges` gives routers interfaces without a far end (empty bridges, named as given: a scratch copy
    of a router's ports). `strict`: a config line FRR refuses is an error. `transport`, the configs':
    over SRv6 each VPN's export waits for its SIDs; over MPLS every router forwards labels on its links.
    A failure halfway removes everything made so far before it is reported.
    """
    require_root()
    if not LAB_NAME.fullmatch(name):
        raise LabError(f"lab name {name!r}: use 1-20 lower-case letters, digits and dashes")
    down(name, state_dir)  # whatever is left of an earlier lab of this name
    namespaces = {device: f"{name}-{i:03d}" for i, device in enumerate(devices)}
    hosts = [host for vpn in vpns or [] for host in vpn.hosts]
    host_namespaces = {h.name: f"{name}-{len(devices) + i:03d}" for i, h in enumerate(hosts)}
    lab = Lab(name, namespaces, root=_root(frr), hosts=host_namespaces)
    try:
        _build(lab, links, configs, state_dir, vpns or [], bridges or {}, strict, transport)
    except NetlinkError as error:
        down(name, state_dir)
        raise LabError(f"lab {name}: the kernel refused a namespace or link: {error.args[-1]}") from None
    except BaseException:
        down(name, state_dir)
        raise
    return lab


def _build(
    lab: Lab,
    links: list[PlannedLink],
    configs: Path,
    state_dir: Path,
    vpns: list[LabVpn],
    bridges: dict[str, list[str]],
    strict: bool,
    transport: str,
) -> None:
    _save(lab, state_dir)
    for ns in lab.namespaces.values():
        _namespace(ns, lab.frr.srv6_interface)
    for device, names in bridges.items():
        _bridges(lab.ns(device), [n for n in names if n not in ("lo", lab.frr.srv6_interface)])
    for k, link in enumerate(links):
        ends = ((link.a.device, link.a.interface or f"eth{k}"), (link.b.device, link.b.interface or f"eth{k}"))
        lab.links.append(_veth(lab, f"nv{k}", ends))
    hosts = [host for vpn in vpns for host in vpn.hosts]
    for vpn in vpns:
        for pe, pe_if, ce, ce_if in vpn.attachments:
            if vpn.vrf is None:
                lab.attachments.append(_veth(lab, f"na{len(lab.attachments)}", ((pe, pe_if), (ce, ce_if))))
            else:
                _vlan(lab.ns(pe), pe_if, vpn.vlans[(pe, pe_if)])
                _vlan(lab.ns(ce), ce_if, vpn.vlans[(ce, ce_if)])
                lab.attachments.append((pe, pe_if, ce, ce_if))
    for k, host in enumerate(hosts):
        _host(lab, f"nh{k}", host)
    vrfs = _vrf_devices(lab, configs) if any(vpn.vrf for vpn in vpns) else {}
    if transport == "mpls":
        _mpls_on_links(lab)
    if lab.frr.root is not None and not os.path.ismount(lab.frr.root / "proc"):
        _run(["mount", "-t", "proc", "proc", str(lab.frr.root / "proc")])
    _each(lambda device, ns: _start_frr(lab.frr, ns, device), lab.namespaces)
    _save(lab, state_dir)
    interfaces: dict[str, set[str]] = {device: set() for device in lab.namespaces}
    for a, a_if, b, b_if in lab.links + lab.attachments:
        interfaces[a].add(a_if)
        interfaces[b].add(b_if)
    for host in hosts:
        interfaces[host.device].add(host.interface)
    for device, names in bridges.items():
        interfaces[device] |= {n for n in names if n != "lo"}

    def configure(device: str, ns: str) -> None:
        _wait_for_interfaces(lab.frr, ns, interfaces[device])
        if lab.frr.settings:
            settings = [word for setting in lab.frr.settings for word in ("-c", setting)]
            _run(lab.frr.vtysh(ns, "-c", "configure terminal", *settings))
        _load_config(lab.frr, ns, configs / f"{device}.cfg", strict)

    _each(configure, lab.namespaces)
    if transport == "srv6":
        _export_once_the_sids_are_allocated(lab, vpns, vrfs)


MPLS_LABELS = 100000  # label table size: above the SRGB (16000-23999) and the VPN labels bgpd allocates


def _mpls_on_links(lab: Lab) -> None:
    """MPLS is per namespace in Linux: a label table of its own, and labelled packets accepted only on
    interfaces told to (net.mpls.conf.IF.input). Every router gets the table and input on its links
    (sysctl's slash form, so a VLAN device's dot stays in its name)."""
    links: dict[str, list[str]] = {device: [] for device in lab.namespaces}
    for a, a_if, b, b_if in lab.links:
        links[a].append(a_if)
        links[b].append(b_if)
    for device, interfaces in links.items():
        settings = [f"net/mpls/platform_labels={MPLS_LABELS}"] + [f"net/mpls/conf/{i}/input=1" for i in interfaces]
        _run(["ip", "netns", "exec", lab.ns(device), "sysctl", "-q", "-w", *settings])


SID_TIMEOUT = 30.0
SID_KICK_AFTER = 10.0
SID_POLL = 1.0  # each poll is a vtysh per router, all routers at once: slow polls leave bgpd the CPU


def _export_once_the_sids_are_allocated(lab: Lab, vpns: list[LabVpn], vrfs: dict[str, set[str]]) -> None:
    """FRR 10.3 may export a VRF to the VPN before the SID its routes need is installed (measured here
    on the default VRF: routes exported without a SID, or no End.DT6 in the kernel, on about one router
    in three; DESIGN §9). Once a router has every SID of its VPNs' VRFs, their export is applied again
    (one vtysh per router, the routers at once); the config stays the rendered one."""
    wanted: dict[str, list[tuple[LabVpn, str]]] = {}
    for vpn in vpns:
        for router in vpn.pes:
            if vpn.vrf is None or vpn.vrf in vrfs.get(router, set()):
                families = ("ipv4", "ipv6")[-len(vpn.families) :]
                wanted.setdefault(router, []).extend((vpn, family) for family in families)

    def export(router: str, ns: str, pairs: list[tuple[LabVpn, str]]) -> None:
        commands = ["configure terminal"]
        for vpn, family in pairs:
            instance = f"router bgp {vpn.asn}" + (f" vrf {vpn.vrf}" if vpn.vrf else "")
            commands += [instance, f"address-family {family} unicast", "no export vpn", "export vpn", "exit", "exit"]
        _run(lab.frr.vtysh(ns, *[word for command in commands for word in ("-c", command)]))

    def reexport(router: str, ns: str) -> None:
        start = time.monotonic()
        kicked = start
        pending = list(wanted[router])
        while pending:
            sids = _vrf_sids(lab, router)
            pending = [(vpn, family) for vpn, family in pending if not sids.get((vpn.vrf or "default", family))]
            now = time.monotonic()
            if pending and now - start > scaled(SID_TIMEOUT):
                vpn, family = pending[0]
                waited = now - start
                raise LabError(f"{router}: no SRv6 SID for VPN {vpn.id} ({family}) within {waited:.0f} s")
            if pending and now - kicked > scaled(SID_KICK_AFTER):
                export(router, ns, pending)  # a VRF exported before its locator came may wait for ever
                kicked = now
            if pending:
                time.sleep(SID_POLL)
        export(router, ns, wanted[router])

    _each(reexport, {router: lab.ns(router) for router in wanted})


def _vrf_sids(lab: Lab, router: str) -> dict[tuple[str, str], str]:
    """(VRF, family) -> the SID the VRF exports its routes of that family with, as bgpd has them."""
    sids: dict[tuple[str, str], str] = {}
    vrf = ""
    keys = {"vpn_policy[AFI_IP].tovpn_sid:": "ipv4", "vpn_policy[AFI_IP6].tovpn_sid:": "ipv6"}
    for line in vtysh(lab, router, "show bgp segment-routing srv6").splitlines():
        if line.startswith("- name:"):
            vrf = line.split(":", 1)[1].strip()
        for key, family in keys.items():
            if key in line:
                sid = line.split(":", 1)[1].strip()
                if sid != "(null)":
                    sids[(vrf, family)] = sid
    return sids


VRF_TABLES = 1001  # the first kernel table a router's VRF devices use
VRF_IN_CONFIG = re.compile(r"^(?:vrf (\S+)|router bgp \d+ vrf (\S+))$", re.MULTILINE)
INTERFACE_IN_VRF = re.compile(r"^interface (\S+) vrf (\S+)$", re.MULTILINE)


def _vrf_devices(lab: Lab, configs: Path) -> dict[str, set[str]]:
    """A VRF device for every VRF a router's config names, holding the interfaces the config puts in
    it; FRR (zebra) finds them in the kernel. The VRFs of each router."""
    vrfs: dict[str, set[str]] = {}
    for device, ns in lab.namespaces.items():
        text = (configs / f"{device}.cfg").read_text(encoding="utf-8")
        names = sorted({a or b for a, b in VRF_IN_CONFIG.findall(text)})
        vrfs[device] = set(names)
        if not names:
            continue
        _run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.vrf.strict_mode=1"])  # for End.DT4
        with IPRoute(netns=ns) as ipr:
            for table, name in enumerate(names, start=VRF_TABLES):
                ipr.link("add", ifname=name, kind="vrf", vrf_table=table)
                ipr.link("set", index=ipr.link_lookup(ifname=name)[0], state="up")
            for interface, vrf in INTERFACE_IN_VRF.findall(text):
                found = ipr.link_lookup(ifname=interface)
                if found:
                    ipr.link("set", index=found[0], master=ipr.link_lookup(ifname=vrf)[0])
    return vrfs


def _vlan(ns: str, name: str, vlan: int) -> None:
    """A VLAN device named as the plan names the sub-interface, on its port (`eth1.116` on `eth1`); a
    port that no link made (a LAN port) is a bridge, so several hosts can hang off it."""
    port = name.split(".")[0]
    with IPRoute(netns=ns) as ipr:
        if ipr.link_lookup(ifname=name):
            return
        if not ipr.link_lookup(ifname=port):
            ipr.link("add", ifname=port, kind="bridge")
            ipr.link("set", index=ipr.link_lookup(ifname=port)[0], state="up")
        ipr.link("add", ifname=name, kind="vlan", link=ipr.link_lookup(ifname=port)[0], vlan_id=vlan)
        ipr.link("set", index=ipr.link_lookup(ifname=name)[0], state="up")


PARALLEL_ROUTERS = 8  # routers started or configured at once (each step waits on FRR's processes)


def _each(step: Callable[[str, str], None], namespaces: dict[str, str]) -> None:
    """`step(device, namespace)` for every router, several at once; the first failure is raised."""
    with ThreadPoolExecutor(max_workers=PARALLEL_ROUTERS) as pool:
        for future in [pool.submit(step, device, ns) for device, ns in namespaces.items()]:
            future.result()


def _root(frr: FrrInstall) -> str | None:
    return str(frr.root) if frr.root else None


def _wait_for_interfaces(frr: FrrInstall, ns: str, names: set[str], timeout: float = 15.0) -> None:
    """Config loaded before zebra has told isisd about an interface leaves that interface out of IS-IS
    (seen here: a town PE came up with no adjacency); wait until zebra knows every link's interface."""
    deadline = time.monotonic() + scaled(timeout)
    while time.monotonic() < deadline:
        known = _output(frr.vtysh(ns, "-c", "show interface brief"), timeout=30).stdout
        if all(name in known.split() for name in names):
            return
        time.sleep(0.1)
    raise LabError(f"zebra in {ns} did not see interfaces {sorted(names)} within {timeout:.0f} s")


def _namespace(ns: str, srv6_interface: str | None) -> None:
    netns.create(ns)
    with IPRoute(netns=ns) as ipr:
        ipr.link("set", index=ipr.link_lookup(ifname="lo")[0], state="up")
        if srv6_interface:
            ipr.link("add", ifname=srv6_interface, kind="bridge")
            ipr.link("set", index=ipr.link_lookup(ifname=srv6_interface)[0], state="up")
    _run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", *SYSCTLS])


def _bridges(ns: str, names: list[str]) -> None:
    with IPRoute(netns=ns) as ipr:
        for name in names:
            ipr.link("add", ifname=name, kind="bridge")
            ipr.link("set", index=ipr.link_lookup(ifname=name)[0], state="up")


def _veth(lab: Lab, temp: str, ends: tuple[tuple[str, str], tuple[str, str]]) -> tuple[str, str, str, str]:
    """A veth pair straight into both namespaces, each end named as the plan names the interface."""
    temps = (f"{temp}a", f"{temp}b")
    with IPRoute() as ipr:
        ipr.link("add", ifname=temps[0], kind="veth", peer=temps[1])
        for (device, _), name in zip(ends, temps, strict=True):
            ipr.link("set", index=ipr.link_lookup(ifname=name)[0], net_ns_fd=lab.ns(device))
    for (device, interface), name in zip(ends, temps, strict=True):
        with IPRoute(netns=lab.ns(device)) as ipr:
            ipr.link("set", index=ipr.link_lookup(ifname=name)[0], ifname=interface, state="up")
    return ends[0][0], ends[0][1], ends[1][0], ends[1][1]


def _host(lab: Lab, temp: str, host: LanHost) -> None:
    """A host namespace on a router's LAN: addresses, default routes to the router's LAN addresses. On
    a VLAN: the router's LAN port is a bridge with the VLAN device on it, the host tags the VLAN too."""
    ns = lab.hosts[host.name]
    _namespace(ns, None)
    interface = "eth0"
    if host.vlan is None:
        _veth(lab, temp, ((host.device, host.interface), (host.name, interface)))
    else:
        port = host.interface.split(".")[0]
        _vlan(lab.ns(host.device), host.interface, host.vlan)
        _veth(lab, temp, ((host.device, temp), (host.name, interface)))
        with IPRoute(netns=lab.ns(host.device)) as ipr:
            ipr.link("set", index=ipr.link_lookup(ifname=temp)[0], master=ipr.link_lookup(ifname=port)[0])
        _vlan(ns, f"{interface}.{host.vlan}", host.vlan)
        interface = f"{interface}.{host.vlan}"
    if host.address and host.gateway:
        _run(["ip", "-n", ns, "-6", "address", "add", host.address, "dev", interface, "nodad"])
        _run(["ip", "-n", ns, "-6", "route", "add", "default", "via", host.gateway, "dev", interface])
    if host.address_v4 and host.gateway_v4:
        _run(["ip", "-n", ns, "address", "add", host.address_v4, "dev", interface])
        _run(["ip", "-n", ns, "route", "add", "default", "via", host.gateway_v4, "dev", interface])


def _start_frr(frr: FrrInstall, ns: str, hostname: str) -> None:
    """Each daemon in the router's namespace and its own UTS namespace (so IS-IS shows its hostname)."""
    etc, run = frr.etc(ns), frr.run_dir(ns)
    for folder in (etc, run):
        folder.mkdir(parents=True, exist_ok=True)
    if frr.zebra_startup is not None:
        startup = {"zebra": f"hostname {hostname}\n{frr.zebra_startup}"}
        for daemon in frr.daemons:
            (etc / f"{daemon}.conf").write_text(startup.get(daemon, f"hostname {hostname}\n"), encoding="utf-8")
    (etc / "vtysh.conf").write_text("", encoding="utf-8")
    inside_etc = f"/etc/frr/{ns}"
    _run([*frr.prefix(), "chown", "-R", "frr:frr", inside_etc, f"{frr.run_inside}/{ns}"])
    for daemon in frr.daemons:
        daemon_command = [*frr.prefix(), f"/usr/lib/frr/{daemon}", "-N", ns, "-d", "-A", "127.0.0.1"]
        if frr.zebra_startup is not None:
            daemon_command += ["-f", f"{inside_etc}/{daemon}.conf"]
        command = ["ip", "netns", "exec", ns, *named(hostname)]
        _start_daemon([*command, *daemon_command])


def _start_daemon(command: list[str]) -> None:
    """A daemon that forks into the background: no pipes to it, or the caller waits for ever (FRR 10.3)."""
    quiet = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    try:
        result = subprocess.run(command, timeout=scaled(60), **quiet)  # type: ignore[call-overload]
    except subprocess.TimeoutExpired:
        raise LabError(f"{' '.join(command[-9:])} did not start within 60 s") from None
    if result.returncode != 0:
        raise LabError(f"{' '.join(command[-9:])} exited with {result.returncode}")


def _load_config(frr: FrrInstall, ns: str, config: Path, strict: bool = False) -> None:
    inside = f"/etc/frr/{ns}/frr.conf"
    shutil.copyfile(config, frr.host_path(inside))
    result = _output(frr.vtysh(ns, "-f", inside), timeout=60)
    refused = result.returncode == 2  # some lines refused: reported by verify, fatal only when strict
    if result.returncode not in (0, 2) or (refused and strict):
        lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
        raise LabError(f"FRR refuses lines of {config.name}: " + "; ".join(lines[:5]))


def add_outsider(lab: Lab, name: str, config: str | None = None, state_dir: Path = STATE_DIR) -> str:
    """A namespace beside the lab for what netauto does not manage (a dedicated network's own router,
    a user's host): an FRR router loaded with `config`, or a bare namespace without one. Named like
    the lab's, so `down` removes it with the rest. Returns the namespace."""
    taken = {int(ns.rsplit("-", 1)[1]) for ns in (*lab.namespaces.values(), *lab.hosts.values())}
    ns = f"{lab.name}-{max(taken, default=-1) + 1:03d}"
    (lab.namespaces if config is not None else lab.hosts)[name] = ns
    _save(lab, state_dir)
    _namespace(ns, lab.frr.srv6_interface if config is not None else None)
    if config is not None:
        _start_frr(lab.frr, ns, name)
        scratch = lab.frr.host_path(f"/etc/frr/{ns}/outsider.conf")
        scratch.write_text(config, encoding="utf-8")
        _load_config(lab.frr, ns, scratch, strict=True)
    return ns


def add_link(lab: Lab, a: tuple[str, str], b: tuple[str, str], state_dir: Path = STATE_DIR) -> None:
    """A cable the plan does not know of (or not yet): a veth between two of the lab's namespaces."""
    lab.attachments.append(_veth(lab, f"nx{len(lab.attachments)}", (a, b)))
    _save(lab, state_dir)


def running(lab: Lab, ns: str) -> bool:
    """Whether every FRR daemon of the router has a live process."""
    for daemon in lab.frr.daemons:
        pid_file = lab.frr.run_dir(ns) / f"{daemon}.pid"
        try:
            os.kill(int(pid_file.read_text().strip()), 0)
        except (OSError, ValueError):
            return False
    return True


def vtysh(lab: Lab, device: str, command: str) -> str:
    return _output(lab.frr.vtysh(lab.ns(device), "-c", command), timeout=30).stdout


def in_ns(lab: Lab, device: str, *command: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return _output(["ip", "netns", "exec", lab.ns(device), *command], timeout)


def started(lab: Lab, device: str, command: list[str]) -> subprocess.Popen[str]:
    """A command started in the device's namespace, its output in pipes (the caller collects it)."""
    run = ["ip", "netns", "exec", lab.ns(device), *command]
    return subprocess.Popen(run, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def set_link(lab: Lab, link: tuple[str, str, str, str], up_: bool) -> None:
    a, a_if, b, b_if = link
    for device, interface in ((a, a_if), (b, b_if)):
        with IPRoute(netns=lab.ns(device)) as ipr:
            ipr.link("set", index=ipr.link_lookup(ifname=interface)[0], state="up" if up_ else "down")


def load(name: str, state_dir: Path = STATE_DIR) -> Lab:
    path = state_file(name, state_dir)
    if not path.exists():
        raise LabError(f"no lab named {name} (no {path})")
    data = json.loads(path.read_text(encoding="utf-8"))
    links = [(str(a), str(a_if), str(b), str(b_if)) for a, a_if, b, b_if in data["links"]]
    attachments = [(str(a), str(a_if), str(b), str(b_if)) for a, a_if, b, b_if in data.get("attachments", [])]
    return Lab(data["name"], data["namespaces"], links, data.get("root"), attachments, data.get("hosts", {}))


def down(name: str, state_dir: Path = STATE_DIR) -> None:
    """Stop every daemon and remove every namespace and folder of the lab.

    Found by name (`<name>-NNN`) in every FRR install, not only through the state file, so a lab whose
    builder was killed halfway is still cleaned up completely.
    """
    installs = [frr for frr in (HOST_FRR, FRR10) if frr.root is None or frr.root.exists()]
    namespaces = {ns for ns in netns.listnetns() if _belongs(ns, name)}
    for frr in installs:
        namespaces |= {f.name for f in frr.run_dir(name).parent.glob(f"{name}-*") if _belongs(f.name, name)}
    for frr in installs:
        for ns in namespaces:
            for pid_file in frr.run_dir(ns).glob("*.pid"):
                try:
                    os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
                except (ValueError, ProcessLookupError):
                    pass
    existing = set(netns.listnetns())
    for ns in namespaces & existing:
        _stop_everything_in(ns)
    time.sleep(0.2)
    for ns in namespaces:
        if ns in existing:
            netns.remove(ns)
        for frr in installs:
            shutil.rmtree(frr.etc(ns), ignore_errors=True)
            shutil.rmtree(frr.run_dir(ns), ignore_errors=True)
    state_file(name, state_dir).unlink(missing_ok=True)
    _unmount_unused_proc()


def _stop_everything_in(ns: str) -> None:
    """Whatever else still runs in the namespace (the lab's sshd, a stray ping) is stopped too."""
    listed = _output(["ip", "netns", "pids", ns], timeout=30).stdout.split()
    for pid in listed:
        try:
            os.kill(int(pid), signal.SIGTERM)
        except (ValueError, ProcessLookupError):
            pass


def _unmount_unused_proc() -> None:
    """The tree's /proc, once no lab runs from the tree any more (no router folder left in it)."""
    root = FRR10.root
    if root is None or not os.path.ismount(root / "proc"):
        return
    if not any(FRR10.run_dir("x").parent.glob("*-[0-9][0-9][0-9]")):
        subprocess.run(["umount", str(root / "proc")], capture_output=True, timeout=30)


def _belongs(ns: str, name: str) -> bool:
    prefix, _, number = ns.rpartition("-")
    return prefix == name and len(number) == 3 and number.isdigit()


def _save(lab: Lab, state_dir: Path) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    state_file(lab.name, state_dir).write_text(json.dumps(asdict(lab), indent=1) + "\n", encoding="utf-8")


def _run(command: list[str]) -> None:
    result = _output(command, timeout=60)
    if result.returncode != 0:
        raise LabError(f"{' '.join(command)} failed: {result.stderr.strip()}")


def _output(command: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run a command to its end; one that hangs is a LabError (a clear message), not a traceback."""
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=scaled(timeout))
    except subprocess.TimeoutExpired as expired:
        raise LabError(f"{' '.join(command)} did not finish within {expired.timeout:.0f} s") from None
