"""The allocation lock file: what was handed out, so that planning again never renumbers.

It sits beside the inventory (`<inventory>/netauto.lock`), is written only by `netauto plan`, and is
meant to be committed. One entry per line, keys sorted, no timestamps: the same allocations always
give the same bytes, so a diff of the lock shows exactly what a change allocated or retired.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from netauto.errors import LockError
from netauto.files import write_atomic
from netauto.model.loader import read_bounded_yaml

LOCK_NAME = "netauto.lock"
LOCK_VERSION = 1
KINDS = ("devices", "links", "vpns", "attachments", "lans")
HEADER = (
    "# netauto allocation lock: written by `netauto plan`, commit it with the inventory.\n"
    "# Entries under 'retired' belong to things removed from the inventory; their addresses\n"
    "# stay reserved. Delete a retired entry by hand only when the address may be reused.\n"
)

Entry = dict[str, Any]


@dataclass
class Lock:
    path: Path
    active: dict[str, dict[str, Entry]] = field(default_factory=lambda: {k: {} for k in KINDS})
    retired: dict[str, dict[str, Entry]] = field(default_factory=lambda: {k: {} for k in KINDS})
    # the entries as read from the file: `dump` writes an entry that is still that very object as it
    # was read, without encoding it again (a region plan keeps 10,000s of them)
    as_read: AsRead | None = field(default=None, repr=False, compare=False)
    # what the lock holds, per pool and per VPN's LANs, once worked out (netauto/plan/held.py)
    held: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False, compare=False)

    def link_far_end(self, link_id: str) -> str | None:
        entry = self.active["links"].get(link_id) or self.retired["links"].get(link_id)
        return entry.get("b") if entry else None

    def entry(self, kind: str, key: str) -> Entry | None:
        """The allocation of `key`, active or retired (a re-added site gets its old numbers back)."""
        return self.active[kind].get(key) or self.retired[kind].get(key)

    def dump(self) -> str:
        as_read = self.as_read.texts() if self.as_read is not None else {}
        lines = [HEADER, f"version: {LOCK_VERSION}\n"]
        for kind in KINDS:
            lines.append(_section(kind, self.active[kind], "", as_read))
        lines.append("retired:\n")
        for kind in KINDS:
            lines.append(_section(kind, self.retired[kind], "  ", as_read))
        return "".join(lines)


class AsRead:
    """Each entry of a lock read in its own format -> its text in the file, worked out when a dump
    first asks (a section's member lines are in the order of its parsed keys)."""

    def __init__(self, lines: dict[tuple[bool, str], list[str]], lock: Lock) -> None:
        self.lines = lines
        self.sections = {(False, k): lock.active[k] for k in KINDS} | {(True, k): lock.retired[k] for k in KINDS}
        self.found: dict[int, tuple[Entry, str, str]] | None = None

    def texts(self) -> dict[int, tuple[Entry, str, str]]:
        """id(entry) -> (entry, its key, its whole line)."""
        if self.found is None:
            self.found = {}
            for where, members in self.lines.items():
                entries = self.sections[where]
                if len(members) != len(entries):
                    continue
                for (key, entry), line in zip(entries.items(), members, strict=True):
                    prefix = f'"{key}": '
                    if line.startswith(prefix) and '"' not in key and "\\" not in key:
                        self.found[id(entry)] = (entry, key, line)
        return self.found


def lock_path(inventory: Path) -> Path:
    return (inventory if inventory.is_dir() else inventory.parent) / LOCK_NAME


def read_lock(inventory: Path) -> Lock:
    path = lock_path(inventory)
    lock = Lock(path)
    if not path.exists():
        return lock
    try:
        text = path.read_text(encoding="utf-8")
        data = _parse_own_format(text)
        lines = data.pop("_lines") if data is not None else {}
        if data is None:
            data = read_bounded_yaml(path, "nothing was planned or written")
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise LockError(f"{path}: cannot read the allocation lock: {exc}") from None
    if not isinstance(data, dict) or data.get("version") != LOCK_VERSION:
        raise LockError(f"{path}: not a version {LOCK_VERSION} netauto lock file; move it away to start afresh")
    for kind in KINDS:
        lock.active[kind] = _entries(path, kind, data.get(kind))
        lock.retired[kind] = _entries(path, f"retired.{kind}", (data.get("retired") or {}).get(kind))
    lock.as_read = AsRead(lines, lock)
    return lock


def lock_is_current(lock: Lock, text: str | None = None) -> bool:
    """Whether the file on disk already holds exactly these allocations (`text`: the dump, if made)."""
    return lock.path.exists() and lock.path.read_text(encoding="utf-8") == (text or lock.dump())


def _parse_own_format(text: str) -> dict[str, Any] | None:
    """Read the lock as `dump` writes it: each section's entry lines are JSON members, so a whole
    section is parsed by one `json.loads` (C speed; the YAML parser needs ten times longer).

    Returns None at the first line that is not in that shape (e.g. after a hand edit), and the
    caller falls back to the YAML parser, which reads any valid spelling of the same data.
    """
    data: dict[str, Any] = {"retired": {}}
    members: list[str] | None = None
    sections: list[tuple[dict[str, Any], str, list[str]]] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith('"') and members is not None:
            members.append(stripped)
            continue
        name, _, rest = stripped.partition(":")
        target = data["retired"] if line.startswith("  ") else data
        if name == "version" and rest.strip().isdigit():
            data["version"] = int(rest)
        elif name == "retired" and not rest.strip():
            members = None
        elif name in KINDS and rest.strip() in ("", "{}"):
            members = []
            sections.append((target, name, members))
        else:
            return None
    try:
        for target, name, lines in sections:
            target[name] = json.loads("{" + ",".join(lines) + "}")
    except (ValueError, RecursionError):  # nested past what json reads: the YAML reader's bounds say so
        return None
    data["_lines"] = {(target is not data, name): lines for target, name, lines in sections}
    return data


def write_lock(lock: Lock) -> bool:
    """Write the lock if its content changed; True when it was written."""
    text = lock.dump()
    if lock_is_current(lock, text):
        return False
    write_atomic(lock.path, text)
    return True


def _entries(path: Path, where: str, value: Any) -> dict[str, Entry]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise LockError(f"{path}: '{where}' must map names to allocations")
    return {str(k): v for k, v in value.items()}


def _section(kind: str, entries: dict[str, Entry], indent: str, as_read: dict[int, tuple[Entry, str, str]]) -> str:
    if not entries:
        return f"{indent}{kind}: {{}}\n"
    body = "".join(f"{indent}  {_line(key, entries[key], as_read)}\n" for key in sorted(entries))
    return f"{indent}{kind}:\n{body}"


def _line(key: str, entry: Entry, as_read: dict[int, tuple[Entry, str, str]]) -> str:
    read = as_read.get(id(entry))
    if read is not None and read[0] is entry and read[1] == key:
        return read[2]
    return f"{_ENCODER.encode(key)}: {_flow(entry)}"


_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True)  # built once: json.dumps(**kw) builds one per call


def _flow(entry: Entry) -> str:
    return _ENCODER.encode(entry)
