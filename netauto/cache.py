"""What netauto remembers between runs so that planning a large network again costs what changed,
not its size: values keyed by the content they were computed from (a site's YAML text, say), so an
entry can never be stale, only unused.

The memo of an inventory lives in the user's cache folder (`$NETAUTO_CACHE`, else
`$XDG_CACHE_HOME/netauto`, else `~/.cache/netauto`), one folder per inventory path; `NETAUTO_CACHE=off`
turns it off. It is never read from a folder or file other users could write (it is unpickled), and
a memo that cannot be read (cut short, from another netauto version) is simply started again. Each
save keeps only the entries the run used, so the memo stays the size of the inventory.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
from contextlib import suppress
from pathlib import Path
from typing import Any

from netauto import __version__

FORMAT = 1  # bump when what is remembered changes meaning
_OFF = "off"


def cache_folder() -> Path | None:
    chosen = os.environ.get("NETAUTO_CACHE")
    if chosen == _OFF:
        return None
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no home folder to be found: nothing is remembered
            return None
    return Path(base) / "netauto"


def private_folder(name: str) -> Path | None:
    """A folder of the cache that only this user can write (None when the cache is off or it is not)."""
    folder = cache_folder()
    if folder is None:
        return None
    path = folder / name
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path if _private(path) and _private(folder) else None
    except OSError:
        return None


class Memo:
    """Content-keyed values for one inventory and one purpose (`name`)."""

    def __init__(self, path: Path | None, entries: dict[bytes, Any]) -> None:
        self.path = path
        self.entries = entries
        self.used: dict[bytes, Any] = {}
        self.added = 0  # values computed this run (not found in the memo)

    @classmethod
    def disabled(cls) -> Memo:
        return cls(None, {})

    @classmethod
    def open(cls, inventory: Path, name: str) -> Memo:
        folder = cache_folder()
        if folder is None:
            return cls.disabled()
        path = folder / hashlib.sha256(str(inventory.resolve()).encode()).hexdigest()[:24] / f"{name}.pickle"
        return cls(path, _read(path))

    @staticmethod
    def key(*parts: str) -> bytes:
        return hashlib.blake2b("\0".join(parts).encode(), digest_size=16).digest()

    def get(self, key: bytes) -> Any | None:
        value = self.entries.get(key)
        if value is not None:
            self.used[key] = value
        return value

    def put(self, key: bytes, value: Any) -> None:
        self.used[key] = value
        self.entries[key] = value
        self.added += 1

    def save(self, prune: bool = True) -> None:
        """Keep what this run used (`prune`; else everything); nothing is written when nothing
        changed. A memo that cannot be written is no error: the next run reads what it needs again."""
        if not prune:
            self.used = self.entries
        if self.path is None or (not self.added and self.used.keys() == self.entries.keys()):
            return
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}.part")  # two runs may save at once
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            data = pickle.dumps((FORMAT, __version__, self.used), protocol=pickle.HIGHEST_PROTOCOL)
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as out:
                out.write(data)
            os.replace(partial, self.path)  # whole or not at all; a lost memo only costs time
        except OSError:
            with suppress(OSError):
                partial.unlink(missing_ok=True)
            return
        self.entries = dict(self.used)


def _read(path: Path) -> dict[bytes, Any]:
    try:
        if not _private(path.parent) or not _private(path):
            return {}
        with path.open("rb") as handle:
            form, version, entries = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, ImportError):
        return {}
    if form != FORMAT or version != __version__ or not isinstance(entries, dict):
        return {}
    return entries


def _private(path: Path) -> bool:
    """Owned by this user and writable by no one else (what is unpickled must be our own)."""
    info = path.stat()
    return info.st_uid == os.geteuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
