"""`netauto push` against real FRR routers over real SSH (a lab with `--ssh`), with the faults a push
must survive. Every fault ends with every router at its pre-change running config (compared by
meaning, as FRR shows it) and a journal that says what happened. Needs root, FRR and sshd; CI has them.

Each test works in its own folder: a copy of an all-FRR inventory, a baseline approved from it (the
routers run exactly that), then the change under test.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from test_lab_netns import _leftovers, _require_lab_host

from conftest import TESTS, run_netauto, unavailable
from netauto.lab import netns
from netauto.platforms import get_platform
from netauto.review.configtree import digest

SECRETS = TESTS / "fixtures" / "secrets.yaml"
SOURCE = TESTS / "fixtures" / "render-frr"
LAB = "nt-push"
NEW_VPN = "  - {id: dept-b, zone: dedicated, plane: video, department: 乙局, prefixes: [172.21.0.0/16]}\n"


@dataclass
class PushLab:
    """A lab of FRR routers reached over SSH (also the runbook tests')."""

    workdir: Path
    ssh: Path
    routers: list[str]
    before: dict[str, str]  # device -> meaning of its running config before any test
    name: str = LAB

    @property
    def running(self) -> netns.Lab:
        return netns.load(self.name, self.workdir / "build" / "labs")

    def meanings(self) -> dict[str, str]:
        """Each router's running config now, by meaning."""
        running = self.running
        return {r: digest(netns.vtysh(running, r, "show running-config"), "frr") for r in self.routers}

    def env(self, key: Path | None = None) -> dict[str, str]:
        return {
            "NETAUTO_USERNAME": "root",
            "NETAUTO_SSH_KEY": str(key or self.ssh / "client_ed25519"),
            "NETAUTO_KNOWN_HOSTS": str(self.ssh / "known_hosts"),
        }


def _inventory(folder: Path) -> Path:
    inventory = folder / "inv"
    shutil.copytree(SOURCE, inventory)
    network = inventory / "network.yaml"
    network.write_text(network.read_text(encoding="utf-8").replace("transport: mpls", "transport: ip"), "utf-8")
    return inventory


@pytest.fixture(scope="module")
def push_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PushLab]:
    _require_lab_host()
    if not Path("/usr/sbin/sshd").exists():
        unavailable("the push tests need sshd (openssh-server) in CI", "push tests need openssh-server")
    workdir = tmp_path_factory.mktemp("push-lab")
    inventory = _inventory(workdir)
    arguments = ["--name", LAB, "--scope", "all", "--ssh", "--secrets", str(SECRETS)]
    arguments += ["--engine", "netns"]  # the push needs no kernel feature: the routers run on this kernel
    try:
        started = run_netauto("lab", "up", str(inventory), *arguments, cwd=workdir, timeout=300)
        assert started.returncode == 0, started.stdout + started.stderr
        ssh = workdir / "build" / "labs" / LAB / "ssh"
        routers = sorted(yaml.safe_load((ssh / "hosts.yaml").read_text(encoding="utf-8")))
        lab = PushLab(workdir, ssh, routers, {})
        _wait_for_routing(lab)
        lab.before = lab.meanings()
        yield lab
    finally:
        run_netauto("lab", "down", "--name", LAB, cwd=workdir)
    assert _leftovers(LAB) == []


def _wait_for_routing(lab: PushLab, seconds: float = 60) -> None:
    running = lab.running
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(" Up " in netns.vtysh(running, r, "show isis neighbor") for r in lab.routers if "cr" in r or "pe" in r):
            return
        time.sleep(0.5)


@pytest.fixture
def scenario(push_lab: PushLab, tmp_path: Path) -> Iterator[tuple[PushLab, Path]]:
    """A folder with the lab's inventory and a baseline approved from it; afterwards the routers must be
    back where they were (a test that changes them rolls them back itself)."""
    inventory = _inventory(tmp_path)
    _netauto(push_lab, tmp_path, "approve", str(inventory), "--change-id", "BASE", "--by", "lab")
    yield push_lab, inventory
    assert push_lab.meanings() == push_lab.before


def _netauto(lab: PushLab, cwd: Path, *args: str, env: dict[str, str] | None = None, check: bool = True):  # type: ignore[no-untyped-def]
    environment = {**os.environ, **(env or lab.env())}
    result = run_netauto(*args, "--secrets", str(SECRETS), cwd=cwd, env=environment, timeout=600)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def _push(lab: PushLab, cwd: Path, inventory: Path, *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    hosts = str(lab.ssh / "hosts.yaml")
    return _netauto(lab, cwd, "push", str(inventory), "--hosts", hosts, *args, env=env, check=False)


def _approve_new_vpn(lab: PushLab, cwd: Path, inventory: Path, change_id: str = "CHG-1") -> None:
    with (inventory / "vpns.yaml").open("a", encoding="utf-8") as vpns:
        vpns.write(NEW_VPN)
    _netauto(lab, cwd, "approve", str(inventory), "--change-id", change_id, "--by", "board")


def _journal(cwd: Path) -> tuple[Path, list[dict]]:  # type: ignore[type-arg]
    (folder,) = [p.parent for p in (cwd / "build" / "push").glob("*/journal.jsonl")]
    records = [json.loads(line) for line in (folder / "journal.jsonl").read_text(encoding="utf-8").splitlines()]
    return folder, records


def _actions(records: list[dict], device: str) -> list[str]:  # type: ignore[type-arg]
    return [f"{r['action']} {r['status']}" for r in records if r["device"] == device]


def test_an_approved_change_reaches_every_router_and_rolls_back(scenario: tuple[PushLab, Path], tmp_path: Path) -> None:
    lab, inventory = scenario
    _approve_new_vpn(lab, tmp_path, inventory)
    dry = _push(lab, tmp_path, inventory)
    assert dry.returncode == 0 and "router bgp 65001 vrf dept-b" in dry.stdout
    assert lab.meanings() == lab.before  # a dry run changes nothing
    pushed = _push(lab, tmp_path, inventory, "--apply", "--canary", "town-1-pe1", "--batch-size", "2")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    folder, records = _journal(tmp_path)
    changed = [r for r in lab.routers if "apply start" in _actions(records, r)]
    assert "town-1-pe1" in changed and len(changed) >= 4  # the PEs and core routers got the new VRF
    assert all(_actions(records, r)[-3:] == ["apply start", "apply ok", "verify ok"] for r in changed)
    waves = [r for r in records if r["action"] == "wave" and r["status"] == "start"]
    assert waves[0]["devices"] == ["town-1-pe1"] and all(len(w["devices"]) <= 2 for w in waves[1:])
    again = _push(lab, tmp_path, inventory)  # the running configs now equal the intended ones
    assert again.stdout.count("in sync, nothing to send") == len(lab.routers), again.stdout
    assert lab.meanings() != lab.before
    restored = _netauto(
        lab, tmp_path, "push", str(inventory), "--hosts", str(lab.ssh / "hosts.yaml"), "--rollback", str(folder)
    )
    assert restored.stdout.count(": restored") == len(changed)


def test_an_unapproved_change_is_refused(scenario: tuple[PushLab, Path], tmp_path: Path) -> None:
    lab, inventory = scenario
    with (inventory / "vpns.yaml").open("a", encoding="utf-8") as vpns:
        vpns.write(NEW_VPN)
    refused = _push(lab, tmp_path, inventory, "--apply")
    assert refused.returncode == 1 and "not approved" in refused.stderr and "Traceback" not in refused.stderr
    assert not list((tmp_path / "build" / "push").glob("*/journal.jsonl"))


def test_a_change_altered_after_approval_is_refused(scenario: tuple[PushLab, Path], tmp_path: Path) -> None:
    lab, inventory = scenario
    _approve_new_vpn(lab, tmp_path, inventory)
    vpns = inventory / "vpns.yaml"
    vpns.write_text(vpns.read_text(encoding="utf-8").replace("id: dept-b", "id: dept-c"), encoding="utf-8")
    refused = _push(lab, tmp_path, inventory, "--apply")
    assert refused.returncode == 1 and "not approved" in refused.stderr
    wrong_hash = _push(lab, tmp_path, inventory, "--apply", "--hash", "0" * 64)
    assert wrong_hash.returncode == 1


def test_an_unreachable_router_stops_the_push_before_anything_changes(
    scenario: tuple[PushLab, Path], tmp_path: Path
) -> None:
    lab, inventory = scenario
    _approve_new_vpn(lab, tmp_path, inventory)
    running = lab.running
    netns.in_ns(running, "core-b-cr2", "ip", "link", "set", "mgmt0", "down")
    try:
        failed = _push(lab, tmp_path, inventory, "--apply")
    finally:
        netns.in_ns(running, "core-b-cr2", "ip", "link", "set", "mgmt0", "up")
    assert failed.returncode == 1 and "core-b-cr2" in failed.stderr and "nothing was changed" in failed.stderr
    assert "Traceback" not in failed.stdout + failed.stderr
    _, records = _journal(tmp_path)
    assert not [r for r in records if r["action"] == "apply"]


def test_a_router_that_never_greets_is_named_in_one_line_within_the_login_timeout(
    scenario: tuple[PushLab, Path], tmp_path: Path
) -> None:
    """Its SSH server accepts the connection and then says nothing (frozen): the push gives up after
    --login-timeout, says so in one line per router, prints no traceback, and changes nothing."""
    lab, inventory = scenario
    _approve_new_vpn(lab, tmp_path, inventory)
    sshd = int((lab.ssh / "core-b-cr2" / "sshd.pid").read_text(encoding="utf-8").strip())
    os.kill(sshd, signal.SIGSTOP)
    try:
        start = time.monotonic()
        failed = _push(lab, tmp_path, inventory, "--apply", "--login-timeout", "3")
        seconds = time.monotonic() - start
    finally:
        os.kill(sshd, signal.SIGCONT)
    output = failed.stdout + failed.stderr
    assert failed.returncode == 1 and "nothing was changed" in failed.stderr, output
    assert "Traceback" not in output and "Things you might try" not in output
    named = [line for line in failed.stderr.splitlines() if "core-b-cr2" in line]
    assert len(named) == 1 and "within 3 s" in named[0] and "--login-timeout" in named[0], named
    assert seconds < 60, f"the push took {seconds:.0f} s with a 3 s login timeout"
    _, records = _journal(tmp_path)
    assert not [r for r in records if r["action"] == "apply"]


def test_collect_saves_every_routers_running_config_and_diff_reads_the_newest(
    scenario: tuple[PushLab, Path], tmp_path: Path
) -> None:
    lab, inventory = scenario
    hosts = ["--hosts", str(lab.ssh / "hosts.yaml")]
    environment = {**os.environ, **lab.env()}
    collected = run_netauto("collect", str(inventory), *hosts, cwd=tmp_path, env=environment, timeout=600)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    folder = max((tmp_path / "build" / "running").iterdir())
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    saved = {p.stem: p for p in folder.glob("*.cfg")}
    assert set(saved) == set(lab.routers) and all(oct(p.stat().st_mode & 0o777) == "0o600" for p in saved.values())
    for router, file in saved.items():  # as vtysh shows it in the router (from here, vtysh adds this host's name)
        shown = netns.vtysh(lab.running, router, "show running-config")
        assert _meaning_but_hostname(file.read_text(encoding="utf-8")) == _meaning_but_hostname(shown), router
    diff = _netauto(lab, tmp_path, "diff", str(inventory), "--running", "latest", "--json", check=False)
    assert diff.returncode == 0, diff.stderr
    assert "password" not in diff.stdout  # the remediation against the running configs is masked

    netns.in_ns(lab.running, "core-b-cr2", "ip", "link", "set", "mgmt0", "down")
    try:
        partial = run_netauto("collect", str(inventory), *hosts, "--login-timeout", "3", cwd=tmp_path, env=environment)
    finally:
        netns.in_ns(lab.running, "core-b-cr2", "ip", "link", "set", "mgmt0", "up")
    assert (
        partial.returncode == 4 and "core-b-cr2: not collected" in partial.stderr and "Traceback" not in partial.stderr
    )
    newest = max((tmp_path / "build" / "running").iterdir())
    summary = json.loads((newest / "collection.json").read_text(encoding="utf-8"))
    assert list(summary["failed"]) == ["core-b-cr2"] and len(summary["saved"]) == len(lab.routers) - 1


def _meaning_but_hostname(config: str) -> str:
    return digest("\n".join(line for line in config.splitlines() if not line.startswith("hostname ")), "frr")


def test_wrong_credentials_change_nothing(scenario: tuple[PushLab, Path], tmp_path: Path) -> None:
    lab, inventory = scenario
    _approve_new_vpn(lab, tmp_path, inventory)
    stranger = tmp_path / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    failed = _push(lab, tmp_path, inventory, "--apply", env=lab.env(key=stranger))
    assert failed.returncode == 1 and "Authentication" in failed.stderr and "nothing was changed" in failed.stderr
    assert stranger.read_text(encoding="utf-8").splitlines()[1] not in failed.stdout + failed.stderr


def test_a_vpn_id_too_long_for_a_vrf_device_reaches_the_routers_shortened(
    scenario: tuple[PushLab, Path], tmp_path: Path
) -> None:
    """FRR's VRFs are Linux VRF devices (15 characters): a longer VPN id is cut and made unique (frr.yml).
    Before, such an id reached FRR whole and was refused ("length exceeds 36 bytes" past 36)."""
    lab, inventory = scenario
    too_long = "dept-" + "x" * 40
    with (inventory / "vpns.yaml").open("a", encoding="utf-8") as vpns:
        vpns.write(NEW_VPN.replace("dept-b", too_long))
    _netauto(lab, tmp_path, "approve", str(inventory), "--change-id", "CHG-LONG", "--by", "board")
    pushed = _push(lab, tmp_path, inventory, "--apply")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    folder, _ = _journal(tmp_path)
    try:
        shown = netns.vtysh(lab.running, "town-1-pe1", "show running-config")
        short = get_platform("frr").vrf_name(too_long)
        assert len(short) == 15 and f" vrf {short}\n" in shown and too_long not in shown  # router bgp N vrf ...
    finally:
        hosts = str(lab.ssh / "hosts.yaml")
        _netauto(lab, tmp_path, "push", str(inventory), "--hosts", hosts, "--rollback", str(folder))


def test_a_change_that_breaks_bgp_on_the_canary_is_restored_and_stops_the_push(
    scenario: tuple[PushLab, Path], tmp_path: Path
) -> None:
    lab, inventory = scenario
    devices = inventory / "devices.yaml"  # renumber the canary's loopback in one step: its iBGP peers still
    devices.write_text(
        "devices:\n  - {name: town-1-pe1, loopback_v4: 10.255.0.200}\n", encoding="utf-8"
    )  # use the old one
    _netauto(lab, tmp_path, "approve", str(inventory), "--change-id", "CHG-BAD", "--by", "board")
    failed = _push(lab, tmp_path, inventory, "--apply", "--canary", "town-1-pe1", "--post-check-timeout", "15")
    assert failed.returncode == 4, failed.stdout + failed.stderr
    assert "Stopped" in failed.stdout
    _, records = _journal(tmp_path)
    assert "post-check failed" in _actions(records, "town-1-pe1")
    assert _actions(records, "town-1-pe1")[-1] == "restore ok"
    assert all("apply start" not in _actions(records, r) for r in lab.routers if r != "town-1-pe1")


def test_the_ssh_session_killed_mid_push_is_restored(scenario: tuple[PushLab, Path], tmp_path: Path) -> None:
    lab, inventory = scenario
    with (inventory / "vpns.yaml").open("a", encoding="utf-8") as vpns:  # many lines: a push that takes time
        vpns.writelines(NEW_VPN.replace("dept-b", f"dept-k{k}").replace("172.21", f"172.{100 + k}") for k in range(25))
    _netauto(lab, tmp_path, "approve", str(inventory), "--change-id", "CHG-BIG", "--by", "board")
    push = _spawn_push(lab, tmp_path, inventory, "--canary", "town-1-pe1", "--max-failures", "0")
    try:
        journal = _wait_for_record(tmp_path, "town-1-pe1", "apply", "start")
        _kill_sessions(lab, "town-1-pe1")
        push.wait(timeout=300)
    finally:
        push.kill()
    _, records = _wait_journal(journal)
    assert "apply failed" in _actions(records, "town-1-pe1") or "verify failed" in _actions(records, "town-1-pe1")
    assert _actions(records, "town-1-pe1")[-1] == "restore ok"
    assert push.returncode == 4


def test_a_killed_push_rolls_back_and_a_killed_push_resumes(scenario: tuple[PushLab, Path], tmp_path: Path) -> None:
    lab, inventory = scenario
    _approve_new_vpn(lab, tmp_path, inventory)
    journal = _killed_after_canary(lab, tmp_path, inventory)
    rolled = _netauto(
        lab, tmp_path, "push", str(inventory), "--hosts", str(lab.ssh / "hosts.yaml"), "--rollback", str(journal)
    )
    assert ": restored" in rolled.stdout
    assert lab.meanings() == lab.before
    shutil.rmtree(tmp_path / "build" / "push")
    journal = _killed_after_canary(lab, tmp_path, inventory)
    resumed = _push(lab, tmp_path, inventory, "--resume", str(journal))
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    records = [json.loads(line) for line in (journal / "journal.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r for r in records if r["action"] == "push" and r["status"] == "resume"]
    assert _push(lab, tmp_path, inventory).stdout.count("in sync") == len(lab.routers)
    _netauto(lab, tmp_path, "push", str(inventory), "--hosts", str(lab.ssh / "hosts.yaml"), "--rollback", str(journal))


def _killed_after_canary(lab: PushLab, cwd: Path, inventory: Path) -> Path:
    """A push killed (SIGKILL) once its canary is done and the next wave has started."""
    push = _spawn_push(lab, cwd, inventory, "--batch-size", "1", "--workers", "1")
    try:
        journal = _wait_for_record(cwd, "*", "wave", "start", nth=2)
        push.send_signal(signal.SIGKILL)
        push.wait(timeout=30)
    finally:
        push.kill()
    return journal


def _spawn_push(lab: PushLab, cwd: Path, inventory: Path, *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "netauto", "push", str(inventory), "--apply", "--secrets", str(SECRETS)]
    command += ["--hosts", str(lab.ssh / "hosts.yaml"), *args]
    env = {**os.environ, **lab.env()}
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_record(cwd: Path, device: str, action: str, status: str, nth: int = 1, seconds: float = 120) -> Path:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        folders = (
            [p for p in (cwd / "build" / "push").glob("*") if p.name != "locks"]
            if (cwd / "build" / "push").exists()
            else []
        )
        for folder in folders:
            lines = (
                (folder / "journal.jsonl").read_text(encoding="utf-8").splitlines()
                if (folder / "journal.jsonl").exists()
                else []
            )
            hits = 0
            for line in lines:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if (record["device"], record["action"], record["status"]) == (device, action, status):
                    hits += 1
            if hits >= nth:
                return folder
        time.sleep(0.01)
    raise AssertionError(f"no journal record {device} {action} {status} within {seconds} s")


def _wait_journal(folder: Path) -> tuple[Path, list[dict]]:  # type: ignore[type-arg]
    return folder, [json.loads(line) for line in (folder / "journal.jsonl").read_text(encoding="utf-8").splitlines()]


def _kill_sessions(lab: PushLab, device: str) -> None:
    """Kill the device's SSH sessions (not its listener), as a dropped link to the router would."""
    listener = int((lab.ssh / device / "sshd.pid").read_text().strip())
    running = lab.running
    pids = subprocess.run(["ip", "netns", "pids", running.ns(device)], capture_output=True, text=True).stdout.split()
    for pid in pids:
        command = (
            Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace") if Path(f"/proc/{pid}").exists() else ""
        )
        if int(pid) != listener and command.startswith("sshd"):
            os.kill(int(pid), signal.SIGKILL)


def test_a_rotated_secret_is_never_shown_and_a_rotation_breaking_the_canary_is_restored(
    scenario: tuple[PushLab, Path], tmp_path: Path
) -> None:
    """The old secret comes from the routers and is in no secrets file: it is masked by where the
    platform writes secrets. Rotating the iBGP password router by router breaks the canary's sessions
    (its peers still have the old one): the post-check catches it and the canary is restored."""
    lab, inventory = scenario
    rotated = tmp_path / "rotated-secrets.yaml"
    text = SECRETS.read_text(encoding="utf-8").replace("test-bgp-password-0002", "rotated-bgp-9999")
    rotated.write_text(text, encoding="utf-8")
    rotated.chmod(0o600)
    environment = {**os.environ, **lab.env()}
    secrets = ["--secrets", str(rotated)]
    approve = ["approve", str(inventory), "--change-id", "ROT", "--by", "board", *secrets]
    assert run_netauto(*approve, cwd=tmp_path, env=environment).returncode == 0
    hosts = ["--hosts", str(lab.ssh / "hosts.yaml"), "--post-check-timeout", "15"]
    dry = run_netauto("push", str(inventory), *hosts, *secrets, cwd=tmp_path, env=environment, timeout=600)
    assert dry.returncode == 0, dry.stderr
    assert "password ******" in dry.stdout  # the rotation is what would be sent, masked
    pushed = run_netauto(
        "push", str(inventory), "--apply", *hosts, *secrets, cwd=tmp_path, env=environment, timeout=600
    )
    assert pushed.returncode == 4, pushed.stdout + pushed.stderr
    folder, records = _journal(tmp_path)
    canary = next(r for r in records if r["action"] == "wave" and r["status"] == "start")["devices"][0]
    assert _actions(records, canary)[-1] == "restore ok"
    assert any("iBGP session down" in r["detail"] for r in records if r["device"] == canary)
    shown = dry.stdout + dry.stderr + pushed.stdout + pushed.stderr + (folder / "journal.jsonl").read_text("utf-8")
    assert "rotated-bgp-9999" not in shown and "test-bgp-password-0002" not in shown
