"""The analysis as a self-contained HTML page (inline SVG, no scripts, no network) and as JSON."""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from netauto.analyze.model import Analysis, Finding
from netauto.analyze.wording import failure_name, words
from netauto.i18n import ReportLocale
from netauto.pages import Names, render_page
from netauto.plan.model import Plan, PlannedSite

PLANE_COLOURS = {"data": "#1f6feb", "video": "#e8590c"}
SHARED_COLOUR = "#8250df"
OTHER_COLOUR = "#6e7781"
WIDTH, HEIGHT = 960, 760
CENTRE = (WIDTH / 2, HEIGHT / 2)


def analysis_json(analysis: Analysis) -> str:
    return json.dumps(analysis.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"


@dataclass
class Node:
    key: str
    label: str
    title: str
    x: float
    y: float
    radius: float
    kind: str


@dataclass
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    colour: str
    title: str


def topology_picture(
    plan: Plan, locale: ReportLocale, native: bool = False, highlight: set[str] | None = None
) -> tuple[list[Node], list[Line]]:
    """Core in the middle, other sites on a ring, each town's villages grouped in one bubble outside it.

    A site is labelled with its name when the report is in the names' language (`native`), else with its
    id; its tooltip has both. Sites in `highlight` (or the groups containing one) are drawn as `touched`."""
    sites = {s.id: s for s in plan.sites}
    device_site = {d.name: d.site for d in plan.devices}
    core = sorted(s.id for s in plan.sites if any(d.site == s.id and d.role == "core" for d in plan.devices))
    villages = Counter(s.parent for s in plan.sites if s.parent)
    grouped = {s.id for s in plan.sites if s.parent}
    bureaus = sorted(s.id for s in plan.sites if s.site_class == "bureau")
    ring = sorted(
        (s.id for s in plan.sites if s.id not in grouped and s.id not in core and s.id not in bureaus),
        key=lambda sid: (sites[sid].site_class, sid),
    )
    nodes: dict[str, Node] = {}
    for i, site in enumerate(core):
        angle = 2 * math.pi * i / max(len(core), 1) - math.pi / 2
        nodes[site] = Node(site, _label(sites[site], native), _title(sites[site]), *_polar(70, angle), 26, "core")
    for i, site in enumerate(ring):
        angle = 2 * math.pi * i / max(len(ring), 1)
        label, kind = _label(sites[site], native), sites[site].site_class
        nodes[site] = Node(site, label, _title(sites[site]), *_polar(250, angle), 16, kind)
        if villages[site]:
            key = f"villages:{site}"
            radius = 8 + math.sqrt(villages[site]) * 2
            title = locale.ngettext("%(n)d village of %(town)s", "%(n)d villages of %(town)s", villages[site]) % {
                "n": villages[site],
                "town": _title(sites[site]),
            }
            nodes[key] = Node(key, f"{villages[site]}", title, *_polar(335, angle), radius, "villages")
    if bureaus:
        count = len(bureaus)
        title = locale.ngettext(
            "%(n)d bureau, dual-homed to both core sites", "%(n)d bureaus, each dual-homed to both core sites", count
        ) % {"n": count}
        label = locale.ngettext("%(n)d bureau", "%(n)d bureaus", count) % {"n": count}
        nodes["bureaus"] = Node("bureaus", label, title, CENTRE[0], CENTRE[1] + 160, 30, "bureau")
    for site in (s for s in highlight or () if s in sites):
        key = "bureaus" if site in bureaus else (f"villages:{sites[site].parent}" if site in grouped else site)
        if key in nodes:
            nodes[key].kind = "touched"
    lines = []
    seen: set[tuple[str, str, tuple[str, ...]]] = set()
    for link in plan.links:
        a, b = device_site[link.a.device], device_site[link.b.device]
        a = "bureaus" if a in bureaus else (f"villages:{sites[a].parent}" if a in grouped else a)
        b = "bureaus" if b in bureaus else b
        if a == b or a not in nodes or b not in nodes or (a, b, tuple(link.planes)) in seen:
            continue
        seen.add((a, b, tuple(link.planes)))
        colour = _colour(link.planes)
        lines.append(
            Line(
                nodes[a].x,
                nodes[a].y,
                nodes[b].x,
                nodes[b].y,
                colour,
                locale.gettext("%(link)s (%(capacity)sG, planes %(planes)s)")
                % {"link": link.id, "capacity": f"{link.capacity_gbps:g}", "planes": ", ".join(link.planes)},
            )
        )
    return list(nodes.values()), lines


def finding_text(finding: Finding, locale: ReportLocale) -> str:
    """A finding's message in the reader's language; one read back from JSON has only its English."""
    return words(finding.template, finding.fields, locale) if finding.template else finding.message


def _label(site: PlannedSite, native: bool) -> str:
    return site.name if native and site.name else site.id


def _title(site: PlannedSite) -> str:
    return f"{site.id} — {site.name}" if site.name else site.id


def _polar(radius: float, angle: float) -> tuple[float, float]:
    return CENTRE[0] + radius * math.cos(angle), CENTRE[1] + radius * math.sin(angle)


def _colour(planes: list[str]) -> str:
    if len(planes) == 1:
        return PLANE_COLOURS.get(planes[0], OTHER_COLOUR)
    return SHARED_COLOUR


def picture(plan: Plan, locale: ReportLocale, names: Names, highlight: set[str] | None = None) -> dict[str, Any]:
    """What `topology.svg.j2` draws: the topology picture, its colours and the planes' names."""
    native = names.native(locale)
    nodes, lines = topology_picture(plan, locale, native, highlight)
    planes = {p: names.planes.get(p) if native else None for p in PLANE_COLOURS}
    return {
        "plane_names": planes,
        "nodes": nodes,
        "lines": lines,
        "width": WIDTH,
        "height": HEIGHT,
        "plane_colours": PLANE_COLOURS,
        "shared_colour": SHARED_COLOUR,
    }


def analysis_html(analysis: Analysis, plan: Plan, locale: ReportLocale, names: Names) -> str:
    severities = Counter(f.severity for f in analysis.findings)
    by_check: dict[str, int] = defaultdict(int)
    for finding in analysis.findings:
        by_check[finding.check] += 1
    return render_page(
        "analysis.html.j2",
        locale,
        plan=plan,
        a=analysis,
        severities=severities,
        by_check=dict(sorted(by_check.items())),
        classes=list(analysis.capacity.worst_per_link_class.items()),
        site_names=names.sites,
        link_class_names=names.link_classes,
        finding_text=lambda finding: finding_text(finding, locale),
        failure_name=lambda name: failure_name(name, locale),
        generated=datetime.now(UTC),
        **picture(plan, locale, names),
    )
