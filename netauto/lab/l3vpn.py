"""L3VPN in the lab, over SRv6 or MPLS: each VPN in its VRF (IPv4 and IPv6: End.DT4 and End.DT6 into
VRF devices, or a VPN label per VRF under the node SID's), or, on a kernel without VRF devices, the
one VPN carried in the global table (IPv6 only, SRv6):

- every host on the VPN's LANs reaches every other one (fping, 0% loss), and a PE's route to a LAN
  behind another PE is an SRv6 encapsulation (`encap seg6` to that PE's End.DT4/End.DT6 SID) or an
  MPLS one (`encap mpls`: the far PE's node label over the VPN label);
- the VPNs are isolated: a host of one VPN reaches no host of another (the planes, the departments);
- which way a flow between two PEs goes: nftables counters on every IS-IS router, one per incoming
  link, count the packets addressed to the far PE's locator (the SRv6 outer header), so the links
  that counted packets are the flow's path. Measured in the normal state and with a core link of
  that path down, each beside the links the analysis puts on the shortest paths (plan metrics, every
  equal-cost path: the kernel hashes a flow onto one, and may move it between them).
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import asdict, dataclass, field
from ipaddress import IPv6Network

from netauto.analyze.capacity import Failure, shortest_paths
from netauto.analyze.graph import Edge, adjacency
from netauto.lab.kernel import scaled
from netauto.lab.netns import Lab, LabError, in_ns, started
from netauto.lab.nft import counting, silenced
from netauto.lab.slice import LabVpn, LanHost
from netauto.plan.model import PlannedLink

# how a PE's route to a LAN behind another PE reads in `ip route`, per transport
ENCAPSULATION = {"srv6": "encap seg6 ", "mpls": "encap mpls "}
PINGS = 5  # per pair in the mesh
FLOW_PACKETS = 50  # per path measurement
SETTLE_SECONDS = 15.0


@dataclass
class Pair:
    source: str
    target: str
    sent: int
    received: int
    encapsulated: bool | None  # the source PE's route is SRv6/MPLS (None: both hosts behind the same PE)
    family: int = 6

    @property
    def ok(self) -> bool:
        return self.sent > 0 and self.received == self.sent and self.encapsulated is not False


@dataclass
class FlowPath:
    """Where a flow between two PEs went: the links its packets crossed (a counter per router and
    incoming interface), beside the links the analysis puts on its shortest paths."""

    failed_link: str | None
    predicted: list[str]  # links on some shortest path (the analysis' Dijkstra, plan metrics, ECMP)
    measured: dict[str, int]  # link -> packets of the flow that crossed it
    arrived: int  # packets that reached the far PE
    sent: int
    seconds: float = 0.0  # from the failure to the measurement (0 in the normal state)

    @property
    def ok(self) -> bool:
        """Every packet arrived, and only over links the analysis predicted."""
        return self.arrived == self.sent and bool(self.measured) and set(self.measured) <= set(self.predicted)


@dataclass
class Isolation:
    """A host of one VPN pinging a host of another: nothing may come back."""

    source: str
    target: str
    family: int
    sent: int
    received: int

    @property
    def ok(self) -> bool:
        return self.sent > 0 and self.received == 0


@dataclass
class VpnCheck:
    vpn: str
    vrf: str | None = None  # None: carried in the global table
    traced: bool = True  # whether a flow of this VPN is traced (one VPN per lab)
    pairs: list[Pair] = field(default_factory=list)
    flow: tuple[str, str] | None = None  # the hosts of the traced flow
    routes_seconds: float | None = None  # until every PE had an SRv6/MPLS route to every LAN behind another PE
    transport: str = "srv6"
    reimported: list[str] = field(default_factory=list)  # PEs whose kernel-refused VPN routes were re-imported
    paths: list[FlowPath] = field(default_factory=list)
    error: str | None = None

    @property
    def moved(self) -> bool:
        return len(self.paths) == 2 and self.paths[0].measured != self.paths[1].measured

    @property
    def ok(self) -> bool:
        paths_ok = len(self.paths) == 2 and all(p.ok for p in self.paths) and self.moved
        return (
            self.error is None and bool(self.pairs) and all(p.ok for p in self.pairs) and (paths_ok or not self.traced)
        )

    def as_dict(self) -> dict[str, object]:
        return {
            **asdict(self),
            "pairs": [{**asdict(p), "ok": p.ok} for p in self.pairs],
            "paths": [{**asdict(p), "ok": p.ok} for p in self.paths],
            "moved": self.moved,
            "ok": self.ok,
        }


def run(
    lab: Lab,
    vpn: LabVpn,
    links: list[PlannedLink],
    locators: dict[str, IPv6Network],
    trace: bool = True,
    transport: str = "srv6",
) -> VpnCheck:
    check = VpnCheck(vpn.id, vpn.vrf, trace, transport=transport)
    pes = _pes_of_hosts(vpn)
    encap = ENCAPSULATION[transport]
    try:
        check.routes_seconds = _wait_for_routes(lab, vpn, pes, check.reimported, encap)
        check.pairs = [pair for host in vpn.hosts for pair in _mesh_from(lab, vpn, host, pes, encap)]
        if trace:
            source, target = _flow(vpn.hosts, pes)
            check.flow = (source.name, target.name)
            check.paths = _paths(lab, vpn, links, locators, source, target, pes)
    except LabError as error:
        check.error = str(error)
    return check


def isolation(lab: Lab, vpns: list[LabVpn]) -> list[Isolation]:
    """The first host of each VPN pings the first host of every other VPN, each family both have."""
    found = []
    for vpn in vpns:
        for other in vpns:
            if other is vpn or not vpn.hosts or not other.hosts:
                continue
            source, target = vpn.hosts[0], other.hosts[0]
            for family in (6, 4):
                address = target.ip_of(family)
                if address is None or source.ip_of(family) is None:
                    continue
                ping = ["fping", f"-{family}", "-q", "-c", "3", "-p", "50", "-t", "300", address]
                sent, received = _fping_counts(in_ns(lab, source.name, *ping).stderr).get(address, (0, 0))
                found.append(Isolation(source.name, target.name, family, sent, received))
    return found


HostPair = tuple[str, str, int]  # source host, target host, IP version


def pairs_of(vpn: LabVpn) -> list[HostPair]:
    """Every ordered pair of the VPN's hosts, in each family both have."""
    return [
        (source.name, target.name, family)
        for source in vpn.hosts
        for target in vpn.hosts
        for family in vpn.families
        if source is not target and source.ip_of(family) and target.ip_of(family)
    ]


def reach(lab: Lab, vpns: list[LabVpn]) -> set[HostPair]:
    """The pairs of hosts that reach each other right now: one quick fping per host and family, all at
    once (a sweep asks this after every link failure)."""
    runs: list[tuple[str, int, dict[tuple[str | None, int], str], subprocess.Popen[str]]] = []
    for vpn in vpns:
        by_address = {(h.ip_of(family), family): h.name for h in vpn.hosts for family in vpn.families}
        for source in vpn.hosts:
            for family in vpn.families:
                targets = [a for t in vpn.hosts if t is not source and (a := t.ip_of(family))]
                if source.ip_of(family) and targets:
                    ping = ["fping", f"-{family}", "-q", "-c", "2", "-p", "100", "-t", "300", *targets]
                    runs.append((source.name, family, by_address, started(lab, source.name, ping)))
    reached: set[HostPair] = set()
    for name, family, by_address, process in runs:
        _, report = process.communicate(timeout=scaled(30))
        for address, (_, received) in _fping_counts(report).items():
            if received:
                reached.add((name, by_address[(address, family)], family))
    return reached


def _fping_counts(report: str) -> dict[str, tuple[int, int]]:
    """fping -q's summary, address -> (sent, received).

    >>> _fping_counts("10.0.0.2 : xmt/rcv/%loss = 5/5/0%, min/avg/max = 1/2/3\\nfd00::2 : xmt/rcv/%loss = 3/0/100%")
    {'10.0.0.2': (5, 5), 'fd00::2': (3, 0)}
    """
    counts = {}
    for line in report.splitlines():
        address, _, stats = line.partition(" : ")
        if "xmt/rcv" in stats:
            sent, received = (int(n) for n in stats.split("=")[1].split("/")[:2])
            counts[address.strip()] = (sent, received)
    return counts


def _pes_of_hosts(vpn: LabVpn) -> dict[str, set[str]]:
    """Each host's PEs: its router if that is a PE, else the PEs its CE is attached to."""
    pes: dict[str, set[str]] = {}
    for host in vpn.hosts:
        if host.device in vpn.pes:
            pes[host.name] = {host.device}
        else:
            pes[host.name] = {pe for pe, _, ce, _ in vpn.attachments if ce == host.device}
    return pes


REIMPORT_AFTER = 3.0
STALL_SECONDS = 5.0  # after the re-import: no new route for this long, and the wait ends


def _wait_for_routes(
    lab: Lab, vpn: LabVpn, pes: dict[str, set[str]], reimported: list[str], encap: str, timeout: float = 30.0
) -> float | None:
    """Seconds until every PE with a host behind it has an `encap` route to each LAN behind another PE,
    in each family the VPN carries (None: not within `timeout`; the mesh then shows which pairs fail).

    FRR 10.3's zebra can be left with VPN routes the kernel refused (measured after link flaps: a
    nexthop installed on an interface going down, then "Nexthop id does not exist" for the routes
    using it, never retried; `show ipv6 route` flags them `r`). A PE still missing routes after
    REIMPORT_AFTER seconds imports the VPN again, once, and the check names it; once no route has come
    for STALL_SECONDS after that, the wait ends (a route FRR never installs: the mesh shows the pairs)."""
    start = progress = time.monotonic()
    wanted = {
        (pe, family, prefix)
        for source in vpn.hosts
        for host in vpn.hosts
        for family, prefix in host.prefixes()
        for pe in pes[source.name]
        if pe not in pes[host.name]
    }
    while wanted:
        still = {w for w in wanted if encap not in _route(lab, vpn, w[0], w[1], w[2])}
        now = time.monotonic()
        progress, wanted = (now if still != wanted else progress), still
        stalled = bool(reimported) and now - progress > scaled(STALL_SECONDS)  # what is missing now stays missing
        if now - start > scaled(timeout) or wanted and stalled:
            return None
        if wanted and now - start > scaled(REIMPORT_AFTER) and not reimported:
            reimported.extend(sorted({pe for pe, _, _ in wanted}))
            for pe in reimported:
                _reimport(lab, vpn, pe)
            progress = time.monotonic()
        if wanted:
            time.sleep(0.2)
    return round(time.monotonic() - start, 2)


def _reimport(lab: Lab, vpn: LabVpn, router: str) -> None:
    instance = f"router bgp {vpn.asn}" + (f" vrf {vpn.vrf}" if vpn.vrf else "")
    for family in vpn.families:
        af = f"address-family {'ipv4' if family == 4 else 'ipv6'} unicast"
        commands = ["configure terminal", instance, af, "no import vpn", "import vpn"]
        in_ns(lab, router, *lab.frr.vtysh(lab.ns(router), *[word for c in commands for word in ("-c", c)]))


def _route(lab: Lab, vpn: LabVpn, router: str, family: int, prefix: str) -> str:
    table = ["vrf", vpn.vrf] if vpn.vrf else []
    return in_ns(lab, router, "ip", f"-{family}", "route", "show", *table, prefix).stdout


def _mesh_from(lab: Lab, vpn: LabVpn, source: LanHost, pes: dict[str, set[str]], encap: str) -> list[Pair]:
    pairs = []
    for family in vpn.families:
        targets = {address: h for h in vpn.hosts if h.name != source.name and (address := h.ip_of(family))}
        if not targets or source.ip_of(family) is None:
            continue
        result = in_ns(lab, source.name, "fping", f"-{family}", "-q", "-c", str(PINGS), "-p", "50", *targets)
        for address, (sent, received) in _fping_counts(result.stderr).items():
            target = targets.get(address)
            if target is None:
                continue
            encapsulated = _encapsulated(lab, vpn, source, target, family, pes, encap)
            pairs.append(Pair(source.name, target.name, sent, received, encapsulated, family))
    return pairs


def _encapsulated(
    lab: Lab, vpn: LabVpn, source: LanHost, target: LanHost, family: int, pes: dict[str, set[str]], encap: str
) -> bool | None:
    if pes[source.name] & pes[target.name]:
        return None
    prefix = target.prefix_of(family)
    return all(encap in _route(lab, vpn, pe, family, prefix or "") for pe in pes[source.name])


def _flow(hosts: list[LanHost], pes: dict[str, set[str]]) -> tuple[LanHost, LanHost]:
    """The first two hosts each behind one PE, different ones (two towns' villages in Qingpu)."""
    single = [h for h in hosts if len(pes[h.name]) == 1 and h.ip]
    for source in single:
        for target in single:
            if pes[source.name] != pes[target.name]:
                return source, target
    raise LabError("the lab has no two hosts behind different single PEs to trace a flow between")


def _paths(
    lab: Lab,
    vpn: LabVpn,
    links: list[PlannedLink],
    locators: dict[str, IPv6Network],
    source: LanHost,
    target: LanHost,
    pes: dict[str, set[str]],
) -> list[FlowPath]:
    (source_pe,), (target_pe,) = pes[source.name], pes[target.name]
    routers = vpn.pes
    igp_links = [link for link in links if link.a.device in routers and link.b.device in routers]
    trace = _Trace(lab, igp_links, locators[target_pe], source, target.ip or "", target_pe)
    normal = trace.settled(None, _predicted(routers, igp_links, source_pe, target_pe, None))
    failed = _link_to_fail(igp_links, normal.measured)
    ends = lab.ends(failed)
    predicted = _predicted(routers, igp_links, source_pe, target_pe, failed)
    start = time.monotonic()
    with silenced(lab, ends):
        after = trace.settled(failed.id, predicted)
        after.seconds = round(time.monotonic() - start, 2)
    return [normal, after]


def _link_to_fail(links: list[PlannedLink], measured: dict[str, int]) -> PlannedLink:
    """The link of the flow that carried most of it, preferring a core link."""
    used = sorted((link for link in links if link.id in measured), key=lambda link: -measured[link.id])
    if not used:
        raise LabError("the traced flow crossed no link of the lab")
    core = [link for link in used if link.link_class == "core"]
    return (core or used)[0]


def _predicted(
    routers: list[str], links: list[PlannedLink], source: str, target: str, failed: PlannedLink | None
) -> list[str]:
    """The links on the shortest paths from `source` to `target` as the analysis computes them (its
    Dijkstra, the plan's metrics, every equal-cost path)."""
    index = {name: i for i, name in enumerate(routers)}
    edges = [
        Edge(k, link.id, index[link.a.device], index[link.b.device], link.link_class, 0.0, link.metric, frozenset(), ())
        for k, link in enumerate(links)
    ]
    removed = frozenset(e.index for e in edges if failed is not None and e.id == failed.id)
    failure = Failure("link", failed.id, removed) if failed else Failure("normal", "normal state")
    graph, metrics = adjacency(len(routers), edges), [e.metric for e in edges]
    to_target = shortest_paths(graph, metrics, [index[target]], failure)
    on_path: set[str] = set()
    frontier, seen = [index[source]], {index[source]}
    while frontier:
        node = frontier.pop()
        for neighbour, edge in graph[node]:
            if edge not in removed and to_target[neighbour] + metrics[edge] == to_target[node]:
                on_path.add(edges[edge].id)
                if neighbour not in seen:
                    seen.add(neighbour)
                    frontier.append(neighbour)
    return sorted(on_path)


class _Trace:
    """Counters on every router, one per incoming link, for packets to the far PE's locator (the SRv6
    outer header of the flow); a ping flow from the source host, then the counters read."""

    def __init__(
        self, lab: Lab, links: list[PlannedLink], locator: IPv6Network, source: LanHost, target_ip: str, target_pe: str
    ) -> None:
        self.lab, self.locator, self.source, self.target_ip, self.target_pe = lab, locator, source, target_ip, target_pe
        self.incoming: dict[str, dict[str, str]] = {}  # router -> interface -> link id
        for link in links:
            self.incoming.setdefault(link.a.device, {})[link.a.interface or ""] = link.id
            self.incoming.setdefault(link.b.device, {})[link.b.interface or ""] = link.id

    def settled(self, failed: str | None, predicted: list[str]) -> FlowPath:
        """Measure until the flow is delivered whole over the same links twice in a row (the routers have
        converged: BFD saw the failure, IS-IS moved the paths) or the time runs out; the last measurement."""
        deadline = time.monotonic() + scaled(SETTLE_SECONDS)
        previous: dict[str, int] | None = None
        while True:
            measured, arrived = self.measure()
            whole = arrived == FLOW_PACKETS
            if whole and previous is not None and measured.keys() == previous.keys() or time.monotonic() > deadline:
                return FlowPath(failed, predicted, measured, arrived, FLOW_PACKETS)
            previous = measured if whole else None
            time.sleep(0.3)

    def measure(self) -> tuple[dict[str, int], int]:
        matches = {
            router: {name: f'iifname "{name}" ip6 daddr {self.locator}' for name in interfaces}
            for router, interfaces in self.incoming.items()
        }
        with counting(self.lab, matches) as read:
            ping = ["ping", "-6", "-q", "-c", str(FLOW_PACKETS), "-i", "0.01", "-W", "1", self.target_ip]
            in_ns(self.lab, self.source.name, *ping)
            counted = read()
        links: dict[str, int] = {}
        for router, by_interface in counted.items():
            for interface, packets in by_interface.items():
                if packets:
                    link = self.incoming[router][interface]
                    links[link] = links.get(link, 0) + packets
        arrived = sum(counted.get(self.target_pe, {}).values())
        return dict(sorted(links.items())), arrived
