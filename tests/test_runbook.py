"""Runbooks without routers: what the generator writes (from the plan and the templates), the file's
errors, approval refusals, dry runs and the list. The runs against real routers are in
tests/test_runbook_lab.py."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml
from rich.cells import cell_len

from conftest import TESTS, run_netauto
from netauto.pipeline import build_plan
from netauto.platforms import get_platform
from netauto.render.context import build_contexts
from netauto.render.engine import render_config
from netauto.render.environment import environment
from netauto.review.configtree import diff_trees, parse
from netauto.runbook.generate import generate
from netauto.runbook.stages import stages
from netauto.secrets import load_secrets

SECRETS = TESTS / "fixtures" / "secrets.yaml"
QINGPU = TESTS.parent / "inventory" / "qingpu"
RENDER_FRR = TESTS / "fixtures" / "render-frr"


@pytest.fixture(scope="module")
def qingpu(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("qingpu") / "inv"
    shutil.copytree(QINGPU, copy)
    return copy


def _document(inventory: Path, network: str) -> dict:  # type: ignore[type-arg]
    result = build_plan(inventory)
    return generate(result, load_secrets(SECRETS, inventory), network, inventory)


def test_the_committed_sample_runbooks_are_what_generate_writes(tmp_path: Path) -> None:
    written = run_netauto(
        "runbook", "generate", "--secrets", str(SECRETS), "--runbooks", str(tmp_path), cwd=TESTS.parent
    )
    assert written.returncode == 0, written.stderr
    committed = sorted(p.name for p in (TESTS.parent / "runbooks").glob("*.yaml"))
    assert committed == sorted(p.name for p in tmp_path.glob("*.yaml")) and len(committed) == 15
    for name in committed:
        assert (tmp_path / name).read_bytes() == (TESTS.parent / "runbooks" / name).read_bytes(), name


def test_every_check_of_every_sample_runbook_can_be_evaluated_on_its_devices_platform() -> None:
    """The sample's routers are VRP8, Comware 7 and IOS-XR: each check has its command and parser."""
    from netauto.runbook.checks import unsupported
    from netauto.runbook.document import CheckStep, load_runbook

    platforms = {d.name: d.platform or "" for d in build_plan(QINGPU).plan.devices}
    files = sorted((TESTS.parent / "runbooks").glob("*.yaml"))
    checks = [
        (c, platforms[c.device])
        for f in files
        for s in load_runbook(f).steps
        if isinstance(s, CheckStep)
        for c in s.checks
    ]
    assert len(files) == 15 and len(checks) > 30
    assert {p for _, p in checks} >= {"huawei_vrp"}
    assert [unsupported(c, p) for c, p in checks if unsupported(c, p)] == []


def test_the_steps_together_are_the_whole_migration_and_each_rollback_its_reverse(qingpu: Path) -> None:
    """For every network: the baseline render plus every step's lines is the final render, line for
    line (as trees), and each step's rollback removes exactly what the step added."""
    result = build_plan(qingpu)
    secrets = load_secrets(SECRETS, qingpu)
    env = environment()
    for network in result.inventory.dedicated_networks:
        document = generate(result, secrets, network.id, qingpu)
        devices = {d for s in document["steps"] if s["kind"] == "config" for d in s["devices"]}
        platforms = {d.name: d.platform for d in result.plan.devices}
        all_stages = stages(network)
        first, last = all_stages[0], all_stages[-1]
        for stage, side in ((first, "before"), (last, "after")):
            contexts = build_contexts(result, secrets, devices, {network.id: stage.state})
            rendered = {d: render_config(env, c) for d, c in contexts.items()}
            if side == "before":
                before = rendered
            else:
                after = rendered
        for device in devices:
            syntax = get_platform(platforms[device] or "").config_syntax
            expected = diff_trees(parse(before[device], syntax), parse(after[device], syntax))
            added = {
                line.strip()
                for s in document["steps"]
                if s["kind"] == "config"
                for line in s["devices"].get(device, {}).get("commands", [])
            }
            assert {line for _, line in expected.added} <= added, (network.id, device)
            assert not expected.removed, (network.id, device)  # a migration only adds to the extranet


def test_an_interconnect_border_step_carries_the_planned_addresses_and_filters(qingpu: Path) -> None:
    document = _document(qingpu, "sh-renshe")
    plan = build_plan(qingpu).plan
    border = next(b for b in plan.borders if b.network == "sh-renshe")
    steps = {s["id"]: s for s in document["steps"]}
    assert [s["id"] for s in document["steps"] if s["kind"] == "config"] == ["border", "filters", "peering"]
    interface = "\n".join(steps["border"]["devices"][border.device]["commands"])
    assert f"interface {border.interface}" in interface and border.local.address_v4.split("/")[0] in interface
    filters = "\n".join(steps["filters"]["devices"][border.device]["commands"])
    assert "172.20.8.0 22" in filters and "10.64.0.0 16" in filters  # agreed in, offered out
    peering = "\n".join(steps["peering"]["devices"][border.device]["commands"])
    assert f"peer {border.peer_v4} as-number 64702" in peering
    assert f"peer {border.peer_v4} route-policy SH-RENSHE-IN import" in peering
    only = next(c for c in steps["check-peering"]["checks"] if c["kind"] == "only")
    assert only["within"] == ["172.20.0.0/16"] and only["allowed"] == ["172.20.8.0/22"]


def test_a_cutover_moves_site_by_site_with_a_gate_and_a_check_each(qingpu: Path) -> None:
    document = _document(qingpu, "sh-nongye")
    kinds = [(s["kind"], s["id"]) for s in document["steps"]]
    sites = ["bureau-nyncw", "liantang", "baihe", "chonggu"]
    for site in sites:
        position = kinds.index(("config", f"site-{site}"))
        assert kinds[position + 1] == ("gate", f"move-{site}") and kinds[position + 2] == ("check", f"check-{site}")
    assert kinds[-2:] == [("gate", "decommission"), ("gate", "observe")]
    plan = build_plan(qingpu).plan
    lan = next(x for x in plan.lans if x.site == "liantang" and x.vpn == "dept-nongye")
    check = next(s for s in document["steps"] if s["id"] == "check-bureau-nyncw")
    routes = [c for c in check["checks"] if c["kind"] == "route"]
    assert routes and all(c["expect"] == "present" for c in routes)
    bureau_lan = next(x for x in plan.lans if x.site == "bureau-nyncw" and x.vpn == "dept-nongye").prefix_v4
    assert bureau_lan is not None
    pings = [c for c in check["checks"] if c["kind"] == "ping"]  # from each PE, the CE's LAN gateway answers
    assert {c["device"] for c in pings} == {c["device"] for c in routes}
    assert {(c["target"], c["vrf"], c["expect"]) for c in pings} == {
        (str(bureau_lan.network_address + 1), "dept-nongye", "reachable")
    }
    town_step = next(s for s in document["steps"] if s["id"] == "site-liantang")
    assert lan.prefix_v4 is not None
    gateway = str(lan.prefix_v4.network_address + 1)
    assert f"ip address {gateway} " in "\n".join(town_step["devices"][lan.device]["commands"])


def test_nat_on_a_border_that_cannot_translate_is_refused(tmp_path: Path) -> None:
    inventory = tmp_path / "inv"
    shutil.copytree(RENDER_FRR, inventory)
    dedicated = inventory / "dedicated.yaml"
    text = dedicated.read_text(encoding="utf-8") + "    nat:\n      - {inside: 172.20.0.0/16, outside: 10.104.0.0/16}\n"
    dedicated.write_text(text, encoding="utf-8")
    refused = run_netauto("runbook", "generate", str(inventory), "--secrets", str(SECRETS), cwd=tmp_path)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "needs NAT" in refused.stderr and "core-a-cr1 is a frr device, which does no NAT" in refused.stderr
    assert not (tmp_path / "runbooks").exists()


@pytest.fixture
def frr_runbook(tmp_path: Path) -> Path:
    inventory = tmp_path / "inv"
    shutil.copytree(RENDER_FRR, inventory)
    written = run_netauto("runbook", "generate", str(inventory), "--secrets", str(SECRETS), cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    return tmp_path / "runbooks" / "dn-a.yaml"


def _run(runbook: Path, *args: str):  # type: ignore[no-untyped-def]
    folder = runbook.parent.parent
    options = ["--inventory", str(folder / "inv"), "--secrets", str(SECRETS)]
    return run_netauto("runbook", "run", str(runbook), *options, *args, cwd=folder)


def test_a_dry_run_prints_every_step_and_line_and_contacts_nothing(frr_runbook: Path) -> None:
    dry = _run(frr_runbook)
    assert dry.returncode == 0, dry.stderr
    assert "[config] filters" in dry.stdout and "ip prefix-list DN-A-IN-V4 seq 5 permit 172.20.1.0/24" in dry.stdout
    assert "[gate] observe" in dry.stdout and "nothing was contacted" in dry.stdout
    assert not (frr_runbook.parent.parent / "build").exists()


def test_the_runbook_finds_its_inventory_and_refuses_another_networks(frr_runbook: Path, tmp_path: Path) -> None:
    folder = frr_runbook.parent.parent
    found = run_netauto("runbook", "run", str(frr_runbook), "--secrets", str(SECRETS), cwd=folder)
    assert found.returncode == 0 and "[config] peering" in found.stdout, found.stderr
    other = ["--inventory", str(QINGPU), "--secrets", str(SECRETS)]
    refused = run_netauto("runbook", "run", str(frr_runbook), *other, cwd=folder)
    assert refused.returncode == 1 and "a runbook of network 'mini'" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_an_unapproved_or_edited_runbook_is_refused_before_anything_is_contacted(frr_runbook: Path) -> None:
    folder = frr_runbook.parent.parent
    assert "not approved" in _run(frr_runbook, "--apply").stderr
    approve = ["runbook", "approve", str(frr_runbook), "--change-id", "CHG-9", "--by", "board"]
    assert run_netauto(*approve, cwd=folder).returncode == 0
    text = frr_runbook.read_text(encoding="utf-8")
    frr_runbook.write_text(text.replace("172.20.1.0/24", "172.20.0.0/16"), encoding="utf-8")
    refused = _run(frr_runbook, "--apply")
    assert refused.returncode == 1 and "changed since its approval CHG-9" in refused.stderr
    assert not (folder / "build").exists()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["steps"][0].update(kind="wait"), ":11:3: error: steps[0]: Input tag 'wait'"),
        (lambda d: d["steps"][1].update(id="pre-check"), "step id 'pre-check' is used twice"),
        (
            lambda d: d["steps"][0]["checks"][0].update(expect="maybe"),
            "steps[0].checks[0].expect: Input should be 'present' or 'absent'",
        ),
        (lambda d: d["steps"][1]["devices"]["core-a-cr1"].pop("commands"), "required key 'commands' is missing"),
        (lambda d: d.update(colour="red"), "unknown key 'colour'"),
        (
            lambda d: d["steps"][0]["checks"].append(_ping_check(target="fd00::1")),
            "steps[0].checks[2].target: 'fd00::1': ping checks take IPv4 addresses",
        ),
        (
            lambda d: d["steps"][0]["checks"].append(_ping_check(count=1000)),
            "steps[0].checks[2].count: Input should be less than or equal to 100",
        ),
    ],
)
def test_a_bad_runbook_file_is_reported_with_file_line_and_field(frr_runbook: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    document = yaml.safe_load(frr_runbook.read_text(encoding="utf-8"))
    edit(document)
    frr_runbook.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    failed = _run(frr_runbook)
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert str(frr_runbook) in failed.stderr and message in failed.stderr, failed.stderr
    assert "nothing was run or changed" in failed.stderr


def _ping_check(**values: object) -> dict[str, object]:
    return {"kind": "ping", "device": "core-a-cr1", "vrf": "dept-a", "target": "10.253.0.16", **values}


XR_PINGS = TESTS / "fixtures" / "real-outputs" / "ntc-templates" / "cisco_xr" / "ping"


@pytest.mark.parametrize(
    ("output", "target", "expect", "passed", "detail"),
    [
        ("cisco_xr_ping.raw", "10.191.129.114", "reachable", True, "5/5 answered"),
        ("cisco_xr_ping_fail.raw", "10.27.18.2", "reachable", False, "0/5 answered"),
        ("cisco_xr_ping_fail.raw", "10.27.18.2", "unreachable", True, "0/5 answered"),
        ("cisco_xr_ping.raw", "10.191.129.114", "unreachable", False, "5/5 answered"),
        ("cisco_xr_ping.raw", "10.27.18.2", "reachable", False, "the answer is about 10.191.129.114"),
    ],
)
def test_a_ping_check_is_bounded_and_judged_from_a_real_answer(
    output: str, target: str, expect: str, passed: bool, detail: str
) -> None:
    from netauto.runbook.checks import evaluate, needed_commands
    from netauto.runbook.document import PingCheck

    check = PingCheck.model_validate(_ping_check(device="x", target=target, count=5, timeout=2, expect=expect))
    assert needed_commands(check, "cisco_iosxr") == [f"ping vrf dept-a {target} count 5 timeout 2"]
    assert needed_commands(check, "huawei_vrp") == [f"ping -vpn-instance dept-a -c 5 -t 2000 {target}"]
    asked: list[tuple[str, float]] = []

    def ask(command: str, wait: float) -> str:
        asked.append((command, wait))
        return (XR_PINGS / output).read_text(encoding="utf-8")

    verdict = evaluate(check, "cisco_iosxr", ask)
    assert (verdict.passed, detail in verdict.detail) == (passed, True), verdict.detail
    assert asked == [(f"ping vrf dept-a {target} count 5 timeout 2", 10)]  # the answer may take 5 x 2 s


def test_frr_cannot_run_a_ping_check() -> None:
    from netauto.runbook.checks import unsupported
    from netauto.runbook.document import PingCheck

    reason = unsupported(PingCheck.model_validate(_ping_check()), "frr")
    assert reason is not None and "'ping' check" in reason


@pytest.mark.parametrize("columns", [80, 200])
def test_the_list_shows_every_dedicated_network_on_one_line(tmp_path: Path, columns: int) -> None:
    """Each network's Chinese name stays whole on its line, on an 80-column terminal too (rich measures a
    Chinese character as two columns; the state column gives way, not the name)."""
    environment = {**os.environ, "COLUMNS": str(columns)}
    listed = run_netauto(
        "runbook", "list", str(QINGPU), "--journal-dir", str(tmp_path), cwd=TESTS.parent, env=environment
    )
    assert listed.returncode == 0, listed.stderr
    networks = yaml.safe_load((QINGPU / "dedicated.yaml").read_text(encoding="utf-8"))["dedicated_networks"]
    lines = listed.stdout.splitlines()
    assert len(networks) == 15
    for network in networks:
        line = next(line for line in lines if line.startswith(network["id"] + " "))
        assert network["name"] in line and "planned" in line and network["mode"] in line, line
        assert cell_len(line) <= columns
    assert "times in Asia/Shanghai" in lines[0]


def test_render_shows_a_migration_only_once_the_inventory_says_it_is_done(qingpu: Path, tmp_path: Path) -> None:
    """`state: planned` (the default): nothing of the migration is rendered, so a push cannot carry it
    out behind the runbook's back; `state: migrated`: all of it."""
    secrets = load_secrets(SECRETS, qingpu)
    planned = build_contexts(build_plan(qingpu), secrets, {"border-a-bd1", "bureau-tjj-ce1"})
    assert "borders" not in planned["border-a-bd1"]
    assert "dept-tongji" not in {s["vrf"] for s in planned["bureau-tjj-ce1"]["subinterfaces"]}
    migrated = tmp_path / "inv"
    shutil.copytree(qingpu, migrated)
    dedicated = migrated / "dedicated.yaml"
    text = dedicated.read_text(encoding="utf-8")
    text = text.replace("target_vpn: dept-renshe\n", "target_vpn: dept-renshe\n    state: migrated\n")
    text = text.replace("target_vpn: dept-tongji,", "target_vpn: dept-tongji, state: migrated,")
    dedicated.write_text(text, encoding="utf-8")
    done = build_contexts(build_plan(migrated), secrets, {"border-a-bd1", "bureau-tjj-ce1"})
    assert [b["network"] for b in done["border-a-bd1"]["borders"]] == ["sh-renshe"]
    assert "dept-tongji" in {s["vrf"] for s in done["bureau-tjj-ce1"]["subinterfaces"]}
