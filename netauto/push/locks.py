"""One push per device at a time: an exclusive lock file per device, held for the whole push (released
by the kernel when the process ends, even when it is killed)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from netauto.errors import NetautoError

DEFAULT_LOCKS = Path("build/push/locks")


class LockedError(NetautoError):
    pass


@contextmanager
def device_locks(folder: Path, devices: list[str]) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    held: list[IO[str]] = []
    handle: IO[str]
    try:
        for device in sorted(devices):
            handle = (folder / f"{device}.lock").open("a+", encoding="utf-8")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                owner = handle.read().strip() or "another process"
                handle.close()
                raise LockedError(
                    f"{device} is being pushed by another netauto push (pid {owner}); try later"
                ) from None
            handle.truncate(0)
            handle.write(str(os.getpid()))
            handle.flush()
            held.append(handle)
        yield
    finally:
        for handle in held:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
