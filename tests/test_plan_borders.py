"""The borders of interconnected dedicated networks (issue 8's first piece): where each one meets the
extranet, numbered from the PE-CE pools and as sticky as everything else."""

from __future__ import annotations

from ipaddress import ip_interface, ip_network
from pathlib import Path

import yaml
from test_sticky_allocation import lock_entries, plan_json

from netauto.platforms import get_platform


def test_every_interconnected_network_with_a_border_gets_one_in_its_vpn(qingpu: Path) -> None:
    plan = plan_json(qingpu)
    dedicated = yaml.safe_load((qingpu / "dedicated.yaml").read_text(encoding="utf-8"))["dedicated_networks"]
    expected = {d["id"]: d for d in dedicated if d["mode"] == "interconnect" and d.get("border")}
    borders = {b["network"]: b for b in plan["borders"]}
    assert set(borders) == set(expected) and len(borders) == 6
    vpn_ids = {v["id"]: v["vpn_id"] for v in plan["vpns"]}
    platforms = {d["name"]: d["platform"] for d in plan["devices"]}
    network = yaml.safe_load((qingpu / "network.yaml").read_text(encoding="utf-8"))["network"]
    pool = ip_network(network["pools"]["pe_ce_v4"])
    taken = {a[end] for a in plan["attachments"] for end in ("ce_v4", "pe_v4")}
    for name, border in borders.items():
        source = expected[name]
        assert border["device"] == source["border"]["device"]
        assert (border["vpn"], border["vlan"]) == (source["target_vpn"], vpn_ids[source["target_vpn"]])
        port = get_platform(platforms[border["device"]]).interfaces.lan_port
        assert border["interface"] == f"{port}.{border['vlan']}"
        assert border["peering"] == source["border"]["peering"]
        assert border["peer_asn"] == source["border"].get("peer_asn")
        local = ip_interface(border["v4"])
        assert local.network.subnet_of(pool) and border["peer_v4"] in {str(h) for h in local.network}
        assert border["peer_v4"] != str(local.ip) and border["v4"] not in taken


def test_a_border_keeps_its_numbers_is_retired_with_its_network_and_gets_them_back(qingpu: Path) -> None:
    before = {b["network"]: b for b in plan_json(qingpu)["borders"]}
    dedicated = qingpu / "dedicated.yaml"
    text = dedicated.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    data["dedicated_networks"] = [d for d in data["dedicated_networks"] if d["id"] != "sh-renshe"]
    dedicated.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    without = {b["network"]: b for b in plan_json(qingpu)["borders"]}
    assert "sh-renshe" not in without and all(without[n] == before[n] for n in without)
    assert "border|sh-renshe" not in lock_entries(qingpu)["attachments"]
    dedicated.write_text(text, encoding="utf-8")
    again = {b["network"]: b for b in plan_json(qingpu)["borders"]}
    assert again == before
