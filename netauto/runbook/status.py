"""`netauto runbook list`: every dedicated network, its mode, whether its runbook is written, and the
state of its newest run (from the journals): planned, in progress, done, rolled back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from netauto.model.schema import Inventory
from netauto.push.journal import Journal, JournalError


@dataclass
class NetworkState:
    id: str
    name: str
    mode: str
    runbook: str  # the file, or "" when none is written yet
    state: str  # planned | in progress | paused at <step> | done | rolled back | rollback failed
    last_run: str  # when the newest run started (UTC), or ""


def network_states(inventory: Inventory, runbooks: Path, journal_root: Path) -> list[NetworkState]:
    states = []
    for network in inventory.dedicated_networks:
        path = runbooks / f"{network.id}.yaml"
        state, last = _newest_run(journal_root / network.id)
        shown = str(path) if path.exists() else ""
        states.append(NetworkState(network.id, network.name, network.mode, shown, state, last))
    return states


def _newest_run(folder: Path) -> tuple[str, str]:
    journals = sorted(folder.glob("*/journal.jsonl")) if folder.exists() else []
    if not journals:
        return "planned", ""
    try:
        records = Journal.open(journals[-1], writing=False).records()
    except JournalError:
        return "unreadable journal", ""
    started = str(records[0].get("at", "")) if records else ""
    ends = [r for r in records if r.get("action") == "runbook" and r.get("status") in ("end", "paused", "resume")]
    if not ends or ends[-1]["status"] == "resume":
        return "in progress", started
    if ends[-1]["status"] == "paused":
        return f"paused at {ends[-1].get('step', '?')}", started
    return str(ends[-1].get("detail") or "done"), started
