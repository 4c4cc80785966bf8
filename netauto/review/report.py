"""The change board's view: one self-contained HTML page, its Markdown twin, a JSON summary."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from netauto.analyze.report import picture
from netauto.i18n import ReportLocale
from netauto.pages import Names, markdown_table, render_page, term
from netauto.plan.model import Plan
from netauto.review.change import VILLAGES_AFFECTED, Change, DeviceChange, side_by_side, unified

ROLE_ORDER = ("core", "pe", "border", "ce", "external")


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


@dataclass
class ClassGroup:
    """The devices of one site class and role in a change: what a first review is read by."""

    site_class: str
    role: str
    sites: int
    devices: int
    new: int
    added: int
    removed: int


def class_groups(change: Change, names: Names) -> list[ClassGroup]:
    groups: dict[tuple[str, str], list[DeviceChange]] = defaultdict(list)
    for device in change.devices:
        groups[(device.site_class, device.role)].append(device)
    return [
        ClassGroup(
            site_class=names.site_classes.get(site_class, site_class) or "—",
            role=role,
            sites=len({d.site for d in devices if d.site}),
            devices=len(devices),
            new=sum(d.status == "new" for d in devices),
            added=sum(d.added for d in devices),
            removed=sum(d.removed for d in devices),
        )
        for (site_class, role), devices in sorted(groups.items(), key=lambda item: _class_order(item[0]))
    ]


def _class_order(key: tuple[str, str]) -> tuple[int, str, str]:
    site_class, role = key
    return (ROLE_ORDER.index(role) if role in ROLE_ORDER else len(ROLE_ORDER), site_class, role)


def risk_texts(change: Change, locale: ReportLocale) -> list[str]:
    """The change's risk flags in the reader's language."""
    villages = VILLAGES_AFFECTED.format(villages=change.villages, threshold=change.village_threshold)
    return [
        locale.gettext(VILLAGES_AFFECTED).format(villages=change.villages, threshold=change.village_threshold)
        if flag == villages
        else locale.gettext(flag)
        for flag in change.risk_flags
    ]


def device_risks(device: DeviceChange, locale: ReportLocale) -> str:
    return locale.gettext(", ").join(locale.gettext(risk) for risk in device.risk)


def figure_text(key: str, value: Any, locale: ReportLocale) -> str:
    """One figure of the analysis delta: a share as a percentage, a verdict in words."""
    if isinstance(value, bool):
        return locale.gettext("yes") if value else locale.gettext("no")
    if key.startswith("max_utilisation"):
        return f"{value:.1%}"
    return str(value)


def review_html(change: Change, plan: Plan, title: str, locale: ReportLocale, names: Names) -> str:
    return render_page(
        "review.html.j2",
        locale,
        change=change,
        s=summary(change),
        title=title,
        risk_flags=risk_texts(change, locale),
        groups=class_groups(change, names),
        site_names=names.sites,
        figure=lambda key, value: figure_text(key, value, locale),
        risks=lambda device: device_risks(device, locale),
        tables={d.name: side_by_side(d.before, d.after) for d in change.devices},
        **picture(plan, locale, names, {d.site for d in change.devices if d.site}),
    )


def review_markdown(change: Change, title: str, locale: ReportLocale, names: Names) -> str:
    _ = locale.gettext
    s = summary(change)
    totals = s["totals"]
    out = ["# " + _("Change review: %(title)s") % {"title": title}, ""]
    out += [_("Change hash:") + f" `{change.change_hash}`", ""]
    out += [_baseline_line(change, locale), ""]
    out.append(
        _("%(devices)s device(s) touched, %(added)s line(s) added, %(removed)s removed, %(unchanged)s unchanged.")
        % totals
    )
    out += ["", f"## {_('Risk flags')}", ""] + (
        [f"- {flag}" for flag in risk_texts(change, locale)] or [f"- {_('none')}"]
    )
    out += ["", f"## {_('By site class and role')}", ""]
    out += markdown_table(
        (_("site class"), _("role"), _("sites"), _("devices"), _("new"), _("lines added"), _("lines removed")),
        [
            (g.site_class, term(_, "role", g.role), g.sites, g.devices, g.new, g.added, g.removed)
            for g in class_groups(change, names)
        ],
    )
    out += ["", f"## {_('Devices')}", ""]
    out += markdown_table(
        (_("device"), _("site"), _("role"), _("status"), _("added"), _("removed"), _("risk")),
        [
            (
                d.name,
                names.sites.get(d.site, d.site),
                term(_, "role", d.role),
                term(_, "status", d.status),
                d.added,
                d.removed,
                device_risks(d, locale) or "-",
            )
            for d in change.devices
        ],
    )
    out += ["", f"## {_('Source of truth')}", ""]
    for section, kinds in change.model.items():
        parts = [f"{_(kind)} {len(items)}" for kind, items in kinds.items() if items]
        if parts:
            out.append(f"- {term(_, 'section', section)}: " + ", ".join(parts))
    if change.analysis:
        out += ["", f"## {_('Analysis before and after')}", ""]
        out += markdown_table(
            ("", _("before"), _("after")),
            [
                (
                    term(_, "figure", key),
                    figure_text(key, change.analysis["before"][key], locale) if change.analysis["before"] else "—",
                    figure_text(key, value, locale),
                )
                for key, value in change.analysis["after"].items()
            ],
        )
    for d in change.devices:
        status = term(_, "status", d.status)
        out += ["", f"## {d.name} ({status})", "", "```diff", unified(d) or _("(secrets only)"), "```"]
        if d.remediation:
            out += ["", _("Commands against the running config:"), "", "```", *d.remediation, "```"]
    return "\n".join(out) + "\n"


def _baseline_line(change: Change, locale: ReportLocale) -> str:
    approved = change.approved
    if approved is None:
        return locale.gettext(
            "No baseline is approved yet: this is the first review of the network, and every device is new."
        )
    return locale.gettext("Compared with the baseline approved as %(change)s by %(by)s on %(when)s.") % {
        "change": approved.change_id,
        "by": approved.by,
        "when": locale.when(approved.at),
    }
