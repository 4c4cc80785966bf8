"""Allocation is deterministic and sticky: adding a site renumbers nothing; removing one retires it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import QINGPU, run_netauto
from netauto.plan.lock import read_lock

NEW_VILLAGE = "  - {id: zhujiajiao-v99, name: 新设村, class: village, parent: zhujiajiao, users: 15}\n"
NEW_TOWN_AND_BUREAU = (
    "sites:\n"
    "  - {id: newtown, name: 新镇, class: town, platform: huawei_vrp,\n"
    "     uplinks: [{srlg: [newtown-route-1]}, {srlg: [newtown-route-2]}]}\n"
    "  - {id: bureau-new, name: 新局, class: bureau}\n"
)


def plan_json(inventory: Path) -> dict[str, Any]:
    result = run_netauto("plan", str(inventory), "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def lock_entries(inventory: Path) -> dict[str, dict[str, Any]]:
    lock = read_lock(inventory)
    return {kind: dict(entries) for kind, entries in lock.active.items()}


def test_same_inventory_gives_byte_identical_output(qingpu: Path, tmp_path: Path) -> None:
    first = run_netauto("plan", str(qingpu), "--json").stdout
    lock_before = (qingpu / "netauto.lock").read_bytes()
    second = run_netauto("plan", str(qingpu), "--json").stdout
    assert first == second
    assert (qingpu / "netauto.lock").read_bytes() == lock_before


def test_planning_from_scratch_is_deterministic(tmp_path: Path) -> None:
    outputs = []
    for name in ("one", "two"):
        fresh = tmp_path / name
        shutil.copytree(QINGPU, fresh)
        (fresh / "netauto.lock").unlink()
        outputs.append((run_netauto("plan", str(fresh), "--json").stdout, (fresh / "netauto.lock").read_bytes()))
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0][0])["devices"]


FIRST_IN_ORDER = "  - {id: aaa-village, name: 新村, class: village, parent: baihe, users: 15}\n"


@pytest.mark.parametrize("line", [NEW_VILLAGE, FIRST_IN_ORDER], ids=["sorts-last", "sorts-first"])
def test_a_new_village_anywhere_in_the_order_changes_no_existing_allocation(qingpu: Path, line: str) -> None:
    before = lock_entries(qingpu)
    with (qingpu / "sites" / "villages.yaml").open("a", encoding="utf-8") as villages:
        villages.write(line)
    result = run_netauto("plan", str(qingpu))
    assert result.returncode == 0, result.stderr
    after = lock_entries(qingpu)
    for kind, entries in before.items():
        assert {key: after[kind][key] for key in entries} == entries, kind
    assert "changed" not in result.stdout


def test_adding_a_village_changes_no_existing_allocation(qingpu: Path) -> None:
    before = lock_entries(qingpu)
    with (qingpu / "sites" / "villages.yaml").open("a", encoding="utf-8") as villages:
        villages.write(NEW_VILLAGE)
    result = run_netauto("plan", str(qingpu))
    assert result.returncode == 0, result.stderr
    assert "new: 1 devices, 1 links, 2 attachments, 2 lans" in result.stdout
    after = lock_entries(qingpu)
    for kind, entries in before.items():
        assert {key: after[kind][key] for key in entries} == entries, kind
    assert set(after["devices"]) - set(before["devices"]) == {"zhujiajiao-v99-ce1"}
    assert set(after["links"]) - set(before["links"]) == {"uplink:zhujiajiao-v99:1"}


def test_adding_dual_homed_sites_keeps_every_uplink_where_it_was(qingpu: Path) -> None:
    before = plan_json(qingpu)
    (qingpu / "sites" / "more.yaml").write_text(NEW_TOWN_AND_BUREAU, encoding="utf-8")
    after = plan_json(qingpu)
    old_links = {link["id"]: link for link in before["links"]}
    new_links = {link["id"]: link for link in after["links"]}
    assert {key: new_links[key] for key in old_links} == old_links
    old_devices = {d["name"]: d for d in before["devices"]}
    assert {d["name"]: d for d in after["devices"] if d["name"] in old_devices} == old_devices
    assert {"uplink:newtown:1", "uplink:newtown:2", "uplink:bureau-new:1", "uplink:bureau-new:2"} <= set(new_links)


def test_removed_site_is_retired_and_its_addresses_are_not_reused(qingpu: Path) -> None:
    villages_file = qingpu / "sites" / "villages.yaml"
    original = villages_file.read_text(encoding="utf-8")
    removed_line = next(line for line in original.splitlines() if "id: baihe-v01," in line)
    old = lock_entries(qingpu)["devices"]["baihe-v01-ce1"]
    villages_file.write_text(original.replace(removed_line + "\n", ""), encoding="utf-8")
    result = run_netauto("plan", str(qingpu))
    assert result.returncode == 0, result.stderr
    assert "retired device baihe-v01-ce1" in result.stdout
    assert read_lock(qingpu).retired["devices"]["baihe-v01-ce1"] == old

    with villages_file.open("a", encoding="utf-8") as villages:
        villages.write(NEW_VILLAGE)
    plan = plan_json(qingpu)
    loopbacks = {d["loopback_v4"] for d in plan["devices"]}
    assert old["loopback_v4"] not in loopbacks
    assert "baihe-v01-ce1" in plan["retired"]["devices"]

    villages_file.write_text(original + NEW_VILLAGE, encoding="utf-8")
    result = run_netauto("plan", str(qingpu))
    assert "restored: 1 devices, 1 links" in result.stdout
    assert lock_entries(qingpu)["devices"]["baihe-v01-ce1"] == old


def test_hand_reformatted_lock_is_still_read(qingpu: Path) -> None:
    expected = run_netauto("plan", str(qingpu), "--json").stdout
    lock_file = qingpu / "netauto.lock"
    data = yaml.safe_load(lock_file.read_text(encoding="utf-8"))
    lock_file.write_text(yaml.safe_dump(data, allow_unicode=True, default_flow_style=False), encoding="utf-8")
    assert run_netauto("plan", str(qingpu), "--json").stdout == expected


def test_frozen_refuses_to_change_the_lock(qingpu: Path) -> None:
    with (qingpu / "sites" / "villages.yaml").open("a", encoding="utf-8") as villages:
        villages.write(NEW_VILLAGE)
    lock_before = (qingpu / "netauto.lock").read_bytes()
    result = run_netauto("plan", str(qingpu), "--frozen")
    assert result.returncode == 1
    assert "would change" in result.stderr and "Traceback" not in result.stderr
    assert (qingpu / "netauto.lock").read_bytes() == lock_before


def test_pinned_loopback_moves_only_that_device(qingpu: Path) -> None:
    before = lock_entries(qingpu)["devices"]
    (qingpu / "pins.yaml").write_text(
        "devices:\n  - name: zhujiajiao-pe1\n    loopback_v4: 10.255.3.200\n", encoding="utf-8"
    )
    result = run_netauto("plan", str(qingpu))
    assert result.returncode == 0, result.stderr
    assert "changed device zhujiajiao-pe1" in result.stdout
    after = lock_entries(qingpu)["devices"]
    assert after["zhujiajiao-pe1"]["loopback_v4"] == "10.255.3.200"
    assert {k: v for k, v in after.items() if k != "zhujiajiao-pe1"} == {
        k: v for k, v in before.items() if k != "zhujiajiao-pe1"
    }
