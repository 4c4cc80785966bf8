"""Rendering: golden configs per platform, real FRR accepts the FRR configs, values come from the plan."""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import TESTS, unavailable
from netauto.pipeline import build_plan
from netauto.render.engine import render_all
from netauto.secrets import load_secrets

SECRETS = TESTS / "fixtures" / "secrets.yaml"
FIXTURES = {"render": TESTS / "fixtures" / "render", "render-frr": TESTS / "fixtures" / "render-frr"}
GOLDEN = TESTS / "golden"


def render_fixture(name: str, output: Path) -> Path:
    result = build_plan(FIXTURES[name])
    report = render_all(result, load_secrets(SECRETS, FIXTURES[name]), output)
    assert not report.failed, report.failed
    return output


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("rendered")
    return {name: render_fixture(name, base / name) for name in FIXTURES}


def golden_cases() -> list[tuple[str, str]]:
    return [(fixture, path.stem) for fixture in FIXTURES for path in sorted((GOLDEN / fixture).glob("*.cfg"))]


@pytest.mark.parametrize(("fixture", "device"), golden_cases())
def test_rendered_config_matches_golden(rendered: dict[str, Path], fixture: str, device: str) -> None:
    actual = (rendered[fixture] / f"{device}.cfg").read_text(encoding="utf-8")
    golden = GOLDEN / fixture / f"{device}.cfg"
    if os.environ.get("NETAUTO_UPDATE_GOLDEN"):
        golden.write_text(actual, encoding="utf-8")
    expected = golden.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), "golden", "rendered"))
        pytest.fail(f"{fixture}/{device}.cfg differs from its golden file:\n{diff}")


def test_every_rendered_device_has_a_golden_file(rendered: dict[str, Path]) -> None:
    for fixture, folder in rendered.items():
        assert {p.stem for p in folder.glob("*.cfg")} == {p.stem for p in (GOLDEN / fixture).glob("*.cfg")}


def _vtysh() -> str:
    found = shutil.which("vtysh")
    if found is None:
        unavailable("vtysh (Debian package frr) is required in CI", "vtysh not installed (apt-get install frr)")
    return found


@pytest.mark.parametrize("device", sorted(p.stem for p in (GOLDEN / "render-frr").glob("*.cfg")))
def test_real_frr_accepts_the_rendered_config(rendered: dict[str, Path], device: str) -> None:
    config = rendered["render-frr"] / f"{device}.cfg"
    check = subprocess.run([_vtysh(), "--dryrun", "-f", str(config)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr


def test_real_frr_rejects_a_broken_config(tmp_path: Path) -> None:
    """The acceptance check above can fail: FRR's parser names the bad line."""
    broken = tmp_path / "broken.cfg"
    broken.write_text("router isis 1\n net 49.0001.0000.0000.0001.00\n this-is-not-frr\nexit\n", encoding="utf-8")
    check = subprocess.run([_vtysh(), "--dryrun", "-f", str(broken)], capture_output=True, text=True, timeout=60)
    assert check.returncode != 0 and "line 3" in check.stdout + check.stderr
