"""`netauto push` to Huawei VRP8, H3C Comware 7 and Cisco IOS-XR routers.

No such router can run here, so they are protocol-level stand-ins (tests/fakes/vendor_cli.py): real
SSH sessions, driven by Netmiko's drivers for these platforms, with each platform's commit semantics -
VRP8 `commit trial`, IOS-XR `commit confirmed`, Comware `configuration commit delay` - and timers that
undo an unconfirmed change by themselves. What these tests prove is the push's side of that protocol:
the commands it sends, confirming only after the post-checks, restoring on failure, and that a push
cut off before confirming is undone by the routers. Every test starts from routers running the
approved baseline and compares their running configs by meaning.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from fakes import start_stand_ins
from test_push import _actions, _journal, _wait_for_record, _wait_journal

from conftest import TESTS, free_port, run_netauto
from netauto.review.configtree import digest

SECRETS = TESTS / "fixtures" / "secrets.yaml"
SOURCE = TESTS / "fixtures" / "render"
# the push's targets: VRP8 (a core router and a bureau's CE), IOS-XR and Comware 7
ROUTERS = ["bureau-1-ce1", "core-a-cr1", "core-b-cr1", "town-1-pe1"]
NEW_VPN = (  # joined by the bureau: new sub-interfaces on its CE and its PEs
    "  - {id: dept-b, zone: dedicated, plane: video, department: 乙局, prefixes: [172.21.0.0/16], attach: [bureau]}\n"
)
TIME_SCALE = 0.1  # the stand-ins' timers run 10 times faster: a 120 s confirm window lasts 12 s
WINDOW = 120  # 2 minutes for Comware, whose timer counts minutes
TIMEOUT = ["--command-timeout", "10"]  # a lost session is noticed by a command's answer not coming
USER = "netops"


@dataclass
class Routers:
    """The stand-in routers of one test: one process, one SSH port per router."""

    folder: Path
    platforms: dict[str, str]
    process: subprocess.Popen[str]

    @property
    def state(self) -> Path:
        return self.folder / "state"

    def running(self, device: str) -> str:
        return (self.state / f"{device}.running.cfg").read_text(encoding="utf-8")

    def meanings(self) -> dict[str, str]:
        return {d: digest(self.running(d), p) for d, p in self.platforms.items()}

    def log(self, device: str) -> str:
        return (self.state / f"{device}.log").read_text(encoding="utf-8")

    def fault(self, device: str, **faults: object) -> None:
        (self.state / f"{device}.faults.yaml").write_text(yaml.safe_dump(faults), encoding="utf-8")

    def env(self, key: Path | None = None) -> dict[str, str]:
        return {
            "NETAUTO_USERNAME": USER,
            "NETAUTO_SSH_KEY": str(key or self.folder / "client_ed25519"),
            "NETAUTO_KNOWN_HOSTS": str(self.folder / "known_hosts"),
        }


def _inventory(folder: Path) -> Path:
    inventory = folder / "inv"
    shutil.copytree(SOURCE, inventory)
    return inventory


@pytest.fixture
def scenario(tmp_path: Path) -> Iterator[tuple[Routers, Path]]:
    """A copy of the vendor inventory, its baseline approved, and stand-in routers running exactly the
    approved configs; afterwards the stand-ins are stopped."""
    inventory = _inventory(tmp_path)
    _netauto(None, tmp_path, "approve", str(inventory), "--change-id", "BASE", "--by", "lab")
    routers = _start(tmp_path, inventory)
    try:
        yield routers, inventory
    finally:
        _stop(routers)


def _stop(routers: Routers) -> None:
    routers.process.send_signal(signal.SIGTERM)
    try:
        routers.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        routers.process.kill()


def _start(cwd: Path, inventory: Path, devices: list[str] = ROUTERS) -> Routers:
    folder = cwd / "routers"
    folder.mkdir()
    for key in ("host_ed25519", "client_ed25519"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / key)], check=True)
    plan = yaml.safe_load(run_netauto("plan", str(inventory), "--json", cwd=cwd).stdout)
    platforms = {d["name"]: d["platform"] for d in plan["devices"] if d["name"] in devices}
    ports = {device: free_port() for device in platforms}
    spec = {
        "state_dir": str(folder / "state"),
        "host_key": str(folder / "host_ed25519"),
        "authorized_key": str(folder / "client_ed25519.pub"),
        "username": USER,
        "time_scale": TIME_SCALE,
        "latency_ms": 0,
        "devices": [
            {"name": d, "platform": p, "port": ports[d], "config": str(cwd / "build" / "configs" / f"{d}.cfg")}
            for d, p in platforms.items()
        ],
    }
    (folder / "spec.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    host_key = (folder / "host_ed25519.pub").read_text(encoding="utf-8").split()[:2]
    known = [f"[127.0.0.1]:{port} {' '.join(host_key)}\n" for port in ports.values()]
    (folder / "known_hosts").write_text("".join(known), encoding="utf-8")
    hosts = {d: {"hostname": "127.0.0.1", "port": port} for d, port in ports.items()}
    (folder / "hosts.yaml").write_text(yaml.safe_dump(hosts), encoding="utf-8")
    process = start_stand_ins(folder / "spec.yaml", stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return Routers(folder, platforms, process)


def _netauto(routers: Routers | None, cwd: Path, *args: str, env: dict[str, str] | None = None, check: bool = True):  # type: ignore[no-untyped-def]
    environment = {**os.environ, **(env or (routers.env() if routers else {}))}
    result = run_netauto(*args, "--secrets", str(SECRETS), cwd=cwd, env=environment, timeout=300)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def _push(routers: Routers, cwd: Path, inventory: Path, *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    options = ["--hosts", str(routers.folder / "hosts.yaml"), "--confirm-window", str(WINDOW), *TIMEOUT]
    return _netauto(routers, cwd, "push", str(inventory), *options, *args, env=env, check=False)


def _approve_change(routers: Routers, cwd: Path, inventory: Path) -> dict[str, str]:
    """A new department VPN and a second NTP server (every router changes); the intended meanings."""
    with (inventory / "vpns.yaml").open("a", encoding="utf-8") as vpns:
        vpns.write(NEW_VPN)
    network = inventory / "network.yaml"
    network.write_text(network.read_text(encoding="utf-8").replace("[10.64.0.10]", "[10.64.0.10, 10.64.0.11]"))
    _netauto(routers, cwd, "approve", str(inventory), "--change-id", "CHG-1", "--by", "board")
    configs = cwd / "build" / "configs"
    return {d: digest((configs / f"{d}.cfg").read_text(encoding="utf-8"), p) for d, p in routers.platforms.items()}


def _rollback(routers: Routers, cwd: Path, inventory: Path, journal: Path):  # type: ignore[no-untyped-def]
    hosts = str(routers.folder / "hosts.yaml")
    return _netauto(routers, cwd, "push", str(inventory), "--hosts", hosts, "--rollback", str(journal))


def test_an_approved_change_is_committed_on_trial_confirmed_after_the_post_checks_and_rolls_back(
    scenario: tuple[Routers, Path], tmp_path: Path
) -> None:
    routers, inventory = scenario
    before = routers.meanings()
    intended = _approve_change(routers, tmp_path, inventory)
    assert all(intended[d] != before[d] for d in routers.platforms)
    dry = _push(routers, tmp_path, inventory)
    assert dry.returncode == 0 and "ntp" in dry.stdout and routers.meanings() == before
    pushed = _push(routers, tmp_path, inventory, "--apply", "--canary", "core-a-cr1")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert routers.meanings() == intended
    folder, records = _journal(tmp_path)
    for device in routers.platforms:
        assert _actions(records, device)[-4:] == ["apply start", "apply ok", "check ok", "confirm ok"], device
    timers = {
        "huawei_vrp": f"commit trial {WINDOW}",
        "cisco_iosxr": f"commit confirmed {WINDOW}",
        "h3c_comware": f"configuration commit delay {WINDOW // 60}",
    }
    for device, platform in routers.platforms.items():
        assert timers[platform] in routers.log(device), device
    post_checks = {  # each router asked in its own words for its IS-IS peers, iBGP sessions and routes
        "huawei_vrp": ("display isis peer", "display bgp vpnv4 all peer", "display ip routing-table verbose"),
        "h3c_comware": ("display isis peer", "display bgp peer vpnv4", "display ip routing-table"),
        "cisco_iosxr": ("show isis neighbors", "show bgp vpnv4 unicast summary", "show route ipv4"),
    }
    for device, platform in routers.platforms.items():
        typed = {
            line.rsplit("> ", 1)[-1].rsplit("] ", 1)[-1].rsplit("# ", 1)[-1]
            for line in routers.log(device).splitlines()
        }
        assert set(post_checks[platform]) <= typed, device
    time.sleep(WINDOW * TIME_SCALE + 2)  # confirmed: the routers' timers undo nothing
    assert routers.meanings() == intended
    restored = _rollback(routers, tmp_path, inventory, folder)
    assert restored.stdout.count(": restored") == len(routers.platforms)
    assert routers.meanings() == before


@pytest.mark.parametrize("canary", ["core-a-cr1", "core-b-cr1", "town-1-pe1"], ids=["vrp", "iosxr", "comware"])
def test_a_line_the_router_refuses_restores_it_and_stops_the_push(
    scenario: tuple[Routers, Path], tmp_path: Path, canary: str
) -> None:
    routers, inventory = scenario
    before = routers.meanings()
    _approve_change(routers, tmp_path, inventory)
    routers.fault(canary, reject="10\\.64\\.0\\.11")
    failed = _push(routers, tmp_path, inventory, "--apply", "--canary", canary)
    assert failed.returncode == 4, failed.stdout + failed.stderr
    _, records = _journal(tmp_path)
    assert "apply failed" in _actions(records, canary) and _actions(records, canary)[-1] == "restore ok"
    assert all("apply start" not in _actions(records, d) for d in routers.platforms if d != canary)
    assert routers.meanings() == before


def test_a_session_dropped_mid_push_is_restored(scenario: tuple[Routers, Path], tmp_path: Path) -> None:
    routers, inventory = scenario
    before = routers.meanings()
    _approve_change(routers, tmp_path, inventory)
    routers.fault("town-1-pe1", drop_after=3, once=True)  # Comware: the first lines are already in effect
    failed = _push(routers, tmp_path, inventory, "--apply", "--canary", "town-1-pe1")
    assert failed.returncode == 4, failed.stdout + failed.stderr
    _, records = _journal(tmp_path)
    assert _actions(records, "town-1-pe1")[-3:] == ["apply failed", "restore start", "restore ok"]
    assert routers.meanings() == before


def test_a_push_killed_before_confirming_is_undone_by_the_routers_and_resumes(
    scenario: tuple[Routers, Path], tmp_path: Path
) -> None:
    routers, inventory = scenario
    before = routers.meanings()
    intended = _approve_change(routers, tmp_path, inventory)
    push = _spawn_push(routers, tmp_path, inventory, "--canary", "core-b-cr1")
    try:
        _wait_for_record(tmp_path, "core-b-cr1", "apply", "ok")
        routers.fault("core-b-cr1", latency_ms=500)  # slow post-checks: time to kill before the confirmation
        journal = _wait_for_record(tmp_path, "core-b-cr1", "check", "ok")
        push.send_signal(signal.SIGKILL)
        push.wait(timeout=30)
    finally:
        push.kill()
    _, records = _wait_journal(journal)
    assert "confirm ok" not in _actions(records, "core-b-cr1")
    assert routers.meanings()["core-b-cr1"] == intended["core-b-cr1"]  # on trial
    time.sleep(WINDOW * TIME_SCALE + 2)
    assert routers.meanings() == before  # the router's own timer undid it
    assert "rolled back" in routers.log("core-b-cr1")
    routers.fault("core-b-cr1")
    resumed = _push(routers, tmp_path, inventory, "--resume", str(journal))
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert routers.meanings() == intended
    confirmed = ["apply start", "apply ok", "check ok", "confirm ok"]
    assert _actions(_wait_journal(journal)[1], "core-b-cr1")[-4:] == confirmed


def test_wrong_credentials_and_unknown_host_keys_change_nothing(scenario: tuple[Routers, Path], tmp_path: Path) -> None:
    routers, inventory = scenario
    before = routers.meanings()
    _approve_change(routers, tmp_path, inventory)
    stranger = tmp_path / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    refused = _push(routers, tmp_path, inventory, "--apply", env=routers.env(key=stranger))
    assert refused.returncode == 1 and "Authentication" in refused.stderr and "nothing was changed" in refused.stderr
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("", encoding="utf-8")
    untrusted = _push(routers, tmp_path, inventory, "--apply", env={**routers.env(), "NETAUTO_KNOWN_HOSTS": str(empty)})
    assert untrusted.returncode == 1 and "nothing was changed" in untrusted.stderr
    assert routers.meanings() == before


def _spawn_push(routers: Routers, cwd: Path, inventory: Path, *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "netauto", "push", str(inventory), "--apply", "--secrets", str(SECRETS)]
    command += ["--hosts", str(routers.folder / "hosts.yaml"), "--confirm-window", str(WINDOW), *TIMEOUT, *args]
    env = {**os.environ, **routers.env()}
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_an_isis_adjacency_that_does_not_come_up_is_caught_and_the_router_restored(
    scenario: tuple[Routers, Path], tmp_path: Path
) -> None:
    """Its port stays up; only IS-IS to core-b-cr1 does not form: the IS-IS post-check, read from the
    router's `display isis peer` with the VRP parser, catches it."""
    routers, inventory = scenario
    before = routers.meanings()
    _approve_change(routers, tmp_path, inventory)
    routers.fault("core-a-cr1", isis_down="^200GE0/5/1$")
    failed = _push(routers, tmp_path, inventory, "--apply", "--canary", "core-a-cr1", "--post-check-timeout", "2")
    assert failed.returncode == 4, failed.stdout + failed.stderr
    _, records = _journal(tmp_path)
    assert _actions(records, "core-a-cr1")[-3:] == ["post-check failed", "restore start", "restore ok"]
    detail = next(r["detail"] for r in records if r["device"] == "core-a-cr1" and r["action"] == "post-check")
    assert "IS-IS adjacency down to core-b-cr1" in detail and "interface down" not in detail, detail
    assert all("apply start" not in _actions(records, d) for d in routers.platforms if d != "core-a-cr1")
    assert routers.meanings() == before


def test_collect_saves_each_vendor_routers_running_config(scenario: tuple[Routers, Path], tmp_path: Path) -> None:
    """`display current-configuration` / `show running-config` over each platform's Netmiko driver."""
    routers, inventory = scenario
    hosts = ["--hosts", str(routers.folder / "hosts.yaml"), *TIMEOUT]
    environment = {**os.environ, **routers.env()}
    collected = run_netauto("collect", str(inventory), *hosts, cwd=tmp_path, env=environment, timeout=300)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    folder = max((tmp_path / "build" / "running").iterdir())
    meanings = {f.stem: digest(f.read_text(encoding="utf-8"), routers.platforms[f.stem]) for f in folder.glob("*.cfg")}
    assert meanings == routers.meanings()
    assert "display current-configuration" in routers.log("town-1-pe1")


def test_a_failed_post_check_restores_the_router_on_trial_and_stops_the_push(
    scenario: tuple[Routers, Path], tmp_path: Path
) -> None:
    routers, inventory = scenario
    before = routers.meanings()
    _approve_change(routers, tmp_path, inventory)
    routers.fault("core-a-cr1", down="^200GE0/5/1$")  # its core link to core-b-cr1 shows down
    failed = _push(routers, tmp_path, inventory, "--apply", "--canary", "core-a-cr1", "--post-check-timeout", "2")
    assert failed.returncode == 4, failed.stdout + failed.stderr
    _, records = _journal(tmp_path)
    assert _actions(records, "core-a-cr1")[-5:] == [
        "apply ok",
        "check ok",
        "post-check failed",
        "restore start",
        "restore ok",
    ]
    assert any("interface down: 200GE0/5/1" in r["detail"] for r in records if r["device"] == "core-a-cr1")
    assert "confirm ok" not in _actions(records, "core-a-cr1")
    assert all("apply start" not in _actions(records, d) for d in routers.platforms if d != "core-a-cr1")
    assert routers.meanings() == before


def _command_lines() -> set[str]:
    """Every process's arguments, as `ps` shows them."""
    found = set()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            found.add(cmdline.read_bytes().replace(b"\0", b" ").decode("utf-8", "replace"))
        except OSError:
            continue  # the process ended meanwhile
    return found


def test_no_secret_reaches_a_process_argument_an_error_or_an_artefact(
    scenario: tuple[Routers, Path], tmp_path: Path
) -> None:
    """A rotated BGP password pushed to every router; core-a-cr1 refuses its line (the error that
    quotes the refused line is shown) and is restored. Meanwhile every process's arguments are read;
    afterwards every file netauto wrote but the rendered configs and the backups (0600: the secrets'
    place) is read: no secret value, old or new, in any of them."""
    routers, inventory = scenario
    rotated = tmp_path / "rotated-secrets.yaml"
    rotated.write_text(SECRETS.read_text(encoding="utf-8").replace("test-bgp-password-0002", "rotated-bgp-9999"))
    os.chmod(rotated, 0o600)
    values = [*yaml.safe_load(rotated.read_text(encoding="utf-8")).values(), "test-bgp-password-0002"]
    secrets = ["--secrets", str(rotated)]
    environment = {**os.environ, **routers.env()}
    approve = ["approve", str(inventory), "--change-id", "ROT", "--by", "board", *secrets]
    assert run_netauto(*approve, cwd=tmp_path, env=environment).returncode == 0
    routers.fault("core-a-cr1", reject="rotated-bgp")
    seen: set[str] = set()
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            seen.update(_command_lines())
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        options = ["--hosts", str(routers.folder / "hosts.yaml"), "--confirm-window", str(WINDOW), *TIMEOUT]
        command = ["push", str(inventory), "--apply", "--canary", "core-a-cr1", *options, *secrets]
        pushed = run_netauto(*command, cwd=tmp_path, env=environment, timeout=300)
    finally:
        done.set()
        watcher.join()
    assert pushed.returncode == 4, pushed.stdout + pushed.stderr
    _, records = _journal(tmp_path)
    refusal = next(r for r in records if r["device"] == "core-a-cr1" and r["status"] == "failed")
    assert "******" in refusal["detail"], refusal  # the refused line is quoted, its secret masked
    assert _actions(records, "core-a-cr1")[-1] == "restore ok"
    secret_places = {tmp_path / "build" / "configs", *(tmp_path / "build" / "push").glob("*/backups")}
    artefacts = [
        p
        for p in tmp_path.rglob("*")
        if p.is_file()
        and routers.folder not in p.parents
        and not any(f in p.parents for f in secret_places)
        and p != rotated
    ]
    assert any(p.name == "journal.jsonl" for p in artefacts) and any(p.parent.name == "configs" for p in artefacts)
    texts = {str(p): p.read_text(encoding="utf-8", errors="replace") for p in artefacts}
    texts |= {"stdout": pushed.stdout, "stderr": pushed.stderr, "process arguments": "\n".join(seen)}
    assert len(seen) > 10  # the watcher saw the push's processes
    leaks = [(where, value) for where, text in texts.items() for value in values if value in text]
    assert leaks == []
    for place in secret_places:
        assert all(p.stat().st_mode & 0o077 == 0 for p in place.glob("*.cfg")), place


@pytest.mark.parametrize(
    ("misbehaviour", "said"),
    [
        ("garbage", "could not parse it: State Error raised. Rule Line: 18."),  # quoted without the bytes
        ("flood", "answered over 16 MiB, still printing; session closed"),
        ("hang", "ReadTimeout"),  # half an answer, then nothing: --command-timeout
    ],
)
def test_a_router_that_misbehaves_in_its_post_checks_is_bounded_reported_and_restored(
    scenario: tuple[Routers, Path], tmp_path: Path, misbehaviour: str, said: str
) -> None:
    routers, inventory = scenario
    before = routers.meanings()
    _approve_change(routers, tmp_path, inventory)
    routers.fault("core-a-cr1", **{misbehaviour: "^display isis peer$"})
    # 16 MiB through SSH takes a busy machine more than the 10 s the others get: the size bound must
    # be what stops the flood, not the time
    longer = ["--command-timeout", "90"] if misbehaviour == "flood" else []
    failed = _push(routers, tmp_path, inventory, "--apply", "--canary", "core-a-cr1", *longer)
    assert failed.returncode == 4, failed.stdout + failed.stderr
    assert "Traceback" not in failed.stderr
    _, records = _journal(tmp_path)
    failure = next(r for r in records if r["device"] == "core-a-cr1" and r["status"] == "failed")
    assert said in failure["detail"], failure
    assert _actions(records, "core-a-cr1")[-1] == "restore ok"
    assert f"misbehaves ({misbehaviour})" in routers.log("core-a-cr1")
    assert routers.meanings() == before


def test_a_router_that_colours_its_answers_is_read_all_the_same(scenario: tuple[Routers, Path], tmp_path: Path) -> None:
    routers, inventory = scenario
    intended = _approve_change(routers, tmp_path, inventory)
    routers.fault("core-a-cr1", escapes="^display (isis peer|bgp vpnv4 all peer|ip routing-table verbose)$")
    pushed = _push(routers, tmp_path, inventory, "--apply", "--canary", "core-a-cr1")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert "misbehaves (escapes)" in routers.log("core-a-cr1")
    assert routers.meanings() == intended
