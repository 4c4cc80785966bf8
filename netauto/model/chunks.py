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
_REACHING = re.compile(r"[&*!%\t]|^(---|\.\.\.)", re.MULTILINE)
_HEADER = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*):[ ]*(#[^\n]*)?\r?$", re.MULTILINE)
_AT_MARGIN = re.compile(r"^[^\s#-]", re.MULTILINE)  # what may start a line at column 0: a header only
_FIRST_CONTENT = re.compile(r"^( *)([^\s#])", re.MULTILINE)


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
    headers = list(_HEADER.finditer(text))
    if [m.start() for m in _AT_MARGIN.finditer(text)] != [h.start() for h in headers]:
        return None  # an inline value, a complex key, or text the cut does not know: read whole
    if len({h.group(1) for h in headers}) != len(headers):
        return None  # a repeated key: read whole, which reports it
    if not headers or not _only_comments(text[: headers[0].start()]):
        return None
    chunks: list[Chunk] = []
    line = text.count("\n", 0, headers[0].start())
    for n, header in enumerate(headers):
        end = headers[n + 1].start() if n + 1 < len(headers) else len(text)
        body_start = min(header.end() + 1, end)
        items = _items(header.group(1), text, body_start, end, line + 1)
        if items is None:
            chunks.append(Chunk(header.group(1), False, line, text[header.start() : end]))
        elif items:
            chunks.extend(items)
        else:
            return None  # an empty or odd list section: read whole
        line += text.count("\n", header.start(), end)
    return chunks


def _items(section: str, text: str, start: int, end: int, first_line: int) -> list[Chunk] | None:
    """The entries of a block sequence in text[start:end], each with the lines up to the next entry;
    None when the section's body is not a block sequence (a mapping, say); [] when it is one the cut
    does not understand."""
    first = _FIRST_CONTENT.search(text, start, end)
    if first is None or text[first.start(2) : first.start(2) + 2] not in ("- ", "-\n", "-\r"):
        return None
    indent = len(first.group(1))
    if indent and re.compile(rf"^ {{0,{indent - 1}}}[^\s#]", re.MULTILINE).search(text, start, end):
        return []  # a line less indented than the entries
    starts = [m.start() for m in re.compile(rf"^ {{{indent}}}-( |\r?$)", re.MULTILINE).finditer(text, start, end)]
    if not starts or starts[0] != first.start():
        return []
    starts.append(end)
    chunks = []
    line = first_line + text.count("\n", start, starts[0])
    for a, b in zip(starts, starts[1:], strict=False):
        chunks.append(Chunk(section, True, line, text[a:b]))
        line += text.count("\n", a, b)
    return chunks


def _only_comments(text: str) -> bool:
    return all(not row.strip() or row.strip().startswith("#") for row in text.splitlines())
