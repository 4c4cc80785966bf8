"""`netauto runbook` against real FRR routers over real SSH, with a dedicated network simulated beside
the extranet by FRR routers netauto does not manage: the network's own border router `ded-bd`
(eBGP, announcing an agreed prefix and one that is not agreed) and a department user's host.

The lab starts as the extranet runs before any migration (the inventory without dedicated networks);
each test adds its network to a copy of the inventory, generates the runbook, has it approved and runs
it. Every test leaves the routers at their pre-test running configs (compared by meaning). The lab's
kernel has no VRF devices, so the department's VPN is the one carried in the global table (DESIGN §9).
Needs root, FRR and sshd; CI has them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from test_lab_netns import _leftovers, _require_lab_host
from test_push import PushLab, _wait_for_routing
from test_push import _inventory as push_inventory

from conftest import TESTS, run_netauto, unavailable
from netauto.lab import netns
from netauto.pipeline import build_plan

SECRETS = TESTS / "fixtures" / "secrets.yaml"
LAB = "nt-rb"
AGREED, NOT_AGREED = "172.20.1.0/24", "172.20.2.0/24"
INTERCONNECT = """dedicated_networks:
  - {id: dn-a, name: 甲专网, department: 甲局, level: municipal, mode: interconnect, prefixes: [172.20.0.0/16],
     target_vpn: dept-a, border: {device: core-a-cr1, peering: ebgp, peer_asn: 64701},
     allowed: {to_extranet: [172.20.1.0/24], from_extranet: [10.64.0.0/16]}}
"""
CUTOVER = """dedicated_networks:
  - {id: dn-c, name: 丙专网, department: 甲局, level: district, mode: cutover, sites: [village-1],
     prefixes: [172.20.0.0/16], target_vpn: dept-a}
"""


def _inventory(folder: Path, dedicated: str) -> Path:
    """The push tests' all-FRR network on IP transport, the department's VPN in the global table, and
    only the given dedicated networks."""
    inventory = push_inventory(folder)
    vpns = inventory / "vpns.yaml"
    department = "prefixes: [172.20.0.0/16]}"
    text = vpns.read_text(encoding="utf-8").replace(department, department[:-1] + ", global_table: true}")
    vpns.write_text(text, encoding="utf-8")
    (inventory / "dedicated.yaml").write_text(dedicated, encoding="utf-8")
    return inventory


@pytest.fixture(scope="module")
def runbook_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PushLab]:
    _require_lab_host()
    if not Path("/usr/sbin/sshd").exists():
        unavailable("the runbook tests need sshd (openssh-server) in CI", "runbook tests need openssh-server")
    workdir = tmp_path_factory.mktemp("runbook-lab")
    before_migration = _inventory(workdir, "dedicated_networks: []\n")
    arguments = ["--name", LAB, "--scope", "all", "--ssh", "--secrets", str(SECRETS)]
    arguments += ["--engine", "netns"]  # the runbook needs no kernel feature: the routers run on this kernel
    try:
        started = run_netauto("lab", "up", str(before_migration), *arguments, cwd=workdir, timeout=300)
        assert started.returncode == 0, started.stdout + started.stderr
        ssh = workdir / "build" / "labs" / LAB / "ssh"
        routers = sorted(yaml.safe_load((ssh / "hosts.yaml").read_text(encoding="utf-8")))
        lab = PushLab(workdir, ssh, routers, {}, LAB)
        _dedicated_border_router(lab, workdir)
        _wait_for_routing(lab)  # type: ignore[arg-type]
        lab.before = lab.meanings()
        yield lab
    finally:
        run_netauto("lab", "down", "--name", LAB, cwd=workdir)
    assert _leftovers(LAB) == []


def _dedicated_border_router(lab: PushLab, workdir: Path) -> None:
    """`ded-bd`, cabled to the border port the plan gives the interconnect (not configured on the
    extranet side yet): eBGP AS 64701 announcing the agreed prefix and one that is not agreed."""
    border = build_plan(_inventory(workdir / "plan-only", INTERCONNECT)).plan.borders[0]
    config = f"""interface eth0
 ip address {border.peer_v4}/31
exit
interface lo
 ip address 172.20.1.1/32
 ip address 172.20.2.1/32
exit
ip route {AGREED} blackhole
ip route {NOT_AGREED} blackhole
router bgp 64701
 no bgp ebgp-requires-policy
 neighbor {border.local.address_v4.split("/")[0]} remote-as 65001
 address-family ipv4 unicast
  network {AGREED}
  network {NOT_AGREED}
 exit-address-family
exit
"""
    running = lab.running
    state = workdir / "build" / "labs"
    netns.add_outsider(running, "ded-bd", config, state)
    netns.add_link(running, (border.device, border.interface or ""), ("ded-bd", "eth0"), state)


@pytest.fixture
def folder(runbook_lab: PushLab, tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    assert runbook_lab.meanings() == runbook_lab.before  # each test puts the routers back


def _env(lab: PushLab) -> dict[str, str]:
    return {**os.environ, "COLUMNS": "200", **lab.env()}  # wide enough for `runbook list`'s table


def _netauto(lab: PushLab, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_netauto(*args, cwd=cwd, env=_env(lab), timeout=600)


def _prepared(lab: PushLab, cwd: Path, dedicated: str, network: str, edit: str | None = None) -> Path:
    """The runbook of `network`, generated (and edited: `edit` appended to its last check step), approved."""
    inventory = _inventory(cwd, dedicated)
    generated = _netauto(lab, cwd, "runbook", "generate", str(inventory), "--secrets", str(SECRETS))
    assert generated.returncode == 0, generated.stderr
    runbook = cwd / "runbooks" / f"{network}.yaml"
    if edit is not None:
        document = yaml.safe_load(runbook.read_text(encoding="utf-8"))
        checks = [s for s in document["steps"] if s["kind"] == "check"][-1]["checks"]
        checks.append(yaml.safe_load(edit))
        runbook.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    approved = _netauto(lab, cwd, "runbook", "approve", str(runbook), "--change-id", "CHG-RB", "--by", "board")
    assert approved.returncode == 0, approved.stderr
    return runbook


def _run(lab: PushLab, cwd: Path, runbook: Path, *args: str) -> subprocess.CompletedProcess[str]:
    options = ["--inventory", str(cwd / "inv"), "--hosts", str(lab.ssh / "hosts.yaml"), "--secrets", str(SECRETS)]
    return _netauto(lab, cwd, "runbook", "run", str(runbook), *options, "--check-timeout", "40", *args)


def _journal(cwd: Path, network: str) -> tuple[Path, list[dict]]:  # type: ignore[type-arg]
    (journal,) = (cwd / "build" / "runbooks" / network).glob("*/journal.jsonl")
    return journal.parent, [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]


def _routes(lab: PushLab, device: str) -> set[str]:
    return set(json.loads(netns.vtysh(lab.running, device, "show ip route json") or "{}"))


def _pings(lab: PushLab, device: str, address: str) -> bool:
    return netns.in_ns(lab.running, device, "ping", "-c", "2", "-W", "1", address).returncode == 0


def test_interconnect_brings_in_the_agreed_prefixes_only_and_rolls_back(runbook_lab: PushLab, folder: Path) -> None:
    lab = runbook_lab
    runbook = _prepared(lab, folder, INTERCONNECT, "dn-a")
    dry = _run(lab, folder, runbook)
    assert dry.returncode == 0 and "route-map DN-A-IN permit" in dry.stdout and "nothing was contacted" in dry.stdout
    assert AGREED not in _routes(lab, "core-a-cr1")
    done = _run(lab, folder, runbook, "--apply", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    routes = _routes(lab, "core-a-cr1")
    assert AGREED in routes and NOT_AGREED not in routes  # only the agreed prefix, from the extranet side
    assert _pings(lab, "core-a-cr1", "172.20.1.1") and not _pings(lab, "core-a-cr1", "172.20.2.1")
    run_folder, records = _journal(folder, "dn-a")
    assert [r["detail"] for r in records if r["action"] == "runbook" and r["status"] == "end"] == ["done"]
    counts = [r["detail"] for r in records if r["action"] == "check" and r["detail"].startswith("count")]
    assert len(counts) == 2 and all("IPv4 routes" in c for c in counts)  # before and after, recorded
    before, after = (int(c.split(": ")[1].split()[0]) for c in counts)
    assert after == before + 2  # the border's /31 and the agreed prefix, nothing else
    assert "**结果：完成**" in (run_folder / "report.md").read_text(encoding="utf-8")  # the network's zh-CN
    page = (run_folder / "report.html").read_text(encoding="utf-8")
    assert '结果： <b class="ok">完成</b>' in page and "route-map DN-A-IN permit 40" in page
    listed = _netauto(lab, folder, "runbook", "list", str(folder / "inv"))
    assert "dn-a" in listed.stdout and "done" in listed.stdout
    _mark_migrated(folder / "inv")  # the inventory now says so: the routers already run what it renders
    hosts = ["--hosts", str(lab.ssh / "hosts.yaml"), "--device", "core-a-cr1", "--secrets", str(SECRETS)]
    in_sync = _netauto(lab, folder, "push", str(folder / "inv"), *hosts)
    assert in_sync.returncode == 0 and "core-a-cr1: in sync, nothing to send" in in_sync.stdout, in_sync.stdout
    undone = _run(lab, folder, runbook, "--rollback", str(run_folder))
    assert undone.returncode == 0 and "core-a-cr1: restored" in undone.stdout, undone.stdout + undone.stderr
    assert AGREED not in _routes(lab, "core-a-cr1")


def _mark_migrated(inventory: Path) -> None:
    dedicated = inventory / "dedicated.yaml"
    text = dedicated.read_text(encoding="utf-8").replace("target_vpn: dept-a,", "target_vpn: dept-a, state: migrated,")
    dedicated.write_text(text, encoding="utf-8")


def test_a_failed_post_check_rolls_back_to_the_pre_change_configs(runbook_lab: PushLab, folder: Path) -> None:
    lab = runbook_lab
    impossible = f"{{kind: route, device: core-a-cr1, vrf: null, prefix: {NOT_AGREED}, expect: present}}"
    runbook = _prepared(lab, folder, INTERCONNECT, "dn-a", edit=impossible)
    failed = _run(lab, folder, runbook, "--apply", "--yes", "--check-timeout", "10")
    assert failed.returncode == 4, failed.stdout + failed.stderr
    assert "rolled back" in failed.stdout and "Traceback" not in failed.stderr
    run_folder, records = _journal(folder, "dn-a")
    undone = [r["step"] for r in records if r["action"] == "undo" and r["status"] == "ok"]
    assert undone == ["peering", "filters", "border"]  # the completed steps, newest first
    assert lab.meanings() == lab.before
    assert ": 未通过 (" in (run_folder / "report.md").read_text(encoding="utf-8")  # the check that failed


def test_an_edited_runbook_is_not_approved(runbook_lab: PushLab, folder: Path) -> None:
    lab = runbook_lab
    runbook = _prepared(lab, folder, INTERCONNECT, "dn-a")
    runbook.write_text(runbook.read_text(encoding="utf-8").replace("172.20.1.0/24", "172.20.0.0/16"), "utf-8")
    refused = _run(lab, folder, runbook, "--apply", "--yes")
    assert refused.returncode == 1 and "not approved" in refused.stderr
    assert not (folder / "build" / "runbooks").exists()


def test_a_killed_run_resumes_and_a_paused_run_continues(runbook_lab: PushLab, folder: Path) -> None:
    lab = runbook_lab
    runbook = _prepared(lab, folder, INTERCONNECT, "dn-a")
    command = [sys.executable, "-m", "netauto", "runbook", "run", str(runbook), "--apply"]
    command += ["--inventory", str(folder / "inv"), "--hosts", str(lab.ssh / "hosts.yaml"), "--secrets", str(SECRETS)]
    run = subprocess.Popen(command, cwd=folder, env=_env(lab), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    try:
        journal = _wait_for(folder / "build" / "runbooks" / "dn-a", '"step": "filters"')
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=30)
    finally:
        run.kill()
    paused = _run(lab, folder, runbook, "--resume", str(journal))  # no --yes, no terminal: waits at the gate
    assert paused.returncode == 5, paused.stdout + paused.stderr
    assert "--resume" in paused.stdout
    listed = _netauto(lab, folder, "runbook", "list", str(folder / "inv"))
    assert "paused at reach" in listed.stdout
    finished = _run(lab, folder, runbook, "--resume", str(journal), "--yes")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert AGREED in _routes(lab, "core-a-cr1")
    records = [json.loads(line) for line in (journal / "journal.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["step"] for r in records if r["action"] == "step" and r["status"] == "ok"][:1] == ["pre-check"]
    assert len([r for r in records if r["action"] == "runbook" and r["status"] == "resume"]) == 2
    assert _run(lab, folder, runbook, "--rollback", str(journal)).returncode == 0


def _wait_for(root: Path, text: str, seconds: float = 120) -> Path:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for journal in root.glob("*/journal.jsonl"):
            if text in journal.read_text(encoding="utf-8"):
                return journal.parent
        time.sleep(0.01)
    raise AssertionError(f"no journal record with {text} within {seconds} s")


def test_cutover_moves_the_site_into_the_extranet(runbook_lab: PushLab, folder: Path) -> None:
    """The site's user is on the old network (a host behind `ded-bd`); the run configures the site's CE
    and PE, pauses at the move, the engineer (this test) re-patches the host onto the CE's LAN port and
    takes the old link down, the run continues: the host reaches the extranet through its CE."""
    lab = runbook_lab
    runbook = _prepared(lab, folder, CUTOVER, "dn-c")
    plan = build_plan(folder / "inv").plan
    lan = next(x for x in plan.lans if x.vpn == "dept-a" and x.site == "village-1")
    attachments = [a for a in plan.attachments if a.vpn == "dept-a" and a.ce_device == lan.device]
    running, state = lab.running, lab.workdir / "build" / "labs"
    for a in attachments:  # the PE-CE cable's VLAN: there, unconfigured (the lab's kernel has no VLANs)
        netns.add_link(running, (a.pe_device, a.pe_interface or ""), (a.ce_device, a.ce_interface or ""), state)
    user = f"user-{len(running.hosts)}"
    netns.add_outsider(running, user, None, state)
    netns.add_link(running, (user, "old0"), ("ded-bd", f"u{len(running.hosts)}"), state)
    paused = _run(lab, folder, runbook, "--apply", "--confirm", "baseline")  # the engineer recorded the baseline
    assert paused.returncode == 5, paused.stdout + paused.stderr
    assert "move-village-1: waiting" in paused.stdout
    run_folder, _ = _journal(folder, "dn-c")
    assert lan.prefix_v4 is not None
    gateway, address = lan.prefix_v4.network_address + 1, lan.prefix_v4.network_address + 2
    running = lab.running
    netns.in_ns(running, user, "ip", "link", "set", "old0", "down")  # the old link, taken down
    netns.add_link(running, (user, "eth0"), (lan.device, lan.interface or ""), state)
    netns.in_ns(running, user, "ip", "address", "add", f"{address}/{lan.prefix_v4.prefixlen}", "dev", "eth0")
    netns.in_ns(running, user, "ip", "route", "add", "default", "via", str(gateway))
    finished = _run(lab, folder, runbook, "--resume", str(run_folder), "--yes")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    pe = attachments[0].pe_device
    pe_loopback = str(next(d.loopback_v4 for d in plan.devices if d.name == pe))
    assert _pings(lab, user, pe_loopback)  # through the CE and the extranet's PE
    assert "state DOWN" in netns.in_ns(lab.running, user, "ip", "link", "show", "old0").stdout
    assert str(lan.prefix_v4) in _routes(lab, pe)
    undone = _run(lab, folder, runbook, "--rollback", str(run_folder))
    assert undone.returncode == 0, undone.stdout + undone.stderr
