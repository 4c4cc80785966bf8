"""The change board's workflow on real renders: diff, approve, the hash, the review page in a browser."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from selenium.webdriver.common.by import By

from browser import assert_drawn_in_a_cjk_font, has_han
from conftest import TESTS, run_netauto
from netauto.i18n import ReportLocale
from netauto.secrets import MASK

ZH = ReportLocale("zh")

SECRETS = TESTS / "fixtures" / "secrets.yaml"
NEW_VILLAGE = "  - id: village-9\n    class: village\n    parent: town-1\n"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A working copy: inventory/mini (the FRR fixture), baselines/ and build/ created beside it."""
    shutil.copytree(TESTS / "fixtures" / "render-frr", tmp_path / "inventory" / "mini")
    return tmp_path


def netauto(workspace: Path, *args: str) -> Any:
    return run_netauto(*args, "--secrets", str(SECRETS), cwd=workspace)


def diff(workspace: Path, *extra: str) -> dict[str, Any]:
    result = netauto(workspace, "diff", "inventory/mini", "--json", *extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def approve(workspace: Path, change_id: str, *extra: str) -> Any:
    return netauto(workspace, "approve", "inventory/mini", "--change-id", change_id, "--by", "tester", *extra)


def test_first_approval_takes_the_whole_network_then_nothing_is_left(workspace: Path) -> None:
    first = diff(workspace)
    assert first["totals"]["devices"] == 9 and {d["status"] for d in first["devices"]} == {"new"}
    assert approve(workspace, "CHG-1").returncode == 0
    assert diff(workspace)["empty"] is True
    approvals = yaml.safe_load((workspace / "baselines" / "mini" / "approvals.yaml").read_text())
    assert approvals[0]["change_id"] == "CHG-1" and approvals[0]["change_hash"] == first["change_hash"]


def test_a_new_village_is_two_devices_and_a_model_change(workspace: Path) -> None:
    approve(workspace, "CHG-1")
    with (workspace / "inventory" / "mini" / "sites.yaml").open("a") as sites:
        sites.write(NEW_VILLAGE)
    change = diff(workspace)
    touched = {d["name"]: d for d in change["devices"]}
    assert set(touched) == {"town-1-pe1", "village-9-ce1"}
    assert touched["village-9-ce1"]["status"] == "new" and touched["town-1-pe1"]["status"] == "changed"
    assert touched["town-1-pe1"]["added"] > 0 and touched["town-1-pe1"]["removed"] == 0
    assert change["model"]["sites"]["added"] == ["village-9"]
    assert change["model"]["devices"]["added"] == ["village-9-ce1"]
    assert change["model"]["links"]["added"] == ["uplink:village-9:1"]
    assert change["analysis"]["before"]["ok"] is True and change["analysis"]["after"]["ok"] is True


def test_the_hash_binds_the_approval_to_exactly_the_reviewed_change(workspace: Path) -> None:
    approve(workspace, "CHG-1")
    classes = workspace / "inventory" / "mini" / "classes.yaml"
    classes.write_text(
        classes.read_text().replace(
            "{id: access-dual, capacity_gbps: 10, metric: 100}", "{id: access-dual, capacity_gbps: 10, metric: 90}"
        )
    )
    reviewed_change = diff(workspace)
    reviewed = reviewed_change["change_hash"]
    assert {d["name"] for d in reviewed_change["devices"]} >= {"town-1-pe1", "core-a-cr1"}
    classes.write_text(classes.read_text().replace("metric: 90}", "metric: 80}"))
    later = diff(workspace)["change_hash"]
    assert later != reviewed
    refused = approve(workspace, "CHG-2", "--hash", reviewed)
    assert refused.returncode == 1 and "no longer the one reviewed" in refused.stderr
    assert approve(workspace, "CHG-2", "--hash", later).returncode == 0
    assert diff(workspace)["empty"] is True


def test_a_secret_rotation_is_a_change_though_no_secret_is_shown(workspace: Path, tmp_path: Path) -> None:
    approve(workspace, "CHG-1")
    rotated = tmp_path / "rotated.yaml"
    rotated.write_text(SECRETS.read_text().replace("test-bgp-password-0002", "rotated-bgp-password-0003"))
    rotated.chmod(0o600)
    result = run_netauto("diff", "inventory/mini", "--json", "--secrets", str(rotated), cwd=workspace)
    change = json.loads(result.stdout)
    assert {d["status"] for d in change["devices"]} == {"secrets"}
    assert len(change["devices"]) == 6 and all("secrets changed" in d["risk"] for d in change["devices"])
    review = (workspace / "build" / "review.md").read_text() + (workspace / "build" / "review.html").read_text()
    assert "rotated-bgp-password" not in review and "test-bgp-password" not in review


def test_reordered_baseline_is_not_a_change(workspace: Path) -> None:
    approve(workspace, "CHG-1")
    stored = workspace / "baselines" / "mini" / "configs" / "core-a-cr1.cfg"
    blocks = re.split(r"(?m)^!\n", stored.read_text())  # top-level blocks only
    assert len(blocks) > 10
    stored.write_text("!\n".join(reversed(blocks)))
    assert diff(workspace)["empty"] is True


def test_risk_flags_for_core_bgp_and_villages(workspace: Path) -> None:
    approve(workspace, "CHG-1")
    inventory = workspace / "inventory" / "mini"
    (inventory / "dedicated.yaml").unlink()
    vpns = inventory / "vpns.yaml"
    vpns.write_text("".join(line for line in vpns.read_text().splitlines(True) if "dept-a" not in line))
    change = diff(workspace, "--villages", "0")
    assert "core device" in change["risk_flags"] and "bgp removed" in change["risk_flags"]
    core = next(d for d in change["devices"] if d["name"] == "core-a-cr1")
    assert core["removed"] > 0 and "bgp removed" in core["risk"]
    with (inventory / "sites.yaml").open("a") as sites:
        sites.write(NEW_VILLAGE)
    assert "1 villages affected (more than 0)" in diff(workspace, "--villages", "0")["risk_flags"]


def test_removed_device_leaves_the_baseline_when_approved(workspace: Path) -> None:
    with (workspace / "inventory" / "mini" / "sites.yaml").open("a") as sites:
        sites.write(NEW_VILLAGE)
    approve(workspace, "CHG-1")
    sites = workspace / "inventory" / "mini" / "sites.yaml"
    sites.write_text(sites.read_text().replace(NEW_VILLAGE, ""))
    change = diff(workspace)
    gone = next(d for d in change["devices"] if d["name"] == "village-9-ce1")
    assert gone["status"] == "removed" and gone["risk"] == ["device removed"]
    assert approve(workspace, "CHG-2").returncode == 0
    assert not (workspace / "baselines" / "mini" / "configs" / "village-9-ce1.cfg").exists()


def test_no_secret_reaches_any_review_artefact_or_the_baseline(workspace: Path) -> None:
    diff(workspace)
    approve(workspace, "CHG-1")
    secrets = yaml.safe_load(SECRETS.read_text())
    artefacts = [*(workspace / "baselines").rglob("*"), *(workspace / "build").glob("review.*")]
    texts = [p.read_text(encoding="utf-8") for p in artefacts if p.is_file()]
    assert texts and not any(value in text for value in secrets.values() for text in texts)
    assert any(MASK in text for text in texts)


def test_remediation_against_running_configs(workspace: Path) -> None:
    approve(workspace, "CHG-1")
    with (workspace / "inventory" / "mini" / "sites.yaml").open("a") as sites:
        sites.write(NEW_VILLAGE)
    running = workspace / "baselines" / "mini" / "configs"
    change = diff(workspace, "--running", str(running))
    town = next(d for d in change["devices"] if d["name"] == "town-1-pe1")
    assert town["remediation_lines"] > 0
    markdown = (workspace / "build" / "review.md").read_text()
    assert ZH.gettext("Commands against the running config:") in markdown and "interface eth" in markdown


# --- the review page in a real headless browser ---------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_review_page_in_a_real_browser(workspace: Path, browser: Any, lang: str) -> None:
    approve(workspace, "CHG-1")
    with (workspace / "inventory" / "mini" / "sites.yaml").open("a") as sites:
        sites.write(NEW_VILLAGE)
    rotated = workspace / "rotated.yaml"
    rotated.write_text(SECRETS.read_text().replace("test-isis-key-0001", "rotated-isis-key-0009"))
    rotated.chmod(0o600)
    result = run_netauto("diff", "inventory/mini", "--json", "--lang", lang, "--secrets", str(rotated), cwd=workspace)
    summary = json.loads(result.stdout)
    locale = ReportLocale(lang)  # type: ignore[arg-type]
    browser.get((workspace / "build" / "review.html").as_uri())
    assert browser.title.startswith(locale.gettext("Change review"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == locale.html_lang
    text = browser.find_element(By.TAG_NAME, "body").text
    assert int(browser.find_element(By.ID, "devices-touched").text) == summary["totals"]["devices"]
    assert int(browser.find_element(By.ID, "lines-added").text) == summary["totals"]["added"]
    assert int(browser.find_element(By.ID, "lines-removed").text) == summary["totals"]["removed"]
    assert int(browser.find_element(By.ID, "devices-unchanged").text) == summary["totals"]["unchanged"]
    rows = browser.find_elements(By.CSS_SELECTOR, "#devices tr.device")
    assert len(rows) == len(summary["devices"])
    assert browser.find_element(By.ID, "change-hash").text == summary["change_hash"]
    assert browser.find_elements(By.CSS_SELECTOR, "#topology .node.touched")
    assert "rotated-isis-key" not in text and "test-isis-key" not in text and MASK in text
    headings = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "h2")]
    expected = ["Risk flags", "By site class and role", "Source of truth", "Devices", "Per-device changes"]
    assert all(locale.gettext(h) in headings for h in expected)
    assert "最小外网" in browser.find_element(By.TAG_NAME, "h1").text  # the network's own name, from the inventory
    if lang == "zh":
        assert all(has_han(h) for h in headings), headings
        assert not any(english in headings for english in expected)
        assert_drawn_in_a_cjk_font(browser, "h1")
    else:
        assert headings[: len(expected)] != [] and not any(has_han(h) for h in headings)


def test_a_first_review_summarises_per_site_class_and_role(workspace: Path, browser: Any) -> None:
    summary = diff(workspace)  # nothing approved yet: every device is new
    assert {d["status"] for d in summary["devices"]} == {"new"}
    browser.get((workspace / "build" / "review.html").as_uri())
    groups = browser.find_elements(By.CSS_SELECTOR, "#by-class tr.group")
    per_role_shown: dict[str, int] = {}
    for group in groups:
        role = str(group.get_attribute("data-role"))
        per_role_shown[role] = per_role_shown.get(role, 0) + int(group.find_element(By.CSS_SELECTOR, "td.devices").text)
    per_role: dict[str, int] = {}
    for device in summary["devices"]:
        per_role[device["role"]] = per_role.get(device["role"], 0) + 1
    assert per_role_shown == per_role and len(groups) >= len(per_role)
    added = sum(int(g.find_element(By.CSS_SELECTOR, "td.added").text) for g in groups)
    assert added == summary["totals"]["added"]
    # the full configurations are folded away: the page reads as its summary until a device is opened
    details = browser.find_elements(By.CSS_SELECTOR, "details")
    assert len(details) == summary["totals"]["devices"] and not any(d.get_attribute("open") for d in details)
    assert ZH.gettext(
        "No baseline is approved yet: this is the first review of the network, and every device is new."
    ) in (browser.find_element(By.ID, "baseline").text)


def test_a_broken_approvals_file_is_a_clear_error(workspace: Path) -> None:
    approve(workspace, "CHG-1")
    (workspace / "baselines" / "mini" / "approvals.yaml").write_text("{not: [valid\n")
    result = netauto(workspace, "diff", "inventory/mini")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "baselines/mini/approvals.yaml:2:1: error: YAML syntax error" in result.stderr
