"""A runbook's checks: what each sends to a device (the platform's `checks` data) and how the answer is
judged. FRR answers in JSON; VRP, Comware and IOS-XR are read with their parsers (netauto/parse, tested
on real and documented outputs). A platform without the command a check needs cannot run it, and a
runbook that needs it is refused before anything changes."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import ip_network
from typing import Any

from netauto.i18n import N_, ReportLocale
from netauto.parse import ParseError, parse_with, parser, queries
from netauto.platforms import CheckSpec, get_platform
from netauto.runbook.document import BgpCheck, Check, CountCheck, OnlyCheck, PingCheck, RouteCheck

NO_SUCH_PEER = "no such peer"
PING = {  # (what the answer says, in a VRF)
    ("nothing", False): N_("ping {target}: no statistics in the answer"),
    ("nothing", True): N_("ping {target} in {vrf}: no statistics in the answer"),
    ("another", False): N_("ping {target}: the answer is about {other}"),
    ("another", True): N_("ping {target} in {vrf}: the answer is about {other}"),
    ("answered", False): N_("ping {target}: {received}/{sent} answered"),
    ("answered", True): N_("ping {target} in {vrf}: {received}/{sent} answered"),
}

# sends one command to the device, which may take so many seconds more than a usual command; its answer
Ask = Callable[[str, float], str]


@dataclass
class Verdict:
    """A check's outcome; its detail is a catalogue message (netauto/i18n.py) with named fields."""

    passed: bool
    template: str
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def detail(self) -> str:
        """In English, as the journal and the terminal show it."""
        return self.template.format(**self.fields)

    def shown(self, locale: ReportLocale) -> str:
        """In the report's language."""
        return locale.gettext(self.template).format(**self.fields)


def needed_commands(check: Check, platform: str) -> list[str | None]:
    """The platform's commands this check sends (None where the platform has none)."""
    spec = get_platform(platform).checks
    if spec is None:
        return [None]
    if spec.output == "parsed":
        return [_parsed_command(platform, query, check) for query in _queries(check)]
    if isinstance(check, PingCheck):
        return [None]  # FRR's vtysh has no bounded ping
    if isinstance(check, BgpCheck):
        return [_command(spec.bgp, spec, check.vrf)]
    return [_command(spec.routes_v4 if v == 4 else spec.routes_v6, spec, check.vrf) for v in _versions(check)]


def _versions(check: RouteCheck | OnlyCheck | CountCheck) -> list[int]:
    if isinstance(check, CountCheck):
        return [4, 6]
    prefixes = [check.prefix] if isinstance(check, RouteCheck) else check.within
    return sorted({ip_network(p, strict=False).version for p in prefixes})


def _queries(check: Check) -> list[str]:
    """What the check reads, by the parsers' queries."""
    if isinstance(check, BgpCheck):
        return ["bgp_vpn_peers" if check.vrf else "bgp_peers"]
    if isinstance(check, PingCheck):
        return ["ping"]
    return [f"routes_v{version}" for version in _versions(check)]


def _parsed_command(platform: str, query: str, check: Check) -> str | None:
    if query not in queries(platform):
        return None
    if isinstance(check, PingCheck):
        return parser(platform, query).command(check.vrf, target=check.target, count=check.count, timeout=check.timeout)
    return parser(platform, query).command(check.vrf)


def unsupported(check: Check, platform: str) -> str | None:
    """Why the platform cannot evaluate the check, or None."""
    if any(command is None for command in needed_commands(check, platform)):
        return f"{check.device} ({platform}) has no verified command and parser for a '{check.kind}' check"
    return None


def evaluate(check: Check, platform: str, ask: Ask) -> Verdict:
    wait = check.bound if isinstance(check, PingCheck) else 0.0
    answers = [ask(command, wait) for command in needed_commands(check, platform) if command]
    parsed = get_platform(platform).checks
    if parsed is not None and parsed.output == "parsed":
        try:
            return _judge_parsed(check, platform, answers)
        except ParseError as error:
            return Verdict(False, N_("answer not understood: {error}"), {"error": str(error)})
    if isinstance(check, BgpCheck):
        states = _bgp_states(answers[0])
        state = states.get(check.peer, NO_SUCH_PEER)
        up = state == "Established"
        return _bgp(check, up, state)
    if isinstance(check, PingCheck):  # refused before the run
        return Verdict(False, N_("{device} ({platform}) cannot ping"), {"device": check.device, "platform": platform})
    tables = [_selected_prefixes(answer) for answer in answers]
    return _judge_routes(check, tables)


def _judge_parsed(check: Check, platform: str, answers: list[str]) -> Verdict:
    rows = [parse_with(parser(platform, q), answer) for q, answer in zip(_queries(check), answers, strict=True)]
    if isinstance(check, BgpCheck):
        peers = [r for r in rows[0] if r["neighbor"] == check.peer and r.get("vrf", check.vrf) == check.vrf]
        up = any(r["up"] for r in peers)
        state = "Established" if up else (str(peers[0]["state"]) if peers else NO_SUCH_PEER)
        return _bgp(check, up, state)
    if isinstance(check, PingCheck):
        return _judge_ping(check, rows[0])
    tables = [{_normal(str(r["prefix"])) for r in table if r.get("up", True)} for table in rows]
    return _judge_routes(check, tables)


def _bgp(check: BgpCheck, up: bool, state: str) -> Verdict:
    """The session's state as the device names it (Established, Idle, Active …), or that there is none."""
    fields = {"peer": check.peer, "state": state}
    if state == NO_SUCH_PEER:
        return Verdict(check.expect != "up", N_("BGP {peer}: no such peer"), {"peer": check.peer})
    return Verdict(up == (check.expect == "up"), N_("BGP {peer}: {state}"), fields)


def _judge_ping(check: PingCheck, rows: list[dict[str, Any]]) -> Verdict:
    fields: dict[str, Any] = {"target": check.target, "vrf": check.vrf}
    in_vrf = bool(check.vrf)
    if not rows:
        return Verdict(False, PING[("nothing", in_vrf)], fields)
    if rows[0]["target"] != check.target:
        return Verdict(False, PING[("another", in_vrf)], {**fields, "other": rows[0]["target"]})
    sent, received = int(rows[0]["sent"]), int(rows[0]["received"])
    lost = 100 * (sent - received) / sent if sent else 100.0
    counted = {**fields, "received": received, "sent": sent}
    template = PING[("answered", in_vrf)]
    if check.expect == "unreachable":
        return Verdict(received == 0, template, counted)
    return Verdict(received > 0 and lost <= check.max_loss, template, counted)


def _normal(prefix: str) -> str:
    """A prefix as the runbook writes it (devices print IPv6 in capitals, some with host bits)."""
    try:
        return str(ip_network(prefix, strict=False))
    except ValueError:
        return prefix


def _judge_routes(check: RouteCheck | OnlyCheck | CountCheck, tables: list[set[str]]) -> Verdict:
    if isinstance(check, CountCheck):
        counts = {f"v{version}": len(table) for version, table in zip((4, 6), tables, strict=False)}
        return Verdict(
            True, N_("{v4} IPv4 routes + {v6} IPv6 routes") if "v6" in counts else N_("{v4} IPv4 routes"), counts
        )
    routes = set().union(*tables)
    if isinstance(check, RouteCheck):
        present = check.prefix in routes
        template = N_("{prefix} present") if present else N_("{prefix} absent")
        return Verdict(present == (check.expect == "present"), template, {"prefix": check.prefix})
    return _only(check, routes)


def _only(check: OnlyCheck, routes: set[str]) -> Verdict:
    within = [ip_network(p) for p in check.within]
    inside = {r for r in routes if any(_subnet(ip_network(r), w) for w in within)}
    extra = sorted(inside - set(check.allowed))
    if extra:
        return Verdict(False, N_("not agreed but present: {prefixes}"), {"prefixes": ", ".join(extra[:5])})
    fields = {"within": ", ".join(check.within), "prefixes": ", ".join(sorted(inside))}
    return Verdict(True, N_("inside {within} only {prefixes}") if inside else N_("nothing inside {within}"), fields)


def _subnet(prefix: Any, within: Any) -> bool:
    return bool(prefix.version == within.version and prefix.subnet_of(within))


def _command(template: str | None, spec: CheckSpec, vrf: str | None) -> str | None:
    if template is None:
        return None
    return template.format(vrf=spec.vrf_clause.format(name=vrf) if vrf else "")


def _selected_prefixes(answer: str) -> set[str]:
    """Prefixes with a selected route, from FRR's `show ip[v6] route [vrf X] json`."""
    table = _json(answer)
    return {
        prefix
        for prefix, routes in table.items()
        if isinstance(routes, list) and any(isinstance(r, dict) and r.get("selected") for r in routes)
    }


def _bgp_states(answer: str) -> dict[str, str]:
    """Peer -> state, from FRR's `show bgp [vrf X] summary json` (every address family)."""
    states: dict[str, str] = {}
    for family in _json(answer).values():
        peers = family.get("peers") if isinstance(family, dict) else None
        for address, peer in (peers or {}).items():
            if isinstance(peer, dict):
                states[address] = str(peer.get("state", "unknown"))
    return states


def _json(answer: str) -> dict[str, Any]:
    try:
        data = json.loads(answer or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
