"""The Qingpu sample: what the source documents say must hold in its plan."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from ipaddress import ip_interface, ip_network
from itertools import pairwise
from typing import Any

import pytest

from conftest import QINGPU, run_netauto

TOWNS = {
    "xiayang",
    "yingpu",
    "xianghuaqiao",
    "zhujiajiao",
    "liantang",
    "jinze",
    "zhaoxiang",
    "xujing",
    "huaxin",
    "chonggu",
    "baihe",
}


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    result = run_netauto("plan", str(QINGPU), "--json", "--frozen")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_validate_exits_zero() -> None:
    result = run_netauto("validate", str(QINGPU))
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


def test_site_counts_match_the_source_documents(plan: dict[str, Any]) -> None:
    classes = Counter(site["class"] for site in plan["sites"])
    assert classes["core"] == 2
    assert {s["id"] for s in plan["sites"] if s["class"] == "town"} == TOWNS
    assert classes["bureau"] >= 40
    assert classes["village"] >= 250
    assert classes["cloud"] == 1 and classes["upstream"] == 1


def test_villages_hang_off_towns(plan: dict[str, Any]) -> None:
    towns = {s["id"] for s in plan["sites"] if s["class"] == "town"}
    villages = [s for s in plan["sites"] if s["class"] == "village"]
    assert all(v["parent"] in towns for v in villages)
    assert set(Counter(v["parent"] for v in villages)) == towns


def test_dedicated_networks_follow_the_plan(plan: dict[str, Any]) -> None:
    kinds = Counter((d["level"], d["mode"]) for d in plan["dedicated_networks"])
    assert kinds == {("municipal", "interconnect"): 6, ("municipal", "cutover"): 8, ("district", "cutover"): 1}
    vpns = {v["id"]: v for v in plan["vpns"]}
    assert all(vpns[d["target_vpn"]]["zone"] == "dedicated" for d in plan["dedicated_networks"])


def test_a_cut_over_site_joins_its_departments_vpn_besides_the_zones(plan: dict[str, Any]) -> None:
    network = next(d for d in plan["dedicated_networks"] if d["id"] == "sh-tongji")  # one bureau: bureau-tjj
    ce = next(d["name"] for d in plan["devices"] if d["site"] == "bureau-tjj")
    vpns = {a["vpn"] for a in plan["attachments"] if a["ce"] == ce}
    assert vpns == {"public-data", "public-video", "internet", network["target_vpn"]}
    lans = [x for x in plan["lans"] if x["site"] == "bureau-tjj" and x["vpn"] == network["target_vpn"]]
    assert len(lans) == 1 and lans[0]["v4"].startswith("172.27.")  # from the department's prefixes


def test_zones_public_per_plane_and_internet(plan: dict[str, Any]) -> None:
    public = {v["plane"] for v in plan["vpns"] if v["zone"] == "public"}
    assert public == {"data", "video"}
    assert any(v["zone"] == "internet" for v in plan["vpns"])


def _devices(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["name"]: d for d in plan["devices"]}


def _uplinks(plan: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    by_site: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for link in plan["links"]:
        if link["kind"] == "uplink":
            by_site[link["id"].split(":")[1]].append(link)
    return by_site


def test_core_sites_are_joined_at_200g_and_both_carry_the_upstream(plan: dict[str, Any]) -> None:
    devices = _devices(plan)
    between = [
        link
        for link in plan["links"]
        if {devices[link["a"]]["site"], devices[link["b"]]["site"]} == {"core-a", "core-b"}
    ]
    assert between and all(link["capacity_gbps"] == 200 for link in between)
    upstream_ends = {devices[link["b"]]["site"] for link in _uplinks(plan)["municipal"]}
    assert upstream_ends == {"core-a", "core-b"}


@pytest.mark.parametrize("site_class", ["town", "bureau"])
def test_dual_homed_sites_use_two_10g_uplinks_to_different_core_devices(plan: dict[str, Any], site_class: str) -> None:
    devices = _devices(plan)
    uplinks = _uplinks(plan)
    for site in (s["id"] for s in plan["sites"] if s["class"] == site_class):
        links = uplinks[site]
        assert len(links) == 2
        assert all(link["capacity_gbps"] == 10 for link in links)
        far = [devices[link["b"]] for link in links]
        assert far[0]["name"] != far[1]["name"] and {d["role"] for d in far} == {"core"}
        assert {d["site"] for d in far} == {"core-a", "core-b"}
        assert not set(links[0]["srlg"]) & set(links[1]["srlg"]) and links[0]["srlg"]
        assert [link["planes"] for link in links] == [["data"], ["video"]]


def test_villages_use_one_1g_uplink_to_their_town_pe(plan: dict[str, Any]) -> None:
    devices = _devices(plan)
    uplinks = _uplinks(plan)
    for village in (s for s in plan["sites"] if s["class"] == "village"):
        (link,) = uplinks[village["id"]]
        assert link["capacity_gbps"] == 1
        assert devices[link["b"]]["site"] == village["parent"] and devices[link["b"]]["role"] == "pe"


def test_every_allocation_is_unique_and_inside_its_pool(plan: dict[str, Any]) -> None:
    managed = [d for d in plan["devices"] if d["platform"]]
    loopbacks4 = [d["loopback_v4"] for d in managed]
    loopbacks6 = [d["loopback_v6"] for d in managed]
    assert len(set(loopbacks4)) == len(managed) and len(set(loopbacks6)) == len(managed)
    assert all(ip_interface(a).ip in ip_network("10.255.0.0/22") for a in loopbacks4)
    nets = [d["isis_net"] for d in managed if d["isis_net"]]
    assert len(nets) == len(set(nets)) == sum(d["role"] in ("core", "pe", "border") for d in managed)
    p2p4 = [link["p2p_v4"] for link in plan["links"]]
    assert len(set(p2p4)) == len(p2p4)
    assert all(ip_network(p).subnet_of(ip_network("10.254.0.0/21")) for p in p2p4)
    interfaces = [
        (link[f"{end}"], link[f"{end}_interface"]) for link in plan["links"] for end in "ab" if link[f"{end}_interface"]
    ]
    assert len(interfaces) == len(set(interfaces))


def test_srv6_locators_encode_the_planes_flex_algo(plan: dict[str, Any]) -> None:
    for device in plan["devices"]:
        if device["role"] in ("core", "pe", "border") and device["platform"]:
            assert ip_network(device["srv6_locators"]["data"]).subnet_of(ip_network("fcbb:3180::/32"))
            assert ip_network(device["srv6_locators"]["video"]).subnet_of(ip_network("fcbb:3181::/32"))
            assert ip_network(device["srv6_locators"]["data"]).prefixlen == 48


def test_vpn_sids_use_the_vpn_plane_and_its_backup(plan: dict[str, Any]) -> None:
    devices = _devices(plan)
    vpn = next(v for v in plan["vpns"] if v["id"] == "public-video")
    for pe, sids in vpn["sids"].items():
        assert ip_network(sids["primary"]).subnet_of(ip_network(devices[pe]["srv6_locators"]["video"]))
        assert ip_network(sids["backup"]).subnet_of(ip_network(devices[pe]["srv6_locators"]["data"]))
    ids = [v["vpn_id"] for v in plan["vpns"]]
    assert len(ids) == len(set(ids))
    assert all(v["import_targets"] == [f"64620:{v['vpn_id']}"] for v in plan["vpns"])


def test_platform_mix_is_realistic(plan: dict[str, Any]) -> None:
    devices = _devices(plan)
    core_platforms = {d["platform"] for d in devices.values() if d["role"] == "core"}
    assert core_platforms == {"huawei_vrp", "cisco_iosxr"}
    town_platforms = {d["platform"] for d in devices.values() if d["class"] == "town"}
    assert town_platforms == {"huawei_vrp", "h3c_comware"}


def test_committed_lock_is_current() -> None:
    """`--frozen` fails when planning would change the committed lock file."""
    assert (QINGPU / "netauto.lock").exists()
    result = run_netauto("plan", str(QINGPU), "--frozen")
    assert result.returncode == 0, result.stderr


def test_summary_names_counts() -> None:
    result = run_netauto("plan", str(QINGPU), "--frozen")
    for text in ("Sites per class", "Devices per platform", "Links per class", "Allocations", "village", "260"):
        assert text in result.stdout


def test_lans_never_overlap_inside_a_vpn(plan: dict[str, Any]) -> None:
    by_vpn: dict[str, list[Any]] = defaultdict(list)
    for lan in plan["lans"]:
        for family in ("v4", "v6"):
            if lan[family]:
                by_vpn[lan["vpn"]].append(ip_network(lan[family]))
    assert by_vpn, "the sample attaches sites to VPNs"
    for vpn, prefixes in by_vpn.items():
        ordered = sorted(prefixes, key=lambda p: (p.version, int(p.network_address)))
        for first, second in pairwise(ordered):
            assert first.version != second.version or not first.overlaps(second), (vpn, first, second)


def test_every_ce_uplink_carries_each_of_its_vpns(plan: dict[str, Any]) -> None:
    attached = {(a["ce"], a["vpn"]) for a in plan["attachments"]}
    migrating = {site for d in plan["dedicated_networks"] if d["mode"] == "cutover" for site in d["sites"]}
    bureau = next(d["name"] for d in plan["devices"] if d["class"] == "bureau" and d["site"] not in migrating)
    assert {vpn for ce, vpn in attached if ce == bureau} == {"public-data", "public-video", "internet"}
    per_uplink = [a for a in plan["attachments"] if a["ce"] == bureau]
    assert len(per_uplink) == 6 and sum(a["primary"] for a in per_uplink) == 3
    assert all(a["vlan"] == next(v["vpn_id"] for v in plan["vpns"] if v["id"] == a["vpn"]) for a in per_uplink)
