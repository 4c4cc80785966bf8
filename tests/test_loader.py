"""The loader: positions survive merging lists across files; scalars follow YAML 1.2 rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from netauto.model.loader import load_inventory, resolve_scalar


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


def test_lists_merge_across_files_and_keep_file_local_positions(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "sites:\n  - id: one\n    class: town\n")
    write(tmp_path, "b.yaml", "# second file\nsites:\n  - id: two\n  - id: three\n    parent: one\n")
    raw = load_inventory(tmp_path)
    assert [s["id"] for s in raw.data["sites"]] == ["one", "two", "three"]
    where = raw.source_map.locate(("sites", 2, "parent"))
    assert where is not None
    assert (Path(where.file).name, where.line, where.column, where.path) == ("b.yaml", 5, 13, "sites[1].parent")


def test_missing_key_points_at_its_entry(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "sites:\n  - id: one\n")
    raw = load_inventory(tmp_path)
    where = raw.source_map.locate(("sites", 0, "class"))
    assert where is not None and (where.line, where.column, where.path) == (2, 5, "sites[0].class")


def test_hidden_files_and_other_suffixes_are_ignored(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "sites: []\n")
    write(tmp_path, ".draft.yaml", "not: [valid\n")
    write(tmp_path, "notes.txt", "free text")
    write(tmp_path, "netauto.lock", "version: 1\n")
    assert load_inventory(tmp_path).data == {"sites": []}


@pytest.mark.parametrize(
    ("text", "plain", "value"),
    [
        ("64620:10", True, "64620:10"),  # YAML 1.1 would make this sexagesimal 3877210
        ("no", True, "no"),  # YAML 1.1 would make this False
        ("on", True, "on"),
        ("~", True, None),
        ("", True, None),
        ("10.255.0.1", True, "10.255.0.1"),
        ("200", True, 200),
        ("0x1f", True, 31),
        ("2.5", True, 2.5),
        ("false", True, False),
        ("49.0031", False, "49.0031"),
        ("true", False, "true"),
    ],
)
def test_scalars_resolve_by_yaml_1_2_core_rules(text: str, plain: bool, value: object) -> None:
    assert resolve_scalar(text, plain) == value
