"""The push journal: append-only JSON lines, one record per device action, flushed to disk before and
after each action, so an interrupted push can be resumed or rolled back from it.

    build/push/<push id>/journal.jsonl      the records (no secrets: details are masked)
    build/push/<push id>/backups/<dev>.cfg  each device's running config taken before it was touched
                                            (mode 0600: a running config holds the device's secrets)
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from netauto.errors import NetautoError
from netauto.files import write_private

DEFAULT_ROOT = Path("build/push")
JOURNAL = "journal.jsonl"
CUT = "journal.cut"  # a last record cut short (power loss, a kill mid-write), set aside on reopening
MAX_RECORD_CHARS = 1024 * 1024
RECORD_KEYS = ("device", "action", "status")


class JournalError(NetautoError):
    pass


@dataclass
class DeviceState:
    """What the journal says about one device."""

    backed_up: bool = False
    touched: bool = False  # an apply started: its running config may differ from the backup
    verified: bool = False  # the intended config is in place, checked (and confirmed, on a commit timer)
    restored: bool = False  # put back to its backup after it was touched
    failed: str = ""  # the last failure, if the device did not end verified or restored


class Journal:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / JOURNAL
        self.mask: Callable[[str], str] = lambda text: text  # the push sets the secrets' mask

    @classmethod
    def create(cls, root: Path, change_hash: str, approval: str, devices: list[str], kind: str = "push") -> Journal:
        """A new journal of a push, or of a runbook run (`kind` runbook: its header names the runbook)."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        journal = cls(root / f"{stamp}-{change_hash[:8]}")
        (journal.folder / "backups").mkdir(parents=True, mode=0o700)
        journal.write("*", kind, "start", change_hash=change_hash, approval=approval, devices=devices)
        return journal

    @classmethod
    def open(cls, path: Path, writing: bool = True) -> Journal:
        """An existing journal: its folder, or the journal file itself; to go on writing it (resume,
        rollback), a last record cut short is set aside first."""
        folder = path if path.is_dir() else path.parent
        journal = cls(folder)
        if not journal.path.exists():
            raise JournalError(f"{path}: no push or runbook journal ({JOURNAL}) there")
        if writing:
            journal._set_aside_a_cut_record()
        return journal

    def _set_aside_a_cut_record(self) -> None:
        """A journal whose last record was cut short goes on from its last complete record: the cut
        bytes move to journal.cut (kept, not lost), so the next record starts on a line of its own."""
        data = self.path.read_bytes()
        if not data or data.endswith(b"\n"):
            return
        complete = data.rfind(b"\n") + 1
        with (self.folder / CUT).open("ab") as cut:
            cut.write(data[complete:] + b"\n")
            cut.flush()
            os.fsync(cut.fileno())
        with self.path.open("r+b") as journal:
            journal.truncate(complete)
            journal.flush()
            os.fsync(journal.fileno())

    def write(self, device: str, action: str, status: str, detail: str = "", **extra: Any) -> None:
        record = {"at": datetime.now(UTC).isoformat(timespec="milliseconds"), "device": device}
        record |= {"action": action, "status": status, "detail": self.mask(detail), **extra}
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())

    def records(self) -> list[dict[str, Any]]:
        """Every complete record; a last line cut short by a kill is not one (the action it started is
        not recorded). Anything else that is not a record is an error naming its line."""
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError as error:
            raise JournalError(f"{self.path}: not a journal (not UTF-8 text at byte {error.start})") from None
        records = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            record = _record(line)
            if record is None and number == len(lines):
                break
            if record is None:
                raise JournalError(f"{self.path}:{number}: not a journal record") from None
            records.append(record)
        return records

    def header(self) -> dict[str, Any]:
        records = self.records()
        if not records or records[0].get("action") not in ("push", "runbook"):
            raise JournalError(f"{self.path}: does not start with a push or runbook record")
        return records[0]

    def states(self) -> dict[str, DeviceState]:
        states: dict[str, DeviceState] = {}
        for record in self.records()[1:]:
            state = states.setdefault(record["device"], DeviceState())
            action, status = record["action"], record["status"]
            if action == "backup" and status == "ok":
                state.backed_up = True
            elif action == "apply" and status == "start":
                state.touched, state.verified, state.restored, state.failed = True, False, False, ""
            elif action in ("verify", "confirm") and status == "ok":
                state.verified = True
            elif action == "restore" and status == "ok":
                state.restored, state.verified, state.failed = True, False, ""
            if status == "failed":
                state.failed = record.get("detail") or f"{action} failed"
        return states

    def backup_file(self, device: str) -> Path:
        return self.folder / "backups" / f"{device}.cfg"

    def save_backup(self, device: str, running: str) -> None:
        write_private(self.backup_file(device), running)

    def backup(self, device: str) -> str:
        return self.backup_file(device).read_text(encoding="utf-8")


def _record(line: str) -> dict[str, Any] | None:
    """The journal record on `line`, or None: not JSON (a cut line), nested past what json can read,
    oversized, or without the fields every record has."""
    if len(line) > MAX_RECORD_CHARS:
        return None
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(record, dict) or not all(isinstance(record.get(key), str) for key in RECORD_KEYS):
        return None
    return record
