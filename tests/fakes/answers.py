"""The vendor stand-ins' answers to the show commands that post-checks and runbook checks send, in each
vendor's layout as the real outputs in tests/fixtures/real-outputs show it (column order, headers,
widths, VRP's wrapped system ids, Comware's short interface names), filled from routing.Network.
"""

from __future__ import annotations

from .routing import Adjacency, Route, Session

__all__ = ["Adjacency", "Route", "Session"]

# Comware prints interfaces by short names in its tables (the real outputs: GE0/0, XGE, Loop0, Vlan1)
COMWARE_SHORT_NAMES = (
    ("Ten-GigabitEthernet", "XGE"),
    ("GigabitEthernet", "GE"),
    ("HundredGigE", "HGE"),
    ("FortyGigE", "FGE"),
    ("LoopBack", "Loop"),
    ("Vlan-interface", "Vlan"),
    ("Route-Aggregation", "RAGG"),
)
# ...and IOS-XR in `show isis neighbors` (Gi0/0/0/1)
XR_SHORT_NAMES = (
    ("TwoHundredGigE", "TH"),
    ("FourHundredGigE", "FH"),
    ("HundredGigE", "Hu"),
    ("TenGigE", "Te"),
    ("GigabitEthernet", "Gi"),
    ("Bundle-Ether", "BE"),
)
AGE = "00:12:34"


def short(interface: str, names: tuple[tuple[str, str], ...]) -> str:
    for long, abbreviation in names:
        if interface.startswith(long):
            return abbreviation + interface[len(long) :]
    return interface


# --- Huawei VRP8 -----------------------------------------------------------------------------------


def vrp_isis_peer(adjacencies: list[Adjacency]) -> list[str]:
    lines = ["", "                          Peer information for ISIS(1)", "                         "]
    lines += ["  System Id     Interface          Circuit Id        State HoldTime Type     PRI", "-" * 80]
    for number, adjacency in enumerate(adjacencies, 1):
        name = adjacency.neighbor
        lines.append(f"{name[:15]:<15} {adjacency.interface:<18} {number:010d}         Up   28s      L2       -- ")
        if len(name) > 15:  # VRP wraps a long system id onto the next line
            lines.append(f"{name[15:]:<80}")
    lines += ["", f"Total Peer(s): {len(adjacencies)}"]
    return lines


def vrp_bgp_peer(router_id: str, asn: str, sessions: list[Session]) -> list[str]:
    up = sum(s.established for s in sessions)
    lines = ["", f" BGP local router ID : {router_id}", f" Local AS number : {asn}"]
    lines.append(f" Total number of peers : {len(sessions)}                 Peers in established state : {up}")
    lines += ["", "  Peer            V          AS  MsgRcvd  MsgSent  OutQ  Up/Down       State  PrefRcv"]
    for s in sessions:
        state = "Established" if s.established else "Idle"
        lines.append(f"  {s.neighbor:<15} 4 {s.remote_as:>11}      120      130     0  {AGE} {state:>11}        0")
    return lines


VRP_PROTOCOLS = {"isis": "ISIS-L2", "direct": "Direct", "bgp": "EBGP", "static": "Static"}
PREFERENCES = {"isis": 15, "direct": 0, "bgp": 255, "static": 60}


def vrp_routing_table_verbose(routes: list[Route], table: str = "Public") -> list[str]:
    lines = ["Route Flags: R - relay, D - download to fib, T - to vpn-instance", "-" * 78]
    counts = f"         Destinations : {len(routes)}       Routes : {len(routes)}       "
    lines += [f"Routing Table{'s' if table == 'Public' else ''} : {table}", counts, ""]
    for route in routes:
        protocol = VRP_PROTOCOLS[route.protocol]
        lines += [
            f"Destination: {route.prefix}",
            f"     Protocol: {protocol:<16} Process ID: {1 if route.protocol == 'isis' else 0}",
            f"   Preference: {PREFERENCES[route.protocol]:<22} Cost: 10",
            f"      NextHop: {route.next_hop:<17} Neighbour: 0.0.0.0",
            f"        State: {'Active Adv':<23} Age: 00h12m34s",
            "          Tag: 0                  Priority: medium",
            "        Label: NULL                QoSInfo: 0x0",
            "   IndirectID: 0x0              ",
            f" RelayNextHop: 0.0.0.0           Interface: {route.interface}",
            "     TunnelID: 0x0                   Flags:  D",
            "",
        ]
    return lines


def vrp_ipv6_routing_table_verbose(routes: list[Route], table: str = "Public") -> list[str]:
    """`display ipv6 routing-table [vpn-instance X] verbose`: two columns, the prefix length beside
    the destination, as the NE40E configuration guide shows it."""
    lines = ["Route Flags: R - relay, D - download to fib, T - to vpn-instance, B - black hole route", "-" * 78]
    lines += [f"Routing Table : {table}", f"Summary Count : {len(routes)}", ""]
    for route in routes:
        address, length = route.prefix.split("/")
        protocol = VRP_PROTOCOLS[route.protocol]
        lines += [
            f"Destination  : {address.upper():<39} PrefixLength : {length}",
            f"NextHop      : {route.next_hop.upper():<39} Preference   : {PREFERENCES[route.protocol]}",
            f"Neighbour    : {'::':<39} ProcessID    : 0",
            f"Label        : {'NULL':<39} Protocol     : {protocol}",
            f"State        : {'Active Adv':<39} Cost         : 0",
            f"Priority     : {'medium':<39} Age          : 00h12m34s",
            f"RelayNextHop : {'::':<39} TunnelID     : 0x0",
            f"Interface    : {route.interface:<39} Flags        : D",
            "",
        ]
    return lines


def vrp_vpn_bgp_peer(router_id: str, asn: str, vrf: str, sessions: list[Session]) -> list[str]:
    """`display bgp vpnv4 vpn-instance X peer`, as the NE40E documentation shows it."""
    up = sum(s.established for s in sessions)
    lines = ["", f" BGP local router ID : {router_id}", f" Local AS number : {asn}"]
    lines.append(f" VPN-Instance {vrf}, Router ID {router_id}:")
    lines.append(f" Total number of peers : {len(sessions)}            Peers in established state : {up}")
    lines += ["", "  Peer            V    AS  MsgRcvd  MsgSent    OutQ  Up/Down    State        PrefRcv"]
    for s in sessions:
        state = "Established" if s.established else "Idle"
        lines.append(f"  {s.neighbor:<15} 4   {s.remote_as:<6} 11     9          0     {AGE}   {state:<12} 1")
    return lines


def vrp_ping(target: str, count: int, answered: bool) -> list[str]:
    """`ping [-vpn-instance X] -c N -t MS TARGET`, as the NE40E command reference shows it."""
    lines = [f"  PING {target}: 56  data bytes, press CTRL_C to break"]
    for sequence in range(1, count + 1):
        reply = f"Reply from {target}: bytes=56 Sequence={sequence} ttl=254 time=2 ms"
        lines.append(f"    {reply if answered else 'Request time out'}")
    received = count if answered else 0
    lines += ["", f"  --- {target} ping statistics ---", f"    {count} packet(s) transmitted"]
    lines += [f"    {received} packet(s) received", f"    {100 - 100 * received / count:.2f}% packet loss"]
    if answered:
        lines.append("    round-trip min/avg/max = 2/2/2 ms")
    return lines


# --- H3C Comware 7 ---------------------------------------------------------------------------------


def comware_interface_brief(rows: list[tuple[str, bool]]) -> list[str]:
    lines = ["Brief information on interfaces in route mode:", "Link: ADM - administratively down; Stby - standby"]
    lines += ["Protocol: (s) - spoofing", "Interface            Link Protocol Primary IP      Description"]
    for name, up in rows:
        link, protocol = ("UP", "UP") if up else ("ADM", "DOWN")
        lines.append(f"{short(name, COMWARE_SHORT_NAMES):<20} {link:<4} {protocol:<8} --")
    return lines


def comware_isis_peer(adjacencies: list[Adjacency]) -> list[str]:
    """A block per neighbour (level 2), as the Comware 7 command reference shows it."""
    lines = ["", "                         Peer information for IS-IS(1)", "", "                         " + "-" * 29]
    for number, adjacency in enumerate(adjacencies, 1):
        interface = short(adjacency.interface, COMWARE_SHORT_NAMES)
        lines += ["", f" System Id: {adjacency.neighbor}", ""]
        lines += [f" Interface: {interface:<24} Circuit Id:  {adjacency.neighbor}.{number:02d}", ""]
        lines.append(" State: Up     HoldTime:  27s       Type: L2(L1L2)     PRI: 64")
    return lines


def comware_bgp_peer(router_id: str, asn: str, sessions: list[Session]) -> list[str]:
    up = sum(s.established for s in sessions)
    lines = ["", f" BGP local router ID: {router_id}", f" Local AS number: {asn}"]
    lines.append(f" Total number of peers: {len(sessions)}                 Peers in established state: {up}")
    header = "  Peer                    AS  MsgRcvd  MsgSent OutQ PrefRcv Up/Down  State"
    lines += ["", "  * - Dynamically created peer", header, ""]
    for s in sessions:
        state = "Established" if s.established else "Idle"
        lines.append(f"  {s.neighbor:<20} {s.remote_as:>5}      120      130    0       0 0000h12m {state}")
    return lines


COMWARE_PROTOCOLS = {"isis": "IS_L2", "direct": "Direct", "bgp": "BGP", "static": "Static"}


def comware_routing_table(routes: list[Route]) -> list[str]:
    lines = ["", f"Destinations : {len(routes)}     Routes : {len(routes)}", ""]
    lines.append("Destination/Mask    Proto  Pre  Cost         NextHop         Interface")
    for route in routes:
        protocol, preference = COMWARE_PROTOCOLS[route.protocol], PREFERENCES[route.protocol]
        interface = short(route.interface, COMWARE_SHORT_NAMES)
        lines.append(f"{route.prefix:<19} {protocol:<6} {preference:<4} {10:<12} {route.next_hop:<15} {interface}")
    return lines


def comware_ipv6_routing_table(routes: list[Route]) -> list[str]:
    """`display ipv6 routing-table [vpn-instance X]`: a block per route, as the command reference shows it."""
    lines = ["", f"Destinations : {len(routes)} Routes : {len(routes)}", ""]
    for route in routes:
        protocol, interface = COMWARE_PROTOCOLS[route.protocol], short(route.interface, COMWARE_SHORT_NAMES)
        lines.append(f"Destination: {route.prefix:<41} Protocol  : {protocol}")
        lines.append(f"NextHop    : {route.next_hop:<41} Preference: {PREFERENCES[route.protocol]}")
        lines += [f"Interface  : {interface:<41} Cost      : 0", ""]
    return lines


def comware_ping(target: str, vrf: str | None, count: int, answered: bool) -> list[str]:
    """`ping [-vpn-instance X] -c N -t MS TARGET`, as the Comware 7 command reference shows it."""
    lines = [f"Ping {target} ({target}): 56 data bytes, press CTRL_C to break"]
    for sequence in range(count):
        lines.append(
            f"56 bytes from {target}: icmp_seq={sequence} ttl=254 time=2.000 ms" if answered else "Request time out"
        )
    received = count if answered else 0
    where = f" in VPN instance {vrf}" if vrf else ""
    lines += ["", f"--- Ping statistics for {target}{where} ---"]
    lines.append(
        f"{count} packet(s) transmitted, {received} packet(s) received, {100 - 100 * received / count:.1f}% packet loss"
    )
    if answered:
        lines.append("round-trip min/avg/max/std-dev = 2.000/2.000/2.000/0.000 ms")
    return lines


# --- Cisco IOS-XR ----------------------------------------------------------------------------------


def xr_isis_neighbors(adjacencies: list[Adjacency]) -> list[str]:
    lines = ["Tue Jan  3 14:57:35.234 UTC", "", "IS-IS 1 neighbors:"]
    lines.append("System Id      Interface        SNPA           State Holdtime Type IETF-NSF")
    for adjacency in adjacencies:
        interface = short(adjacency.interface, XR_SHORT_NAMES)
        lines.append(f"{adjacency.neighbor:<14} {interface:<16} *PtoP*         Up    23       L2   Capable")
    lines += ["", f"Total neighbor count: {len(adjacencies)}"]
    return lines


def xr_bgp_summary(router_id: str, asn: str, sessions: list[Session]) -> list[str]:
    lines = ["Mon Dec 18 11:13:26.959 UTC", f"BGP router identifier {router_id}, local AS number {asn}"]
    lines += ["BGP generic scan interval 60 secs", "Non-stop routing is enabled", "BGP table state: Active", ""]
    return lines + _xr_neighbor_table(sessions, prefixes="0", speaker_width=4)


def _xr_neighbor_table(sessions: list[Session], prefixes: str, speaker_width: int) -> list[str]:
    """The speaker and neighbor tables that end IOS-XR's BGP summaries; an Established session shows
    its prefixes received (`prefixes`), the others their state."""
    lines = ["BGP is operating in STANDALONE mode.", "", ""]
    lines += ["Process       RcvTblVer   bRIB/RIB   LabelVer  ImportVer  SendTblVer  StandbyVer"]
    lines += ["Speaker              12         12         12         12          12           0", ""]
    lines.append("Neighbor        Spk    AS MsgRcvd MsgSent   TblVer  InQ OutQ  Up/Down  St/PfxRcd")
    for s in sessions:
        state = prefixes if s.established else "Idle"
        counters = f"{0:>{speaker_width}} {s.remote_as:>5} {120:>7} {130:>7} {12:>8} {0:>4} {0:>4}"
        if len(s.neighbor) > 15:  # IOS-XR prints a long address alone, its counters on the next line
            lines += [s.neighbor, f"{'':<15} {counters} {AGE:>8} {state:>10}"]
        else:
            lines.append(f"{s.neighbor:<15} {counters} {AGE:>8} {state:>10}")
    return lines


def xr_bgp_vrf_all_summary(router_id: str, asn: str, vrfs: dict[str, list[Session]]) -> list[str]:
    """`show bgp vrf all ipv4 unicast summary`: a block per VRF, as the real output shows it."""
    lines = ["Tue Mar 21 09:08:19.039 UTC"]
    for vrf, sessions in vrfs.items():
        lines += ["", f"VRF: {vrf}", "-" * (5 + len(vrf)), f"BGP VRF {vrf}, state: Active"]
        lines += [f"BGP router identifier {router_id}, local AS number {asn}", "BGP table state: Active", ""]
        lines += _xr_neighbor_table(sessions, prefixes="1", speaker_width=3)
    return lines


XR_CODES = {"static": ("S", 1), "bgp": ("B", 20)}


def xr_route(routes: list[Route]) -> list[str]:
    lines = ["Mon Jan 29 19:00:32.892 UTC", ""]
    lines += ["Codes: C - connected, S - static, R - RIP, B - BGP, (>) - Diversion path"]
    lines += ["       i - ISIS, L1 - IS-IS level-1, L2 - IS-IS level-2", ""]
    lines += ["Gateway of last resort is not set", ""]
    for route in routes:
        if route.protocol == "isis":
            lines.append(f"i L2 {route.prefix} [115/10] via {route.next_hop}, {AGE}, {route.interface}")
        elif route.protocol in XR_CODES:
            code, distance = XR_CODES[route.protocol]
            lines.append(f"{code:<4} {route.prefix} [{distance}/0] via {route.next_hop}, {AGE}")
        else:
            lines.append(f"C    {route.prefix} is directly connected, {AGE}, {route.interface}")
    return lines


def xr_ping(target: str, count: int, timeout: int, answered: bool) -> list[str]:
    """`ping [vrf X] TARGET count N timeout S`, as the real outputs show it."""
    lines = ["Fri Dec 22 17:30:39.512 UTC", "Type escape sequence to abort."]
    lines.append(f"Sending {count}, 100-byte ICMP Echos to {target}, timeout is {timeout} seconds:")
    received = count if answered else 0
    lines.append(("!" if answered else ".") * count)
    rate = f"Success rate is {100 * received // count} percent ({received}/{count})"
    return [*lines, rate + (", round-trip min/avg/max = 1/1/1 ms" if answered else "")]
