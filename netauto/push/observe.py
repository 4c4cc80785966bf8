"""What a device shows of its own state, as the push's backups and post-checks need it: its interfaces
and whether each is up, its IS-IS neighbours, its established iBGP sessions, its routes.

A platform with parsers (netauto/parse, its `parsers:` data) is asked each query's command and read
with them; FRR's vtysh answers the BGP and routing queries in JSON and the others in short text, read
here (`push.observe: frr_json` in its platform file).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from netauto.lab.verify import (
    BGP_SESSIONS,
    ISIS_NEIGHBORS,
    ROUTES,
    parse_bgp_established,
    parse_isis_neighbors,
    parse_route_prefixes,
)
from netauto.parse import parse, parser, queries
from netauto.platforms import PushSpec, get_platform

Ask = Callable[[str], str]  # sends one command to the device, returns its answer


@dataclass
class Observation:
    """None: not checked on this platform."""

    up: set[str] | None = None  # interfaces up
    neighbours: set[str] | None = None  # IS-IS neighbours (host names) with an adjacency up
    sessions: set[str] | None = None  # iBGP peers (addresses) Established
    routes: set[str] | None = None  # prefixes with a route in use, global table


def interface_states(platform: str, ask: Ask) -> dict[str, str] | None:
    """Interface -> "up" / "down" as the device lists them (None: the platform lists none)."""
    if "interfaces" in queries(platform):
        rows = parse(platform, "interfaces", ask(_command(platform, "interfaces")))
        return {row["interface"]: "up" if row["up"] else "down" for row in rows}
    push = get_platform(platform).push
    if push is None or not push.interfaces_command:
        return None
    return interface_columns(ask(push.interfaces_command), push.interfaces_status_column)


def interface_columns(listing: str, column: int = 1) -> dict[str, str]:
    """Interface -> up/down, from a listing with the name first and the status in `column`
    (administratively down and other states count as down)."""
    rows = [line.split() for line in listing.splitlines()]
    return {
        w[0]: "up" if w[column].lower() == "up" else "down"
        for w in rows
        if len(w) > column and w[0] != "Interface" and _is_state(w[column])
    }


def _is_state(word: str) -> bool:
    return word.lower().lstrip("*") in ("up", "down", "shutdown", "admin-down")  # VRP marks admin-down as *down


def observe(platform: str, ask: Ask) -> Observation:
    """What the platform's post-checks read, each only where it declares the check."""
    push = get_platform(platform).push
    assert push is not None
    seen = Observation()
    if "interfaces" in push.post_checks:
        states = interface_states(platform, ask)
        seen.up = None if states is None else {name for name, state in states.items() if state == "up"}
    reader = _frr_json if push.observe == "frr_json" else _parsed
    reader(platform, push, ask, seen)
    return seen


def _parsed(platform: str, push: PushSpec, ask: Ask, seen: Observation) -> None:
    if "isis" in push.post_checks:
        seen.neighbours = {str(r["neighbor"]) for r in _rows(platform, "isis_peers", ask) if r["up"]}
    if "bgp" in push.post_checks:
        seen.sessions = {str(r["neighbor"]) for r in _rows(platform, "bgp_peers", ask) if r["up"]}
    if "loopbacks" in push.post_checks:
        seen.routes = {str(r["prefix"]) for r in _rows(platform, "routes_v4", ask) if r.get("up", True)}


def _frr_json(platform: str, push: PushSpec, ask: Ask, seen: Observation) -> None:
    if "isis" in push.post_checks:
        seen.neighbours = parse_isis_neighbors(ask(ISIS_NEIGHBORS))
    if "bgp" in push.post_checks:
        seen.sessions = parse_bgp_established(ask(BGP_SESSIONS))
    if "loopbacks" in push.post_checks:
        seen.routes = parse_route_prefixes(ask(ROUTES))


def _rows(platform: str, query: str, ask: Ask) -> list[dict[str, Any]]:
    return parse(platform, query, ask(_command(platform, query)))


def _command(platform: str, query: str) -> str:
    return parser(platform, query).command()
