"""nftables on lab routers (from the FRR 10 tree; the host has no nft):

- counters: which routers and links a flow crossed, measured rather than read from routing tables;
- silenced links: every frame arriving on both ends dropped while the interfaces stay up, so the
  routers learn of the failure the way they would of a broken fibre behind a live port - BFD times
  out - and not from the kernel. (An interface set down made FRR 10.3's zebra lose nexthops and
  leave BGP routes over SRv6 refused by the kernel for good, measured; DESIGN §9.)"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from netauto.lab.netns import Lab, LabError, in_ns

TABLE = "netauto_count"
CUT_TABLE = "netauto_cut"
RULESET = "/tmp/netauto-count.nft"  # inside the FRR tree

Counted = dict[str, dict[str, int]]  # router -> counter name -> packets


def available(lab: Lab) -> bool:
    return lab.frr.root is not None and lab.frr.host_path("/usr/sbin/nft").exists()


@contextmanager
def counting(lab: Lab, matches: dict[str, dict[str, str]]) -> Iterator[Callable[[], Counted]]:
    """Count, on each router, the packets each named nft match sees as they arrive (before routing);
    yields a function that reads the counters. The counters are removed afterwards."""
    if not available(lab):
        raise LabError("packet counters need nft from the FRR 10 tree (--frr-version 10)")
    try:
        for router, named in matches.items():
            _install(lab, router, named)
        yield lambda: {router: _read(lab, router) for router in matches}
    finally:
        for router in matches:
            in_ns(lab, router, *lab.frr.prefix(), "nft", "delete", "table", "ip6", TABLE)


def _install(lab: Lab, router: str, named: dict[str, str]) -> None:
    rules = "".join(f'  {match} counter comment "{name}"\n' for name, match in named.items())
    ruleset = (
        f"table ip6 {TABLE}\ndelete table ip6 {TABLE}\n"
        f"table ip6 {TABLE} {{\n chain arriving {{\n  type filter hook prerouting priority -300;\n{rules} }}\n}}\n"
    )
    lab.frr.host_path(RULESET).write_text(ruleset, encoding="utf-8")
    _nft(lab, router, "-f", RULESET)


def _read(lab: Lab, router: str) -> dict[str, int]:
    listing = json.loads(_nft(lab, router, "-j", "list", "table", "ip6", TABLE))
    counted = {}
    for item in listing.get("nftables", []):
        rule = item.get("rule")
        for expression in rule.get("expr", []) if rule else []:
            if "counter" in expression:
                counted[rule.get("comment", "")] = int(expression["counter"]["packets"])
    return counted


def _nft(lab: Lab, router: str, *args: str) -> str:
    result = in_ns(lab, router, *lab.frr.prefix(), "nft", *args)
    if result.returncode != 0:
        raise LabError(f"nft {' '.join(args)} on {router}: {result.stderr.strip()}")
    return result.stdout


@contextmanager
def silenced(lab: Lab, link: tuple[str, str, str, str]) -> Iterator[None]:
    """The link drops everything in both directions inside the block: each end drops what it sends
    (on egress: IS-IS reads frames through packet sockets, which see them before an ingress hook)."""
    a, a_if, b, b_if = link
    try:
        for router, interface in ((a, a_if), (b, b_if)):
            ruleset = (
                f"table netdev {CUT_TABLE}\ndelete table netdev {CUT_TABLE}\n"
                f"table netdev {CUT_TABLE} {{\n chain cut {{\n"
                f'  type filter hook egress device "{interface}" priority -500; policy drop;\n }}\n}}\n'
            )
            lab.frr.host_path(RULESET).write_text(ruleset, encoding="utf-8")
            _nft(lab, router, "-f", RULESET)
        yield
    finally:
        for router in (a, b):
            in_ns(lab, router, *lab.frr.prefix(), "nft", "delete", "table", "netdev", CUT_TABLE)
