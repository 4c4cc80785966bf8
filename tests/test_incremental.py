"""Planning again what changed: an inventory read a piece at a time, each piece remembered by its text,
gives exactly what reading it whole gives (data, positions, errors), and a memo never trusted blindly."""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
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
from netauto.render.incremental import plan_for_render, render_and_remember
from netauto.secrets import load_secrets

# Values as people write them, and (now and then) the ones that may run over an entry's end, look like
# one, or are not plain YAML: a file holding those must come out exactly as when read whole.
PLAIN = [
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
]
TRICKY = [
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
KEYS = ["id", "name", "class", "parent", "users"]


def _now_and_then(draw: st.DrawFn, usual: list[str], rare: list[str]) -> str:
    return draw(st.sampled_from(rare if draw(st.integers(0, 39)) == 0 else usual))


@st.composite
def inventory_texts(draw: st.DrawFn) -> list[str]:
    files = []
    for _ in range(draw(st.integers(1, 3))):
        parts = [_now_and_then(draw, ["", "# a comment before the sections\n\n"], ["  stray: 1\n", "- x\n"])]
        sections = draw(st.lists(st.sampled_from(["sites", "vpns", "demands"]), min_size=1, max_size=3, unique=True))
        if not files and draw(st.booleans()):
            sections.insert(draw(st.integers(0, len(sections))), "network")
        if draw(st.integers(0, 39)) == 0:
            sections.append(draw(st.sampled_from(["bogus", "sites", "network"])))  # unknown, or written twice
        for section in sections:
            if section == "network":
                parts.append(f"network:\n  id: n1\n  name: {_now_and_then(draw, PLAIN, TRICKY)}\n")
                continue
            indent = draw(st.sampled_from(["", "  "]))
            parts.append(f"{section}:\n")
            for _ in range(draw(st.integers(0, 4))):
                keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=4, unique=True))
                if draw(st.integers(0, 39)) == 0:
                    keys.append(keys[0])  # a duplicate key
                lines = [f"{indent}- {keys[0]}: {_now_and_then(draw, PLAIN, TRICKY)}\n"]
                lines += [f"{indent}  {key}: {_now_and_then(draw, PLAIN, TRICKY)}\n" for key in keys[1:]]
                if draw(st.booleans()):
                    lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(["\n", "# note\n", "  # x\n"])))
                parts.append("".join(lines))
        text = "".join(parts)
        files.append(text.replace("\n", "\r\n") if draw(st.booleans()) else text)
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


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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


# --- rendering again only what a change reaches (netauto/plan/region.py) -----------------------------

SECRETS = TESTS / "fixtures" / "secrets.yaml"
TOWNS = ["xiayang", "yingpu", "zhujiajiao", "liantang", "xianghuaqiao"]
VILLAGE = re.compile(r"^  - \{id: ([a-z]+-v\d+)[^\n]*\n", re.MULTILINE)


def _edit(kind: str, pick: int, inventory: Path) -> bool:
    """Apply one edit to the sample; True when it touches only CE sites (a region plan may serve it)."""
    villages = inventory / "sites" / "villages.yaml"
    text = villages.read_text(encoding="utf-8")
    entries = list(VILLAGE.finditer(text))
    entry = entries[pick % len(entries)]
    if kind == "add":
        town = TOWNS[pick % len(TOWNS)]
        line = f"  - {{id: {town}-v9{pick % 100:02d}, name: 新村{pick}, class: village, parent: {town}, users: 7}}\n"
        text = text[: entry.end()] + line + text[entry.end() :] if line not in text else text
    elif kind == "remove":
        text = text[: entry.start()] + text[entry.end() :]
    elif kind == "users":
        text = (
            text[: entry.start()] + re.sub(r"users: \d+", f"users: {pick % 90}", entry.group(0)) + text[entry.end() :]
        )
    elif kind == "move":
        town = TOWNS[pick % len(TOWNS)]
        text = (
            text[: entry.start()] + re.sub(r"parent: [a-z]+", f"parent: {town}", entry.group(0)) + text[entry.end() :]
        )
    elif kind == "bureau":  # dual-homed to both core sites: the route reflectors are re-rendered
        bureaus = inventory / "sites" / "bureaus.yaml"
        text = bureaus.read_text(encoding="utf-8")
        users = list(re.finditer(r"users: (\d+)", text))[pick % 20]
        bureaus.write_text(
            text[: users.start(1)] + str(int(users.group(1)) + 1) + text[users.end(1) :], encoding="utf-8"
        )
        return True
    else:  # a town: the full plan
        towns = inventory / "sites" / "towns.yaml"
        text = towns.read_text(encoding="utf-8")
        users = re.search(r"id: xiayang,[^}]*users: (\d+)", text)
        assert users is not None
        towns.write_text(text[: users.start(1)] + str(int(users.group(1)) + 1) + text[users.end(1) :], encoding="utf-8")
        return False
    villages.write_text(text, encoding="utf-8")
    return True


RENDERED: list[str] = []  # what the last _render rendered


def _render(inventory: Path, output: Path, cache: str) -> bool:
    """`netauto render` in this process, with `cache` as NETAUTO_CACHE; True when a region was planned."""
    before = os.environ.get("NETAUTO_CACHE")
    os.environ["NETAUTO_CACHE"] = cache
    try:
        result, record = plan_for_render(inventory, output, lambda stage: None)
        secrets = load_secrets(SECRETS, inventory)
        result, report = render_and_remember(inventory, output, result, record, secrets)
    finally:
        if before is not None:
            os.environ["NETAUTO_CACHE"] = before
    RENDERED[:] = report.rendered
    return result.region is not None


def _folder(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.is_file()}


EDITS = st.lists(
    st.tuples(st.sampled_from(["add", "remove", "users", "move", "bureau", "town"]), st.integers(0, 10_000)),
    min_size=1,
    max_size=3,
)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EDITS)
def test_rendering_only_what_a_change_reaches_gives_the_full_render_byte_for_byte(edits: list[tuple[str, int]]) -> None:
    """Random edits of the sample, each rendered into a kept folder (region plans where they may) and
    into a fresh folder by a full plan with the memo off: configs, render state and lock the same."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        incremental, full = work / "a", work / "b"
        shutil.copytree(QINGPU, incremental)
        shutil.copytree(QINGPU, full)
        cache = str(work / "cache")
        assert not _render(incremental, work / "a-out", cache)  # the first render: nothing recorded yet
        for step, (kind, pick) in enumerate(edits):
            villages_only = _edit(kind, pick, incremental)
            _edit(kind, pick, full)
            regional = _render(incremental, work / "a-out", cache)
            assert not _render(full, work / f"b-out-{step}", "off")
            assert regional == villages_only  # the region plan serves every village edit, and nothing else
            assert _folder(work / "a-out") == _folder(work / f"b-out-{step}")
            assert (incremental / "netauto.lock").read_bytes() == (full / "netauto.lock").read_bytes()


def test_a_village_added_to_a_synthetic_network_renders_two_configs_as_a_full_render_would(tmp_path: Path) -> None:
    """The synthetic inventory's block-style YAML (one key per line): a village added renders its CE
    and its town's PE only, and the folder ends as a full render from the same lock leaves it."""
    from netauto.example.synth import SynthSize, write_synthetic_inventory

    inventory, full = tmp_path / "synth", tmp_path / "synth-full"
    write_synthetic_inventory(inventory, SynthSize(towns=8, villages_per_town=10, bureaus=4))
    cache = str(tmp_path / "cache")
    assert not _render(inventory, tmp_path / "out", cache)
    shutil.copytree(inventory, full)
    for folder in (inventory, full):
        with (folder / "sites-villages.yaml").open("a", encoding="utf-8") as villages:
            villages.write("- id: village-0003-099\n  class: village\n  parent: town-0003\n  users: 30\n")
    assert _render(inventory, tmp_path / "out", cache)
    assert RENDERED == ["town-0003-pe1", "village-0003-099-ce1"]
    assert not _render(full, tmp_path / "full-out", "off")
    assert _folder(tmp_path / "out") == _folder(tmp_path / "full-out")
    assert (inventory / "netauto.lock").read_bytes() == (full / "netauto.lock").read_bytes()
    state = json.loads((tmp_path / "out" / ".netauto-render.json").read_text(encoding="utf-8"))
    assert "village-0003-099-ce1" in state and len(state) == 2 * 2 + 8 + 4 + 81 + 2  # core, towns, CEs, cloud
