"""Approvals of runbooks: the change board approves exactly a runbook's content (its hash), as it
approves a rendered change; `runbook run --apply` refuses anything else. Kept beside the network's
baseline: baselines/<network>/runbook-approvals.yaml (runbook, hash, change id, who, when)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from netauto.files import holding, write_atomic
from netauto.model.loader import read_bounded_yaml
from netauto.push.run import RefusedError
from netauto.runbook.document import Runbook

APPROVALS = "runbook-approvals.yaml"


def approvals_file(baseline_root: Path, runbook: Runbook) -> Path:
    return baseline_root / runbook.network / APPROVALS


def _recorded(path: Path) -> list[Any]:
    """Every approval in the network's file (all its runbooks)."""
    return (read_bounded_yaml(path, "nothing was approved or run") or []) if path.exists() else []


def approvals(baseline_root: Path, runbook: Runbook) -> list[dict[str, Any]]:
    entries = _recorded(approvals_file(baseline_root, runbook))
    return [e for e in entries if isinstance(e, dict) and e.get("runbook") == runbook.runbook]


def approve_runbook(baseline_root: Path, runbook: Runbook, hash_: str, change_id: str, by: str) -> dict[str, Any]:
    path = approvals_file(baseline_root, runbook)
    path.parent.mkdir(parents=True, exist_ok=True)
    with holding(path.parent, "approving a runbook"):  # read, add, write: one approver at a time
        entries = _recorded(path)
        entry = {
            "runbook": runbook.runbook,
            "hash": hash_,
            "change_id": change_id,
            "by": by,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        write_atomic(path, yaml.safe_dump([*entries, entry], allow_unicode=True, sort_keys=False))
    return entry


def approved_or_refused(runbook: Runbook, hash_: str, baseline_root: Path) -> dict[str, Any]:
    """The newest approval of this runbook, if it approves exactly this content; else RefusedError."""
    found = approvals(baseline_root, runbook)
    if not found:
        raise RefusedError(
            f"runbook {runbook.runbook} is not approved: review it, approve it with "
            "`netauto runbook approve FILE --change-id ID --by NAME`, then run it; nothing was changed"
        )
    newest = found[-1]
    if newest.get("hash") != hash_:
        raise RefusedError(
            f"runbook {runbook.runbook} changed since its approval {newest.get('change_id')} "
            f"(approved {str(newest.get('hash'))[:12]}, now {hash_[:12]}): this version is not approved; "
            "nothing was changed"
        )
    return newest
