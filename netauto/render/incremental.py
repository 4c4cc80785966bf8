"""Rendering into a folder only what changed since that folder was last rendered.

After every render that completes, netauto remembers (netauto/cache.py) what the folder stands for:
the snapshot of the plan's inputs (netauto/plan/region.py), the templates (with netauto's own code),
the secrets, and the digest of the folder's render state. The next render into the same folder, while the folder is as
it was left, hands that snapshot to the planner, which may then plan only the region the change
reaches; configs outside it are known to be unchanged and are not even looked at. Templates, code or
secrets changed since, or a folder touched since, mean a full plan and a full render, as always.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netauto.cache import Memo
from netauto.files import hold
from netauto.pipeline import PlanResult, inventory_folder, plan_and_lock
from netauto.plan.region import Snapshot, file_digest
from netauto.render.engine import STATE_FILE, RenderReport, config_names, read_state, render_all
from netauto.render.environment import TEMPLATES
from netauto.secrets import Secrets

CODE = Path(__file__).resolve().parent.parent  # the netauto package
SNAPSHOTS = "snapshots"
RENDERS = "renders"


@dataclass(frozen=True)
class RenderRecord:
    """What a folder of configs stands for, after a render that completed."""

    snapshot: bytes
    templates: bytes
    secrets: bytes
    state: bytes  # digest of the folder's render state file


def plan_for_render(
    path: Path, output: Path, on_stage: Callable[[str], None], whole: bool = False
) -> tuple[PlanResult, RenderRecord | None]:
    """Plan and lock, holding the inventory to the end of the command, for a render into `output`
    (the whole network when `whole`, or when the folder's record does not hold)."""
    hold(inventory_folder(path), "planning")
    recorded = None if whole else _recorded(inventory_folder(path), output)
    before = recorded[0] if recorded else None
    return plan_and_lock(path, on_stage, before=before, rendering=True), (recorded[1] if recorded else None)


def render_and_remember(
    path: Path,
    output: Path,
    result: PlanResult,
    record: RenderRecord | None,
    secrets: Secrets,
    only: set[str] | None = None,
    root: Path = TEMPLATES,
) -> tuple[PlanResult, RenderReport]:
    """Render the plan into `output` and remember what the folder now stands for. A region plan made
    before the templates or secrets were known to have changed is made again, whole."""
    templates, secret = templates_digest(root), secrets_digest(secrets.values)
    if result.region is not None and (record is None or (record.templates, record.secrets) != (templates, secret)):
        result = plan_and_lock(path, rendering=True)
    report = render_all(result, secrets, output, only, root)
    if only is None and result.snapshot is not None:
        _remember(inventory_folder(path), output, result.snapshot, templates, secret)
    return result, report


def templates_digest(root: Path) -> bytes:
    """The templates, and netauto's own code and platform files: a config outside a region is known
    unchanged only while what renders it is unchanged too (a developer's edit included)."""
    digest = hashlib.blake2b(digest_size=16)
    for folder in (root, CODE):
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix != ".pyc"):
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.digest()


def secrets_digest(values: dict[str, Any]) -> bytes:
    return hashlib.blake2b(json.dumps(values, sort_keys=True, default=str).encode(), digest_size=16).digest()


def _recorded(inventory: Path, output: Path) -> tuple[Snapshot, RenderRecord] | None:
    """The snapshot `output` was last rendered from, while the folder is as that render left it."""
    record = Memo.open(inventory, RENDERS).get(_folder_key(output))
    if not isinstance(record, RenderRecord) or record.state != file_digest(output / STATE_FILE):
        return None
    if not _configs_match_state(output):
        return None
    snapshot = Memo.open(inventory, SNAPSHOTS).get(record.snapshot)
    return (snapshot, record) if isinstance(snapshot, Snapshot) else None


def _remember(inventory: Path, output: Path, snapshot: Snapshot, templates: bytes, secrets: bytes) -> None:
    snapshots = Memo.open(inventory, SNAPSHOTS)
    snapshots.put(snapshot.id, snapshot)
    snapshots.save()
    renders = Memo.open(inventory, RENDERS)
    renders.put(_folder_key(output), RenderRecord(snapshot.id, templates, secrets, file_digest(output / STATE_FILE)))
    renders.save(prune=False)  # every folder keeps its record


def _folder_key(output: Path) -> bytes:
    return Memo.key(str(output.resolve()))


def _configs_match_state(output: Path) -> bool:
    """Every device of the render state has its config in the folder, and nothing else is there."""
    return set(config_names(output)) == set(read_state(output / STATE_FILE))
