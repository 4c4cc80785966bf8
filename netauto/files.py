"""Writing the files a later command trusts (the lock, configs, baselines, approvals, runbooks,
reports, collections): whole or not at all.

Each is written to a temporary file beside it, flushed to disk and renamed over the old one, so a
full disk, a kill or a power loss midway leaves the previous file as it was, and the command says
so. Bulk outputs (a render's thousands of configs) skip the per-file flush and are flushed once,
together, before the file that vouches for them (the render state) is written.
"""

from __future__ import annotations

import os
from pathlib import Path

from netauto.errors import NetautoError

PRIVATE = 0o600  # holds secrets (rendered configs, running configs, backups)
PUBLIC = 0o644


class WriteError(NetautoError):
    pass


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
