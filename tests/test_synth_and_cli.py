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


def test_a_province_deals_its_towns_to_the_cities_and_its_analysis_passes(tmp_path: Path) -> None:
    """The province's shape at a small size: 13 city cores, each town dual-homed to its own city's two
    routers (not all to the first cores), and the demands scaled so the N-1 analysis passes."""
    from netauto.example.synth import write_synthetic_inventory

    folder = tmp_path / "province"
    write_synthetic_inventory(folder, SynthSize(towns=26, villages_per_town=3, bureaus=13, core_sites=13, cities=True))
    planned = run_netauto("plan", str(folder), "--json")
    assert planned.returncode == 0, planned.stderr
    plan = json.loads(planned.stdout)
    uplinks: dict[str, set[str]] = {}
    for link in plan["links"]:
        if link["id"].startswith("uplink:town-"):
            uplinks.setdefault(link["a"], set()).add(link["b"])
    assert uplinks["town-0001-pe1"] == {"core-01-cr1", "core-01-cr2"}
    assert uplinks["town-0014-pe1"] == {"core-01-cr1", "core-01-cr2"}  # town 14: the first city again
    assert uplinks["town-0013-pe1"] == {"core-13-cr1", "core-13-cr2"}
    assert len({core for ends in uplinks.values() for core in ends}) == 26  # every city core carries towns
    analysed = run_netauto("analyze", str(folder), "--strict")
    assert analysed.returncode == 0, analysed.stdout + analysed.stderr


def test_the_demands_to_the_cloud_stay_within_its_budget_at_any_size(tmp_path: Path) -> None:
    """10,042 devices at the small network's per-site demands would send 704G to the cloud's four 100G
    uplinks (the analysis measured 706% under failure); scaled, the sum is what the cloud can take."""
    import yaml

    from netauto.example.synth import write_synthetic_inventory

    size = SynthSize(towns=474, villages_per_town=20, bureaus=80)
    write_synthetic_inventory(tmp_path / "big", size)
    demands = yaml.safe_load((tmp_path / "big" / "demands.yaml").read_text(encoding="utf-8"))["demands"]
    counts = {"town": 474, "bureau": 80, "village": 474 * 20}
    to_cloud = sum(d["gbps"] * counts[d["site_class"]] for d in demands if d["to"] == "cloud")
    assert 59.0 <= to_cloud <= 60.5
    write_synthetic_inventory(tmp_path / "small", SynthSize(towns=3, villages_per_town=2, bureaus=1))
    small = yaml.safe_load((tmp_path / "small" / "demands.yaml").read_text(encoding="utf-8"))["demands"]
    assert [d["gbps"] for d in small] == [1.0, 0.5, 0.5, 0.02, 2.0]  # a small network keeps its own


def test_the_province_preset_has_about_fifty_thousand_devices(tmp_path: Path) -> None:
    made = run_netauto("example", "synth", "-o", str(tmp_path / "p"), "--preset", "province")
    assert made.returncode == 0, made.stderr
    assert "(49950 devices)" in made.stdout
    villages = (tmp_path / "p" / "sites-villages.yaml").read_text(encoding="utf-8").count("- id: village-")
    assert villages == 13 * 190 * 19
    unknown = run_netauto("example", "synth", "-o", str(tmp_path / "q"), "--preset", "planet")
    assert unknown.returncode == 1 and "unknown preset 'planet'" in unknown.stderr


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
