"""`netauto push`: what is pushed, whether it may be, and the run (engine.py) - or a rollback.

The rule (DESIGN §10): only what the change board approved is pushed. `--apply` needs an approval in
the baseline, and the configs rendered now must equal the approved baseline (an empty change); a
given `--hash` must be the newest approval's. A dry run connects read-only, backs up nothing that
stays, and prints per device exactly the lines that would be sent (masked).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nornir.core import Nornir
from nornir.plugins.runners import ThreadedRunner

from netauto.errors import NetautoError
from netauto.lab.netns import FRR10, HOST_FRR, FrrInstall, LabError
from netauto.nornir_plugin import read_hosts_file
from netauto.pipeline import PlanResult
from netauto.platforms import get_platform
from netauto.push.engine import (
    DeviceReport,
    Progress,
    PushOptions,
    PushReport,
    backup_all,
    device_plans,
    needs_frr_scratch,
    nornir_for,
    push,
    rollback,
)
from netauto.push.journal import Journal
from netauto.push.locks import DEFAULT_LOCKS, device_locks
from netauto.push.strategies import strategy_for
from netauto.review.baseline import Approval, Baseline
from netauto.review.change import Change
from netauto.review.configtree import mask_secrets
from netauto.secrets import Secrets


class RefusedError(NetautoError):
    """The push may not go ahead: nothing was connected to or changed."""


@dataclass
class PushRequest:
    apply: bool
    options: PushOptions
    configs: Path  # the rendered configs (the change's)
    journal_root: Path
    devices: list[str]  # only these ([] = every managed device the push can reach)
    expected_hash: str | None = None
    resume: Path | None = None
    locks: Path = DEFAULT_LOCKS


def approved_or_refused(change: Change, baseline: Baseline, expected_hash: str | None) -> Approval:
    """The approval the push carries out, or RefusedError with the reason."""
    if not baseline.approvals:
        raise RefusedError(
            f"nothing is approved for network {change.network}: review with `netauto diff`, "
            "approve with `netauto approve`, then push"
        )
    newest = baseline.approvals[-1]
    if not change.empty:
        names = ", ".join(d.name for d in change.devices[:5]) + (" ..." if len(change.devices) > 5 else "")
        raise RefusedError(
            f"the intended configs differ from the approved baseline on {len(change.devices)} device(s) "
            f"({names}; change hash {change.change_hash[:12]}): this change is not approved - "
            "review it with `netauto diff` and approve it first"
        )
    if expected_hash is not None and expected_hash != newest.change_hash:
        raise RefusedError(
            f"--hash {expected_hash[:12]} is not the newest approval ({newest.change_id}, "
            f"hash {newest.change_hash[:12]})"
        )
    return newest


def masker(secrets: Secrets, platforms: set[str]) -> Callable[[str], str]:
    """What is shown or journaled: the secrets file's values masked, and whatever sits where these
    platforms write secrets (a device's old, rotated secrets are in no secrets file)."""
    syntaxes = [get_platform(p).config_syntax for p in sorted(platforms)]

    def mask(text: str) -> str:
        text = secrets.mask(text)
        for syntax in syntaxes:
            text = mask_secrets(text, syntax)
        return text

    return mask


def targets(result: PlanResult, hosts_file: Path | None, only: list[str]) -> list[str]:
    managed = {d.name: d for d in result.plan.devices if d.platform}
    unknown = sorted(set(only) - set(managed))
    if unknown:
        raise RefusedError(f"--device {', '.join(unknown)}: not a managed device of this plan")
    names = set(only or managed)
    if hosts_file is not None:
        names &= set(read_hosts_file(hosts_file))
    if not names:
        raise RefusedError("no device to push to (none of the plan's devices is in the hosts file)")
    for name in sorted(names):
        strategy_for(managed[name].platform or "")  # refuses a platform whose strategy is not built
    return sorted(names)


def frr_install(result: PlanResult, devices: list[str]) -> FrrInstall:
    """The FRR that gives the devices' canonical form: the one they run."""
    platforms = {d.platform for d in result.plan.devices if d.name in devices}
    return FRR10 if platforms == {"frr10"} else HOST_FRR


def run_push(
    result: PlanResult,
    secrets: Secrets,
    change: Change,
    baseline: Baseline,
    request: PushRequest,
    progress: Progress | None = None,
) -> PushReport:
    approved = approved_or_refused(change, baseline, request.expected_hash) if request.apply else None
    devices = targets(result, request.options.hosts_file, request.devices)
    platforms = {d.name: d.platform or "" for d in result.plan.devices if d.name in devices}
    if os.geteuid() != 0 and any(needs_frr_scratch(p) for p in platforms.values()):
        raise RefusedError("push needs root here: the FRR routers' canonical config form comes from a scratch FRR")
    mask = masker(secrets, set(platforms.values()))
    intended = {d: (request.configs / f"{d}.cfg").read_text(encoding="utf-8") for d in devices}
    cache = request.journal_root / "canonical"
    window, frr = request.options.confirm_window, frr_install(result, devices)
    with device_locks(request.locks, devices):
        nr = nornir_for(result, devices, request.options)
        try:
            if not request.apply:
                with tempfile.TemporaryDirectory() as scratch:
                    journal = Journal.create(Path(scratch), "dry-run", "", devices)
                    collected = backup_all(nr, journal, devices)
                    try:
                        plans = device_plans(intended, collected, platforms, frr, cache, window)
                    except LabError as error:
                        raise RefusedError(str(error)) from None
                report = PushReport(None, [], {})
                for name, plan in plans.items():
                    commands = [mask(c) for c in plan.commands]
                    report.devices[name] = DeviceReport(name, commands, "in-sync" if not commands else "would-change")
                return report
            assert approved is not None
            journal = _journal(request, approved, devices, mask)
            if request.resume is not None:  # a device left mid-change goes back to its backup first
                rollback(nr, journal, unfinished_only=True)
            collected = backup_all(nr, journal, devices)
            try:
                plans = device_plans(intended, collected, platforms, frr, cache, window)
            except LabError as error:
                journal.write("*", "push", "refused", str(error))
                raise RefusedError(f"{error}; nothing was changed (journal {journal.folder})") from None
            return push(nr, result, plans, journal, mask, request.options, progress)
        finally:
            close_all(nr)


def close_all(nr: Nornir) -> None:
    """Log out of every device at once: a polite logout is mostly waiting (~6 s on VRP with Netmiko),
    whatever the number of workers that changed them."""
    everyone = ThreadedRunner(num_workers=max(1, len(nr.inventory.hosts)))
    nr.with_runner(everyone).close_connections()


def _journal(request: PushRequest, approved: Approval, devices: list[str], mask: Callable[[str], str]) -> Journal:
    if request.resume is None:
        journal = Journal.create(request.journal_root, approved.change_hash, approved.change_id, devices)
    else:
        journal = Journal.open(request.resume)
        started = str(journal.header().get("change_hash"))
        if started != approved.change_hash:
            raise RefusedError(
                f"{journal.path} pushed change {started[:12]}, but the approved change is now "
                f"{approved.change_hash[:12]}: roll it back (--rollback) instead of resuming"
            )
        journal.write("*", "push", "resume")
    journal.mask = mask
    return journal


def run_rollback(result: PlanResult, secrets: Secrets, journal_path: Path, options: PushOptions) -> dict[str, str]:
    """Every device the journal touched back to the backup taken before it was touched."""
    journal = Journal.open(journal_path)
    journal.mask = masker(secrets, {d.platform or "" for d in result.plan.devices if d.platform})
    states = journal.states()
    devices = sorted(d for d, s in states.items() if s.touched and not s.restored)
    if not devices:
        return {}
    journal.write("*", "rollback", "start", devices=devices)
    with device_locks(DEFAULT_LOCKS, devices):
        nr = nornir_for(result, devices, options)
        try:
            outcomes = rollback(nr, journal)
        finally:
            close_all(nr)
    journal.write("*", "rollback", "end", "ok" if all(o == "restored" for o in outcomes.values()) else "failed")
    return outcomes
