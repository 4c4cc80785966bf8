"""Planning again what changed: an inventory read a piece at a time, each piece remembered by its text,
gives exactly what reading it whole gives (data, positions, errors), and a memo never trusted blindly."""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MINIMAL, QINGPU, TESTS
from netauto.cache import FORMAT, Memo
from netauto.errors import InventoryError
from netauto.model.chunks import split_chunks
from netauto.model.loader import load_inventory

# Values as people write them, including the ones that may run over an entry's end or look like one.
VALUES = [
    "plain",
    "青浦区 徐泾镇",
    '"double # quoted"',
    "'single - quoted'",
    "no",
    "0x1f",
    "1.5",
    "~",
    "64512:10",
    "[a, b]",
    "{x: 1}",
    "[a,\n    b]",
    "word\n    continued",
    "|\n    line one\n    - not an entry\n",
    ">\n    folded\n\n    text\n",
    '"runs over\n- id: trap"',
    "&anchor value",
    "*anchor",
    "!!str 12",
    "\tx",
]
KEYS = ["id", "name", "class", "parent", "users", "id"]  # "id" twice: sometimes a duplicate key


@st.composite
def inventory_texts(draw: st.DrawFn) -> list[str]:
    files = []
    for _ in range(draw(st.integers(1, 3))):
        parts = []
        if draw(st.booleans()):
            parts.append("# a comment before the sections\n\n")
        for section in draw(st.lists(st.sampled_from(["sites", "vpns", "network", "demands", "bogus"]), max_size=3)):
            if section == "network":
                parts.append(f"network:\n  id: n1\n  name: {draw(st.sampled_from(VALUES))}\n")
                continue
            indent = draw(st.sampled_from(["", "  "]))
            parts.append(f"{section}:\n")
            for _ in range(draw(st.integers(0, 4))):
                keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=4))
                lines = [f"{indent}- {keys[0]}: {draw(st.sampled_from(VALUES))}\n"]
                lines += [f"{indent}  {key}: {draw(st.sampled_from(VALUES))}\n" for key in keys[1:]]
                if draw(st.booleans()):
                    lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(["\n", "# note\n", "  # x\n"])))
                parts.append("".join(lines))
        files.append("".join(parts))
    return files


def _outcome(folder: Path, memo: Memo | None) -> tuple[str, object]:
    try:
        raw = load_inventory(folder, memo)
    except InventoryError as error:
        return "error", [str(d) for d in error.diagnostics]
    positions = {path: raw.source_map.locate(path) for path in _legacy_positions(folder)}
    return "data", (raw.data, positions)


def _legacy_positions(folder: Path) -> list[tuple[str | int, ...]]:
    return list(load_inventory(folder).source_map.positions)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inventory_texts())
def test_reading_by_pieces_gives_what_reading_whole_gives(texts: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i, text in enumerate(texts):
            (folder / f"f{i}.yaml").write_text(text, encoding="utf-8")
        whole = _outcome(folder, None)
        memo = Memo(None, {})
        assert _outcome(folder, memo) == whole  # the pieces read now
        assert _outcome(folder, Memo(None, dict(memo.used))) == whole  # the pieces remembered


@pytest.mark.parametrize(
    "folder",
    [QINGPU, MINIMAL, TESTS / "fixtures" / "render", TESTS / "fixtures" / "render-frr"],
    ids=lambda p: p.name,
)
def test_the_sample_inventories_read_by_pieces_as_whole(folder: Path) -> None:
    whole = load_inventory(folder)
    memo = Memo(None, {})
    pieces = load_inventory(folder, memo)
    assert pieces.data == whole.data
    assert memo.added > 0 and pieces.source_map.later is not None  # read by pieces indeed
    assert all(pieces.source_map.locate(path) == whole.source_map.locate(path) for path in whole.source_map.positions)


def test_only_the_edited_site_is_read_again(tmp_path: Path) -> None:
    (tmp_path / "sites.yaml").write_text(
        "sites:\n" + "".join(f"- id: v{i}\n  class: village\n  parent: t1\n" for i in range(50)), encoding="utf-8"
    )
    memo = Memo(tmp_path / "memo" / "pieces.pickle", {})
    load_inventory(tmp_path, memo)
    assert memo.added == 50
    text = (tmp_path / "sites.yaml").read_text(encoding="utf-8").replace("- id: v7\n", "- id: v7b\n")
    (tmp_path / "sites.yaml").write_text(text + "- id: v99\n  class: village\n  parent: t1\n", encoding="utf-8")
    again = Memo.open(tmp_path, "unused")  # a different purpose has its own memo
    assert again.entries == {}
    again = Memo(memo.path, pickle.loads((memo.path or Path()).read_bytes())[2])
    raw = load_inventory(tmp_path, again)
    assert again.added == 2 and len(again.used) == 51  # v7b and v99 read; the 49 others remembered
    assert [s["id"] for s in raw.data["sites"]][7] == "v7b"


def test_a_file_that_uses_anchors_or_several_documents_is_read_whole() -> None:
    assert split_chunks("sites:\n- &a {id: one}\n") is None
    assert split_chunks("---\nsites:\n- id: one\n") is None
    assert split_chunks("sites: []\n") is None  # inline values: read whole
    pieces = split_chunks("# head\nnetwork:\n  id: n\nsites:\n  - id: a\n  # c\n  - id: b\n    users: 2\n")
    assert pieces is not None
    assert [(c.section, c.item, c.line, c.text) for c in pieces] == [
        ("network", False, 1, "network:\n  id: n\n"),
        ("sites", True, 4, "  - id: a\n  # c\n"),
        ("sites", True, 6, "  - id: b\n    users: 2\n"),
    ]


def test_a_memo_others_could_write_or_that_is_damaged_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETAUTO_CACHE", str(tmp_path / "cache"))
    inventory = tmp_path / "inv"
    inventory.mkdir()
    (inventory / "a.yaml").write_text("sites:\n- id: one\n", encoding="utf-8")
    memo = Memo.open(inventory, "pieces")
    load_inventory(inventory, memo)
    assert memo.path is not None and memo.path.exists()
    assert memo.path.stat().st_mode & 0o777 == 0o600 and memo.path.parent.stat().st_mode & 0o777 == 0o700
    assert Memo.open(inventory, "pieces").entries  # read back
    os.chmod(memo.path, 0o622)
    assert Memo.open(inventory, "pieces").entries == {}  # others could have written it: not unpickled
    os.chmod(memo.path, 0o600)
    memo.path.write_bytes(memo.path.read_bytes()[:20])  # cut short
    assert Memo.open(inventory, "pieces").entries == {}
    memo.path.write_bytes(pickle.dumps((FORMAT + 1, "0", {b"k": ("v",)})))  # another format
    assert Memo.open(inventory, "pieces").entries == {}
    monkeypatch.setenv("NETAUTO_CACHE", "off")
    assert Memo.open(inventory, "pieces").path is None
