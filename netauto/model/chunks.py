"""An inventory file cut into the pieces YAML reads independently: each entry of a list section
(a site, a VPN...) and each other top-level section, as its own text.

A province's villages file holds tens of thousands of sites; one edited village should not make the
whole file read again. The loader reads each piece on its own, and remembers each piece's value by
its text (netauto/cache.py), so only the pieces that changed are read. Composing the pieces one by
one is also several times faster than composing the file at once (PyYAML's C composer slows down on
large documents: 0.48 s for a 9,480-village file at once, 0.10 s a village at a time, measured here).

The cut is made only where it cannot change the meaning: a file that uses anchors, aliases, tags,
directives, several documents, or flow collections or block scalars at the top of a section is not
cut, and neither is anything the cut does not recognise; the loader then reads the file whole. A
piece whose YAML is broken (a quoted value running over an entry's end, say) fails to read on its
own, and the loader then reads the whole file the usual way, so errors are reported as always.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Characters whose YAML meaning may reach across entries (anchors &, aliases *, tags !, directives
# %): a file holding any is read whole. Quoted values holding them fall back too (rare in inventories).
_REACHING = re.compile(r"[&*!%]|^(---|\.\.\.)", re.MULTILINE)
_TOP_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):[ \t]*(#.*)?$")
_ITEM = re.compile(r"( *)-( |$)")


@dataclass(frozen=True)
class Chunk:
    section: str
    item: bool  # an entry of a list section ("- ..."); else the whole section as a one-key mapping
    line: int  # 0-based line of the file where the piece starts
    text: str


def split_chunks(text: str) -> list[Chunk] | None:
    """The file's pieces in order, or None when this file must be read whole."""
    if _REACHING.search(text):
        return None
    lines = text.splitlines(keepends=True)
    chunks: list[Chunk] = []
    seen: set[str] = set()
    index = 0
    while index < len(lines) and _ignorable(lines[index]):
        index += 1
    while index < len(lines):
        header = _TOP_KEY.match(lines[index].rstrip("\r\n"))
        if header is None:
            return None  # an inline value, a complex key, or text the cut does not know: read whole
        section, start = header.group(1), index
        if section in seen:
            return None  # a repeated key: read whole, which reports it
        seen.add(section)
        index += 1
        body_start = index
        while index < len(lines) and (_ignorable(lines[index]) or lines[index][0] == " " or _is_item(lines[index], 0)):
            index += 1
        body = lines[body_start:index]
        items = _items(section, body, body_start)
        if items is None:
            chunks.append(Chunk(section, False, start, "".join(lines[start:index])))
        elif items:
            chunks.extend(items)
        else:
            return None  # an empty or odd list section: read whole
    return chunks


def _items(section: str, body: list[str], first_line: int) -> list[Chunk] | None:
    """The entries of a block sequence, each with the lines up to the next entry; None when the
    section's body is not a block sequence (a mapping, say)."""
    content = [i for i, line in enumerate(body) if not _ignorable(line)]
    if not content:
        return None
    opening = _ITEM.match(body[content[0]])
    if opening is None:
        return None
    indent = len(opening.group(1))
    starts = [i for i in content if _is_item(body[i], indent)]
    if starts[0] != content[0]:
        return None
    for i in content:
        if len(body[i]) - len(body[i].lstrip(" ")) < indent:
            return []  # less indented than its entries: not a sequence the cut understands
    starts.append(len(body))
    return [
        Chunk(section, True, first_line + starts[n], "".join(body[starts[n] : starts[n + 1]]))
        for n in range(len(starts) - 1)
    ]


def _is_item(line: str, indent: int) -> bool:
    found = _ITEM.match(line)
    return found is not None and len(found.group(1)) == indent


def _ignorable(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")
