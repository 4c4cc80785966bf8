"""Hostile input and faults. Hostile YAML in every file netauto reads besides the inventory (whose
cases are in the bad-input corpus): a "billion laughs" document in the secrets file, a hosts file,
the lock, a runbook and the runbook approvals is refused with its file, line and column, exit 1, no
traceback, before anything is planned, written or contacted. A disk that fills up mid-write leaves
every previous file whole."""

from __future__ import annotations

import fcntl
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import MINIMAL, TESTS, run_netauto

SECRETS = TESTS / "fixtures" / "secrets.yaml"


def _bomb(top: str = "a0") -> str:
    """10 values, each level ten aliases of the one before: 10^10 values once expanded."""
    lines = [f"{top}: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


def _refused(result, file: Path) -> None:  # type: ignore[no-untyped-def]
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert f"{file}:9:5: error: a8: this value (1,111,111,111 values) is used 11 times through aliases" in result.stderr


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    folder = tmp_path / "inv"
    shutil.copytree(MINIMAL, folder)
    return folder


def test_a_secrets_file_that_explodes_is_refused(inventory: Path, tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(_bomb(), encoding="utf-8")
    os.chmod(secrets, 0o600)
    result = run_netauto("render", str(inventory), "--secrets", str(secrets), "-o", "out", cwd=tmp_path)
    _refused(result, secrets)
    assert not (tmp_path / "out").exists()


def test_a_hosts_file_that_explodes_is_refused_before_any_device_is_contacted(inventory: Path, tmp_path: Path) -> None:
    hosts = tmp_path / "hosts.yaml"
    hosts.write_text(_bomb(), encoding="utf-8")
    result = run_netauto("collect", str(inventory), "--hosts", str(hosts), cwd=tmp_path)
    _refused(result, hosts)
    assert not (tmp_path / "build" / "running").exists()


def test_a_lock_that_explodes_is_refused(inventory: Path, tmp_path: Path) -> None:
    lock = inventory / "netauto.lock"
    lock.write_text(_bomb("version"), encoding="utf-8")
    result = run_netauto("plan", str(inventory), cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{lock}:9:5: error: a8: this value" in result.stderr
    assert lock.read_text(encoding="utf-8") == _bomb("version")  # not rewritten


def test_a_lock_entry_nested_past_what_json_reads_is_refused(inventory: Path, tmp_path: Path) -> None:
    lock = inventory / "netauto.lock"
    text = "version: 1\ndevices:\n  " + '"r1": ' + "[" * 50_000 + "]" * 50_000 + "\n"
    lock.write_text(text, encoding="utf-8")
    result = run_netauto("plan", str(inventory), cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"{lock}:3:" in result.stderr and "nesting depth" in result.stderr
    assert lock.read_text(encoding="utf-8") == text


def test_a_runbook_and_its_approvals_that_explode_are_refused(tmp_path: Path) -> None:
    inventory = tmp_path / "inv"
    shutil.copytree(TESTS / "fixtures" / "render", inventory)
    dedicated = inventory / "dedicated.yaml"
    dedicated.write_text(dedicated.read_text(encoding="utf-8").replace("state: migrated", "state: planned"), "utf-8")
    generated = run_netauto("runbook", "generate", str(inventory), "--secrets", str(SECRETS), cwd=tmp_path)
    assert generated.returncode == 0, generated.stderr
    runbook = tmp_path / "runbooks" / "dn-a.yaml"
    approvals = tmp_path / "baselines" / "mini" / "runbook-approvals.yaml"
    approvals.parent.mkdir(parents=True)
    approvals.write_text(_bomb(), encoding="utf-8")
    approve = ["runbook", "approve", str(runbook), "--change-id", "CHG-1", "--by", "board"]
    _refused(run_netauto(*approve, cwd=tmp_path), approvals.relative_to(tmp_path))
    assert approvals.read_text(encoding="utf-8") == _bomb()
    runbook.write_text(_bomb(), encoding="utf-8")
    _refused(run_netauto("runbook", "run", str(runbook), "--secrets", str(SECRETS), cwd=tmp_path), runbook)


def _netauto_with_file_size_limit(limit: int, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """netauto as on a disk that fills up: no file may grow past `limit` bytes (a write past it fails
    with EFBIG, as one on a full disk fails with ENOSPC)."""

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    command = [sys.executable, "-m", "netauto", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, preexec_fn=limited, timeout=300)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _configs_of(files: dict[str, bytes]) -> dict[str, bytes]:
    return {name: data for name, data in files.items() if name.endswith(".cfg")}


def _configs(folder: Path) -> dict[str, bytes]:
    """The configs only: a temporary file beside them may be renamed away while the folder is read."""
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.cfg"))}


def test_a_render_on_a_full_disk_keeps_every_previous_config(tmp_path: Path) -> None:
    inventory = tmp_path / "inv"
    shutil.copytree(TESTS / "fixtures" / "render", inventory)
    rendered = run_netauto("render", "inv", "--secrets", str(SECRETS), "-o", "out", cwd=tmp_path)
    assert rendered.returncode == 0, rendered.stderr
    before = _files(tmp_path / "out")
    network = inventory / "network.yaml"
    network.write_text(network.read_text(encoding="utf-8").replace("[10.64.0.10]", "[10.64.0.10, 10.64.0.11]"))
    full = _netauto_with_file_size_limit(3000, "render", "inv", "--secrets", str(SECRETS), "-o", "out", cwd=tmp_path)
    assert full.returncode == 1 and "Traceback" not in full.stderr, full.stderr
    assert "core-a-cr1.cfg: could not be written (File too large); the previous file is kept as it was" in full.stderr
    fresh = run_netauto("render", "inv", "--secrets", str(SECRETS), "-o", "fresh", cwd=tmp_path)
    assert fresh.returncode == 0, fresh.stderr
    after, intended = _files(tmp_path / "out"), _files(tmp_path / "fresh")
    assert set(after) == set(before)  # no partial file left beside them
    configs = [name for name in after if name.endswith(".cfg")]
    assert all(after[name] in (before[name], intended[name]) for name in configs)  # each whole: old or new
    assert after["core-a-cr1.cfg"] == before["core-a-cr1.cfg"] != intended["core-a-cr1.cfg"]
    assert all(oct(p.stat().st_mode & 0o777) == "0o600" for p in (tmp_path / "out").glob("*.cfg"))


def test_a_plan_on_a_full_disk_keeps_the_previous_lock(inventory: Path, tmp_path: Path) -> None:
    assert run_netauto("plan", str(inventory), cwd=tmp_path).returncode == 0
    lock = inventory / "netauto.lock"
    before = lock.read_bytes()
    sites = inventory / "sites.yaml"
    sites.write_text(sites.read_text(encoding="utf-8") + "  - {id: town-9, class: town}\n", encoding="utf-8")
    full = _netauto_with_file_size_limit(len(before) - 1, "plan", str(inventory), cwd=tmp_path)
    assert full.returncode == 1 and "Traceback" not in full.stderr, full.stderr
    assert f"{lock}: could not be written (File too large); the previous file is kept as it was" in full.stderr
    assert lock.read_bytes() == before and not list(inventory.glob(".*.part"))


@pytest.mark.parametrize(
    "command",
    [["plan"], ["render", "--secrets", str(SECRETS), "-o", "out"], ["approve", "--change-id", "C", "--by", "b"]],
    ids=["plan", "render", "approve"],
)
def test_a_second_netauto_on_a_busy_inventory_changes_nothing(
    inventory: Path, tmp_path: Path, command: list[str]
) -> None:
    """Another netauto holds the inventory (its flock, as netauto's `hold` takes it): this one says so
    and writes nothing; once it is free, the same command goes through."""
    assert run_netauto("plan", str(inventory), cwd=tmp_path).returncode == 0
    lock_before = (inventory / "netauto.lock").read_bytes()
    extra = ["--secrets", str(SECRETS)] if command[0] == "approve" else []
    descriptor = os.open(inventory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        busy = run_netauto(command[0], str(inventory), *command[1:], *extra, cwd=tmp_path)
    finally:
        os.close(descriptor)
    assert busy.returncode == 1 and "Traceback" not in busy.stderr, busy.stderr
    assert f"Error: {inventory} is busy: another netauto is planning with it; nothing was changed" in busy.stderr
    assert (inventory / "netauto.lock").read_bytes() == lock_before
    assert not (tmp_path / "out").exists() and not (tmp_path / "baselines").exists()
    free = run_netauto(command[0], str(inventory), *command[1:], *extra, cwd=tmp_path)
    assert free.returncode == 0, free.stderr


def test_a_render_killed_midway_leaves_every_config_whole_and_the_next_render_completes(tmp_path: Path) -> None:
    """SIGKILL while a render of 460 devices rewrites them: each config is then the old one or the new
    one, never a part; the next render finishes the job and leaves no temporary file."""
    inventory = tmp_path / "synth"
    made = run_netauto("example", "synth", "-o", str(inventory), "--towns", "20", "--villages-per-town", "20")
    assert made.returncode == 0, made.stderr
    render = ["render", str(inventory), "--secrets", str(SECRETS), "-o", str(tmp_path / "out")]
    assert run_netauto(*render, cwd=tmp_path).returncode == 0
    before = _files(tmp_path / "out")
    network = inventory / "network.yaml"
    text = network.read_text(encoding="utf-8")
    assert "  asn: 65000\n" in text
    network.write_text(text.replace("  asn: 65000\n", "  asn: 65010\n", 1), encoding="utf-8")  # every router's BGP
    process = subprocess.Popen([sys.executable, "-m", "netauto", *render], cwd=tmp_path)
    while process.poll() is None and _configs(tmp_path / "out") == _configs_of(before):
        time.sleep(0.005)  # until the first config is renamed into place (a temporary file is not enough)
    process.kill()
    assert process.wait() == -signal.SIGKILL  # killed midway, not finished
    after = _files(tmp_path / "out")
    assert run_netauto(*render, "-o", str(tmp_path / "fresh"), cwd=tmp_path).returncode == 0
    intended = _files(tmp_path / "fresh")
    configs = [name for name in intended if name.endswith(".cfg")]
    assert all(after.get(name) in (before[name], intended[name]) for name in configs)
    assert any(after[name] == intended[name] != before[name] for name in configs)  # it was killed midway
    assert run_netauto(*render, cwd=tmp_path).returncode == 0
    assert {n: b for n, b in _files(tmp_path / "out").items() if n.endswith(".cfg")} == {
        n: intended[n] for n in configs
    }
    assert not list((tmp_path / "out").glob(".*.part"))
