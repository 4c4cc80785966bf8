"""Per-platform commit strategies, named in the platform data (`push.strategy`), not chosen by `if`.

- `apply_verify_restore` (FRR): apply, read back, compare; on failure restore the backup ourselves.
- `confirmed_commit` (VRP8 `commit trial`, IOS-XR `commit confirmed`, Comware `configuration commit
  delay`): the change goes in on a timer, is read back and compared; the engine confirms it after the
  wave's post-checks. Whatever happens to us in between (killed, session lost), the device undoes it
  by itself when the timer runs out. The commands are the platform file's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from math import ceil
from typing import Any

from netmiko.exceptions import NetmikoTimeoutException, ReadTimeout
from nornir.core.task import Task

from netauto.errors import NetautoError
from netauto.platforms import ConfigSyntax, PushSpec, get_platform
from netauto.push.journal import Journal
from netauto.review.configtree import diff_trees, digest, parse, remediation

# A device may rewrite other config as a side effect of a command (measured on FRR 8.4: a new
# `bgp router-id` in a VRF re-derived its export RT) or refuse a line whose prerequisite comes later:
# what is still different after a pass is remediated again, up to this many passes (frr-reload.py
# applies in two passes for the same reason); then the comparison decides
APPLY_PASSES = 3
RESTORE_PASSES = 3
COMMAND_TIMEOUT = 120.0  # seconds for one command's answer, unless the push says (host data command_timeout)
MAX_ANSWER_CHARS = 16 * 1024 * 1024  # one answer: 8x the largest router's running config (under 2 MiB); Netmiko
# reads a flood slowly on a busy machine (32 MiB took over 90 s here), and the bound should stop it first
TERMINAL_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LOGIN_TIMEOUT = 20.0  # seconds from TCP connect to the device's first prompt, unless the push says (login_timeout)


class StrategyError(NetautoError):
    pass


@dataclass
class DevicePlan:
    device: str
    platform: str
    commands: list[str]  # the remediation from the running config to the intended one (unmasked)
    intended: str  # the intended config in the device's own form (canonical.py)
    confirm_window: int = 600  # seconds a confirmed_commit device waits for the confirmation

    @property
    def intended_digest(self) -> str:
        return digest(self.intended, self.platform)


@dataclass
class Outcome:
    status: str  # applied | failed | restored | restore-failed
    detail: str = ""


Strategy = Callable[[Task, DevicePlan, Journal], Outcome]


def apply_verify_restore(task: Task, plan: DevicePlan, journal: Journal) -> Outcome:
    """Send the remediation, read the running config back and compare meanings; on any failure put
    the backup back (the device has no candidate config nor rollback of its own)."""
    spec = get_platform(plan.platform)
    assert spec.push is not None
    name = task.host.name
    journal.write(name, "apply", "start", lines=len(plan.commands))
    syntax = spec.config_syntax
    try:
        connection = session(task)
        intended, commands, passes = parse(plan.intended, syntax), plan.commands, 0
        while passes < APPLY_PASSES:  # at least once: a plan always has commands
            send_checked(connection, commands, spec.push, timeout(task))
            passes += 1
            running = answer(connection, syntax.show_running, timeout(task))
            commands = remediation(parse(running, syntax), intended, syntax)
            if not commands:
                break
        journal.write(name, "apply", "ok", passes=passes)
    except Exception as error:  # noqa: BLE001 - any failure of the session or the device means restore
        return _apply_failed(task, journal, plan, error)
    return _compared(task, journal, plan, running, "verify")


def confirmed_commit(task: Task, plan: DevicePlan, journal: Journal) -> Outcome:
    """Send the remediation with the platform's timer, read the running config back and compare
    meanings; on any failure restore the backup at once rather than wait for the timer."""
    push = get_platform(plan.platform).push
    assert push is not None
    name, syntax = task.host.name, get_platform(plan.platform).config_syntax
    lines = (
        timer_lines(push.arm, plan.confirm_window) + plan.commands + timer_lines(push.commit_trial, plan.confirm_window)
    )
    journal.write(name, "apply", "start", lines=len(plan.commands), confirm_within=plan.confirm_window)
    try:
        connection = session(task)
        send_checked(connection, lines, push, timeout(task))
        journal.write(name, "apply", "ok", "in place on trial: the device undoes it unless confirmed")
        running = answer(connection, syntax.show_running, timeout(task))
    except Exception as error:  # noqa: BLE001 - any failure of the session or the device means restore
        return _apply_failed(task, journal, plan, error)
    return _compared(task, journal, plan, running, "check")


def _apply_failed(task: Task, journal: Journal, plan: DevicePlan, error: Exception) -> Outcome:
    problem = describe_failure(error)
    journal.write(task.host.name, "apply", "failed", problem)
    return _restored(task, journal, plan.platform, problem)


def _compared(task: Task, journal: Journal, plan: DevicePlan, running: str, action: str) -> Outcome:
    """The running config read back after the change, compared by meaning with the intended one:
    `action` ok, or the backup restored."""
    if digest(running, plan.platform) != plan.intended_digest:
        syntax = get_platform(plan.platform).config_syntax
        problem = "the running config differs from the intended one after the change: " + _difference(
            running, plan.intended, syntax
        )
        journal.write(task.host.name, action, "failed", problem)
        return _restored(task, journal, plan.platform, problem)
    journal.write(task.host.name, action, "ok")
    return Outcome("applied")


def confirm(task: Task, journal: Journal, platform: str) -> None:
    """Make a confirmed_commit device's trial permanent (after the wave's post-checks passed)."""
    push = get_platform(platform).push
    assert push is not None and push.confirm is not None
    connection = session(task)
    send_checked(connection, [push.confirm], push, timeout(task))
    journal.write(task.host.name, "confirm", "ok")


def send_checked(connection: Any, lines: list[str], push: PushSpec, seconds: float) -> None:
    """Send config lines; a line the device refuses raises ConfigRefused (at once, or after the lot)."""
    if push.check_errors == "per_line":
        connection.send_config_set(lines, error_pattern=push.config_errors, read_timeout=seconds)
        return
    output = connection.send_config_set(lines, read_timeout=seconds)
    refusal = re.search(f".*(?:{push.config_errors}).*", output)
    if refusal:
        raise ConfigRefused(f"the device refused a line: {refusal.group(0).strip()}")


class ConfigRefused(StrategyError):
    pass


def needs_confirmation(platform: str) -> bool:
    push = get_platform(platform).push
    return push is not None and push.strategy == "confirmed_commit"


def session(task: Task) -> Any:
    """The host's Netmiko session, opened on first use. Opening it (TCP, SSH, login, the first prompt,
    paging off) may take up to the host's login timeout, where Netmiko's own reads would give up after
    10 s: a distant or loaded router needs longer to print its first prompt. Once open, each command
    says how long it waits (`timeout`)."""
    opening = "netmiko" not in task.host.connections
    try:
        connection = task.host.get_connection("netmiko", task.nornir.config)
    except (NetmikoTimeoutException, ReadTimeout) as error:
        if not opening:
            raise
        seconds = float(task.host.data.get("login_timeout", LOGIN_TIMEOUT))
        raise LoginTimeout(
            f"no session with a prompt within {seconds:g} s of connecting ({describe_failure(error)}); "
            "a slow or distant router needs a longer --login-timeout"
        ) from None
    connection.read_timeout_override = None  # the login's limit, not every later read's
    return connection


class LoginTimeout(NetautoError):
    pass


class AnswerTooLong(NetautoError):
    pass


def answer(connection: Any, command: str, seconds: float, limit: int = MAX_ANSWER_CHARS) -> str:
    """One show command's answer, bounded: within `seconds` (Netmiko's ReadTimeout otherwise: a device
    that hangs mid-answer), at most `limit` characters (AnswerTooLong: a device that never stops
    printing; its session is closed, as it cannot be used again), terminal escapes and control
    characters taken out (a device that colours its output)."""
    original = connection.read_channel
    received = 0

    def bounded() -> str:
        nonlocal received
        data = str(original())
        received += len(data)
        if received > limit:
            raise AnswerTooLong(f"{command!r}: answered over {limit // 2**20} MiB, still printing; session closed")
        return data

    connection.read_channel = bounded
    try:
        text = str(connection.send_command(command, read_timeout=seconds))
    except AnswerTooLong:
        _hang_up(connection)
        raise
    finally:
        connection.read_channel = original
    return TERMINAL_ESCAPES.sub("", text)


def drop_session(host: Any) -> None:
    """Forget the host's session after a failure: it may be unusable (closed, or mid-answer)."""
    try:
        host.close_connections()
    except (OSError, EOFError, ValueError):
        host.connections.pop("netmiko", None)


def _hang_up(connection: Any) -> None:
    """Close a session that cannot be used again, without logging out (its device is still printing)."""
    try:
        connection.paramiko_cleanup()
    except (OSError, EOFError):
        pass


def login_extras(seconds: float) -> dict[str, float]:
    """Netmiko's arguments that bound opening a session to `seconds` at each stage."""
    return {"conn_timeout": seconds, "auth_timeout": seconds, "banner_timeout": seconds,
            "read_timeout_override": seconds}  # fmt: skip


def timeout(task: Task) -> float:
    """How long to wait for one command's answer: Netmiko cannot tell a lost session from a slow one."""
    return float(task.host.data.get("command_timeout", COMMAND_TIMEOUT))


def timer_lines(command: str | None, seconds: int) -> list[str]:
    """The platform's timer command for `seconds` (a confirmed commit's), or nothing."""
    return [command.format(seconds=seconds, minutes=ceil(seconds / 60))] if command else []


def restore(task: Task, journal: Journal, platform: str) -> bool:
    """The device back to the backup taken before the push: its remediation, then the same check.
    A pending trial is confirmed first, so that its timer cannot undo the restore later (the restore
    puts back the config the timer would have)."""
    spec = get_platform(platform)
    push = spec.push
    assert push is not None
    name = task.host.name
    backup = journal.backup(name)
    syntax = spec.config_syntax
    journal.write(name, "restore", "start")
    try:
        task.host.close_connections()  # a session that failed may be unusable: a fresh one
        connection = session(task)
        if push.confirm is not None:
            connection.send_config_set([push.confirm], read_timeout=timeout(task))
        for _ in range(RESTORE_PASSES):
            current = answer(connection, syntax.show_running, timeout(task))
            if digest(current, platform) == digest(backup, platform):
                journal.write(name, "restore", "ok")
                return True
            commands = remediation(parse(current, syntax), parse(backup, syntax), syntax)
            commit = [push.commit] if push.commit else []
            # refusals are not errors here: the next pass shows what is left
            connection.send_config_set(commands + commit, read_timeout=timeout(task))
    except Exception as error:  # noqa: BLE001
        journal.write(name, "restore", "failed", describe_failure(error))
        return False
    still = _difference(current, backup, syntax)
    journal.write(name, "restore", "failed", f"the running config still differs from the backup: {still}")
    return False


def _restored(task: Task, journal: Journal, platform: str, problem: str) -> Outcome:
    if restore(task, journal, platform):
        return Outcome("restored", problem)
    return Outcome("restore-failed", problem)


def _difference(running: str, intended: str, syntax: ConfigSyntax, shown: int = 3) -> str:
    changes = diff_trees(parse(running, syntax), parse(intended, syntax))
    lines = [f"missing '{' / '.join((*p, line))}'" for p, line in changes.added[:shown]]
    lines += [f"unexpected '{' / '.join((*p, line))}'" for p, line in changes.removed[:shown]]
    return "; ".join(lines)


def describe_failure(error: BaseException | None) -> str:
    """One line for a device's failure: the exception's kind and the first line of its message (Netmiko
    appends paragraphs of advice to a timeout)."""
    if error is None:
        return "failed"
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


STRATEGIES: dict[str, Strategy] = {
    "apply_verify_restore": apply_verify_restore,
    "confirmed_commit": confirmed_commit,
}


def strategy_for(platform: str) -> Strategy:
    spec = get_platform(platform)
    if spec.push is None:
        raise StrategyError(f"platform {platform} declares no push strategy")
    strategy = STRATEGIES.get(spec.push.strategy)
    if strategy is None:
        raise StrategyError(
            f"platform {platform}: push strategy {spec.push.strategy} is declared but not implemented "
            "(no such device to prove it on here); nothing was pushed"
        )
    return strategy
