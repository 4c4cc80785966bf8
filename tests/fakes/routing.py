"""What the vendor stand-ins' routers would see of each other, computed from their running configs: the
IS-IS adjacencies (two ports with IS-IS on the same subnet, neither shut down nor shown down by a fault),
the routes IS-IS brings (every loopback of the routers reachable over adjacencies, via the first hop),
and the iBGP sessions (Established when both ends name each other's loopback and reach each other).

In a VPN (a VRF), only what a router's own config and the test say: its ports bound to the VRF give
connected routes (IPv4 and IPv6), its static routes in the VRF whose next hop is on such a port give
static ones; a router outside the stand-ins (a dedicated network's border, a CE), which the test
attaches to a device (`Attached`, from `<state>/<name>.attached.yaml`), brings up the eBGP session the
device configures to it in that VRF, if a port of the VRF reaches its address, and then its routes.
A ping in a VRF is answered when the router has a route to the target and the target's owner (a
stand-in's up port, or an attached router) is where that route leads, with a route back.
Route policies are not evaluated. Nothing is simulated beyond that: no timers, no metrics (every hop
costs 1). Each
platform's config words are data (CONFIG_WORDS); the answers in each vendor's layout are in
vendor_cli.py, taken from the real outputs in tests/fixtures/real-outputs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv6Address, IPv6Interface, ip_address, ip_interface, ip_network
from typing import Protocol


class ConfigNode(Protocol):
    line: str
    children: list[ConfigNode]


@dataclass(frozen=True)
class ConfigWords:
    loopback: str  # the interface holding the router's loopback addresses
    v4_address: str  # "ip address A MASK" / "ipv4 address A/LEN"
    v6_address: str
    isis_on_interface: str | None  # a line under the interface (VRP, Comware); None: under `router isis`
    vrf_binding: str  # the line under a port putting it in a VRF
    vrf_bgp: str  # the BGP section's block for a VRF
    isis_section: str  # the top-level IS-IS section
    bgp_section: str
    bgp_peer: str  # "peer X as-number N" / "neighbor X" (with "remote-as N" under it)
    remote_as: str | None  # the line under the peer carrying its AS, where not on the peer line
    static_v4: str | None = None  # "ip route-static vpn-instance V PREFIX MASK|LENGTH NEXT-HOP ..."
    static_v6: str | None = None


CONFIG_WORDS = {
    "huawei_vrp": ConfigWords(
        "LoopBack0",
        "ip address",
        "ipv6 address",
        "isis enable",
        "ip binding vpn-instance",
        "ipv4-family vpn-instance",
        "isis ",
        "bgp ",
        "peer",
        None,
        "ip route-static vpn-instance",
        "ipv6 route-static vpn-instance",
    ),
    "h3c_comware": ConfigWords(
        "LoopBack0",
        "ip address",
        "ipv6 address",
        "isis enable",
        "ip binding vpn-instance",
        "ip vpn-instance",
        "isis ",
        "bgp ",
        "peer",
        None,
        "ip route-static vpn-instance",
        "ipv6 route-static vpn-instance",
    ),
    "cisco_iosxr": ConfigWords(
        "Loopback0",
        "ipv4 address",
        "ipv6 address",
        None,
        "vrf",
        "vrf",
        "router isis ",
        "router bgp ",
        "neighbor",
        "remote-as",
    ),
}


@dataclass(frozen=True)
class Port:
    device: str
    interface: str
    address: IPv4Interface
    isis: bool
    up: bool
    vrf: str | None = None
    address_v6: IPv6Interface | None = None


@dataclass(frozen=True)
class StaticRoute:
    vrf: str
    prefix: str
    next_hop: str


@dataclass(frozen=True)
class Attached:
    """A router outside the stand-ins, on a device's VRF port: it answers the device's eBGP session
    to `address` and announces `routes`."""

    vrf: str
    address: str
    remote_as: str
    routes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Router:
    name: str  # its host name (the prompt's, and what IS-IS shows its neighbours)
    platform: str
    ports: tuple[Port, ...]
    loopbacks: tuple[str, ...]  # its loopback addresses, v4 and v6
    asn: str
    peers: tuple[tuple[str, str], ...]  # (address, remote AS)
    vpn_peers: tuple[tuple[str, str, str], ...] = ()  # (VRF, address, remote AS)
    attached: tuple[Attached, ...] = ()
    static_routes: tuple[StaticRoute, ...] = ()


@dataclass(frozen=True)
class Adjacency:
    neighbor: str
    interface: str  # the local port
    neighbor_address: str


@dataclass(frozen=True)
class Route:
    prefix: str
    next_hop: str
    interface: str
    protocol: str  # "isis", "direct", "static" or "bgp"


@dataclass(frozen=True)
class Session:
    neighbor: str
    remote_as: str
    established: bool


def router_of(
    name: str,
    platform: str,
    root: ConfigNode,
    shown_down: Callable[[str], bool],
    isis_refused: Callable[[str], bool] = lambda interface: False,
    attached: Iterable[Attached] = (),
) -> Router:
    """The router as its running config describes it (faults: ports shown down, ports whose IS-IS
    adjacency does not form)."""
    words = CONFIG_WORDS[platform]
    isis_ports = _isis_ports(root, words)
    ports, loopbacks = [], []
    for node in root.children:
        if not node.line.startswith("interface "):
            continue
        interface = node.line.split()[1]
        addresses = [_address(child.line, words) for child in node.children]
        if interface == words.loopback:
            loopbacks += [str(a.ip) for a in addresses if a is not None]
            continue
        v4 = next((a for a in addresses if isinstance(a, IPv4Interface)), None)
        v6 = next((a for a in addresses if isinstance(a, IPv6Interface)), None)
        if v4 is None:
            continue
        configured = interface in isis_ports or any(
            c.line.startswith(words.isis_on_interface or "\0") for c in node.children
        )
        isis = configured and not isis_refused(interface)
        up = not any(c.line == "shutdown" for c in node.children) and not shown_down(interface)
        vrf = next((c.line.split()[-1] for c in node.children if c.line.startswith(words.vrf_binding + " ")), None)
        ports.append(Port(name, interface, v4, isis, up, vrf, v6))
    asn, peers = _bgp(root, words)
    vpn_peers = _vpn_peers(root, words)
    statics = _static_routes(root, words)
    return Router(
        name, platform, tuple(ports), tuple(loopbacks), asn, tuple(peers), vpn_peers, tuple(attached), statics
    )


def _static_routes(root: ConfigNode, words: ConfigWords) -> tuple[StaticRoute, ...]:
    """The static routes in VRFs: `<keyword> VRF ADDRESS MASK|LENGTH NEXT-HOP ...` at the top level."""
    found = []
    for node in root.children:
        for keyword in (k for k in (words.static_v4, words.static_v6) if k):
            if not node.line.startswith(keyword + " "):
                continue
            vrf, address, length, next_hop = node.line[len(keyword) + 1 :].split()[:4]
            try:
                prefix = ip_network(f"{address}/{length}")
            except ValueError:
                continue
            found.append(StaticRoute(vrf, str(prefix), next_hop))
    return tuple(found)


def _vpn_peers(root: ConfigNode, words: ConfigWords) -> tuple[tuple[str, str, str], ...]:
    """(VRF, address, remote AS) of the BGP peers configured in each VRF."""
    section = next((n for n in root.children if n.line.startswith(words.bgp_section)), None)
    found = []
    for block in section.children if section else []:
        if not block.line.startswith(words.vrf_bgp + " "):
            continue
        vrf = block.line.split()[-1]
        for child in block.children:
            parts = child.line.split()
            if parts[:1] != [words.bgp_peer] or len(parts) < 2:
                continue
            if words.remote_as is None and parts[2:3] == ["as-number"]:
                found.append((vrf, parts[1], parts[3]))
            elif words.remote_as is not None:
                found.append((vrf, parts[1], _remote_as(block, child, words.remote_as)))
    return tuple(found)


def _address(line: str, words: ConfigWords) -> IPv4Interface | IPv6Interface | None:
    for keyword in (words.v4_address, words.v6_address):
        if line.startswith(keyword + " "):
            value = line[len(keyword) + 1 :].split()
            try:
                return ip_interface("/".join(value[:2]) if len(value) > 1 and "." in value[1] else value[0])
            except ValueError:
                return None
    return None


def _isis_ports(root: ConfigNode, words: ConfigWords) -> set[str]:
    """Ports named under `router isis` (IOS-XR); VRP and Comware enable IS-IS on the port itself."""
    if words.isis_on_interface is not None:
        return set()
    sections = [n for n in root.children if n.line.startswith(words.isis_section)]
    return {c.line.split()[1] for s in sections for c in s.children if c.line.startswith("interface ")}


def _bgp(root: ConfigNode, words: ConfigWords) -> tuple[str, list[tuple[str, str]]]:
    section = next((n for n in root.children if n.line.startswith(words.bgp_section)), None)
    if section is None:
        return "", []
    asn = section.line.split()[-1]
    peers: dict[str, str] = {}
    for child in section.children:
        parts = child.line.split()
        if len(parts) < 2 or parts[0] != words.bgp_peer:
            continue
        if words.remote_as is None and parts[2:3] == ["as-number"]:
            peers[parts[1]] = parts[3]
        elif words.remote_as is not None:
            peers.setdefault(parts[1], _remote_as(section, child, words.remote_as))
    return asn, sorted(peers.items())


def _remote_as(section: ConfigNode, peer: ConfigNode, keyword: str) -> str:
    """The peer's AS: under it, or under the neighbor-group it uses (IOS-XR)."""
    for node in (peer, *_groups_used(section, peer)):
        for child in node.children:
            if child.line.startswith(keyword + " "):
                return child.line.split()[1]
    return ""


def _groups_used(section: ConfigNode, peer: ConfigNode) -> list[ConfigNode]:
    used = {c.line.split()[-1] for c in peer.children if c.line.startswith("use neighbor-group ")}
    return [n for n in section.children if n.line.startswith("neighbor-group ") and n.line.split()[1] in used]


class Network:
    """The stand-ins' routers as one network."""

    def __init__(self, routers: Iterable[Router]) -> None:
        self.routers = {r.name: r for r in routers}

    def adjacencies(self, name: str) -> list[Adjacency]:
        mine = [p for p in self.routers[name].ports if p.isis and p.up]
        found = []
        for port in mine:
            for other in self.routers.values():
                if other.name == name:
                    continue
                for far in other.ports:
                    if far.isis and far.up and far.address.network == port.address.network:
                        found.append(Adjacency(other.name, port.interface, str(far.address.ip)))
        return found

    def routes(self, name: str) -> list[Route]:
        """Its ports' subnets, and every loopback it reaches over IS-IS, via the first hop (fewest hops)."""
        router = self.routers[name]
        routes = [Route(str(p.address.network), str(p.address.ip), p.interface, "direct") for p in router.ports if p.up]
        first_hop: dict[str, Adjacency] = {}
        queue = deque((adjacency.neighbor, adjacency) for adjacency in self.adjacencies(name))
        while queue:
            reached, via = queue.popleft()
            if reached == name or reached in first_hop:
                continue
            first_hop[reached] = via
            queue.extend((adjacency.neighbor, via) for adjacency in self.adjacencies(reached))
        for reached, via in sorted(first_hop.items()):
            for loopback in self.routers[reached].loopbacks:
                length = 32 if "." in loopback else 128
                routes.append(Route(f"{loopback}/{length}", via.neighbor_address, via.interface, "isis"))
        return routes

    def vpn_sessions(self, name: str, vrf: str) -> list[Session]:
        """The router's eBGP sessions in the VRF: up with an attached router it reaches on a VRF port."""
        router = self.routers[name]
        return [
            Session(address, remote_as, self._attached_peer(router, vrf, address, remote_as) is not None)
            for peer_vrf, address, remote_as in router.vpn_peers
            if peer_vrf == vrf
        ]

    def vpn_routes(self, name: str, vrf: str) -> list[Route]:
        """Its VRF ports' subnets (IPv4 and IPv6), its static routes in the VRF whose next hop one of
        them reaches, and the routes its established sessions in the VRF bring."""
        router = self.routers[name]
        ports = [p for p in router.ports if p.vrf == vrf and p.up]
        routes = [
            Route(str(a.network), str(a.ip), p.interface, "direct")
            for p in ports
            for a in (p.address, p.address_v6)
            if a is not None
        ]
        for static in (r for r in router.static_routes if r.vrf == vrf):
            port = _port_reaching(ports, static.next_hop)
            if port is not None:
                routes.append(Route(static.prefix, static.next_hop, port.interface, "static"))
        for _, address, remote_as in (peer for peer in router.vpn_peers if peer[0] == vrf):
            far = self._attached_peer(router, vrf, address, remote_as)
            port = next(
                (p for p in ports if far is not None and ip_interface(far.address).ip in p.address.network), None
            )
            if far is not None and port is not None:
                routes += [Route(prefix, far.address, port.interface, "bgp") for prefix in far.routes]
        return routes

    def answers_ping(self, name: str, vrf: str, target: str) -> bool:
        """Whether `target` answers the router's ping in the VRF: its own address; or, by the longest
        route to it, an up port's on the link (direct), or the next hop's router holding it on an up
        port, or an attached router it announces, with a route back to the router's port."""
        router, address = self.routers[name], ip_address(target)
        ports = [p for p in router.ports if p.vrf == vrf and p.up]
        if any(address == a.ip for p in ports for a in (p.address, p.address_v6) if a is not None):
            return True
        covering = [r for r in self.vpn_routes(name, vrf) if address in ip_network(r.prefix)]
        if not covering:
            return False
        route = max(covering, key=lambda r: ip_network(r.prefix).prefixlen)
        via = address if route.protocol == "direct" else ip_address(route.next_hop)
        for far in (a for a in router.attached if a.vrf == vrf and ip_address(a.address) == via):
            if via == address or any(address in ip_network(prefix) for prefix in far.routes):
                return True
        out = _port_reaching(ports, str(via))
        source = next((a.ip for a in _interfaces(out) if a.version == address.version), None) if out else None
        for other in self.routers.values():
            far = next((p for p in other.ports if p.up and p.vrf and via in _addresses(p)), None)
            if other.name == name or far is None or source is None:
                continue
            owns = any(address in _addresses(p) for p in other.ports if p.up and p.vrf == far.vrf)
            back = any(source in ip_network(r.prefix) for r in self.vpn_routes(other.name, far.vrf or ""))
            return owns and back
        return False

    def _attached_peer(self, router: Router, vrf: str, address: str, remote_as: str) -> Attached | None:
        for far in router.attached:
            if (far.vrf, far.address, far.remote_as) != (vrf, address, remote_as):
                continue
            if any(p.vrf == vrf and p.up and ip_interface(address).ip in p.address.network for p in router.ports):
                return far
        return None

    def sessions(self, name: str) -> list[Session]:
        router = self.routers[name]
        reachable = {r.prefix.split("/")[0] for r in self.routes(name) if r.protocol == "isis"}
        owners = {address: r for r in self.routers.values() for address in r.loopbacks}
        sessions = []
        for address, remote_as in router.peers:
            far = owners.get(address)
            mutual = far is not None and any(peer in router.loopbacks for peer, _ in far.peers)
            sessions.append(Session(address, remote_as, mutual and address in reachable))
        return sessions


def _interfaces(port: Port) -> list[IPv4Interface | IPv6Interface]:
    return [a for a in (port.address, port.address_v6) if a is not None]


def _addresses(port: Port) -> set[IPv4Address | IPv6Address]:
    return {a.ip for a in _interfaces(port)}


def _port_reaching(ports: list[Port], next_hop: str) -> Port | None:
    """The port on whose subnet `next_hop` is."""
    hop = ip_address(next_hop)
    for port in ports:
        if any(hop in a.network for a in (port.address, port.address_v6) if a is not None):
            return port
    return None
