"""Does the lab do what the plan says? Adjacencies, BGP sessions, loopback reachability, and for
every link of the slice: fail it, compare who still reaches whom with the analysis' prediction.

Only the IS-IS speakers (core, pe, border) carry loopbacks in the global table; CEs reach the network
through VRFs. On FRR 10.3 every VPN with a LAN in the slice is measured end to end in its VRF, IPv4 and
IPv6, and the VPNs' isolation from each other (netauto/lab/l3vpn.py); on FRR 8.4 without VRF devices,
the one VPN carried in the global table.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from ipaddress import IPv6Network
from typing import Any

from netauto.analyze.connectivity import reachable
from netauto.analyze.graph import Edge, adjacency
from netauto.lab import kernel, l3vpn, nft, srv6
from netauto.lab.l3vpn import HostPair, Isolation, VpnCheck
from netauto.lab.netns import Lab, in_ns, set_link, vtysh
from netauto.lab.slice import LabVpn
from netauto.lab.srv6 import Srv6Demo
from netauto.model.checks import IGP_ROLES
from netauto.plan.model import Plan, PlannedLink
from netauto.render.context import NODE_SID_V6_OFFSET, SRGB

POLL = 0.2


@dataclass
class Expected:
    igp: list[str]
    adjacencies: dict[str, set[str]]
    sessions: dict[str, set[str]]
    loopbacks: dict[str, tuple[str, str]]
    links: list[PlannedLink]
    # transport srv6: each router's locator (its first plane's: the only one FRR can advertise)
    locators: dict[str, IPv6Network] = field(default_factory=dict)
    transport: str = "ip"
    # transport mpls: each router's node SIDs as labels (v4 and v6 loopback: the SRGB's base plus the
    # indexes the render context gives them)
    labels: dict[str, list[int]] = field(default_factory=dict)
    devices: list[str] = field(default_factory=list)  # every router of the slice, CEs too

    def predicted_pairs(self, failed: PlannedLink | None, vpns: list[LabVpn]) -> set[HostPair]:
        """The VPN host pairs that still reach each other: both hosts' routers connected by the slice's
        links (the analysis' connectivity, one link removed). The core carries every VPN between PEs."""
        connected = still_connected(self.devices, self.links, failed)
        device_of = {host.name: host.device for vpn in vpns for host in vpn.hosts}
        return {
            pair for vpn in vpns for pair in l3vpn.pairs_of(vpn) if device_of[pair[1]] in connected[device_of[pair[0]]]
        }

    def predicted(self, failed: PlannedLink | None) -> dict[str, set[str]]:
        """Per IS-IS router, the routers it still reaches (the analysis' connectivity, one link removed)."""
        return still_connected(self.igp, self.links, failed)


def still_connected(names: list[str], links: list[PlannedLink], failed: PlannedLink | None) -> dict[str, set[str]]:
    """Per router of `names`, those it still reaches over the links between them with `failed` removed
    (the analysis' connectivity)."""
    index = {name: i for i, name in enumerate(names)}
    edges = [
        Edge(k, link.id, index[link.a.device], index[link.b.device], "", 0.0, 1, frozenset(), ())
        for k, link in enumerate(links)
        if link.a.device in index and link.b.device in index
    ]
    removed = frozenset(e.index for e in edges if failed is not None and e.id == failed.id)
    graph = adjacency(len(names), edges)
    return {name: {names[n] for n in reachable(graph, [index[name]], removed_edges=removed)} for name in names}


def expected(plan: Plan, devices: list[str], links: list[PlannedLink]) -> Expected:
    by_name = {d.name: d for d in plan.devices}
    igp = sorted(d for d in devices if by_name[d].role in IGP_ROLES)
    adjacencies: dict[str, set[str]] = {r: set() for r in igp}
    for link in links:
        if link.a.device in adjacencies and link.b.device in adjacencies:
            adjacencies[link.a.device].add(link.b.device)
            adjacencies[link.b.device].add(link.a.device)
    reflectors = [r for r in igp if by_name[r].role == "core"]
    srv6 = plan.transport == "srv6"  # iBGP over v6 loopbacks with SRv6, v4 otherwise (render context)
    peer = {r: str(by_name[r].loopback_v6 if srv6 else by_name[r].loopback_v4) for r in igp}
    sessions = {r: {peer[p] for p in (igp if r in reflectors else reflectors) if p != r} for r in igp}
    loopbacks = {r: (str(by_name[r].loopback_v4), str(by_name[r].loopback_v6)) for r in igp}
    locators = {r: next(iter(by_name[r].locators.values())) for r in igp} if srv6 else {}
    mpls = plan.transport == "mpls"
    labels = {r: node_labels(n) for r in igp if (n := by_name[r].node_id) is not None} if mpls else {}
    return Expected(igp, adjacencies, sessions, loopbacks, links, locators, plan.transport, labels, sorted(devices))


@dataclass
class Check:
    router: str
    what: str
    expected: list[str]
    measured: list[str]

    @property
    def ok(self) -> bool:
        return self.expected == self.measured


@dataclass
class FailureRow:
    link: str
    agree: bool
    seconds: float
    disagreements: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    vpn_pairs: int = 0  # VPN host pairs measured: those that reach each other in the normal state
    vpn_pairs_cut: int = 0  # of them, those the analysis predicts this failure cuts off
    # VPN host pairs ("source > target IPv6") the analysis and the routers disagree on
    vpn_disagreements: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Verification:
    converged_seconds: float
    checks: list[Check]
    srv6: Srv6Demo | None
    sweep: list[FailureRow]
    vpns: list[VpnCheck] = field(default_factory=list)
    isolation: list[Isolation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        demos_ok = (self.srv6 is None or self.srv6.ok) and all(v.ok for v in self.vpns)
        demos_ok = demos_ok and all(i.ok for i in self.isolation)
        return all(c.ok for c in self.checks) and demos_ok and all(row.agree for row in self.sweep)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "converged_seconds": round(self.converged_seconds, 2),
            "checks": [{**asdict(c), "ok": c.ok} for c in self.checks],
            "srv6": self.srv6.as_dict() if self.srv6 else None,
            "vpns": [vpn.as_dict() for vpn in self.vpns],
            "isolation": [{**asdict(i), "ok": i.ok} for i in self.isolation],
            "sweep": [asdict(row) for row in self.sweep],
        }


ISIS_NEIGHBORS = "show isis neighbor"
BGP_SESSIONS = "show bgp ipv4 vpn summary json"
ROUTES = "show ip route json"


def isis_neighbors(lab: Lab, router: str) -> set[str]:
    return parse_isis_neighbors(vtysh(lab, router, ISIS_NEIGHBORS))


def parse_isis_neighbors(text: str) -> set[str]:
    """The neighbours (hostnames) of adjacencies that are up, from `show isis neighbor`."""
    return {line.split()[0] for line in text.splitlines() if " Up " in line}


def learned_locators(lab: Lab, router: str, exp: Expected) -> set[str]:
    """The other routers' planned locators that IS-IS put in the router's kernel."""
    routes = in_ns(lab, router, "ip", "-6", "route", "show", "proto", "isis").stdout.split()
    return {str(exp.locators[r]) for r in exp.igp if r != router and str(exp.locators[r]) in routes}


def installed_end_sid(lab: Lab, router: str, exp: Expected) -> list[str]:
    """The router's own locator, if IS-IS installed an End SID in it."""
    own = exp.locators[router]
    return [str(own)] if any(sid in own for sid in srv6.isis_end_sids(lab, router)) else []


def bgp_established(lab: Lab, router: str) -> set[str]:
    return parse_bgp_established(vtysh(lab, router, BGP_SESSIONS))


def parse_route_prefixes(text: str) -> set[str]:
    """The prefixes of the routing table, from `show ip route json`."""
    try:
        table = json.loads(text or "{}")
    except ValueError:
        return set()
    return set(table) if isinstance(table, dict) else set()


def parse_bgp_established(text: str) -> set[str]:
    """Peers in state Established, from `show bgp ipv4 vpn summary json`."""
    try:
        peers = _find_peers(json.loads(text or "{}"))
    except ValueError:
        return set()
    return {address for address, peer in peers.items() if peer.get("state") == "Established"}


def _find_peers(data: Any) -> dict[str, Any]:
    if isinstance(data, dict):
        peers = data.get("peers")
        if isinstance(peers, dict):
            return peers
        for value in data.values():
            found = _find_peers(value)
            if found:
                return found
    return {}


def reached(lab: Lab, router: str, exp: Expected) -> set[str]:
    """Routers whose v4 and v6 loopbacks both answer a ping from `router`."""
    answers: dict[int, set[str]] = {}
    for family, flag in ((0, "-4"), (1, "-6")):
        targets = {exp.loopbacks[r][family]: r for r in exp.igp}
        result = in_ns(lab, router, "fping", flag, "-a", "-q", "-r", "0", "-t", "250", *targets)
        answers[family] = {targets[line.strip()] for line in result.stdout.splitlines() if line.strip() in targets}
    return answers[0] & answers[1]


def node_labels(node_id: int) -> list[int]:
    """The MPLS labels of a router's node SIDs, v4 and v6 loopback (templates/frr/mpls.j2)."""
    return [SRGB[0] + node_id, SRGB[0] + node_id + NODE_SID_V6_OFFSET]


def kernel_labels(lab: Lab, router: str) -> set[str]:
    """The labels the router's kernel forwards (`ip -M route`: a label, then where it goes)."""
    return {line.split()[0] for line in in_ns(lab, router, "ip", "-M", "route", "show").stdout.splitlines() if line}


def wait_converged(lab: Lab, exp: Expected, timeout: float) -> float:
    start = time.monotonic()
    full = exp.predicted(None)
    while time.monotonic() - start < timeout:
        if all(isis_neighbors(lab, r) == exp.adjacencies[r] for r in exp.igp) and all(
            reached(lab, r, exp) == full[r] for r in exp.igp
        ):
            break
        time.sleep(POLL)
    return time.monotonic() - start


def wait_sessions(lab: Lab, exp: Expected, timeout: float) -> None:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if all(bgp_established(lab, r) == exp.sessions[r] for r in exp.igp):
            return
        time.sleep(POLL)


def verify(
    lab: Lab,
    exp: Expected,
    timeout: float = 60.0,
    failure_timeout: float = 8.0,
    sweep: bool = True,
    vpns: list[LabVpn] | None = None,
    sweep_vpns: bool = True,
) -> Verification:
    timeout, failure_timeout = kernel.scaled(timeout), kernel.scaled(failure_timeout)
    converged = wait_converged(lab, exp, timeout)
    wait_sessions(lab, exp, timeout)
    full = exp.predicted(None)
    checks = []
    for router in exp.igp:
        checks.append(Check(router, "isis", sorted(exp.adjacencies[router]), sorted(isis_neighbors(lab, router))))
        checks.append(Check(router, "bgp", sorted(exp.sessions[router]), sorted(bgp_established(lab, router))))
        checks.append(Check(router, "loopbacks", sorted(full[router]), sorted(reached(lab, router, exp))))
        if exp.locators:
            others = sorted(str(exp.locators[r]) for r in full[router] - {router})
            checks.append(Check(router, "locators", others, sorted(learned_locators(lab, router, exp))))
            own = [str(exp.locators[router])]
            checks.append(Check(router, "end-sid", own, installed_end_sid(lab, router, exp)))
        if exp.labels:
            others = sorted(str(label) for r in full[router] - {router} for label in exp.labels[r])
            checks.append(Check(router, "labels", others, sorted(set(others) & kernel_labels(lab, router))))
    # the SRv6 path needs seg6local: on a kernel without it (FRR 8.4 on these hosts) there is none to show;
    # an MPLS lab shows its labels instead
    has_srv6 = exp.transport != "mpls" and not kernel.missing((kernel.BY_ID["srv6"],))
    demo = srv6.run(lab, exp.igp, {r: exp.loopbacks[r][1] for r in exp.igp}, exp.locators) if has_srv6 else None
    wired = [vpn for vpn in vpns or [] if vpn.hosts] if exp.transport in l3vpn.ENCAPSULATION else []
    measured = [vpn for vpn in wired if len(vpn.hosts) > 1]  # a VPN with one host: isolation only
    # one IPv6 flow traced, by the SRv6 outer header's destination (an MPLS one has no address to count)
    hosts_v6 = (vpn.id for vpn in measured if sum(1 for h in vpn.hosts if h.ip) > 1)
    traced = next(hosts_v6, None) if exp.locators else None
    vpn_checks = [
        l3vpn.run(lab, vpn, exp.links, exp.locators, trace=vpn.id == traced, transport=exp.transport)
        for vpn in measured
    ]
    isolated = l3vpn.isolation(lab, wired)
    if vpn_checks:
        wait_converged(lab, exp, timeout)  # the traced flow silenced a link, then restored it
    swept = wired if sweep and sweep_vpns else []
    # the pairs a failure can cut: those that reach each other in the normal state (the VPN checks
    # above report any that do not)
    normal = l3vpn.reach(lab, swept) if swept else set()
    rows = [_fail_one(lab, exp, link, failure_timeout, swept, normal) for link in exp.links] if sweep else []
    return Verification(converged, checks, demo, rows, vpn_checks, isolated)


def _fail_one(
    lab: Lab, exp: Expected, link: PlannedLink, timeout: float, vpns: list[LabVpn], normal: set[HostPair]
) -> FailureRow:
    """Fail one link: who reaches whom, routers and (with `vpns`) VPN host pairs among the `normal`
    ones, against the analysis' prediction for that failure; then restore it."""
    ends = lab.ends(link)
    predicted = exp.predicted(link)
    predicted_pairs = exp.predicted_pairs(link, vpns) & normal
    start = time.monotonic()
    with failed_link(lab, ends):
        measured, pairs = _settle(lab, exp, predicted, timeout, vpns, predicted_pairs)
        seconds = time.monotonic() - start
    wait_converged(lab, exp, timeout * 4)  # the restored link's adjacency back before the next failure
    if vpns:
        _settle(lab, exp, exp.predicted(None), timeout * 4, vpns, normal)  # the VPNs back too
    disagreements = {
        router: {"missing": sorted(predicted[router] - got), "extra": sorted(got - predicted[router])}
        for router, got in measured.items()
        if got != predicted[router]
    }
    vpn_disagreements = {
        what: sorted(f"{a} > {b} IPv{family}" for a, b, family in wrong)
        for what, wrong in (("missing", predicted_pairs - pairs), ("extra", (pairs & normal) - predicted_pairs))
        if wrong
    }
    agree = not disagreements and not vpn_disagreements
    cut = len(normal - predicted_pairs)
    return FailureRow(link.id, agree, round(seconds, 2), disagreements, len(normal), cut, vpn_disagreements)


@contextmanager
def failed_link(lab: Lab, ends: tuple[str, str, str, str]) -> Iterator[None]:
    """The link fails inside the block: cut (every frame dropped, interfaces up, BFD notices) where the
    lab has nftables (FRR 10 tree), else both interfaces set down (FRR 8.4). Setting interfaces down
    leaves FRR 10.3's zebra with kernel-refused BGP routes over SRv6 (see l3vpn.py), a cut does not."""
    if nft.available(lab):
        with nft.silenced(lab, ends):
            yield
        return
    set_link(lab, ends, False)
    try:
        yield
    finally:
        set_link(lab, ends, True)


def _settle(
    lab: Lab,
    exp: Expected,
    predicted: dict[str, set[str]],
    timeout: float,
    vpns: list[LabVpn],
    predicted_pairs: set[HostPair],
) -> tuple[dict[str, set[str]], set[HostPair]]:
    """Measure until the network shows the prediction (loopbacks, and VPN host pairs where `vpns`) or
    the time runs out; the last measurement."""
    deadline = time.monotonic() + timeout
    while True:
        measured = {router: reached(lab, router, exp) for router in exp.igp}
        igp_settled, late = measured == predicted, time.monotonic() > deadline
        if igp_settled or late:  # the VPNs ride on the IGP: measured once it shows the prediction
            pairs = l3vpn.reach(lab, vpns) if vpns else set()
            if igp_settled and pairs == predicted_pairs or late:
                return measured, pairs
        time.sleep(POLL)
