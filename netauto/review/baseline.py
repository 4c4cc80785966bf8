"""The approved baseline: the last approved config of every device, masked, git-friendly, with history.

    baselines/<network>/configs/<device>.cfg   approved configs, secrets masked (safe to commit)
    baselines/<network>/plan.json              the plan that was approved (for the model diff)
    baselines/<network>/analysis.json          its analysis, when one was made (for the deltas)
    baselines/<network>/approvals.yaml         every approval: change id, who, when, change hash, devices

A device's approved *meaning* is kept as a digest of its unmasked config, so a change of secret alone
still changes the hash that push checks, while no secret is ever written here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from netauto.errors import NetautoError
from netauto.files import flush_all, holding, write_atomic
from netauto.model.loader import read_bounded_yaml

DEFAULT_ROOT = Path("baselines")


class BaselineError(NetautoError):
    pass


@dataclass
class Approval:
    change_id: str
    by: str
    at: str
    change_hash: str
    devices: list[str]
    digests: dict[str, str] = field(default_factory=dict)  # device -> digest of the approved unmasked config


@dataclass
class Baseline:
    folder: Path
    configs: dict[str, str]  # device -> masked config text
    plan: dict[str, Any] | None
    analysis: dict[str, Any] | None
    approvals: list[Approval]

    @property
    def digests(self) -> dict[str, str]:
        """Each device's approved digest, from the newest approval that covered it."""
        found: dict[str, str] = {}
        for approval in self.approvals:
            found.update(approval.digests)
        return found


def baseline_folder(root: Path, network: str) -> Path:
    return root / network


def load_baseline(root: Path, network: str) -> Baseline:
    folder = baseline_folder(root, network)
    configs = {p.stem: p.read_text(encoding="utf-8") for p in sorted((folder / "configs").glob("*.cfg"))}
    plan = _json(folder / "plan.json")
    analysis = _json(folder / "analysis.json")
    approvals_file = folder / "approvals.yaml"
    approvals: list[Approval] = []
    if approvals_file.exists():
        raw = read_bounded_yaml(approvals_file, "nothing was approved or pushed") or []
        try:
            approvals = [Approval(**entry) for entry in raw]
        except TypeError as exc:
            raise BaselineError(f"{approvals_file}: not a list of approvals ({type(exc).__name__})") from None
    return Baseline(folder, configs, plan, analysis, approvals)


def _json(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise BaselineError(f"{path}: not JSON ({exc})") from None
    return data


def save_approval(
    baseline: Baseline,
    approval: Approval,
    masked_configs: dict[str, str],
    plan: dict[str, Any],
    analysis: dict[str, Any] | None,
    removed: list[str],
) -> None:
    """Record an approval and make its configs the new baseline (the approver holds the inventory
    from its plan on, so no other approval comes between reading the baseline and this)."""
    configs = baseline.folder / "configs"
    configs.mkdir(parents=True, exist_ok=True)
    with holding(baseline.folder, "approving"):
        for device, text in masked_configs.items():
            write_atomic(configs / f"{device}.cfg", text, durable=False)
        for device in removed:
            (configs / f"{device}.cfg").unlink(missing_ok=True)
        plan_text = json.dumps(plan, ensure_ascii=False, indent=1) + "\n"
        write_atomic(baseline.folder / "plan.json", plan_text, durable=False)
        if analysis is not None:
            write_atomic(baseline.folder / "analysis.json", json.dumps(analysis, ensure_ascii=False, indent=1) + "\n")
        flush_all(baseline.folder)
        history = [vars(a) for a in baseline.approvals] + [vars(approval)]
        # last: the approval vouches for the configs and the plan above
        write_atomic(baseline.folder / "approvals.yaml", yaml.safe_dump(history, allow_unicode=True, sort_keys=False))
