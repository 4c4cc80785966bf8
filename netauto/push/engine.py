"""Push an approved change with Nornir, one device action at a time in the journal:

1. back up every target's running config (and its interface names);
2. the intended configs in the routers' own form (canonical.py), and per device the remediation from
   its running config to that form: what would be sent (the dry run prints it, masked);
3. waves: a canary, then batches (Nornir's threaded runner, `workers` at once); per device the
   platform's strategy (strategies.py) applies, verifies and, on failure, restores the backup;
4. after each wave, post-checks on the wave's devices, those their platform declares: interfaces up,
   IS-IS adjacencies and iBGP sessions as the plan says (among the devices this push can reach); a
   device that fails them is restored, one that passes and is on a commit timer is confirmed;
5. more failed devices than allowed: stop, and restore every device touched so far.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nornir import InitNornir
from nornir.core import Nornir
from nornir.core.filter import F
from nornir.core.task import AggregatedResult, Result, Task

from netauto.errors import NetautoError
from netauto.lab.netns import FrrInstall
from netauto.lab.verify import expected
from netauto.nornir_plugin import quiet_nornir
from netauto.pipeline import PlanResult
from netauto.platforms import get_platform
from netauto.push import vtysh_driver
from netauto.push.canonical import canonical_configs
from netauto.push.journal import DeviceState, Journal
from netauto.push.observe import interface_states, observe
from netauto.push.strategies import (
    DevicePlan,
    Outcome,
    answer,
    confirm,
    describe_failure,
    drop_session,
    login_extras,
    needs_confirmation,
    restore,
    session,
    strategy_for,
    timeout,
)
from netauto.review.configtree import parse, remediation


class PushError(NetautoError):
    pass


@dataclass
class PushOptions:
    workers: int = 10
    batch_size: int = 10
    canary: list[str] = field(default_factory=list)
    max_failures: int = 0
    hosts_file: Path | None = None
    post_check_seconds: float = 30.0  # how long a wave's devices get to show the planned adjacencies and sessions
    confirm_window: int = 600  # seconds a device on a commit timer keeps the change unconfirmed
    command_timeout: float = 120.0  # seconds to wait for a device's answer to one command (a lost session)
    login_timeout: float = 20.0  # seconds from connecting to a device's first prompt


@dataclass
class DeviceReport:
    device: str
    commands: list[str]  # masked: what was (or would be) sent
    outcome: str = "pending"  # in-sync | applied | failed | restored | restore-failed | skipped
    detail: str = ""


@dataclass
class PushReport:
    journal: Path | None
    waves: list[list[str]]
    devices: dict[str, DeviceReport]
    stopped: str = ""  # why the push stopped early, if it did

    @property
    def ok(self) -> bool:
        return not self.stopped and all(
            d.outcome in ("in-sync", "applied", "would-change") for d in self.devices.values()
        )


Progress = Callable[[str, int, int], None]  # wave label, done, total


def nornir_for(result: PlanResult, devices: list[str], options: PushOptions) -> Nornir:
    """Nornir over the plan's `devices`, with the push's workers and time limits. Nornir's own log of a
    failed task (a traceback per host) stays off the terminal: each failure reaches the user once, as
    the device's outcome or the clear error that names it."""
    quiet_nornir()
    vtysh_driver.register()  # here, not on import: rendering never loads Netmiko (0.3 s of every render)
    inventory = {"plan_result": result, "only": set(devices), "hosts_file": options.hosts_file}
    nr = InitNornir(
        inventory={"plugin": "NetautoInventory", "options": inventory},
        runner={"plugin": "threaded", "options": {"num_workers": max(1, options.workers)}},
        logging={"enabled": False},
    )
    for host in nr.inventory.hosts.values():
        host.data["command_timeout"] = options.command_timeout
        host.data["login_timeout"] = options.login_timeout
        netmiko = host.connection_options.get("netmiko")
        if netmiko is not None:
            netmiko.extras = {**(netmiko.extras or {}), **login_extras(options.login_timeout)}
    return nr


def backup_all(nr: Nornir, journal: Journal, devices: list[str]) -> dict[str, dict[str, Any]]:
    """Running config and interface names of every device (from the journal when it has them)."""
    states = journal.states()
    results = nr.filter(F(name__any=devices)).run(task=_backup, journal=journal, states=states, on_failed=True)
    _raise_failures(results, "back up")
    return {name: multi[0].result for name, multi in results.items()}


def _backup(task: Task, journal: Journal, states: dict[str, DeviceState]) -> Result:
    spec = get_platform(task.host.platform or "")
    connection = session(task)
    running = answer(connection, spec.config_syntax.show_running, timeout(task))
    interfaces = list(interface_states(task.host.platform or "", _asker(task, connection)) or {})
    state = states.get(task.host.name)
    if state is None or not state.backed_up:  # a resumed push keeps the backup from before it began
        journal.save_backup(task.host.name, running)
        journal.write(task.host.name, "backup", "ok")
    return Result(host=task.host, result={"running": running, "interfaces": interfaces})


def device_plans(
    intended: dict[str, str],
    collected: dict[str, dict[str, Any]],
    platforms: dict[str, str],
    frr: FrrInstall,
    cache: Path | None = None,
    confirm_window: int = 600,
) -> dict[str, DevicePlan]:
    """Per device: the intended config in its own form, and the commands from its running config."""
    interfaces = {device: data["interfaces"] for device, data in collected.items()}
    scratch = [d for d in collected if needs_frr_scratch(platforms[d])]
    canonical = {d: intended[d] for d in collected}
    canonical |= canonical_configs({d: intended[d] for d in scratch}, interfaces, frr, cache) if scratch else {}
    plans = {}
    for device, data in collected.items():
        syntax = get_platform(platforms[device]).config_syntax
        running = parse(data["running"], syntax)
        target = canonical[device]
        commands = remediation(running, parse(target, syntax), syntax)
        plans[device] = DevicePlan(device, platforms[device], commands, target, confirm_window)
    return plans


def needs_frr_scratch(platform: str) -> bool:
    push = get_platform(platform).push
    return push is not None and push.canonical == "frr_scratch"


def waves(devices: list[str], options: PushOptions) -> list[list[str]]:
    """The canary (given, or the first device), then batches of `batch_size`."""
    canary = [d for d in options.canary if d in devices] or devices[:1]
    rest = [d for d in devices if d not in canary]
    size = max(1, options.batch_size)
    return [canary] + [rest[i : i + size] for i in range(0, len(rest), size)] if devices else []


def push(
    nr: Nornir,
    result: PlanResult,
    plans: dict[str, DevicePlan],
    journal: Journal,
    mask: Callable[[str], str],
    options: PushOptions,
    progress: Progress | None = None,
) -> PushReport:
    """Apply the plans wave by wave; stop and restore everything touched when failures pass the limit."""
    states = journal.states()
    todo = [d for d in sorted(plans) if plans[d].commands and not states.get(d, DeviceState()).verified]
    report = PushReport(journal.folder, waves(todo, options), {})
    for device, plan in plans.items():
        status = (
            "in-sync" if not plan.commands else "applied" if states.get(device, DeviceState()).verified else "pending"
        )
        report.devices[device] = DeviceReport(device, [mask(c) for c in plan.commands], status)
    reachable = sorted(nr.inventory.hosts)
    for number, wave in enumerate(report.waves):
        label = "canary" if number == 0 else f"wave {number}"
        journal.write("*", "wave", "start", label=label, devices=wave)
        done = [0]

        def step(device: str, *, label: str = label, total: int = len(wave), done: list[int] = done) -> None:
            done[0] += 1
            if progress:
                progress(label, done[0], total)

        results = nr.filter(F(name__any=wave)).run(task=_apply, plans=plans, journal=journal, step=step, on_failed=True)
        for device in wave:
            outcome: Outcome = results[device][0].result if not results[device].failed else _crashed(results[device])
            report.devices[device].outcome, report.devices[device].detail = outcome.status, mask(outcome.detail)
        applied = [d for d in wave if report.devices[d].outcome == "applied"]
        failed_checks = post_checks(nr, result, applied, reachable, options.post_check_seconds) if applied else {}
        for device, problem in failed_checks.items():
            journal.write(device, "post-check", "failed", problem)
            report.devices[device].outcome, report.devices[device].detail = "failed", problem
        settle(nr, journal, report, [d for d in applied if d not in failed_checks], sorted(failed_checks))
        failures = [d for d in report.devices.values() if d.outcome in ("failed", "restored", "restore-failed")]
        journal.write("*", "wave", "end", label=label, failures=len(failures))
        if len(failures) > options.max_failures:
            report.stopped = f"{len(failures)} device(s) failed in the {label} (allowed {options.max_failures})"
            journal.write("*", "push", "stopping", report.stopped)
            rollback(nr, journal, report)
            return report
    journal.write("*", "push", "end", "ok" if report.ok else "with failures")
    return report


def settle(nr: Nornir, journal: Journal, report: PushReport, passed: list[str], failed: list[str]) -> None:
    """After the post-checks: devices that failed them go back to their backup; devices that passed
    and are on a commit timer are confirmed (one that cannot be is restored and counts as failed)."""
    pending = [d for d in passed if needs_confirmation(nr.inventory.hosts[d].platform or "")]
    unconfirmed = []
    if pending:
        results = nr.filter(F(name__any=pending)).run(task=_confirm, journal=journal, on_failed=True)
        for device in (d for d in pending if results[d].failed):
            problem = f"confirm failed: {_crashed(results[device]).detail}"
            journal.write(device, "confirm", "failed", problem)
            report.devices[device].detail = problem
            unconfirmed.append(device)
    for device, outcome in restore_devices(nr, journal, failed + unconfirmed).items():
        entry = report.devices[device]
        entry.outcome, entry.detail = outcome, f"{entry.detail}; {outcome}".lstrip("; ")


def _confirm(task: Task, journal: Journal) -> Result:
    confirm(task, journal, task.host.platform or "")
    return Result(host=task.host, result=True)


def _apply(task: Task, plans: dict[str, DevicePlan], journal: Journal, step: Callable[[str], None]) -> Result:
    plan = plans[task.host.name]
    try:
        outcome = strategy_for(plan.platform)(task, plan, journal)
    finally:
        step(task.host.name)
    return Result(host=task.host, result=outcome, failed=outcome.status != "applied")


def _crashed(multi: Any) -> Outcome:
    exception = multi[0].exception
    return Outcome("failed", describe_failure(exception))


def post_checks(
    nr: Nornir, result: PlanResult, wave: list[str], reachable: list[str], seconds: float
) -> dict[str, str]:
    """Per device of the wave, as the plan says, among the devices this push reaches (others may be
    outside a lab), what its platform declares: its links' interfaces up, and for IS-IS routers their
    adjacencies, iBGP sessions and a route to every other router's loopback. Given up to `seconds` to
    settle after the change."""
    from netauto.lab.slice import slice_links

    links = slice_links(result.plan, reachable)
    planned = expected(result.plan, reachable, links)
    ports: dict[str, set[str]] = {d: set() for d in wave}
    for link in links:
        for end in (link.a, link.b):
            if end.device in ports and end.interface:
                ports[end.device].add(end.interface)
    remaining = sorted(wave)
    problems: dict[str, str] = {}
    deadline = time.monotonic() + seconds
    while remaining:
        results = nr.filter(F(name__any=remaining)).run(task=_observe, on_failed=True)
        problems = {}
        for device in remaining:
            if results[device].failed:
                problems[device] = f"post-check could not run: {describe_failure(results[device][0].exception)}"
                drop_session(nr.inventory.hosts[device])  # the next attempt on a fresh one
                continue
            up, neighbours, sessions, routes = results[device][0].result
            down = []
            if up is not None and ports[device] - up:
                down.append(f"interface down: {', '.join(sorted(ports[device] - up))}")
            if device in planned.igp and neighbours is not None:
                missing_isis = sorted(planned.adjacencies[device] - neighbours)
                down += [f"IS-IS adjacency down to {', '.join(missing_isis)}"] if missing_isis else []
            if device in planned.igp and sessions is not None:
                missing_bgp = sorted(planned.sessions[device] - sessions)
                down += [f"iBGP session down to {', '.join(missing_bgp)}"] if missing_bgp else []
            if device in planned.igp and routes is not None:
                loopbacks = (f"{planned.loopbacks[r][0]}/32" for r in planned.igp if r != device)
                missing_routes = sorted(p for p in loopbacks if p not in routes)
                down += [f"no route to loopback {', '.join(missing_routes[:5])}"] if missing_routes else []
            if down:
                problems[device] = "post-check: " + "; ".join(down)
        remaining = sorted(problems)
        if not remaining or time.monotonic() > deadline:
            break
        time.sleep(1.0)
    return problems


def _observe(task: Task) -> Result:
    """What the platform's post-checks read (observe.py)."""
    seen = observe(task.host.platform or "", _asker(task, session(task)))
    return Result(host=task.host, result=(seen.up, seen.neighbours, seen.sessions, seen.routes))


def _asker(task: Task, connection: Any) -> Callable[[str], str]:
    def ask(command: str) -> str:
        return answer(connection, command, timeout(task))

    return ask


def rollback(
    nr: Nornir, journal: Journal, report: PushReport | None = None, unfinished_only: bool = False
) -> dict[str, str]:
    """Every device the journal says was touched and not yet restored goes back to its backup (with
    `unfinished_only`, those left mid-change: touched, neither verified nor restored)."""
    states = journal.states()
    touched = sorted(
        d
        for d, s in states.items()
        if s.touched and not s.restored and s.backed_up and not (unfinished_only and s.verified)
    )
    outcomes = restore_devices(nr, journal, [d for d in touched if d in nr.inventory.hosts])
    for device, outcome in outcomes.items():
        if report is not None and device in report.devices:
            report.devices[device].outcome = outcome
    return outcomes


def restore_devices(nr: Nornir, journal: Journal, devices: list[str]) -> dict[str, str]:
    if not devices:
        return {}
    results = nr.filter(F(name__any=devices)).run(task=_restore, journal=journal, on_failed=True)
    return {
        device: "restored" if not results[device].failed and results[device][0].result else "restore-failed"
        for device in devices
    }


def _restore(task: Task, journal: Journal) -> Result:
    ok = restore(task, journal, task.host.platform or "")
    return Result(host=task.host, result=ok, failed=not ok)


def _raise_failures(results: AggregatedResult, what: str) -> None:
    failed = {name: multi[0].exception for name, multi in results.items() if multi.failed}
    if failed:
        lines = [f"  {name}: {describe_failure(error)}" for name, error in sorted(failed.items())]
        raise PushError(f"could not {what} {len(failed)} device(s); nothing was changed:\n" + "\n".join(lines))
