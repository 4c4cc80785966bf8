"""Hostile YAML in every file netauto reads besides the inventory (whose cases are in the bad-input
corpus): a "billion laughs" document in the secrets file, a hosts file, the lock, a runbook and the
runbook approvals is refused with its file, line and column, exit 1, no traceback, before anything
is planned, written or contacted."""

from __future__ import annotations

import os
import shutil
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
