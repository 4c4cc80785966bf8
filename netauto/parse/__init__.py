"""Vendor CLI output into rows with stable field names, for post-checks and runbook checks.

What a platform can be asked is data (the `parsers` section of its platform file): per query (QUERIES)
the command as sent and the library that parses the answer: ntc-templates' TextFSM templates where one
covers the command, netauto's own TextFSM templates (netauto/parse/templates/) where none does. Every
row has the query's fields, whatever the platform:

    >>> rows = parse("huawei_vrp", "bgp_peers", VRP_BGP_PEER_SAMPLE)
    >>> [(r["neighbor"], r["remote_as"], r["state"], r["up"]) for r in rows]
    [('192.0.2.11', '65001', 'Established', True), ('192.0.2.12', '65001', 'Idle', False)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import textfsm
from ntc_templates.parse import parse_output

from netauto.errors import NetautoError, did_you_mean
from netauto.platforms import ParserSpec, ParsersSpec, get_platform

TEMPLATES = Path(__file__).parent / "templates"

# query -> its stable fields (every parser of the query fills all of them; `up` comes from `state`)
QUERIES: dict[str, tuple[str, ...]] = {
    "isis_peers": ("neighbor", "interface", "state"),
    "bgp_peers": ("neighbor", "remote_as", "state"),
    "bgp_vpn_peers": ("neighbor", "remote_as", "state"),
    "routes_v4": ("prefix", "next_hop", "protocol", "interface"),
    "routes_v6": ("prefix", "next_hop", "protocol", "interface"),
    "interfaces": ("interface", "state", "protocol"),
    "srv6_locators": ("name", "prefix"),
    "ping": ("target", "sent", "received"),  # the command takes {target}, {count}, {timeout} (s), {timeout_ms}
}

Row = dict[str, Any]


class ParseError(NetautoError):
    pass


@dataclass(frozen=True)
class Parser:
    platform: str
    query: str
    spec: ParserSpec
    ntc_platform: str | None

    def command(self, vrf: str | None = None, **values: object) -> str:
        """The command as sent: for a VRF, or the global table when `vrf` is None."""
        clause = self.vrf_clause.format(name=vrf) if vrf else ""
        if "timeout" in values:  # seconds; VRP and Comware take milliseconds
            values.setdefault("timeout_ms", round(float(str(values["timeout"])) * 1000))
        return self.spec.command.format(vrf=clause, **values)

    @property
    def vrf_clause(self) -> str:
        return self.spec.vrf_clause if self.spec.vrf_clause is not None else self.clauses.vrf_clause

    @property
    def clauses(self) -> ParsersSpec:
        parsers = get_platform(self.platform).parsers
        assert parsers is not None
        return parsers

    @property
    def library(self) -> str:
        if self.spec.ntc:
            return f"ntc-templates ({self.ntc_platform} {self.spec.ntc})"
        return f"netauto ({self.spec.textfsm})"

    @property
    def usage(self) -> str:
        """The command as an engineer types it: `display ip routing-table [vpn-instance NAME] verbose`."""
        clause = self.vrf_clause.format(name="NAME").strip()
        return re.sub(r"\{(\w+)\}", lambda m: f" [{clause}]" if m[1] == "vrf" else m[1].upper(), self.spec.command)


def parser(platform: str, query: str) -> Parser:
    """The platform's parser for `query`; a clear error when it has none."""
    parsers = get_platform(platform).parsers
    commands = parsers.commands if parsers else {}
    if query not in commands:
        known = sorted(commands) or ["(none)"]
        raise ParseError(f"platform {platform} has no parser for {query!r}; it parses: {', '.join(known)}")
    return Parser(platform, query, commands[query], parsers.ntc_platform if parsers else None)


def queries(platform: str) -> list[str]:
    parsers = get_platform(platform).parsers
    return sorted(parsers.commands) if parsers else []


def parser_for_command(platform: str, command: str) -> Parser:
    """The parser whose command (any VRF, any ping target) is `command`, as an engineer typed it."""
    typed = " ".join(command.split())
    for query in queries(platform):
        candidate = parser(platform, query)
        if _command_pattern(candidate).fullmatch(typed):
            return candidate
    known = [parser(platform, q).usage for q in queries(platform)]
    hint = did_you_mean(typed, known) if known else f"platform {platform} has no parsers"
    raise ParseError(f"no parser of platform {platform} reads {typed!r}; {hint}")


def parse(platform: str, query: str, text: str) -> list[Row]:
    """The rows of `text`, the answer to the platform's command for `query`."""
    return parse_with(parser(platform, query), text)


def parse_with(chosen: Parser, text: str) -> list[Row]:
    spec = chosen.spec
    raw = _ntc_rows(chosen, text) if spec.ntc else _textfsm_rows(spec.textfsm or "", text)
    rows = [_stable(spec, exploded) for row in raw for exploded in _explode(row, spec.explode)]
    abbreviations = chosen.clauses.interface_abbreviations
    for row in rows:
        if row.get("interface"):
            row["interface"] = full_interface_name(row["interface"], abbreviations)
    return [row for row in rows if any(row[field] for field in QUERIES[chosen.query][:1])]


def full_interface_name(name: str, abbreviations: dict[str, str]) -> str:
    """The name as the config writes it, where the platform printed a short one (its letters before the
    first digit are an abbreviation it lists). netutils' canonical names are Cisco IOS ones
    (TenGigabitEthernet for IOS-XR's TenGigE, H3C's Ten-GigabitEthernet): not used.

    >>> full_interface_name("XGE2/0/1.10", {"XGE": "Ten-GigabitEthernet"}), full_interface_name("GE0/1", {})
    ('Ten-GigabitEthernet2/0/1.10', 'GE0/1')
    """
    match = re.match(r"([A-Za-z-]+)(\d.*)", name)
    if match is None or match[1] not in abbreviations:
        return name
    return abbreviations[match[1]] + match[2]


def _ntc_rows(chosen: Parser, text: str) -> list[dict[str, Any]]:
    try:
        return list(parse_output(platform=chosen.ntc_platform, command=chosen.spec.ntc, data=text))
    except Exception as error:  # noqa: BLE001 - ntc-templates raises bare exceptions for every failure
        reason = str(error).split(" Input Line:")[0]  # not the device's line: it may be anything
        raise ParseError(f"{chosen.platform} {chosen.spec.ntc!r}: ntc-templates could not parse it: {reason}") from None


def _textfsm_rows(template: str, text: str) -> list[dict[str, Any]]:
    try:
        machine = textfsm.TextFSM(_template(template).open(encoding="utf-8"))
        return [{key.lower(): value for key, value in row.items()} for row in machine.ParseTextToDicts(text)]
    except textfsm.TextFSMError as error:
        reason = str(error).split(" Input Line:")[0]  # not the device's line: it may be anything
        raise ParseError(f"{template}: {reason}") from None


@cache
def _template(name: str) -> Path:
    path = TEMPLATES / name
    if not path.is_file():
        raise ParseError(f"no parser template {path}")
    return path


def _explode(row: dict[str, Any], fields: list[str]) -> list[dict[str, Any]]:
    """One row per item of the `fields` (lists of equal length, e.g. IOS-XR's peers per VRF)."""
    if not fields:
        return [row]
    columns = [row.get(field) or [] for field in fields]
    return [{**row, **dict(zip(fields, items, strict=True))} for items in zip(*columns, strict=False)]


def _stable(spec: ParserSpec, row: dict[str, Any]) -> Row:
    flat = {key: "".join(value) if isinstance(value, list) else str(value) for key, value in row.items()}
    stable: Row = {name: form.format(**flat).rstrip(spec.trim).strip() for name, form in spec.fields.items()}
    if spec.up is not None:
        stable["up"] = re.fullmatch(spec.up, stable.get("state", "")) is not None
    return stable


def _command_pattern(chosen: Parser) -> re.Pattern[str]:
    """The parser's command with every {placeholder} as a word, and the VRF clause optional."""
    clause = re.escape(chosen.vrf_clause).replace(re.escape("{name}"), r"\S+")
    parts = re.split(r"(\{\w+\})", chosen.spec.command)
    pattern = "".join(
        f"(?:{clause})?" if part == "{vrf}" else r"\S+" if part.startswith("{") else re.escape(part) for part in parts
    )
    return re.compile(pattern.replace(r"\ ", " "))


VRP_BGP_PEER_SAMPLE = """\
 BGP local router ID : 192.0.2.1
 Local AS number : 65001
 Total number of peers : 2                 Peers in established state : 1

  Peer            V          AS  MsgRcvd  MsgSent  OutQ  Up/Down       State  PrefRcv
  192.0.2.11      4       65001      120      130     0  01:02:03 Established        3
  192.0.2.12      4       65001        0        0     0  00:10:00        Idle        0
"""
