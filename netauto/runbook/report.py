"""A runbook run's report, Markdown and self-contained HTML, written beside its journal. Lines are
shown as the run masked them (no secret reaches a report)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from netauto.files import write_atomic
from netauto.i18n import ReportLocale
from netauto.pages import markdown_table, render_page, term

if TYPE_CHECKING:
    from netauto.runbook.checks import Verdict
    from netauto.runbook.run import RunReport, StepOutcome


def markdown(report: RunReport, locale: ReportLocale) -> str:
    _ = locale.gettext
    book = report.runbook
    out = [
        "# " + _("Runbook %(id)s (%(name)s)") % {"id": book.runbook, "name": book.name},
        "",
        _("Mode %(mode)s, VPN %(vpn)s, runbook hash %(hash)s.")
        % {"mode": term(_, "mode", book.mode), "vpn": book.target_vpn, "hash": f"`{report.hash}`"},
        "",
        _("Run started on %(when)s.") % {"when": locale.when(report.started)},
        "",
        "**" + _("Result: %(status)s") % {"status": term(_, "run", report.status)} + "**",
        "",
    ]
    out += markdown_table(
        ("#", _("step"), _("kind"), _("status"), _("detail")),
        [
            (number, step.id, term(_, "step-kind", step.kind), term(_, "step", step.status), _step_cell(step, locale))
            for number, step in enumerate(report.steps, 1)
        ],
    )
    if report.devices:
        out += ["", f"## {_('After the rollback')}", ""]
        out += [f"- {d}: {term(_, 'device-state', state)}" for d, state in report.devices.items()]
    out += ["", f"## {_('Lines per step and device')}"]
    for step_id, devices in report.lines.items():
        for device, lines in devices.items():
            out += ["", f"### {step_id} — {device}", "", "```", *lines, "```"]
    return "\n".join(out) + "\n"


def check_text(name: str, verdict: Verdict, locale: ReportLocale) -> str:
    """`route core-a-cr1 vrf dept-a: pass (172.20.1.0/24 present)`, in the report's language."""
    said = term(locale.gettext, "verdict", "pass" if verdict.passed else "fail")
    return f"{name}: {said} ({verdict.shown(locale)})"


def step_detail(step: StepOutcome, locale: ReportLocale) -> str:
    """What a step's own detail adds: a check step's is its failed checks, shown with every check; a
    gate's says how it was confirmed (netauto/runbook/run.py GATE_CONFIRMED)."""
    if step.checks:
        return ""
    return locale.gettext(step.detail) if step.kind == "gate" and step.detail else step.detail


def _step_cell(step: StepOutcome, locale: ReportLocale) -> str:
    checks = "; ".join(check_text(name, verdict, locale) for name, verdict in step.checks)
    return "; ".join(text for text in (step_detail(step, locale), checks) if text)


def html(report: RunReport, locale: ReportLocale) -> str:
    return render_page(
        "runbook.html.j2",
        locale,
        r=report,
        check_text=lambda name, verdict: check_text(name, verdict, locale),
        step_detail=lambda step: step_detail(step, locale),
    )


def write_reports(report: RunReport, folder: Path, locale: ReportLocale) -> tuple[Path, Path]:
    md, page = folder / "report.md", folder / "report.html"
    write_atomic(md, markdown(report, locale))
    write_atomic(page, html(report, locale))
    return md, page
