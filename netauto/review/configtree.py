"""Configs as trees: parse by indentation, merge repeated sections as the device does, compare.

A rendered config repeats sections (`interface X` in interfaces.j2 and again in isis.j2; `isis 1`
twice); the device merges them, so the diff must too. Children are compared as sets except inside
sections whose order matters to the platform (IOS-XR route-policy bodies, say), listed in the
platform data. The rules per platform (comment markers, exit lines, negation word) are data too.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cache

from netauto.platforms import ConfigSyntax, get_platform
from netauto.secrets import MASK


@dataclass
class Node:
    line: str
    children: dict[str, Node] = field(default_factory=dict)

    def child(self, line: str) -> Node:
        if line not in self.children:
            self.children[line] = Node(line)
        return self.children[line]


def parse(text: str, syntax: ConfigSyntax) -> Node:
    """The config as a tree of lines; sections merged; comments and exit lines dropped."""
    root = Node("")
    stack: list[tuple[int, Node]] = [(-1, root)]
    for raw in text.splitlines():
        stripped = raw.strip()
        if syntax.section_end is not None and raw.rstrip() == syntax.section_end:
            del stack[1:]
            continue
        if not stripped or _is_noise(stripped, syntax):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        while stack[-1][0] >= indent:
            stack.pop()
        node = stack[-1][1].child(stripped)
        stack.append((indent, node))
    for line in [line for line, node in root.children.items() if not node.children]:
        if _cleared(line, syntax):
            del root.children[line]  # an emptied section says nothing (FRR keeps showing an emptied port)
    return root


def mask_secrets(text: str, syntax: ConfigSyntax) -> str:
    """`text` with every value written where the platform writes secrets replaced by the mask: also
    the secrets a device still has that are no longer in the secrets file (a rotated key)."""
    patterns = _compiled(tuple(syntax.secret_patterns))
    if not patterns:
        return text
    out = []
    for line in text.splitlines(keepends=True):
        for pattern in patterns:
            for match in reversed(list(pattern.finditer(line))):  # every one on the line
                group = match.lastindex or 0
                if group:
                    line = line[: match.start(group)] + MASK + line[match.end(group) :]
        out.append(line)
    return "".join(out)


@cache
def _compiled(patterns: tuple[str, ...]) -> list[re.Pattern[str]]:
    return [re.compile(pattern) for pattern in patterns]


def _is_noise(line: str, syntax: ConfigSyntax) -> bool:
    return line in syntax.exit_lines or any(line.startswith(marker) for marker in syntax.comment_markers)


def lines(node: Node, syntax: ConfigSyntax, depth: int = 0) -> list[str]:
    """The merged tree back as indented text, in first-seen order (one space per level)."""
    out = []
    for child in node.children.values():
        out.append(" " * depth + child.line)
        out.extend(lines(child, syntax, depth + 1))
    return out


def canonical(node: Node, syntax: ConfigSyntax, path: tuple[str, ...] = ()) -> list[str]:
    """Every leaf path, one per line, order-free except where the platform keeps order."""
    paths = []
    ordered = _ordered(path, syntax)
    for position, child in enumerate(node.children.values()):
        here = path + (f"{position:05d} {child.line}" if ordered else child.line,)
        if child.children:
            paths.extend(canonical(child, syntax, here))
        else:
            paths.append(" > ".join(here))
    return paths if ordered else sorted(paths)


def _ordered(path: tuple[str, ...], syntax: ConfigSyntax) -> bool:
    if not path:
        return False
    line = path[-1]
    if line[:5].isdigit() and line[5:6] == " ":  # a position prefix added inside an ordered section
        line = line[6:]
    return any(line.startswith(section) for section in syntax.ordered_sections)


def digest(text: str, platform: str) -> str:
    """A hash of what the config means to the device: ordering noise does not change it."""
    syntax = get_platform(platform).config_syntax
    return hashlib.sha256("\n".join(canonical(parse(text, syntax), syntax)).encode()).hexdigest()


@dataclass
class TreeDiff:
    added: list[tuple[tuple[str, ...], str]]
    removed: list[tuple[tuple[str, ...], str]]

    @property
    def empty(self) -> bool:
        return not self.added and not self.removed


def diff_trees(old: Node, new: Node, path: tuple[str, ...] = ()) -> TreeDiff:
    """Lines added and removed, each with the sections it sits in (a removed section counts once)."""
    result = TreeDiff([], [])
    for line, child in new.children.items():
        if line not in old.children:
            result.added.append((path, line))
            result.added.extend((path + (line,) + p, leaf) for p, leaf in _all(child))
        else:
            sub = diff_trees(old.children[line], child, path + (line,))
            result.added += sub.added
            result.removed += sub.removed
    for line in old.children:
        if line not in new.children:
            result.removed.append((path, line))
    return result


def _all(node: Node) -> list[tuple[tuple[str, ...], str]]:
    found: list[tuple[tuple[str, ...], str]] = []
    for line, child in node.children.items():
        found.append(((), line))
        found.extend(((line,) + p, leaf) for p, leaf in _all(child))
    return found


def remediation(old: Node, new: Node, syntax: ConfigSyntax) -> list[str]:
    """Commands that take `old` to `new`, the generic rule set (platforms hier_config lacks):
    in each section, removed lines negated first, then added lines; a removed section is negated
    whole, an added one entered with its children; every entered section is left again.
    """
    changes = diff_trees(old, new)
    commands = Node("")
    replaced = {(path, _overwrites(line, syntax)) for path, line in changes.added} - {
        (p, None) for p, _ in changes.added
    }
    for path, line in changes.removed:
        if (path, _overwrites(line, syntax)) in replaced:
            continue  # the added line of the same single-valued command replaces it
        removed = _walk(old, path).children[line]
        if removed.children and _cleared(line, syntax):
            section = _walk(commands, path).child(line)
            for child in removed.children:
                section.child(_negate(child, syntax))
            continue
        _walk(commands, path).child(_negate(line, syntax))
    for path, line in changes.added:
        _walk(commands, path).child(line)
    for line, section in commands.children.items():  # top level: removals first, as found
        if line in new.children:
            _order_like(section, new.children[line], syntax)
    return _emit(commands, syntax, 0)


def _order_like(commands: Node, target: Node, syntax: ConfigSyntax) -> None:
    """Inside a section: removals first, then the plain commands, then the sub-sections, each in the
    target config's order, so a command the device reads as context for later ones is sent first, as
    the device itself writes the config (measured on FRR: a `bgp router-id` sent after `rd vpn export`
    re-derived the RD and RT; a neighbor's `activate` in an address family refused before its
    `remote-as`, which a merged render may put after the address family)."""
    position = {line: k for k, line in enumerate(target.children)}
    removals = {line for line in commands.children if line not in position and line.startswith(syntax.negation + " ")}

    def key(line: str) -> tuple[int, int, int]:
        if line in removals:
            return (0, 0, 0)
        section = line in target.children and bool(target.children[line].children)
        return (1, int(section), position.get(line, len(position)))

    commands.children = {line: commands.children[line] for line in sorted(commands.children, key=key)}
    for line, child in commands.children.items():
        if line in target.children:
            _order_like(child, target.children[line], syntax)


def _cleared(line: str, syntax: ConfigSyntax) -> bool:
    """A section the device empties rather than deletes (platform data `cleared_sections`, patterns)."""
    return any(re.match(pattern, line) for pattern in syntax.cleared_sections)


def _overwrites(line: str, syntax: ConfigSyntax) -> str | None:
    """The single-valued command this line sets (a new value replaces the old), if it is one."""
    return next((prefix for prefix in syntax.overwrite if line == prefix or line.startswith(prefix + " ")), None)


def _walk(node: Node, path: tuple[str, ...]) -> Node:
    for section in path:
        node = node.child(section)
    return node


def _emit(node: Node, syntax: ConfigSyntax, depth: int) -> list[str]:
    out = []
    for child in node.children.values():
        out.append(" " * depth + child.line)
        if child.children:
            out.extend(_emit(child, syntax, depth + 1))
            out.append(" " * depth + syntax.leave)
    return out


def _negate(line: str, syntax: ConfigSyntax) -> str:
    word = syntax.negation
    if line.startswith(word + " "):
        return line[len(word) + 1 :]
    bare = next((command for command in syntax.negated_bare if line.startswith(command + " ")), None)
    return f"{word} {bare or line}"
