"""`netauto runbook run` through the protocol-level stand-ins (tests/fakes/vendor_cli.py, real SSH,
Netmiko's drivers): an interconnect runbook on a Huawei VRP8 border router and a cut-over runbook on a
H3C Comware 7 village CE and its PE, end to end, their checks (routes, BGP sessions, bounded pings in
the VPN) read from the routers' own `display` answers with the platforms' parsers; a check that fails
(the dedicated network's router is not there; the CE's LAN port is down) and a line the router refuses
roll the completed steps back to the pre-run config; config steps go in on `commit trial` and are
confirmed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from test_push_vendor import Routers, _inventory, _netauto, _start, _stop

from conftest import TESTS, run_netauto

SECRETS = TESTS / "fixtures" / "secrets.yaml"
BORDER = "core-a-cr1"  # huawei_vrp in tests/fixtures/render, the border of dn-a


@pytest.fixture
def planned(tmp_path: Path) -> Iterator[tuple[Routers, Path, Path]]:
    """The vendor inventory with dn-a not migrated yet, the stand-ins running its approved baseline,
    and dn-a's runbook generated (not approved yet)."""
    inventory = _inventory(tmp_path)
    dedicated = inventory / "dedicated.yaml"
    dedicated.write_text(dedicated.read_text(encoding="utf-8").replace("state: migrated", "state: planned"), "utf-8")
    _netauto(None, tmp_path, "approve", str(inventory), "--change-id", "BASE", "--by", "lab")
    routers = _start(tmp_path, inventory)
    try:
        _netauto(routers, tmp_path, "runbook", "generate", str(inventory))
        runbook = tmp_path / "runbooks" / "dn-a.yaml"
        yield routers, inventory, runbook
    finally:
        _stop(routers)


def _approve(runbook: Path, cwd: Path, change: str) -> None:
    approved = run_netauto("runbook", "approve", str(runbook), "--change-id", change, "--by", "board", cwd=cwd)
    assert approved.returncode == 0, approved.stderr


def _without_checks(runbook: Path) -> None:
    document = yaml.safe_load(runbook.read_text(encoding="utf-8"))
    document["steps"] = [s for s in document["steps"] if s["kind"] != "check"]
    runbook.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _run(routers: Routers, cwd: Path, inventory: Path, runbook: Path, *args: str):  # type: ignore[no-untyped-def]
    options = ["--inventory", str(inventory), "--hosts", str(routers.folder / "hosts.yaml"), "--command-timeout", "10"]
    return _netauto(routers, cwd, "runbook", "run", str(runbook), *options, *args, check=False)


def _report(cwd: Path, network: str) -> str:
    """The Markdown report of the network's newest run."""
    return (max((cwd / "build" / "runbooks" / network).iterdir()) / "report.md").read_text(encoding="utf-8")


DN_A_BORDER = {"vrf": "dept-a", "address": "10.253.0.16", "remote_as": 64701}  # the runbook's peer


def _attach(routers: Routers, routes: list[str]) -> None:
    """dn-a's own border router on the VRF port the runbook configures, announcing `routes`."""
    entry = {**DN_A_BORDER, "routes": routes}
    (routers.state / f"{BORDER}.attached.yaml").write_text(yaml.safe_dump([entry]), encoding="utf-8")


def test_the_interconnect_runbook_runs_end_to_end_with_its_checks_read_from_the_router(
    planned: tuple[Routers, Path, Path], tmp_path: Path
) -> None:
    routers, inventory, runbook = planned
    _attach(routers, ["172.20.1.0/24"])  # the agreed prefix
    _approve(runbook, tmp_path, "CHG-1")
    done = _run(routers, tmp_path, inventory, runbook, "--apply", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    log = routers.log(BORDER)
    for command in (
        "display ip routing-table vpn-instance dept-a verbose",
        "display bgp vpnv4 vpn-instance dept-a peer",
    ):
        assert command in log
    assert "peer 10.253.0.16 as-number 64701" in routers.running(BORDER)
    report = _report(tmp_path, "dn-a")  # in the network's language, Chinese (network.locale's default)
    assert "通过 (BGP 10.253.0.16：Established)" in report and "通过 (172.20.1.0/24 存在)" in report
    assert "**结果：完成**" in report


def test_a_check_that_fails_rolls_the_completed_steps_back(planned: tuple[Routers, Path, Path], tmp_path: Path) -> None:
    """The dedicated network's border router is not there: the session stays down, the check fails
    after --check-timeout and every step done so far is undone."""
    routers, inventory, runbook = planned
    before = routers.meanings()
    _approve(runbook, tmp_path, "CHG-4")
    failed = _run(routers, tmp_path, inventory, runbook, "--apply", "--yes", "--check-timeout", "3")
    assert failed.returncode == 4, failed.stdout + failed.stderr
    assert "BGP 10.253.0.16: Idle" in failed.stdout and "peering: undone" in failed.stdout
    assert routers.meanings() == before


def test_steps_go_in_on_trial_and_are_confirmed(planned: tuple[Routers, Path, Path], tmp_path: Path) -> None:
    routers, inventory, runbook = planned
    _without_checks(runbook)
    _approve(runbook, tmp_path, "CHG-2")
    done = _run(routers, tmp_path, inventory, runbook, "--apply", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    running = routers.running(BORDER)
    assert "route-policy DN-A-IN permit node 40" in running and "peer 10.253.0.16 as-number 64701" in running
    log = routers.log(BORDER)
    assert log.count("commit trial") == 3 and log.count("commit\n") >= 3  # each step on trial, confirmed


def test_a_refused_line_rolls_the_completed_steps_back(planned: tuple[Routers, Path, Path], tmp_path: Path) -> None:
    routers, inventory, runbook = planned
    before = routers.meanings()
    _without_checks(runbook)
    _approve(runbook, tmp_path, "CHG-3")
    routers.fault(BORDER, reject=r"peer \S+ route-policy")  # the peering step's policy lines
    failed = _run(routers, tmp_path, inventory, runbook, "--apply", "--yes")
    assert failed.returncode == 4, failed.stdout + failed.stderr
    assert "peering: undone" in failed.stdout and "border: undone" in failed.stdout
    assert f"{BORDER}: restored" in failed.stdout
    assert routers.meanings() == before


def test_a_router_that_never_stops_answering_a_check_is_bounded_and_rolled_back(
    planned: tuple[Routers, Path, Path], tmp_path: Path
) -> None:
    routers, inventory, runbook = planned
    before = routers.meanings()
    _attach(routers, ["172.20.1.0/24"])
    routers.fault(BORDER, flood=r"^display bgp vpnv4 vpn-instance dept-a peer$")
    _approve(runbook, tmp_path, "CHG-7")
    failed = _run(routers, tmp_path, inventory, runbook, "--apply", "--yes", "--check-timeout", "3")
    assert failed.returncode == 4, failed.stdout + failed.stderr
    assert "answered over 16 MiB, still printing; session closed" in failed.stdout
    assert "peering: undone" in failed.stdout and routers.meanings() == before


# A cut-over: village-1's users (Comware CE village-1-ce1, on Comware PE town-1-pe1) move into dept-c.
DN_C = """  - id: dn-c
    name: 丙专网
    department: 丙局
    level: district
    mode: cutover
    sites: [village-1]
    prefixes: [172.22.0.0/16]
    target_vpn: dept-c
    state: planned
"""
DEPT_C = '  - {id: dept-c, zone: dedicated, plane: data, department: 丙局, prefixes: [172.22.0.0/16, "fd00:22::/48"]}\n'
CE, PE = "village-1-ce1", "town-1-pe1"
LAN_GATEWAY = "172.22.0.1"  # the CE's address on the site's first LAN of dept-c (172.22.0.0/26)


@pytest.fixture
def cutover(tmp_path: Path) -> Iterator[tuple[Routers, Path, Path]]:
    """The vendor inventory with dn-c planned, the village's CE and PE running the approved baseline,
    and dn-c's runbook generated."""
    inventory = _inventory(tmp_path)
    with (inventory / "dedicated.yaml").open("a", encoding="utf-8") as dedicated:
        dedicated.write(DN_C)
    with (inventory / "vpns.yaml").open("a", encoding="utf-8") as vpns:
        vpns.write(DEPT_C)
    _netauto(None, tmp_path, "approve", str(inventory), "--change-id", "BASE", "--by", "lab")
    routers = _start(tmp_path, inventory, [CE, PE])
    try:
        _netauto(routers, tmp_path, "runbook", "generate", str(inventory))
        yield routers, inventory, tmp_path / "runbooks" / "dn-c.yaml"
    finally:
        _stop(routers)


def test_the_cutover_runbook_moves_the_site_and_checks_it_from_the_pe(
    cutover: tuple[Routers, Path, Path], tmp_path: Path
) -> None:
    routers, inventory, runbook = cutover
    _approve(runbook, tmp_path, "CHG-5")
    done = _run(routers, tmp_path, inventory, runbook, "--apply", "--yes", "--lang", "en")
    assert done.returncode == 0, done.stdout + done.stderr
    log = routers.log(PE)
    for command in (
        "display ip routing-table vpn-instance dept-c",
        "display ipv6 routing-table vpn-instance dept-c",
        f"ping -vpn-instance dept-c -c 5 -t 2000 {LAN_GATEWAY}",
    ):
        assert command in log
    assert "configuration commit delay" in log
    assert "ip binding vpn-instance dept-c" in routers.running(CE)
    report = _report(tmp_path, "dn-c")
    assert "172.22.0.0/26 absent" in report and "172.22.0.0/26 present" in report
    assert f"ping {LAN_GATEWAY} in dept-c: 5/5 answered" in report


def test_a_site_whose_lan_does_not_answer_is_rolled_back(cutover: tuple[Routers, Path, Path], tmp_path: Path) -> None:
    """The CE's LAN port stays down: the PE has its static routes to the LAN, but the gateway does not
    answer the ping, so the check fails and both routers are put back."""
    routers, inventory, runbook = cutover
    before = routers.meanings()
    routers.fault(CE, down=r"GigabitEthernet9/0/0\.")
    _approve(runbook, tmp_path, "CHG-6")
    failed = _run(routers, tmp_path, inventory, runbook, "--apply", "--yes", "--check-timeout", "3", "--lang", "en")
    assert failed.returncode == 4, failed.stdout + failed.stderr
    assert f"ping {LAN_GATEWAY} in dept-c: 0/5 answered" in failed.stdout and "site-village-1: undone" in failed.stdout
    report = _report(tmp_path, "dn-c")
    assert "pass (172.22.0.0/26 present)" in report  # the PE's static routes are there all the same
    assert routers.meanings() == before
