"""The change board's view: one self-contained HTML page, its Markdown twin, a JSON summary."""

from __future__ import annotations

import json
from typing import Any

from netauto.analyze.report import render_page
from netauto.plan.model import Plan
from netauto.review.change import Change, side_by_side, unified


def summary(change: Change) -> dict[str, Any]:
    return {
        "network": change.network,
        "change_hash": change.change_hash,
        "empty": change.empty,
        "totals": {
            "devices": len(change.devices),
            "added": sum(d.added for d in change.devices),
            "removed": sum(d.removed for d in change.devices),
            "unchanged": change.unchanged,
        },
        "devices": [
            {
                "name": d.name,
                "site": d.site,
                "role": d.role,
                "platform": d.platform,
                "status": d.status,
                "added": d.added,
                "removed": d.removed,
                "risk": d.risk,
                "remediation_lines": len(d.remediation),
            }
            for d in change.devices
        ],
        "risk_flags": change.risk_flags,
        "model": change.model,
        "analysis": change.analysis,
        "baseline_approvals": change.baseline_approvals,
    }


def summary_json(change: Change) -> str:
    return json.dumps(summary(change), ensure_ascii=False, indent=2) + "\n"


def review_html(change: Change, plan: Plan, title: str) -> str:
    return render_page(
        "netauto.review",
        "review.html.j2",
        plan,
        {d.site for d in change.devices if d.site},
        change=change,
        s=summary(change),
        title=title,
        tables={d.name: side_by_side(d.before, d.after) for d in change.devices},
    )


def review_markdown(change: Change, title: str) -> str:
    s = summary(change)
    out = [f"# Change review: {title}", "", f"Change hash: `{change.change_hash}`", ""]
    totals = s["totals"]
    out.append(
        f"{totals['devices']} device(s) touched, {totals['added']} line(s) added, {totals['removed']} removed, "
        f"{totals['unchanged']} unchanged."
    )
    out += ["", "## Risk flags", ""] + ([f"- {flag}" for flag in change.risk_flags] or ["- none"])
    out += [
        "",
        "## Devices",
        "",
        "| device | site | role | status | added | removed | risk |",
        "|---|---|---|---|---|---|---|",
    ]
    for d in s["devices"]:
        risk = ", ".join(d["risk"]) or "-"
        out.append(
            f"| {d['name']} | {d['site']} | {d['role']} | {d['status']} | {d['added']} | {d['removed']} | {risk} |"
        )
    out += ["", "## Source of truth", ""]
    for section, kinds in change.model.items():
        parts = [f"{kind} {len(items)}" for kind, items in kinds.items() if items]
        if parts:
            out.append(f"- {section}: " + ", ".join(parts))
    if change.analysis:
        out += ["", "## Analysis", "", f"- before: {change.analysis['before']}", f"- after: {change.analysis['after']}"]
    for d in change.devices:
        out += ["", f"## {d.name} ({d.status})", "", "```diff", unified(d) or "(secrets only)", "```"]
        if d.remediation:
            out += ["", "Commands against the running config:", "", "```", *d.remediation, "```"]
    return "\n".join(out) + "\n"
