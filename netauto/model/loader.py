"""Read a folder of YAML files into one raw document plus a map from data paths to file positions.

The loader never stops at the first problem: every file is read, every problem is collected.
Scalars are resolved with YAML 1.2 core rules (``64512:10`` stays a string, ``no`` stays a string),
because YAML 1.1's sexagesimal integers and yes/no booleans corrupt route targets and site ids.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from netauto.cache import Memo
from netauto.errors import Diagnostic, DiagnosticCollector, Location, NetautoError, did_you_mean
from netauto.model.chunks import Chunk, split_chunks

MAX_FILE_BYTES = 16 * 1024 * 1024
# What one YAML file may hold, whatever reads it: a hostile file (a merge request, a journal left by
# a killed run) must not exhaust the machine. Nothing netauto writes or reads comes near these.
MAX_DEPTH = 64  # nested mappings and lists (an inventory needs 6)
MAX_SCALAR_CHARS = 64 * 1024  # one value
MAX_ALIAS_EXPANSION = 100_000  # values that aliases (*name) may add to a file by repeating an anchor
LIST_SECTIONS = (
    "planes",
    "link_classes",
    "site_classes",
    "sites",
    "devices",
    "links",
    "vpns",
    "dedicated_networks",
    "demands",
)
MAPPING_SECTIONS = ("network",)
KNOWN_SECTIONS = MAPPING_SECTIONS + LIST_SECTIONS
YAML_SUFFIXES = (".yaml", ".yml")

DataPath = tuple[str | int, ...]

_INT = re.compile(r"[-+]?[0-9]+|0x[0-9a-fA-F]+|0o[0-7]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_SPECIAL_FLOATS = {".inf": float("inf"), "-.inf": float("-inf"), ".nan": float("nan")}


Position = tuple[str, int, int, int]  # file, line, column, offset of the file's first list entry


@dataclass
class SourceMap:
    """Data path (as in the merged document) -> where it was written.

    Lists merge across files, so `sites[120]` of the merged document may be the file's `sites[3]`;
    each position keeps the offset that turns the merged index back into the file's own.
    """

    positions: dict[DataPath, Position] = field(default_factory=dict)
    later: Callable[[], dict[DataPath, Position]] | None = field(default=None, repr=False, compare=False)

    def locate(self, path: DataPath) -> Location | None:
        """The position of `path`, or of its nearest ancestor that was written down (worked out on
        the first call when the map was made `later`)."""
        if self.later is not None:
            self.positions, self.later = self.later(), None
        for end in range(len(path), -1, -1):
            found = self.positions.get(tuple(path[:end]))
            if found is not None:
                file, line, column, offset = found
                local = path
                if len(path) > 1 and isinstance(path[1], int):
                    local = (path[0], path[1] - offset) + tuple(path[2:])
                return Location(file, line, column, display_path(local))
        return None


@dataclass
class RawInventory:
    """The merged YAML document of an inventory folder, before any typing."""

    root: Path
    data: dict[str, Any]
    source_map: SourceMap
    files: list[Path]
    # (section, key of its text) of every piece, in order, when the files were read by pieces: what
    # a later run compares to find what changed (netauto/plan/region.py)
    pieces: list[tuple[str, bytes]] | None = None


def display_path(parts: DataPath) -> str:
    """Render a data path the way users write it.

    >>> display_path(("sites", 3, "parent"))
    'sites[3].parent'
    >>> display_path(())
    ''
    """
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def resolve_scalar(value: str, plain: bool) -> Any:
    """Resolve a scalar by YAML 1.2 core-schema rules.

    >>> resolve_scalar("64512:10", True)
    '64512:10'
    >>> resolve_scalar("no", True)
    'no'
    >>> resolve_scalar("200", True), resolve_scalar("1.5", True), resolve_scalar("true", True)
    (200, 1.5, True)
    >>> resolve_scalar("200", False)
    '200'
    """
    if not plain:
        return value
    if value in _NULLS:
        return None
    if value in _BOOLS:
        return _BOOLS[value]
    if _INT.fullmatch(value):
        return int(value, 0) if value[:2] in ("0x", "0o") else int(value)
    if _FLOAT.fullmatch(value):
        return float(value)
    return _SPECIAL_FLOATS.get(value, value)


class _FileReader:
    """Turns one file's YAML node tree into Python data, recording positions and duplicate keys."""

    def __init__(self, file: str, source_map: SourceMap, collector: DiagnosticCollector) -> None:
        self.file = file
        self.positions = source_map.positions
        self.collector = collector
        self.offset = 0

    def location(self, node: yaml.Node, path: DataPath) -> Location:
        local = path
        if len(path) > 1 and isinstance(path[1], int):
            local = (path[0], path[1] - self.offset) + tuple(path[2:])
        return Location(self.file, node.start_mark.line + 1, node.start_mark.column + 1, display_path(local))

    def convert(self, node: yaml.Node, path: DataPath) -> Any:
        mark = node.start_mark
        self.positions[path] = (self.file, mark.line + 1, mark.column + 1, self.offset)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, path + (i,)) for i, item in enumerate(node.value)]
        return resolve_scalar(node.value, not getattr(node, "style", None))

    def _mapping(self, node: yaml.MappingNode, path: DataPath) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.convert_key(key_node, path)
            if key in result:
                first_line = self.positions[path + (key,)][1]
                self.collector.add(
                    Diagnostic(
                        f"duplicate key '{key}' (first written at line {first_line})",
                        self.location(key_node, path + (key,)),
                        "YAML keeps only the last value of a repeated key; remove one of them",
                    )
                )
                continue
            result[key] = self.convert(value_node, path + (key,))
        return result

    def convert_key(self, node: yaml.Node, path: DataPath) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            self.collector.add(Diagnostic("a mapping key must be a plain value", self.location(node, path)))
            return f"<complex key at line {node.start_mark.line + 1}>"
        return str(node.value)


def _read_text(path: Path, shown: str, collector: DiagnosticCollector) -> str | None:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        collector.add(
            Diagnostic(
                f"file is {size / 2**20:.1f} MiB, over the {MAX_FILE_BYTES // 2**20} MiB limit for one inventory file",
                Location(shown, 1, 1),
                "split the inventory into several files in the folder (lists merge across files)",
            )
        )
        return None
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _line_column(raw, exc.start)
        collector.add(
            Diagnostic(
                f"not a UTF-8 text file (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
                Location(shown, line, column),
                "inventory files must be UTF-8 YAML; remove binary files from the inventory folder",
            )
        )
        return None
    if "\x00" in text:
        line, column = _line_column(raw, raw.index(b"\x00"))
        collector.add(
            Diagnostic(
                "not a text file (contains a NUL byte)",
                Location(shown, line, column),
                "inventory files must be UTF-8 YAML; remove binary files from the inventory folder",
            )
        )
        return None
    return text


def _line_column(raw: bytes, offset: int) -> tuple[int, int]:
    before = raw[:offset]
    line_start = before.rfind(b"\n") + 1
    return before.count(b"\n") + 1, offset - line_start + 1


def _compose(text: str, shown: str, collector: DiagnosticCollector) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=getattr(yaml, "CBaseLoader", yaml.BaseLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line, mark.column) if mark else (0, 0)
        problem = exc.problem or exc.context or "invalid YAML"
        hint = "fix the YAML syntax at this position"
        if _char_at(text, line, column) == "\t":
            problem, hint = "a tab character", "YAML does not allow tabs for indentation; indent with spaces"
        collector.add(Diagnostic(f"YAML syntax error: {problem}", Location(shown, line + 1, column + 1), hint))
    except yaml.YAMLError as exc:
        collector.add(Diagnostic(f"YAML error: {exc}", Location(shown, 1, 1)))
    return None


def _within_bounds(root: yaml.Node, shown: str, collector: DiagnosticCollector) -> bool:
    """Whether the composed file stays within MAX_DEPTH, MAX_SCALAR_CHARS and MAX_ALIAS_EXPANSION; the
    first problem is reported where it is. Aliases share one node in the composed graph, so this walk
    (iterative, each node once) costs the file's size, not its expansion ("billion laughs")."""
    problem = _bounds_problem(root)
    if problem is None:
        return True
    message, node, path = problem
    mark = node.start_mark
    hint = "this is not a file netauto could use; check where it came from"
    collector.add(Diagnostic(message, Location(shown, mark.line + 1, mark.column + 1, display_path(path)), hint))
    return False


def _bounds_problem(root: yaml.Node, depth_of_root: int = 1) -> tuple[str, yaml.Node, DataPath] | None:
    """The walk is on the hot path of every plan (each node once, no paths); paths are looked for
    only once a problem is found."""
    scalar = yaml.ScalarNode
    sizes: dict[int, int] = {}  # node -> how many values it expands to
    inside: set[int] = set()  # the nodes being walked (one reached again: a recursive alias)
    stack: list[tuple[yaml.Node, int, bool]] = [(root, depth_of_root, False)]
    while stack:
        node, depth, walked = stack.pop()
        key = id(node)
        if walked:
            inside.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _child_nodes(node))
            continue
        if key in sizes:
            continue  # an alias of a value already walked
        if key in inside:
            return "this value holds an alias of itself (a recursive alias)", node, _path_to(root, node)
        if depth > MAX_DEPTH:
            path = _path_to(root, node)[:6]  # where the nesting begins
            return f"values nested more than {MAX_DEPTH} levels deep", node, path
        if isinstance(node, scalar):
            if len(node.value) > MAX_SCALAR_CHARS:
                message = f"a value of {len(node.value):,} characters, over the {MAX_SCALAR_CHARS:,} allowed"
                return message, node, _path_to(root, node)
            sizes[key] = 1
            continue
        inside.add(key)
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in reversed(_child_nodes(node)))
    added = sizes[id(root)] - len(sizes)
    if added <= MAX_ALIAS_EXPANSION:
        return None
    nodes = _unique_nodes(root)
    uses = dict.fromkeys(nodes, 0) | {id(root): 1}
    for parent in nodes.values():
        for child in _child_nodes(parent):
            uses[id(child)] += 1
    repeated = max((k for k in uses if uses[k] > 1), key=lambda k: (uses[k] - 1) * sizes[k])
    node = nodes[repeated]
    return (
        f"this value ({sizes[repeated]:,} values) is used {uses[repeated]:,} times through aliases: the file "
        f"would expand by {added:,} values, over the {MAX_ALIAS_EXPANSION:,} that aliases may add",
        node,
        _path_to(root, node),
    )


def _child_nodes(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _unique_nodes(root: yaml.Node) -> dict[int, yaml.Node]:
    seen: dict[int, yaml.Node] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen[id(node)] = node
            stack.extend(_child_nodes(node))
    return seen


def _path_to(root: yaml.Node, target: yaml.Node) -> DataPath:
    """The data path of the first place `target` is written (depth first, in document order)."""
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, DataPath]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend((item, path + (i,)) for i, item in reversed(list(enumerate(node.value))))
        elif isinstance(node, yaml.MappingNode):
            for key_node, value_node in reversed(node.value):
                name = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
                stack += [(value_node, path + (name,)), (key_node, path + (name,))]
    return ()


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.splitlines()
    return lines[line][column] if line < len(lines) and column < len(lines[line]) else ""


def inventory_files(root: Path) -> list[Path]:
    """The YAML files of an inventory: the file itself, or every *.yaml/*.yml below a folder."""
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise NetautoError(f"inventory not found: {root}")
    files = sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix in YAML_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    if not files:
        raise NetautoError(f"no *.yaml files in inventory folder {root}")
    return files


def load_inventory(root: Path, memo: Memo | None = None) -> RawInventory:
    """Read and merge every file of an inventory; raise InventoryError listing every problem.

    Files are read a piece at a time (netauto/model/chunks.py), each piece's value remembered in
    `memo` by its text; the positions of values (for messages) are worked out only when a message
    needs one, by reading the files whole, as is every file the pieces cannot stand for."""
    collector = DiagnosticCollector(str(root))
    files = inventory_files(root)
    texts = {path: _read_text(path, str(path), collector) for path in files}
    if not collector.diagnostics and memo is not None:
        pieces: list[tuple[str, bytes]] = []
        data = _load_by_chunks(texts, memo, pieces)
        if data is not None:
            memo.save()
            whole = SourceMap(
                later=lambda: _load_whole(root, texts, DiagnosticCollector(str(root))).source_map.positions
            )
            return RawInventory(root=root, data=data, source_map=whole, files=files, pieces=pieces)
    return _load_whole(root, texts, collector)


def _load_whole(root: Path, texts: dict[Path, str | None], collector: DiagnosticCollector) -> RawInventory:
    source_map = SourceMap()
    merged: dict[str, Any] = {}
    first_seen: dict[str, Location] = {}
    for path, text in texts.items():
        shown = str(path)
        if text is None:
            continue
        problems_before = len(collector.diagnostics)
        node = _compose(text, shown, collector)
        if len(collector.diagnostics) > problems_before or (
            node is not None and not _within_bounds(node, shown, collector)
        ):
            continue
        if node is None:
            collector.add(
                Diagnostic(
                    "file is empty",
                    Location(shown, 1, 1),
                    f"add one of the sections {', '.join(KNOWN_SECTIONS)}, or delete the file",
                )
            )
            continue
        _merge_file(node, shown, merged, first_seen, source_map, collector)
    collector.raise_if_errors()
    return RawInventory(root=root, data=merged, source_map=source_map, files=list(texts))


def _load_by_chunks(
    texts: dict[Path, str | None], memo: Memo, pieces: list[tuple[str, bytes]]
) -> dict[str, Any] | None:
    """The merged document from the files' pieces, or None when any file or piece is anything but
    plain (then the whole files are read, and report whatever is wrong as always)."""
    merged: dict[str, Any] = {}
    for text in texts.values():
        chunks = split_chunks(text) if text is not None else None
        if not chunks:
            return None
        for chunk in chunks:
            listed = chunk.section in LIST_SECTIONS
            if chunk.section not in KNOWN_SECTIONS or chunk.item != listed or (not listed and chunk.section in merged):
                return None
            key = Memo.key(chunk.section, chunk.text)
            pieces.append((chunk.section, key))
            value = memo.get(key)
            if value is None:
                value = _read_chunk(chunk)
                if value is None:
                    return None
                memo.put(key, value)
            if listed:
                merged.setdefault(chunk.section, []).append(value[0])
            else:
                merged[chunk.section] = value[0]
    return merged


def _read_chunk(chunk: Chunk) -> tuple[Any] | None:
    """(value,) of one piece, or None when it is anything but plain and valid on its own."""
    collector = DiagnosticCollector("")
    try:
        node = yaml.compose(chunk.text, Loader=getattr(yaml, "CBaseLoader", yaml.BaseLoader))
    except yaml.YAMLError:
        return None
    if chunk.item:
        if not isinstance(node, yaml.SequenceNode) or len(node.value) != 1:
            return None
        node, depth = node.value[0], 3  # as deep as in the file: its section's mapping, the list, the entry
    else:
        if not isinstance(node, yaml.MappingNode) or len(node.value) != 1:
            return None
        node, depth = node.value[0][1], 2
    if _bounds_problem(node, depth) is not None:
        return None
    value = _FileReader("", SourceMap(), collector).convert(node, ())
    return None if collector.diagnostics else (value,)


def _merge_file(
    node: yaml.Node,
    shown: str,
    merged: dict[str, Any],
    first_seen: dict[str, Location],
    source_map: SourceMap,
    collector: DiagnosticCollector,
) -> None:
    reader = _FileReader(shown, source_map, collector)
    if not isinstance(node, yaml.MappingNode):
        collector.add(
            Diagnostic(
                "the top level of an inventory file must be a mapping of sections",
                reader.location(node, ()),
                f"start the file with one of: {', '.join(KNOWN_SECTIONS)}",
            )
        )
        return
    seen_here: set[str] = set()
    for key_node, value_node in node.value:
        section = reader.convert_key(key_node, ())
        location = reader.location(key_node, (section,))
        if section in seen_here:
            collector.add(Diagnostic(f"duplicate key '{section}'", location, "merge the two sections into one"))
            continue
        seen_here.add(section)
        if section not in KNOWN_SECTIONS:
            collector.add(Diagnostic(f"unknown section '{section}'", location, did_you_mean(section, KNOWN_SECTIONS)))
            continue
        if section in MAPPING_SECTIONS:
            _merge_mapping_section(section, value_node, location, reader, merged, first_seen, collector)
        else:
            _merge_list_section(section, value_node, location, reader, merged, collector)


def _merge_mapping_section(
    section: str,
    node: yaml.Node,
    location: Location,
    reader: _FileReader,
    merged: dict[str, Any],
    first_seen: dict[str, Location],
    collector: DiagnosticCollector,
) -> None:
    if section in first_seen:
        first = first_seen[section]
        collector.add(
            Diagnostic(
                f"section '{section}' is already defined at {first}",
                location,
                f"keep a single '{section}' section in the inventory",
            )
        )
        return
    first_seen[section] = location
    reader.offset = 0
    merged[section] = reader.convert(node, (section,))


def _merge_list_section(
    section: str,
    node: yaml.Node,
    location: Location,
    reader: _FileReader,
    merged: dict[str, Any],
    collector: DiagnosticCollector,
) -> None:
    if isinstance(node, yaml.ScalarNode) and resolve_scalar(node.value, not node.style) is None:
        merged.setdefault(section, [])
        return
    if not isinstance(node, yaml.SequenceNode):
        collector.add(
            Diagnostic(
                f"section '{section}' must be a list",
                reader.location(node, (section,)),
                f"write each entry of '{section}' as '- key: value'",
            )
        )
        return
    items = merged.setdefault(section, [])
    reader.offset = len(items)
    reader.positions.setdefault((section,), (location.file, location.line, location.column, 0))
    for i, item in enumerate(node.value):
        items.append(reader.convert(item, (section, reader.offset + i)))


def read_bounded_yaml(path: Path, consequence: str) -> Any:
    """A YAML file netauto keeps beside the inventory (secrets, approvals, a hosts file, the lock's
    YAML form), read with PyYAML's safe loader once it is within the inventory's bounds (size, depth,
    value length, alias expansion) and valid YAML: InventoryError (file:line:column: field: message)
    when it is not."""
    shown = str(path)
    collector = DiagnosticCollector(shown, consequence=consequence)
    text = _read_text(path, shown, collector)
    node = _compose(text, shown, collector) if text is not None else None
    if node is not None:
        _within_bounds(node, shown, collector)
    collector.raise_if_errors()
    return yaml.load(text or "", Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def read_yaml_document(path: Path, shown: str, consequence: str) -> tuple[Any, SourceMap]:
    """One YAML file (a runbook, say) as Python data with the position of every value, read by the
    inventory's rules (YAML 1.2 scalars, duplicate keys refused); InventoryError on a bad file."""
    collector = DiagnosticCollector(shown, consequence=consequence)
    source_map = SourceMap()
    text = _read_text(path, shown, collector)
    node = _compose(text, shown, collector) if text is not None else None
    if node is not None and not _within_bounds(node, shown, collector):
        node = None
    data = _FileReader(shown, source_map, collector).convert(node, ()) if node is not None else None
    if node is None and not collector.errors:
        collector.add(Diagnostic("the file is empty", Location(shown, 1, 1)))
    collector.raise_if_errors()
    return data, source_map
