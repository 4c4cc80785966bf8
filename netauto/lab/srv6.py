"""One SRv6 path end to end in the lab, on the kernel's SRv6 data plane.

FRR 8.4 has no IS-IS SRv6 (DESIGN §9), so nothing in the lab advertises locators; this demo installs
the SIDs and the routes to them itself, with iproute2, over the lab's plain IP network:

    A --(encap seg6: segments B::1, C::d6)--> B (End) --> C (End.DT6, table 100) --> demo prefix on C

A, B and C are IS-IS routers of the slice with A-B and B-C links and no A-C link, so the packet goes
through B only because the segment list says so. The proof is both ways: the ping from A's loopback
to the prefix on C answers, and it stops answering once B's End SID is blocked.

What this kernel and FRR 8.4 cannot do is not shown: IS-IS SRv6 (locators in the IGP), VRF devices
(End.DT4/DT6 into a VPN's table), MPLS forwarding.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from ipaddress import IPv6Address, IPv6Network

from netauto.lab import nft
from netauto.lab.netns import Lab, LabError, in_ns

DEMO_PREFIX = IPv6Address("2001:db8:5e6::1")  # documentation space; a local route in C's VPN_TABLE only
VPN_TABLE = "100"  # stands in for a VPN's table (no VRF devices here); C's main table cannot reach the prefix
SID_BLOCK = "fc00:0:{n}::"  # without IS-IS SRv6: one /48 locator per router of the demo
BLOCK_RULE_PREFERENCE = "100"  # before the main table's rule (32766)
DT6_FUNCTION = 0xD6  # C's End.DT6 SID in its planned locator (FRR allocates End/End.X from ::0 up)
PINGS = 5


@dataclass
class Srv6Demo:
    path: list[str]
    segments: list[str]
    answered: bool
    answered_without_end: bool
    error: str | None = None  # the demo could not be set up (a finding, e.g. a link of the path is down)
    sent: int = PINGS
    counted_at_end: int | None = None  # echo requests B counted to its End SID (None: no counters, FRR 8)

    @property
    def ok(self) -> bool:
        counted = self.counted_at_end is None or self.counted_at_end == self.sent
        return self.error is None and self.answered and not self.answered_without_end and counted

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "ok": self.ok}


def pick_path(lab: Lab, routers: list[str]) -> tuple[str, str, str]:
    """The first A-B-C among `routers` with links A-B and B-C and none A-C."""
    neighbors: dict[str, set[str]] = {r: set() for r in routers}
    for a, _, b, _ in lab.links:
        if a in neighbors and b in neighbors:
            neighbors[a].add(b)
            neighbors[b].add(a)
    for b in routers:
        for a in sorted(neighbors[b]):
            for c in sorted(neighbors[b] - {a}):
                if c not in neighbors[a]:
                    return a, b, c
    raise LabError("the lab has no three routers in a row (A-B, B-C, no A-C) for the SRv6 demo")


def run(lab: Lab, routers: list[str], loopbacks_v6: dict[str, str], locators: dict[str, IPv6Network]) -> Srv6Demo:
    """The demo on A-B-C. With `locators` (IS-IS SRv6, FRR >= 10), B's End SID is the one IS-IS
    installed and every SID is reached through IS-IS; without, the demo installs B's End and the
    routes to the SIDs itself."""
    a, b, c = pick_path(lab, routers)
    a_to_b, b_to_a = _link(lab, a, b)
    b_to_c, c_to_b = _link(lab, b, c)
    c_setup = [
        _ip("route add local", f"{DEMO_PREFIX}/128", "dev lo table", VPN_TABLE),
        _ip("route add", "{dt6}/128", "encap seg6local action End.DT6 table", VPN_TABLE, "dev", c_to_b),
    ]
    a_setup = [_ip("route add", f"{DEMO_PREFIX}/128", "encap seg6 mode encap segs {end},{dt6} dev", a_to_b)]
    b_setup: list[list[str]] = []
    try:
        if locators:
            end = _installed_end(lab, b)
            dt6 = str(locators[c].network_address + DT6_FUNCTION)
        else:
            block = {r: SID_BLOCK.format(n=k + 1) for k, r in enumerate((a, b, c))}
            end, dt6 = f"{block[b]}1", f"{block[c]}d6"
            b_setup = [
                _ip("route add", f"{end}/128", "encap seg6local action End dev", b_to_c),
                _ip("route add", f"{block[c]}/48 via", _address(lab, c, c_to_b)),
            ]
            a_setup.insert(0, _ip("route add", f"{block[b]}/48 via", _address(lab, b, b_to_a)))
        sids = {"end": end, "dt6": dt6}
        c_setup, a_setup = ([[word.format(**sids) for word in command] for command in s] for s in (c_setup, a_setup))
        for router, commands in ((c, c_setup), (b, b_setup), (a, a_setup)):
            for command in commands:
                _must(lab, router, command)
        answered, counted = _ping_counted(lab, a, loopbacks_v6[a], b, end)
        # B's End blocked by a policy rule (a deleted route would be put straight back by FRR 10's zebra)
        blocking = _ip("rule add to", f"{end}/128 prohibit pref", BLOCK_RULE_PREFERENCE)
        b_setup.append(blocking)
        _must(lab, b, blocking)
        answered_without_end = _ping(lab, a, loopbacks_v6[a], count=2)
    except LabError as error:
        return Srv6Demo([a, b, c], [], False, False, str(error))
    finally:
        _undo(lab, a, a_setup)
        _undo(lab, b, b_setup)
        _undo(lab, c, c_setup)
    return Srv6Demo([a, b, c], [end, dt6], answered, answered_without_end, counted_at_end=counted)


def _ip(*parts: str) -> list[str]:
    return ["ip", "-6", *" ".join(parts).split()]


def isis_end_sids(lab: Lab, router: str) -> list[IPv6Address]:
    """The End SIDs IS-IS installed in the router's kernel."""
    routes = in_ns(lab, router, "ip", "-6", "route", "show", "proto", "isis").stdout.splitlines()
    return [IPv6Address(line.split()[0].split("/")[0]) for line in routes if "seg6local action End " in line]


def _installed_end(lab: Lab, router: str) -> str:
    sids = isis_end_sids(lab, router)
    if not sids:
        raise LabError(f"{router}: IS-IS installed no End SID")
    return str(sids[0])


def _ping_counted(lab: Lab, a: str, source: str, b: str, end: str) -> tuple[bool, int | None]:
    """Ping from A along the segment list; with counters, how many echo requests B's End SID received."""
    if not nft.available(lab):
        return _ping(lab, a, source), None
    with nft.counting(lab, {b: {"end": f"ip6 daddr {end}"}}) as read:
        answered = _ping(lab, a, source)
        return answered, read()[b]["end"]


def _ping(lab: Lab, router: str, source: str, count: int = PINGS) -> bool:
    command = ["ping", "-6", "-c", str(count), "-W", "1", "-I", source, str(DEMO_PREFIX)]
    return in_ns(lab, router, *command).returncode == 0


def _link(lab: Lab, x: str, y: str) -> tuple[str, str]:
    """The interfaces of the first x-y link: (x's, y's)."""
    for a, a_if, b, b_if in lab.links:
        if (a, b) == (x, y):
            return a_if, b_if
        if (a, b) == (y, x):
            return b_if, a_if
    raise LabError(f"no link between {x} and {y}")


def _address(lab: Lab, router: str, interface: str) -> str:
    shown = in_ns(lab, router, "ip", "-6", "-j", "addr", "show", "dev", interface, "scope", "global")
    for entry in json.loads(shown.stdout or "[]"):
        for address in entry.get("addr_info", []):
            return str(address["local"])
    raise LabError(f"{router} {interface} has no global IPv6 address")


def _must(lab: Lab, router: str, command: list[str]) -> None:
    result = in_ns(lab, router, *command)
    if result.returncode != 0:
        raise LabError(f"{router}: {' '.join(command)}: {result.stderr.strip()}")


def _undo(lab: Lab, router: str, commands: list[list[str]]) -> None:
    for command in reversed(commands):
        in_ns(lab, router, *[{"add": "del"}.get(word, word) for word in command])
