"""Synthetic inventories and the CLI's contract (help, exit codes, no tracebacks)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_netauto
from netauto.example.synth import SynthSize


@pytest.mark.parametrize(("towns", "villages", "bureaus"), [(1, 0, 0), (3, 2, 1), (25, 12, 30)])
def test_synthetic_inventory_plans_with_the_announced_size(
    tmp_path: Path, towns: int, villages: int, bureaus: int
) -> None:
    folder = tmp_path / "synth"
    made = run_netauto(
        "example",
        "synth",
        "-o",
        str(folder),
        "--towns",
        str(towns),
        "--villages-per-town",
        str(villages),
        "--bureaus",
        str(bureaus),
    )
    assert made.returncode == 0, made.stderr
    planned = run_netauto("plan", str(folder), "--json")
    assert planned.returncode == 0, planned.stderr
    plan = json.loads(planned.stdout)
    size = SynthSize(towns=towns, villages_per_town=villages, bureaus=bureaus)
    assert len(plan["devices"]) == size.device_count
    assert len(plan["links"]) == size.link_count


def test_synth_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("sites: []\n", encoding="utf-8")
    result = run_netauto("example", "synth", "-o", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ") and "not empty" in result.stderr


def test_missing_inventory_is_a_clear_error(tmp_path: Path) -> None:
    result = run_netauto("validate", str(tmp_path / "nowhere"))
    assert result.returncode == 1
    assert result.stderr == f"Error: inventory not found: {tmp_path / 'nowhere'}\n"


def test_folder_without_yaml_is_a_clear_error(tmp_path: Path) -> None:
    result = run_netauto("validate", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr == f"Error: no *.yaml files in inventory folder {tmp_path}\n"


def test_help_lists_the_commands() -> None:
    result = run_netauto("--help")
    assert result.returncode == 0
    for command in ("validate", "plan", "example"):
        assert command in result.stdout


def test_unreadable_lock_is_a_clear_error(minimal: Path) -> None:
    (minimal / "netauto.lock").write_text("version: [1\n", encoding="utf-8")
    result = run_netauto("plan", str(minimal))
    assert result.returncode == 1
    assert "netauto.lock:2:1: error: YAML syntax error" in result.stderr and "Traceback" not in result.stderr


def test_minimal_inventory_validates_without_writing(minimal: Path) -> None:
    result = run_netauto("validate", str(minimal))
    assert result.returncode == 0, result.stderr
    assert not (minimal / "netauto.lock").exists()
