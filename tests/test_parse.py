"""Vendor CLI output into rows with stable field names (netauto/parse), tested on real devices' output
(tests/fixtures/real-outputs, captured by the ntc-templates project) with rows read off the raw files by hand
(tests/fixtures/parsed/real-outputs.yaml), and the platform files' parsers checked for what checks need."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import TESTS, run_netauto
from netauto.parse import QUERIES, ParseError, parse_with, parser, parser_for_command, queries
from netauto.platforms import platforms

REAL_OUTPUTS = TESTS / "fixtures" / "real-outputs" / "ntc-templates"
# real outputs in a parsed command's folder that answer another command
NOT_ANSWERS = {
    "cisco_xr/show_ip_route/cisco_xr_show_ip_route_qaud_zero.raw": "`show route 0.0.0.0/0`: one route's detail",
}
EXPECTED_FILE = TESTS / "fixtures" / "parsed" / "real-outputs.yaml"
EXPECTED: list[dict[str, Any]] = yaml.safe_load(EXPECTED_FILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", EXPECTED, ids=[f"{c['platform']}:{Path(c['file']).name}" for c in EXPECTED])
def test_each_real_output_reads_as_read_by_hand(case: dict[str, Any]) -> None:
    chosen = parser_for_command(case["platform"], case["command"])
    rows = parse_with(chosen, (REAL_OUTPUTS / case["file"]).read_text(encoding="utf-8"))
    assert len(rows) == case["count"]
    assert _in_order(case["rows"], rows), f"expected, in order, among the rows: {case['rows']}\nparsed: {rows}"


DOCUMENTED: list[dict[str, Any]] = yaml.safe_load(
    (TESTS / "fixtures" / "parsed" / "documented.yaml").read_text("utf-8")
)


@pytest.mark.parametrize("case", DOCUMENTED, ids=[f"{c['platform']}:{c['file']}" for c in DOCUMENTED])
def test_each_documented_output_reads_as_read_by_hand(case: dict[str, Any]) -> None:
    """Where no real capture exists, the vendor documentation's example output (no stand-in's)."""
    chosen = parser_for_command(case["platform"], case["command"])
    sample = TESTS / "fixtures" / "parsed" / "documented" / case["file"]
    rows = parse_with(chosen, sample.read_text(encoding="utf-8"))
    assert len(rows) == case["count"]
    assert _in_order(case["rows"], rows), f"expected, in order, among the rows: {case['rows']}\nparsed: {rows}"


# parsers no sample tests, and why (each shares its template with a tested parser of its platform)
UNTESTED = {
    ("h3c_comware", "bgp_vpn_peers"): "no sample of a VPN instance's peers; the same table as bgp_peers",
}


def test_every_parser_is_tested_on_a_real_or_documented_output_or_says_why_not() -> None:
    tested = {(c["platform"], parser_for_command(c["platform"], c["command"]).query) for c in EXPECTED + DOCUMENTED}
    every = {(p, q) for p in platforms() if platforms()[p].parsers for q in queries(p)}
    assert every - tested == set(UNTESTED)
    for platform, query in UNTESTED:
        template = parser(platform, query).spec.textfsm
        assert template in {parser(p, q).spec.textfsm for p, q in tested if p == platform}


def _in_order(wanted: list[dict[str, Any]], rows: list[dict[str, Any]]) -> bool:
    position = 0
    for expected in wanted:
        while position < len(rows) and any(rows[position].get(k) != v for k, v in expected.items()):
            position += 1
        if position == len(rows):
            return False
        position += 1
    return True


def test_every_real_output_of_a_command_netauto_parses_is_tested() -> None:
    """No sample of a parsed command goes untested (the raw folder names the command)."""
    parsed_folders = {Path(c["file"]).parent.as_posix() for c in EXPECTED}
    tested = {c["file"] for c in EXPECTED}
    untested = [
        raw.relative_to(REAL_OUTPUTS).as_posix()
        for raw in sorted(REAL_OUTPUTS.glob("*/*/*.raw"))
        if raw.parent.relative_to(REAL_OUTPUTS).as_posix() in parsed_folders
        and raw.relative_to(REAL_OUTPUTS).as_posix() not in tested | set(NOT_ANSWERS)
    ]
    assert untested == []


@pytest.mark.parametrize("platform", sorted(p for p in platforms() if platforms()[p].parsers))
def test_every_parser_gives_its_querys_fields(platform: str) -> None:
    for query in queries(platform):
        assert query in QUERIES, f"{platform}: unknown query {query}"
        chosen = parser(platform, query)
        missing = set(QUERIES[query]) - set(chosen.spec.fields)
        assert not missing, f"{platform} {query}: no {sorted(missing)}"
        assert chosen.spec.up is None or "state" in chosen.spec.fields


@pytest.mark.parametrize(
    ("platform", "typed", "sent"),
    [
        ("huawei_vrp", "display ip routing-table vpn-instance dept-a verbose", "display ip routing-table{vrf} verbose"),
        ("huawei_vrp", "display  ip routing-table   verbose", "display ip routing-table{vrf} verbose"),
        ("h3c_comware", "display bgp peer ipv4 vpn-instance public-data", "display bgp peer ipv4{vrf}"),
        ("cisco_iosxr", "ping vrf a 10.1.1.1 count 3 timeout 1", "ping{vrf} {target} count {count} timeout {timeout}"),
    ],
)
def test_a_command_as_typed_finds_its_parser(platform: str, typed: str, sent: str) -> None:
    assert parser_for_command(platform, typed).spec.command == sent


def test_the_command_sent_carries_the_vrf_clause_of_the_platform() -> None:
    assert parser("huawei_vrp", "routes_v4").command("dept-a") == "display ip routing-table vpn-instance dept-a verbose"
    assert parser("huawei_vrp", "routes_v4").command(None) == "display ip routing-table verbose"
    assert parser("cisco_iosxr", "routes_v4").command("dept-a") == "show route vrf dept-a ipv4"
    ping = parser("huawei_vrp", "ping").command("dept-a", target="10.1.1.1", count=3, timeout=1)
    assert ping == "ping -vpn-instance dept-a -c 3 -t 1000 10.1.1.1"
    assert parser("cisco_iosxr", "ping").command("a", target="10.1.1.1", count=3, timeout=1) == (
        "ping vrf a 10.1.1.1 count 3 timeout 1"
    )


def test_an_unknown_command_or_query_is_a_clear_error() -> None:
    with pytest.raises(ParseError, match=r"no parser of platform huawei_vrp reads 'display version'"):
        parser_for_command("huawei_vrp", "display version")
    with pytest.raises(ParseError, match=r"platform frr has no parser for 'isis_peers'"):
        parser("frr", "isis_peers")


def test_netauto_parse_prints_the_rows_as_json(tmp_path: Path) -> None:
    raw = REAL_OUTPUTS / "huawei_vrp" / "display_bgp_peer" / "huawei_vrp_display_bgp_peer.raw"
    result = run_netauto("parse", "huawei_vrp", "display bgp vpnv4 all peer", str(raw), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["query"] == "bgp_peers" and document["parser"].startswith("ntc-templates")
    assert [r["neighbor"] for r in document["rows"]] == [f"192.168.1.{n}" for n in (11, 12, 13, 14)]


def test_netauto_parse_of_an_unknown_command_or_missing_file_exits_1_without_traceback(tmp_path: Path) -> None:
    unknown = run_netauto("parse", "cisco_iosxr", "show version", "/dev/null", cwd=tmp_path)
    assert unknown.returncode == 1 and "show isis neighbors" in unknown.stderr and "Traceback" not in unknown.stderr
    missing = run_netauto("parse", "cisco_iosxr", "show isis neighbors", str(tmp_path / "none.txt"), cwd=tmp_path)
    assert missing.returncode == 1 and "none.txt" in missing.stderr and "Traceback" not in missing.stderr
