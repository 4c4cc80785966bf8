"""The push journal and device locks, without routers: what a resume and a rollback read back, and
that two pushes cannot hold the same device."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import TESTS, run_netauto
from netauto.push.journal import Journal, JournalError
from netauto.push.locks import LockedError, device_locks


def test_the_journal_tells_each_devices_state(tmp_path: Path) -> None:
    journal = Journal.create(tmp_path, "ab" * 32, "CHG-1", ["r1", "r2", "r3"])
    journal.mask = lambda text: text.replace("s3cret", "***")
    for device in ("r1", "r2", "r3"):
        journal.save_backup(device, f"hostname {device}\n")
        journal.write(device, "backup", "ok")
    journal.write("r1", "apply", "start")
    journal.write("r1", "apply", "ok")
    journal.write("r1", "verify", "ok")
    journal.write("r2", "apply", "start")
    journal.write("r2", "apply", "failed", "refused: neighbor x password s3cret")
    journal.write("r2", "restore", "start")
    journal.write("r2", "restore", "ok")
    with journal.path.open("a", encoding="utf-8") as out:
        out.write('{"at": "2026-11-21T00:00:00", "device": "r3", "act')  # the process killed mid-write
    states = Journal.open(journal.folder).states()
    assert (states["r1"].touched, states["r1"].verified, states["r1"].restored) == (True, True, False)
    assert (states["r2"].touched, states["r2"].verified, states["r2"].restored) == (True, False, True)
    assert (states["r3"].backed_up, states["r3"].touched) == (True, False)
    assert Journal.open(journal.path).header()["change_hash"] == "ab" * 32
    text = journal.path.read_text(encoding="utf-8")
    assert "s3cret" not in text and "***" in text
    assert journal.backup("r3") == "hostname r3\n"
    assert journal.backup_file("r3").stat().st_mode & 0o077 == 0  # a running config holds secrets


def test_a_device_held_by_another_push_is_refused(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from netauto.push.locks import device_locks\n"
         "with device_locks(Path(sys.argv[1]), ['r2']):\n print('held', flush=True); time.sleep(30)",
         str(tmp_path)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(LockedError, match=rf"r2 is being pushed by another netauto push \(pid {holder.pid}\)"):
            with device_locks(tmp_path, ["r1", "r2"]):
                pass
        with device_locks(tmp_path, ["r1"]):  # the other devices stay free
            pass
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    with device_locks(tmp_path, ["r2"]):  # released when the holder died
        pass


@pytest.mark.parametrize(
    ("hosts", "message"),
    [
        ("r1: {hostname: 10.0.0.1\n", "hosts.yaml:2:1: error: YAML syntax error"),
        ("town-1-pe1: {port: 22}\n", "Error: hosts.yaml:1: town-1-pe1.hostname: missing"),
        (
            "town-1-pe1:\n  hostname: 10.0.0.1\n  port: 99999\n",
            "Error: hosts.yaml:1: town-1-pe1.port: 99999 is not a TCP port",
        ),
    ],
)
def test_a_bad_hosts_file_is_a_clear_error(tmp_path: Path, hosts: str, message: str) -> None:
    inventory = tmp_path / "inv"
    shutil.copytree(TESTS / "fixtures" / "render-frr", inventory)
    (tmp_path / "hosts.yaml").write_text(hosts, encoding="utf-8")
    secrets = str(TESTS / "fixtures" / "secrets.yaml")
    result = run_netauto("push", str(inventory), "--hosts", "hosts.yaml", "--secrets", secrets, cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert message in result.stderr


def test_a_journal_cut_mid_record_goes_on_from_its_last_complete_record(tmp_path: Path) -> None:
    """Power lost while a record was written: reading skips the cut line; reopening to go on sets the
    cut bytes aside in journal.cut (nothing lost) so the next record starts on its own line."""
    journal = Journal.create(tmp_path, "c" * 64, "CHG-1", ["r1"])
    journal.write("r1", "backup", "ok")
    with journal.path.open("a", encoding="utf-8") as out:
        out.write('{"at": "2026-12-07T08:00:00", "device": "r1", "action": "apply", "sta')
    assert [r["action"] for r in Journal.open(journal.folder, writing=False).records()] == ["push", "backup"]
    reopened = Journal.open(journal.folder)
    reopened.write("r1", "restore", "ok")
    assert [r["action"] for r in Journal.open(journal.folder).records()] == ["push", "backup", "restore"]
    assert (journal.folder / "journal.cut").read_text(encoding="utf-8").startswith('{"at": "2026-12-07T08:00:00"')


@pytest.mark.parametrize(
    "line",
    ["[" * 100_000 + "]" * 100_000, '["not", "a", "record"]', '{"device": "r1", "action": 3, "status": "ok"}'],
    ids=["nested-past-json", "a-list", "a-number-for-action"],
)
def test_a_line_that_is_not_a_record_is_named(tmp_path: Path, line: str) -> None:
    journal = Journal.create(tmp_path, "c" * 64, "CHG-1", ["r1"])
    with journal.path.open("a", encoding="utf-8") as out:
        out.write(line + "\n")
    journal.write("r1", "backup", "ok")
    with pytest.raises(JournalError, match=r"journal.jsonl:2: not a journal record"):
        Journal.open(journal.folder).records()
