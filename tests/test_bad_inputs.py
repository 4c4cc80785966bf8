"""The bad-input corpus: each case pins the exact message a user sees, exit 1, no traceback, no writes.

A case is a folder under tests/bad_inputs/ holding the files that replace or join the minimal valid
inventory (tests/fixtures/minimal), and `expected.txt`, the exact stderr of `netauto plan`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import MINIMAL, TESTS, run_netauto

CASES = sorted(p for p in (TESTS / "bad_inputs").iterdir() if p.is_dir())
NOT_INVENTORY = {"expected.txt", "GENERATED"}
HUGE_BYTES = 50 * 1024 * 1024


def build_case(case: Path, tmp_path: Path) -> Path:
    inventory = tmp_path / "inv"
    shutil.copytree(MINIMAL, inventory)
    for source in case.iterdir():
        if source.name not in NOT_INVENTORY:
            shutil.copyfile(source, inventory / source.name)
    if case.name == "huge-file":
        _write_huge_sites_file(inventory / "more-sites.yaml")
    return inventory


def _write_huge_sites_file(path: Path) -> None:
    line = "  - {id: v-%07d, class: village, parent: town-1}\n"
    count = HUGE_BYTES // len(line % 0) + 1
    with path.open("w", encoding="utf-8") as out:
        out.write("sites:\n")
        out.writelines(line % i for i in range(count))


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_reported_exactly(case: Path, tmp_path: Path) -> None:
    inventory = build_case(case, tmp_path)
    result = run_netauto("plan", "inv", cwd=tmp_path)
    expected_file = case / "expected.txt"
    if os.environ.get("NETAUTO_RECORD_BAD_INPUTS"):
        expected_file.write_text(result.stderr, encoding="utf-8")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not (inventory / "netauto.lock").exists(), "a rejected inventory must not get a lock file"
    assert result.stderr == expected_file.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_message_names_file_line_and_column(case: Path) -> None:
    first_line = (case / "expected.txt").read_text(encoding="utf-8").splitlines()[0]
    location = first_line.split(": ", 1)[0]
    file, line, column = location.rsplit(":", 2)
    assert file.startswith("inv/") and int(line) >= 1 and int(column) >= 1, first_line
