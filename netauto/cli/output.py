"""Human output of the CLI (rich): diagnostics and the plan summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from rich import box
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from netauto.errors import Diagnostic
from netauto.i18n import local_time
from netauto.pipeline import STAGES, PlanResult
from netauto.plan.export import summary

if TYPE_CHECKING:
    from netauto.analyze.model import Analysis
    from netauto.lab.l3vpn import VpnCheck
    from netauto.lab.verify import Verification
    from netauto.push.engine import PushReport
    from netauto.review.change import Change
    from netauto.runbook.status import NetworkState


@contextmanager
def stage_progress(console: Console) -> Iterator[Callable[[str], None]]:
    """A progress bar over the pipeline stages, shown only on a terminal and removed when done."""
    columns = (TextColumn("{task.description:<12}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("planning", total=len(STAGES))

        def advance(stage: str) -> None:
            progress.update(task, description=stage, completed=STAGES.index(stage))

        yield advance
        progress.update(task, completed=len(STAGES))


def print_diagnostics(console: Console, diagnostics: Iterable[Diagnostic]) -> None:
    for diagnostic in diagnostics:
        console.print(diagnostic.render(), markup=False, highlight=False)


def print_plan_summary(console: Console, result: PlanResult) -> None:
    plan = result.plan
    counts = summary(plan)
    console.print(
        f"[bold]{plan.name}[/] ({plan.network}) — AS {plan.asn}, transport {plan.transport}, "
        f"planes {', '.join(plan.planes)}, {counts['users']} users"
    )
    console.print(_table("Sites per class", ("class", "sites"), counts["sites_per_class"].items()))
    console.print(_table("Devices per role", ("role", "devices"), counts["devices_per_role"].items()))
    console.print(_table("Devices per platform", ("platform", "devices"), counts["devices_per_platform"].items()))
    console.print(
        _table(
            "Links per class",
            ("class", "links", "capacity each (Gbit/s)", "total (Gbit/s)"),
            (
                (name, c["count"], _gbps(c["capacity_gbps"]), _gbps(c["total_gbps"]))
                for name, c in counts["links_per_class"].items()
            ),
        )
    )
    console.print(_table("Allocations", ("kind", "count"), counts["allocations"].items()))
    if counts["dedicated_networks"]:
        console.print(_table("Dedicated networks", ("level/mode", "networks"), counts["dedicated_networks"].items()))
    _print_changes(console, result)


def _print_changes(console: Console, result: PlanResult) -> None:
    changes = result.changes
    parts = []
    for label, table in (
        ("new", changes.new),
        ("changed", changes.changed),
        ("retired", changes.retired),
        ("restored", changes.restored),
    ):
        counted = [f"{len(keys)} {kind}" for kind, keys in table.items() if keys]
        if counted:
            parts.append(f"{label}: {', '.join(counted)}")
    console.print("Allocation changes — " + ("; ".join(parts) if parts else "none (every allocation kept)"))
    for kind, keys in changes.retired.items():
        for key in keys:
            console.print(f"  retired {kind[:-1]} {key}: its allocations stay reserved in the lock", markup=False)
    for kind, keys in changes.changed.items():
        for key in keys:
            console.print(f"  changed {kind[:-1]} {key}", markup=False)
    lock_state = "written" if result.lock_written else "unchanged"
    console.print(f"Lock file {result.lock.path}: {lock_state}", markup=False, highlight=False)


def _table(title: str, headers: tuple[str, ...], rows: Iterable[tuple[object, ...]]) -> Table:
    table = Table(title=title, title_justify="left")
    for i, header in enumerate(headers):
        table.add_column(header, justify="right" if i else "left")
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    return table


def print_runbook_list(console: Console, states: list[NetworkState], runbooks: Path, time_zone: str) -> None:
    """The dedicated networks, one line each where the terminal allows: the Chinese name (two columns a
    character, as rich measures it) never wraps; the state column gives way first."""
    zone = ZoneInfo(time_zone)
    table = Table(
        title=f"Dedicated networks (runbooks in {runbooks}/, times in {time_zone})",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        padding=0,  # the box draws one space between columns
    )
    for header in ("network", "name", "mode", "runbook"):
        table.add_column(header, no_wrap=True)
    table.add_column("state", overflow="fold", min_width=7)
    table.add_column("last run", no_wrap=True)
    for state in states:
        when = _local_minute(state.last_run, zone) if state.last_run else "-"
        table.add_row(state.id, state.name, state.mode, "yes" if state.runbook else "-", state.state, when)
    console.print(table)


def _local_minute(moment: str, zone: ZoneInfo) -> str:
    """
    >>> _local_minute("2026-12-07T15:37:12+00:00", ZoneInfo("Asia/Shanghai"))
    '2026-12-07 23:37'
    """
    return local_time(moment, zone).strftime("%Y-%m-%d %H:%M")


def print_rows(console: Console, title: str, rows: list[dict[str, Any]]) -> None:
    """Parsed rows as a table, one column per field."""
    headers = tuple(rows[0]) if rows else ()
    table = Table(title=title, title_justify="left")
    for header in headers:
        table.add_column(header)
    for row in rows:
        table.add_row(*(str(row.get(h, "")) for h in headers))
    console.print(table)


def _gbps(value: float) -> str:
    return f"{value:g}"


SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "dim"}
FINDINGS_SHOWN = 25


def print_analysis(console: Console, analysis: Analysis) -> None:
    severities = Counter(f.severity for f in analysis.findings)
    verdict = "[bold green]PASS[/]" if analysis.ok else "[bold red]FAIL[/]"
    console.print(
        f"{verdict} {analysis.network}: {severities['error']} error(s), {severities['warning']} warning(s), "
        f"{severities['info']} note(s)"
    )
    if analysis.findings:
        table = Table(title="Findings", title_justify="left")
        for header in ("severity", "check", "message"):
            table.add_column(header)
        ranked = sorted(analysis.findings, key=lambda f: ("error", "warning", "info").index(f.severity))
        for finding in ranked[:FINDINGS_SHOWN]:
            table.add_row(
                Text(finding.severity, style=SEVERITY_STYLE[finding.severity]), finding.check, Text(finding.message)
            )
        console.print(table)
        if len(ranked) > FINDINGS_SHOWN:
            console.print(f"… and {len(ranked) - FINDINGS_SHOWN} more (see --json or --html)")
    counts = analysis.failures.counts
    console.print(
        _table(
            "Single failures",
            ("kind", "scenarios", "cutting off sites"),
            ((kind, c["scenarios"], c["cutting_off_sites"]) for kind, c in counts.items()),
        )
    )
    capacity = analysis.capacity
    console.print(
        _table(
            "Worst-case utilisation per link class",
            ("link class", "worst"),
            ((name, f"{value:.1%}") for name, value in capacity.worst_per_link_class.items()),
        )
    )
    console.print(
        f"Utilisation: max {capacity.max_utilisation_normal:.1%} normal (threshold {capacity.threshold_normal:.0%}), "
        f"{capacity.max_utilisation_failure:.1%} under the worst single failure "
        f"(threshold {capacity.threshold_failure:.0%}); {capacity.scenarios_computed} of "
        f"{capacity.scenarios_total} single failures needed rerouting (the rest only detach single-homed sites)",
        highlight=False,
    )
    if analysis.blast_radius:
        worst = sorted(analysis.blast_radius, key=lambda b: -b.users)[:5]
        console.print(
            _table(
                "Largest blast radius (town PE failure)",
                ("town", "device", "villages", "users"),
                ((b.town, b.device, b.villages, b.users) for b in worst),
            )
        )


def print_change(console: Console, change: Change) -> None:
    if change.empty:
        console.print(f"No change against the approved baseline ({change.unchanged} devices unchanged).")
        return
    console.print(f"Change hash {change.change_hash}", markup=False, highlight=False)
    table = Table(title=f"{len(change.devices)} device(s) touched", title_justify="left")
    for header in ("device", "site", "status", "added", "removed", "risk"):
        table.add_column(header, justify="right" if header in ("added", "removed") else "left")
    for d in change.devices[:40]:
        table.add_row(d.name, d.site, d.status, str(d.added), str(d.removed), ", ".join(d.risk))
    console.print(table)
    if len(change.devices) > 40:
        console.print(f"… and {len(change.devices) - 40} more (see the review)")
    console.print("Risk flags: " + (", ".join(change.risk_flags) or "none"), markup=False, highlight=False)


def print_verification(console: Console, verification: Verification) -> None:
    verdict = "[bold green]AGREE[/]" if verification.ok else "[bold red]DISAGREE[/]"
    console.print(f"{verdict} converged in {verification.converged_seconds:.1f} s")
    failed = [c for c in verification.checks if not c.ok]
    console.print(f"{len(verification.checks) - len(failed)} of {len(verification.checks)} checks as planned")
    for check in failed:
        console.print(
            f"  {check.router} {check.what}: expected {check.expected}, measured {check.measured}", markup=False
        )
    demo = verification.srv6
    if demo is not None and demo.error:
        console.print(f"SRv6 path {' -> '.join(demo.path)}: could not be set up: {demo.error}", markup=False)
    elif demo is not None:
        console.print(
            f"SRv6 path {' -> '.join(demo.path)} (segments {', '.join(demo.segments)}): "
            f"{'answers' if demo.answered else 'NO ANSWER'}; without {demo.path[1]}'s End: "
            f"{'STILL ANSWERS' if demo.answered_without_end else 'no answer, as it should be'}"
            + (
                f"; {demo.path[1]} counted {demo.counted_at_end} of {demo.sent} to its End"
                if demo.counted_at_end is not None
                else ""
            ),
            markup=False,
        )
    for vpn_check in verification.vpns:
        print_vpn_check(console, vpn_check)
    if verification.isolation:
        leaks = [i for i in verification.isolation if not i.ok]
        console.print(
            f"VPN isolation: {len(verification.isolation) - len(leaks)} of {len(verification.isolation)} "
            "cross-VPN pings unanswered, as they should be"
            + "".join(f"; {i.source} REACHES {i.target} (IPv{i.family})" for i in leaks),
            markup=False,
        )
    if not verification.sweep:
        return
    table = Table(title="Single link failures: lab against analysis", title_justify="left")
    for header in ("link", "agree", "seconds", "VPN pairs cut", "disagreements"):
        table.add_column(header)
    for row in verification.sweep:
        detail = "; ".join(f"{r}: missing {d['missing']} extra {d['extra']}" for r, d in row.disagreements.items())
        detail += "".join(f"; VPN pairs {what}: {', '.join(pairs)}" for what, pairs in row.vpn_disagreements.items())
        cut = f"{row.vpn_pairs_cut} of {row.vpn_pairs}" if row.vpn_pairs else "-"
        table.add_row(row.link, "yes" if row.agree else "NO", f"{row.seconds:.2f}", cut, detail.lstrip("; "))
    console.print(table)


TRANSPORT_NAMES = {"srv6": "SRv6", "mpls": "MPLS"}


def print_vpn_check(console: Console, check: VpnCheck) -> None:
    over = TRANSPORT_NAMES[check.transport]
    if check.error:
        console.print(f"VPN {check.vpn} over {over}: could not be measured: {check.error}", markup=False)
        return
    lossless = sum(1 for p in check.pairs if p.ok)
    crossing = sum(1 for p in check.pairs if p.encapsulated)
    where = f"in VRF {check.vrf}" if check.vrf else "in the global table"
    families = "IPv4+IPv6" if any(p.family == 4 for p in check.pairs) else "IPv6"
    console.print(
        f"VPN {check.vpn} over {over} ({where}, {families}): {lossless} of {len(check.pairs)} host pairs without "
        f"loss ({crossing} across the {over} core); routes complete "
        + (f"after {check.routes_seconds:.1f} s" if check.routes_seconds is not None else "NEVER")
        + (
            f" (FRR's kernel-refused routes imported again on {', '.join(check.reimported)})"
            if check.reimported
            else ""
        ),
        markup=False,
    )
    for p in check.pairs:
        if not p.ok:
            console.print(
                f"  {p.source} -> {p.target} (IPv{p.family}): {p.received}/{p.sent} answered, {over} {p.encapsulated}",
                markup=False,
            )
    for path in check.paths:
        when = f"{path.failed_link} down ({path.seconds:.1f} s)" if path.failed_link else "normal state"
        crossed = ", ".join(f"{link} ({packets})" for link, packets in path.measured.items()) or "nothing"
        console.print(
            f"  flow {' -> '.join(check.flow or ())}, {when}: {path.arrived}/{path.sent} arrived over {crossed}; "
            f"analysis: over {', '.join(path.predicted)} - {'agrees' if path.ok else 'DISAGREES'}",
            markup=False,
        )
    if len(check.paths) == 2:
        console.print(f"  the failure {'moved the flow' if check.moved else 'did NOT move the flow'}", markup=False)


@contextmanager
def wave_progress(console: Console) -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar per wave of a push."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        bars: dict[str, Any] = {}

        def advance(label: str, done: int, total: int) -> None:
            if label not in bars:
                bars[label] = progress.add_task(label, total=total)
            progress.update(bars[label], completed=done)

        yield advance


def print_push_report(console: Console, report: PushReport, dry_run: bool) -> None:
    if dry_run:
        for device in sorted(report.devices.values(), key=lambda d: d.device):
            if not device.commands:
                console.print(f"{device.device}: in sync, nothing to send", markup=False, highlight=False)
                continue
            console.print(f"{device.device}: would send {len(device.commands)} line(s)", markup=False, highlight=False)
            for line in device.commands:
                console.print(f"  {line}", markup=False, highlight=False)
        console.print("Dry run: nothing was changed (push --apply to change the routers).", markup=False)
        return
    table = Table(title=f"push: journal {report.journal}", title_justify="left")
    for header in ("device", "outcome", "lines", "detail"):
        table.add_column(header)
    for device in sorted(report.devices.values(), key=lambda d: d.device):
        table.add_row(device.device, device.outcome, str(len(device.commands)), device.detail)
    console.print(table)
    if report.stopped:
        console.print(f"Stopped: {report.stopped}; every device touched was restored from its backup.", markup=False)
