"""`netauto collect`: every reachable device's running config, saved into a dated folder.

Read-only: one show command per device (the platform's `show_running`: VRP and Comware `display
current-configuration`, IOS-XR and FRR `show running-config`) over Nornir and Netmiko, as the push
reaches them (hosts file, credentials, host keys, timeouts). Running configs hold the devices' own
secrets, so the folder is the operator's only (mode 0700, files 0600) and each file is written whole
or not at all (a temporary file, fsynced, renamed). `collection.json` beside them says which device
answered and why the others did not. `netauto diff --running latest` compares with the newest folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from nornir.core.task import Result, Task

from netauto.errors import NetautoError
from netauto.files import write_private
from netauto.pipeline import PlanResult
from netauto.platforms import get_platform
from netauto.push.engine import PushOptions, nornir_for
from netauto.push.run import close_all, targets
from netauto.push.strategies import answer, describe_failure, session, timeout

DEFAULT_ROOT = Path("build/running")
SUMMARY = "collection.json"


class CollectError(NetautoError):
    pass


@dataclass
class Collection:
    folder: Path
    saved: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # device -> why


def collect(result: PlanResult, options: PushOptions, root: Path = DEFAULT_ROOT) -> Collection:
    devices = targets(result, options.hosts_file, [])
    folder = _new_folder(root)
    collection = Collection(folder)
    nr = nornir_for(result, devices, options)
    try:
        results = nr.run(task=_running_config, folder=folder, on_failed=True)
    finally:
        close_all(nr)
    for device in devices:
        if results[device].failed:
            collection.failed[device] = describe_failure(results[device][0].exception)
        else:
            collection.saved.append(device)
    write_private(folder / SUMMARY, json.dumps(_summary(collection), indent=2, ensure_ascii=False) + "\n")
    return collection


def latest(root: Path = DEFAULT_ROOT) -> Path:
    """The newest collection folder under `root`."""
    folders = sorted(p for p in root.glob("2*") if (p / SUMMARY).is_file()) if root.is_dir() else []
    if not folders:
        raise CollectError(f"no collection under {root}: run `netauto collect` first")
    return folders[-1]


def _running_config(task: Task, folder: Path) -> Result:
    command = get_platform(task.host.platform or "").config_syntax.show_running
    text = answer(session(task), command, timeout(task))
    write_private(folder / f"{task.host.name}.cfg", text if text.endswith("\n") else text + "\n")
    return Result(host=task.host, result=len(text))


def _new_folder(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    folder = root / datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder.mkdir(mode=0o700)
    return folder


def _summary(collection: Collection) -> dict[str, object]:
    return {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "saved": sorted(collection.saved),
        "failed": dict(sorted(collection.failed.items())),
    }
