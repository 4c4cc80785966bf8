"""A runbook run's report, Markdown and self-contained HTML, written beside its journal. Lines are
shown as the run masked them (no secret reaches a report)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, select_autoescape

from netauto.files import write_atomic

if TYPE_CHECKING:
    from netauto.runbook.run import RunReport

_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Runbook {{ r.runbook.runbook }}: {{ r.status }}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;
padding:4px 8px;text-align:left;vertical-align:top}.ok{color:#070}.failed,.waiting{color:#a00}pre{margin:0}</style>
</head><body>
<h1>Runbook {{ r.runbook.runbook }} ({{ r.runbook.name }})</h1>
<p>Mode <b>{{ r.runbook.mode }}</b>, VPN <b>{{ r.runbook.target_vpn }}</b>, runbook hash <code>{{ r.hash }}</code>.</p>
<p id="status">Result: <b>{{ r.status }}</b></p>
<table id="steps"><tr><th>#</th><th>step</th><th>kind</th><th>title</th><th>status</th><th>detail</th></tr>
{% for s in r.steps %}<tr><td>{{ loop.index }}</td><td>{{ s.id }}</td><td>{{ s.kind }}</td><td>{{ s.title }}</td>
<td class="{{ s.status }}">{{ s.status }}</td><td>{{ s.detail }}{% for c in s.checks %}<br>{{ c[0] }}:
{{ 'pass' if c[1] else 'FAIL' }} ({{ c[2] }}){% endfor %}</td></tr>
{% endfor %}</table>
{% if r.devices %}<h2>After the rollback</h2><ul>{% for d, state in r.devices.items() %}<li>{{ d }}: {{ state }}</li>
{% endfor %}</ul>{% endif %}
<h2>Lines per step and device</h2>
{% for step, devices in r.lines.items() %}<h3>{{ step }}</h3>{% for device, lines in devices.items() %}
<p>{{ device }}</p><pre>{{ lines | join('\n') }}</pre>{% endfor %}{% endfor %}
</body></html>
"""


def markdown(report: RunReport) -> str:
    book = report.runbook
    out = [
        f"# Runbook {book.runbook} ({book.name})",
        "",
        f"Mode {book.mode}, VPN {book.target_vpn}, runbook hash `{report.hash}`.",
        "",
        f"**Result: {report.status}**",
        "",
        "| # | step | kind | status | detail |",
        "|---|------|------|--------|--------|",
    ]
    for number, step in enumerate(report.steps, 1):
        checks = "; ".join(f"{c[0]}: {'pass' if c[1] else 'FAIL'} ({c[2]})" for c in step.checks)
        detail = "; ".join(text for text in (step.detail, checks) if text).replace("|", "\\|")
        out.append(f"| {number} | {step.id} | {step.kind} | {step.status} | {detail} |")
    if report.devices:
        out += ["", "## After the rollback", ""] + [f"- {d}: {state}" for d, state in report.devices.items()]
    out += ["", "## Lines per step and device"]
    for step_id, devices in report.lines.items():
        for device, lines in devices.items():
            out += ["", f"### {step_id} — {device}", "", "```", *lines, "```"]
    return "\n".join(out) + "\n"


def html(report: RunReport) -> str:
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    return env.from_string(_HTML).render(r=report)


def write_reports(report: RunReport, folder: Path) -> tuple[Path, Path]:
    md, page = folder / "report.md", folder / "report.html"
    write_atomic(md, markdown(report))
    write_atomic(page, html(report))
    return md, page
