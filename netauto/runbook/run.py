"""`netauto runbook run`: a runbook step by step, with the push machinery (docs/runbooks.md).

- dry run (default): every step, the exact lines per device (masked), the checks and the gates; no
  device is contacted;
- `--apply`: only an approved runbook (its hash, as for pushes). Every device of the runbook is backed
  up first (journal); config steps send their lines through the platform's commit (FRR: as typed;
  commit-on-trial platforms: on a timer, confirmed once sent, since the runbook's own checks follow);
  checks are retried until they pass or time out; a gate waits for the engineer (`--yes` confirms
  it, a terminal asks, otherwise the run pauses there and `--resume` continues it);
- a failed step or check rolls the completed config steps back in reverse order (their rollback
  lines), then puts back, from the backup, any device whose running config still differs from it:
  every device ends at its pre-run config;
- `--resume JOURNAL` continues at the first step not done (a step cut short is sent again: its lines
  add what the previous stage lacks, so sending them twice changes nothing);
- each run writes its journal and a Markdown + HTML report in build/runbooks/<runbook>/<run>/.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nornir.core import Nornir
from nornir.core.filter import F
from nornir.core.task import Result, Task

from netauto.errors import NetautoError
from netauto.i18n import N_, ReportLocale
from netauto.pipeline import PlanResult
from netauto.platforms import get_platform
from netauto.push.engine import PushOptions, backup_all, nornir_for
from netauto.push.journal import Journal
from netauto.push.locks import DEFAULT_LOCKS, device_locks
from netauto.push.run import RefusedError, close_all, masker
from netauto.push.strategies import (
    answer,
    confirm,
    describe_failure,
    drop_session,
    restore,
    send_checked,
    session,
    timeout,
    timer_lines,
)
from netauto.review.configtree import digest
from netauto.runbook.approvals import approved_or_refused
from netauto.runbook.checks import Verdict, evaluate, unsupported
from netauto.runbook.document import CheckStep, ConfigStep, GateStep, Runbook, runbook_hash
from netauto.runbook.report import write_reports
from netauto.secrets import Secrets

DONE, ROLLED_BACK, PAUSED, ROLLBACK_FAILED = "done", "rolled back", "paused", "rollback failed"
GATE_CONFIRMED = {  # how a gate was confirmed: a catalogue message, so the report shows it in its language
    "yes": N_("confirmed (--yes)"),
    "confirm": N_("confirmed (--confirm)"),
    "asked": N_("confirmed"),
}
# a step's timer on commit-on-trial platforms: it is confirmed as soon as its lines are in, so the timer
# only matters when the session dies in between (the device then undoes the step by itself)
TRIAL_SECONDS = 600


class RunbookRunError(NetautoError):
    pass


@dataclass
class RunOptions:
    apply: bool = False
    yes: bool = False  # confirm every gate (labs)
    confirmed: frozenset[str] = frozenset()  # these gates are done (the engineer says so on the command line)
    ask: Callable[[str], bool] | None = None  # asks the engineer at a gate (None: not a terminal)
    hosts_file: Path | None = None
    workers: int = 10
    command_timeout: float = 120.0
    login_timeout: float = 20.0
    check_seconds: float = 60.0  # how long a check step may take to pass (sessions, routes converging)
    journal_root: Path = Path("build/runbooks")
    resume: Path | None = None
    baseline_root: Path = Path("baselines")
    lang: str | None = None  # the reports' language (zh or en); None: the network's locale


@dataclass
class StepOutcome:
    id: str
    kind: str
    title: str
    status: str  # ok | failed | skipped (done before a resume) | waiting | undone | pending
    detail: str = ""
    checks: list[tuple[str, Verdict]] = field(default_factory=list)  # what was checked, its verdict


@dataclass
class RunReport:
    runbook: Runbook
    hash: str
    status: str  # done | rolled back | paused | rollback failed | dry run
    journal: Path | None
    steps: list[StepOutcome]
    devices: dict[str, str] = field(default_factory=dict)  # device -> end state after a rollback
    lines: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # step -> device -> lines (masked)
    started: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def ok(self) -> bool:
        return self.status in (DONE, "dry run")


def run_runbook(result: PlanResult, secrets: Secrets, runbook: Runbook, options: RunOptions) -> RunReport:
    devices = _devices(result, runbook)
    platforms = {d.name: d.platform or "" for d in result.plan.devices if d.name in devices}
    mask = masker(secrets, set(platforms.values()))
    lines = {
        s.id: {d: [mask(line) for line in v.commands] for d, v in s.devices.items()}
        for s in runbook.steps
        if isinstance(s, ConfigStep)
    }
    hash_ = runbook_hash(runbook)
    if not options.apply:
        steps = [StepOutcome(s.id, s.kind, s.title, "pending") for s in runbook.steps]
        return RunReport(runbook, hash_, "dry run", None, steps, lines=lines)
    approved_or_refused(runbook, hash_, options.baseline_root)
    _refuse_unsupported_checks(runbook, platforms)
    journal = _journal(runbook, hash_, devices, options, mask)
    report = RunReport(runbook, hash_, "", journal.folder, [], lines=lines)
    with _sessions(result, devices, options) as nr:
        backup_all(nr, journal, devices)
        _run_steps(nr, runbook, journal, platforms, options, report)
    write_reports(report, journal.folder, _report_locale(result, options))
    return report


@contextmanager
def _sessions(result: PlanResult, devices: list[str], options: RunOptions) -> Iterator[Nornir]:
    """The runbook's devices locked against other pushes and runs, and Nornir to reach them; every
    session closed at the end."""
    push_options = PushOptions(
        workers=options.workers,
        hosts_file=options.hosts_file,
        command_timeout=options.command_timeout,
        login_timeout=options.login_timeout,
    )
    with device_locks(DEFAULT_LOCKS, devices):
        nr = nornir_for(result, devices, push_options)
        try:
            yield nr
        finally:
            close_all(nr)


def _devices(result: PlanResult, runbook: Runbook) -> list[str]:
    managed = {d.name for d in result.plan.devices if d.platform}
    unknown = sorted(set(runbook.devices()) - managed)
    if unknown:
        raise RunbookRunError(
            f"runbook {runbook.runbook} names device(s) {', '.join(unknown)}, which are not managed devices "
            f"of network {result.plan.network}"
        )
    return runbook.devices()


def _refuse_unsupported_checks(runbook: Runbook, platforms: dict[str, str]) -> None:
    reasons = sorted(
        {
            reason
            for step in runbook.steps
            if isinstance(step, CheckStep)
            for check in step.checks
            if (reason := unsupported(check, platforms[check.device]))
        }
    )
    if reasons:
        raise RefusedError(
            "this runbook's checks cannot all be evaluated, so it is not run (nothing was changed):\n  "
            + "\n  ".join(reasons)
            + "\n  replace these checks with gates (the engineer checks by hand) and have it approved again"
        )


def _journal(
    runbook: Runbook, hash_: str, devices: list[str], options: RunOptions, mask: Callable[[str], str]
) -> Journal:
    if options.resume is None:
        journal = Journal.create(options.journal_root / runbook.runbook, hash_, runbook.runbook, devices, "runbook")
    else:
        journal = Journal.open(options.resume)
        started = str(journal.header().get("change_hash"))
        if started != hash_:
            raise RefusedError(
                f"{journal.path} ran runbook version {started[:12]}, but this one is {hash_[:12]}: "
                "a changed runbook starts a new run"
            )
        if any(r["action"] == "runbook" and r["status"] == "end" for r in journal.records()[1:]):
            raise RefusedError(f"{journal.path}: that run has ended; start a new one")
        journal.write("*", "runbook", "resume")
    journal.mask = mask
    return journal


def _run_steps(
    nr: Nornir, runbook: Runbook, journal: Journal, platforms: dict[str, str], options: RunOptions, report: RunReport
) -> None:
    done = {r["step"] for r in journal.records() if r["action"] == "step" and r["status"] == "ok"}
    for step in runbook.steps:
        outcome = StepOutcome(step.id, step.kind, step.title, "skipped" if step.id in done else "pending")
        report.steps.append(outcome)
        if step.id in done:
            continue
        journal.write("*", "step", "start", step=step.id, kind=step.kind)
        if isinstance(step, GateStep):
            if not _gate(step, options):
                outcome.status = "waiting"
                journal.write("*", "step", "waiting", step.instruction, step=step.id)
                journal.write("*", "runbook", "paused", step=step.id)
                report.status = PAUSED
                return
            how = "yes" if options.yes else "confirm" if step.id in options.confirmed else "asked"
            outcome.status, outcome.detail = "ok", GATE_CONFIRMED[how]
        elif isinstance(step, CheckStep):
            outcome.checks = _check(nr, step, platforms, options.check_seconds)
            for (name, verdict), check in zip(outcome.checks, step.checks, strict=True):
                status = "ok" if verdict.passed else "failed"
                journal.write(check.device, "check", status, f"{name}: {verdict.detail}", step=step.id)
            failed = [(name, verdict) for name, verdict in outcome.checks if not verdict.passed]
            outcome.status = "failed" if failed else "ok"
            outcome.detail = "; ".join(f"{name}: {verdict.detail}" for name, verdict in failed)
        else:
            outcome.status, outcome.detail = _configure(nr, step, journal)
        if outcome.status != "ok":
            journal.write("*", "step", "failed", outcome.detail, step=step.id)
            _roll_back(nr, runbook, journal, report)
            return
        journal.write("*", "step", "ok", step=step.id)
    journal.write("*", "runbook", "end", DONE)
    report.status = DONE


def _gate(step: GateStep, options: RunOptions) -> bool:
    if options.yes or step.id in options.confirmed:
        return True
    if options.ask is not None:
        return options.ask(f"{step.title}: {step.instruction}")
    return False


def _check(nr: Nornir, step: CheckStep, platforms: dict[str, str], seconds: float) -> list[tuple[str, Verdict]]:
    """Every check of the step, asked again until all pass or `seconds` have gone by."""
    deadline = time.monotonic() + seconds
    while True:
        verdicts = _ask_all(nr, step, platforms)
        if all(v.passed for _, v in verdicts) or time.monotonic() > deadline:
            return verdicts
        time.sleep(2.0)


def _ask_all(nr: Nornir, step: CheckStep, platforms: dict[str, str]) -> list[tuple[str, Verdict]]:
    devices = sorted({c.device for c in step.checks})
    results = nr.filter(F(name__any=devices)).run(task=_evaluate, step=step, platforms=platforms, on_failed=True)
    verdicts = []
    for k, check in enumerate(step.checks):
        name = f"{check.kind} {check.device}" + (f" vrf {check.vrf}" if check.vrf else "")
        multi = results[check.device]
        if multi.failed:
            failure = describe_failure(multi[0].exception)
            verdicts.append((name, Verdict(False, N_("could not ask: {failure}"), {"failure": failure})))
        else:
            verdicts.append((name, multi[0].result[k]))
    for device in devices:
        if results[device].failed:
            drop_session(nr.inventory.hosts[device])  # asked again, on a fresh session
    return verdicts


def _evaluate(task: Task, step: CheckStep, platforms: dict[str, str]) -> Result:
    connection = session(task)

    def ask(command: str, wait: float) -> str:
        return answer(connection, command, timeout(task) + wait)

    verdicts = {
        k: evaluate(check, platforms[task.host.name], ask)
        for k, check in enumerate(step.checks)
        if check.device == task.host.name
    }
    return Result(host=task.host, result=verdicts)


def _configure(nr: Nornir, step: ConfigStep, journal: Journal) -> tuple[str, str]:
    results = nr.filter(F(name__any=sorted(step.devices))).run(
        task=_step_task, step=step, journal=journal, on_failed=True
    )
    failed = {d: m[0].exception for d, m in results.items() if m.failed}
    if failed:
        return "failed", "; ".join(f"{d}: {describe_failure(e)}" for d, e in sorted(failed.items()))
    return "ok", f"{len(step.devices)} device(s) changed"


def _step_task(task: Task, step: ConfigStep, journal: Journal, undo: bool = False) -> Result:
    """One device's lines of a step (`undo`: its rollback lines, on a fresh session, refusals tolerated:
    the comparison with the backup that follows decides), journaled before and after."""
    name, lines = task.host.name, step.devices[task.host.name]
    action = "undo" if undo else "apply"
    journal.write(name, action, "start", step=step.id, lines=len(lines.rollback if undo else lines.commands))
    try:
        if undo:
            task.host.close_connections()  # a session that failed may be unusable: a fresh one
        _send(task, lines.rollback if undo else lines.commands, journal, checked=not undo)
    except Exception as error:
        journal.write(name, action, "failed", describe_failure(error), step=step.id)
        raise
    journal.write(name, action, "ok", step=step.id)
    return Result(host=task.host)


def _send(task: Task, lines: list[str], journal: Journal, checked: bool) -> None:
    """Lines through the platform's commit: as typed, or on a timer then confirmed at once."""
    platform = task.host.platform or ""
    push = get_platform(platform).push
    assert push is not None
    connection = session(task)
    if push.strategy == "confirmed_commit":
        lines = timer_lines(push.arm, TRIAL_SECONDS) + lines + timer_lines(push.commit_trial, TRIAL_SECONDS)
    if checked:
        send_checked(connection, lines, push, timeout(task))
    else:  # undoing: a refused line is not an error here, the comparison with the backup decides
        connection.send_config_set(lines, read_timeout=timeout(task))
    if push.strategy == "confirmed_commit":
        confirm(task, journal, platform)


def _roll_back(nr: Nornir, runbook: Runbook, journal: Journal, report: RunReport) -> None:
    """Undo the config steps begun in this run or an earlier one, newest first; then every device whose
    running config still differs from its backup is put back from it."""
    journal.write("*", "rollback", "start")
    begun = _begun_steps(journal)
    for step in reversed([s for s in runbook.steps if isinstance(s, ConfigStep) and s.id in begun]):
        devices = sorted(d for d in step.devices if d in begun[step.id])
        nr.filter(F(name__any=devices)).run(task=_step_task, step=step, journal=journal, undo=True, on_failed=True)
        for outcome in report.steps:
            if outcome.id == step.id:
                outcome.status = "undone"
    touched = sorted({d for devices in begun.values() for d in devices})
    results = nr.filter(F(name__any=touched)).run(task=_back_to_backup, journal=journal, on_failed=True)
    report.devices = {
        d: "restored" if not results[d].failed and results[d][0].result else "restore failed" for d in touched
    }
    report.status = ROLLED_BACK if all(s == "restored" for s in report.devices.values()) else ROLLBACK_FAILED
    journal.write("*", "rollback", "end", report.status)
    journal.write("*", "runbook", "end", report.status)


def _begun_steps(journal: Journal) -> dict[str, set[str]]:
    begun: dict[str, set[str]] = {}
    for record in journal.records():
        if record["action"] == "apply" and record["status"] == "start" and record.get("step"):
            begun.setdefault(record["step"], set()).add(record["device"])
    return begun


def _back_to_backup(task: Task, journal: Journal) -> Result:
    """The device's running config compared by meaning with its backup; put back from it if it differs."""
    platform = task.host.platform or ""
    syntax = get_platform(platform).config_syntax
    connection = session(task)
    running = answer(connection, syntax.show_running, timeout(task))
    if digest(running, platform) == digest(journal.backup(task.host.name), platform):
        journal.write(task.host.name, "compare", "ok", "equal to the backup")
        return Result(host=task.host, result=True)
    return Result(host=task.host, result=restore(task, journal, platform))


def run_rollback(
    result: PlanResult, secrets: Secrets, runbook: Runbook, journal_path: Path, options: RunOptions
) -> RunReport:
    """Undo what a run (paused, killed or finished) changed, as a failed check would have."""
    journal = Journal.open(journal_path)
    devices = _devices(result, runbook)
    platforms = {d.name: d.platform or "" for d in result.plan.devices if d.name in devices}
    journal.mask = masker(secrets, set(platforms.values()))
    hash_ = runbook_hash(runbook)
    if str(journal.header().get("change_hash")) != hash_:
        raise RefusedError(f"{journal.path} is a run of another version of runbook {runbook.runbook}")
    report = RunReport(
        runbook, hash_, "", journal.folder, [StepOutcome(s.id, s.kind, s.title, "") for s in runbook.steps]
    )
    with _sessions(result, devices, options) as nr:
        _roll_back(nr, runbook, journal, report)
    write_reports(report, journal.folder, _report_locale(result, options))
    return report


def _report_locale(result: PlanResult, options: RunOptions) -> ReportLocale:
    return ReportLocale.for_network(result.inventory.network, options.lang)


def describe(runbook: Runbook, mask: Callable[[str], str] | None = None) -> list[Any]:
    """The dry run's text lines: every step, its lines per device, its checks, its gate."""
    show = mask or (lambda text: text)
    out: list[Any] = []
    for number, step in enumerate(runbook.steps, 1):
        out.append(f"{number}. [{step.kind}] {step.id}: {step.title}")
        if isinstance(step, ConfigStep):
            for device, lines in step.devices.items():
                out.append(f"   {device}:")
                out += [f"     {show(line)}" for line in lines.commands]
                out.append(f"   {device} rollback: {len(lines.rollback)} line(s)")
        elif isinstance(step, CheckStep):
            out += [f"   check {c.model_dump(exclude_none=True)}" for c in step.checks]
        else:
            out.append(f"   gate: {step.instruction}")
    return out
