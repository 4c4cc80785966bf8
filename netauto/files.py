"""Writing the files a later command trusts (the lock, configs, baselines, approvals, runbooks,
reports, collections): whole or not at all, and one netauto at a time.

Each is written to a temporary file beside it, flushed to disk and renamed over the old one, so a
full disk, a kill or a power loss midway leaves the previous file as it was, and the command says
so. Bulk outputs (a render's thousands of configs) skip the per-file flush and are flushed once,
together, before the file that vouches for them (the render state) is written.

Two netauto runs on the same inventory (a plan and an approve, say) would each read the lock, plan,
and write: the last would silently drop the other's allocations, or mix two baselines. Whatever
writes from a plan first holds the inventory folder (`holding`, `hold`): an exclusive flock on the folder
itself, no lock file to leave behind, released by the kernel when the process ends, however it ends.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from netauto.errors import NetautoError

PRIVATE = 0o600  # holds secrets (rendered configs, running configs, backups)
PUBLIC = 0o644


class WriteError(NetautoError):
    pass


class BusyError(NetautoError):
    pass


_HELD: dict[Path, tuple[int, int]] = {}  # folder -> (descriptor holding its flock, how many hold it here)


@contextmanager
def holding(folder: Path, doing: str) -> Iterator[None]:
    """This process alone writes what depends on `folder` (an inventory, a network's baselines) while
    inside; BusyError, and nothing done, while another netauto holds it. Re-entrant."""
    key = _acquire(folder, doing)
    try:
        yield
    finally:
        descriptor, count = _HELD[key]
        if count == 1:
            del _HELD[key]
            os.close(descriptor)  # the flock goes with it
        else:
            _HELD[key] = (descriptor, count - 1)


def hold(folder: Path, doing: str) -> None:
    """As `holding`, until this process ends (a command holds its inventory from its plan to its
    last write)."""
    _acquire(folder, doing)


def _acquire(folder: Path, doing: str) -> Path:
    key = folder.resolve()
    if key in _HELD:
        descriptor, count = _HELD[key]
        _HELD[key] = (descriptor, count + 1)
        return key
    descriptor = os.open(key, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        raise BusyError(
            f"{folder} is busy: another netauto is {doing} with it; nothing was changed, run this again once it "
            "has finished"
        ) from None
    _HELD[key] = (descriptor, 1)
    return key


def write_atomic(path: Path, text: str, mode: int = PUBLIC, durable: bool = True) -> None:
    """`text` in `path`, whole or not at all; `durable`: on disk before this returns."""
    partial = path.with_name(f".{path.name}.part")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            if durable:
                os.fsync(out.fileno())
        os.chmod(partial, mode)  # an older partial file may have had another mode
        os.replace(partial, path)
        if durable:
            flush_folder(path.parent)
    except OSError as error:
        partial.unlink(missing_ok=True)
        kept = "the previous file is kept as it was" if path.exists() else "nothing was written in its place"
        raise WriteError(f"{path}: could not be written ({error.strerror or error}); {kept}") from None


def write_private(path: Path, text: str, durable: bool = True) -> None:
    write_atomic(path, text, PRIVATE, durable)


def flush_folder(folder: Path) -> None:
    """The folder's entries (renames) on disk."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def flush_all(folder: Path) -> None:
    """Everything written so far, on disk: once after a bulk of writes with durable=False."""
    os.sync()
    flush_folder(folder)
