"""`netauto analyze` on hand-built inventories with known answers, the Qingpu sample and broken variants."""

from __future__ import annotations

import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from browser import assert_drawn_in_a_cjk_font, has_han
from conftest import QINGPU, run_netauto
from netauto.analyze.analysis import analyze, build_context, impact_of
from netauto.analyze.capacity import Failure
from netauto.i18n import ReportLocale
from netauto.pages import term
from netauto.pipeline import build_plan


def analysis_of(inventory: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    result = run_netauto("analyze", str(inventory), "--json", *extra)
    assert "Traceback" not in result.stderr
    return result.returncode, json.loads(result.stdout), result.stderr


def messages(document: dict[str, Any], check: str) -> list[str]:
    return [f["message"] for f in document["findings"] if f["check"] == check and f["severity"] == "error"]


def test_minimal_network_known_answers(minimal: Path) -> None:
    analysis = analyze(build_plan(minimal))
    assert analysis.ok
    assert analysis.failures.counts == {
        "link": {"scenarios": 14, "cutting_off_sites": 2},  # the two village links
        "node": {"scenarios": 9, "cutting_off_sites": 2},  # the two town PEs, each with one village
    }
    assert [(b.town, b.device, b.villages) for b in analysis.blast_radius] == [
        ("town-1", "town-1-pe1", 1),
        ("town-2", "town-2-pe1", 1),
    ]
    undeclared = [f for f in analysis.findings if f.check == "uplink-diversity" and f.severity == "warning"]
    assert sorted(f.objects[0] for f in undeclared) == ["bureau-1", "town-1", "town-2"]
    paths = {p.site: (p.edge_disjoint, p.node_disjoint) for p in analysis.disjoint_paths}
    assert paths == {"bureau-1": (2, 2), "town-1": (2, 2), "town-2": (2, 2)}
    assert analysis.capacity.max_utilisation_normal == 0.0


def test_qingpu_passes_strict() -> None:
    code, document, stderr = analysis_of(QINGPU, "--strict")
    assert code == 0, [f for f in document["findings"] if f["severity"] == "error"][:5]
    assert document["ok"] is True
    capacity = document["capacity"]
    assert 0 < capacity["max_utilisation_normal"] <= 0.8
    assert capacity["max_utilisation_normal"] <= capacity["max_utilisation_failure"] <= 1.0
    assert capacity["overloaded"] == []
    assert set(document["failures"]["counts"]) == {"link", "node", "srlg"}
    for finding in document["findings"]:
        assert set(finding) == {"severity", "check", "message", "objects"}
    worst = document["failures"]["worst"][0]
    assert worst["kind"] == "node" and worst["element"].endswith("-pe1") and worst["users_cut_off"] > 0


def test_qingpu_town_uplink_failure_is_covered_by_the_backup_plane() -> None:
    ctx = build_context(build_plan(QINGPU))
    edge = next(e for e in ctx.topo.edges if e.id == "uplink:zhujiajiao:1")
    impact = impact_of(ctx, Failure("link", edge.id, edges=frozenset({edge.index})))
    assert impact.sites_cut_off == 0
    villages = sum(1 for s in ctx.result.plan.sites if s.parent == "zhujiajiao")
    assert impact.rerouted_to_backup == {"data": 1 + villages}  # the town and its villages ride the video plane
    assert impact.lost_per_plane == {}


def test_town_with_both_uplinks_in_one_duct_fails(qingpu: Path) -> None:
    towns = qingpu / "sites" / "towns.yaml"
    text = towns.read_text(encoding="utf-8")
    towns.write_text(
        text.replace("[zhujiajiao-route-1]", "[zhujiajiao-duct]").replace("[zhujiajiao-route-2]", "[zhujiajiao-duct]"),
        encoding="utf-8",
    )
    code, document, _ = analysis_of(qingpu, "--strict")
    assert code == 3 and document["ok"] is False
    assert messages(document, "uplink-diversity") == [
        "site zhujiajiao: uplinks uplink:zhujiajiao:1 and uplink:zhujiajiao:2 share SRLG zhujiajiao-duct; "
        "one cut in that duct takes both"
    ]
    assert messages(document, "single-failure") == [
        "srlg zhujiajiao-duct failing cuts site zhujiajiao off the core",
        "srlg zhujiajiao-duct failing cuts site zhujiajiao off the cloud",
        "srlg zhujiajiao-duct failing cuts site zhujiajiao off the upstream",
    ]


def test_plane_whose_affinity_misses_a_core_link_fails(qingpu: Path) -> None:
    core = qingpu / "sites" / "core.yaml"
    text = core.read_text(encoding="utf-8")
    core.write_text(
        text.replace(
            "{a: core-a-cr1, b: core-b-cr1, class: core, srlg: [core-route-east]}",
            "{a: core-a-cr1, b: core-b-cr1, class: core, srlg: [core-route-east], planes: [data]}",
        ),
        encoding="utf-8",
    )
    code, document, _ = analysis_of(qingpu, "--strict")
    assert code == 3
    assert messages(document, "plane-affinity") == [
        "core link mesh:core-a-cr1:core-b-cr1 does not carry the affinity of plane video"
    ]


def test_single_homed_villages_are_a_note_not_an_error(qingpu: Path) -> None:
    """Villages are accepted single-homed: their cut-offs are notes, not policy errors."""
    code, document, _ = analysis_of(qingpu, "--strict")
    assert code == 0
    notes = [f for f in document["findings"] if f["check"] == "single-homed"]
    assert len(notes) == 1 and "260 village" in notes[0]["message"]


def test_thresholds_are_configurable(qingpu: Path) -> None:
    code, document, _ = analysis_of(qingpu, "--strict", "--max-normal", "0.3")
    assert code == 3
    overloaded = {row["link"] for row in document["capacity"]["overloaded"]}
    assert "uplink:cloud:1" in overloaded
    assert any("runs at" in m and "normal state" in m for m in messages(document, "capacity"))


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_html_report_is_self_contained(tmp_path: Path) -> None:
    report = tmp_path / "out" / "analysis.html"
    result = run_netauto("analyze", str(QINGPU), "--html", str(report))
    assert result.returncode == 0, result.stderr
    html = report.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    parser = _Collector()
    parser.feed(html)
    ids = {attrs.get("id") for _, attrs in parser.tags}
    assert {"topology", "utilisation-chart", "findings", "busiest-links", "blast-radius"} <= ids
    assert not any(tag == "script" for tag, _ in parser.tags)
    town_bubbles = [attrs for tag, attrs in parser.tags if tag == "g" and "town" in (attrs.get("class") or "")]
    assert len(town_bubbles) == 11
    assert sum(1 for tag, attrs in parser.tags if tag == "rect" and attrs.get("class") == "bar") == 5
    assert "朱家角镇" in html


@pytest.mark.parametrize("flag", ["--json", ""])
def test_console_and_json_outputs_agree_on_the_verdict(flag: str) -> None:
    result = run_netauto("analyze", str(QINGPU), *([flag] if flag else []))
    assert result.returncode == 0
    if flag:
        assert json.loads(result.stdout)["ok"] is True
    else:
        assert result.stdout.startswith("PASS qingpu")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_analysis_page_in_a_real_browser(tmp_path: Path, browser: Any, lang: str) -> None:
    """The page shows what the JSON says, in the chosen language; in Chinese its labels and findings are
    Chinese and drawn in a CJK font (no tofu)."""
    page = tmp_path / "analysis.html"
    result = run_netauto("analyze", str(QINGPU), "--json", "--html", str(page), "--lang", lang)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    locale = ReportLocale(lang)  # type: ignore[arg-type]
    browser.get(page.as_uri())
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == locale.html_lang
    by_check = {
        row.find_elements(By.TAG_NAME, "td")[0].text: int(row.find_elements(By.TAG_NAME, "td")[1].text)
        for row in browser.find_elements(By.CSS_SELECTOR, "#findings-by-check tr")[1:]
    }
    expected = Counter(term(locale.gettext, "check", f["check"]) for f in document["findings"])
    assert by_check == dict(expected)
    failures = browser.find_elements(By.CSS_SELECTOR, "#failure-counts tr")[1:]
    shown = sorted(int(row.find_elements(By.TAG_NAME, "td")[1].text) for row in failures)
    assert shown == sorted(c["scenarios"] for c in document["failures"]["counts"].values())
    assert len(browser.find_elements(By.CSS_SELECTOR, "#blast-radius tr")) - 1 == len(document["blast_radius"])
    verdict = browser.find_element(By.ID, "verdict").text
    assert locale.gettext("All policy checks pass." if document["ok"] else "Policy checks fail.") in verdict
    headings = [h.text for h in browser.find_elements(By.TAG_NAME, "h2")]
    messages = [
        row.find_elements(By.TAG_NAME, "td")[2].text
        for row in browser.find_elements(By.CSS_SELECTOR, "#findings tr")[1:]
    ]
    assert len(messages) == len(document["findings"])
    if lang == "zh":
        assert all(has_han(h) for h in headings) and all(has_han(m) for m in messages), (headings, messages)
        assert "青浦区电子政务外网" in browser.find_element(By.TAG_NAME, "h1").text
        assert_drawn_in_a_cjk_font(browser, "h1")
    else:
        assert not any(has_han(h) for h in headings)
        assert messages == [f["message"] for f in document["findings"]]  # the JSON's English, word for word
