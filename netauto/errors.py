"""One exception root for netauto; only the CLI turns these into messages and exit codes."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Location:
    """Where a problem sits in the source of truth: file, 1-based line and column, data path."""

    file: str
    line: int
    column: int
    path: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in the inventory, with enough context to fix it."""

    message: str
    location: Location | None = None
    hint: str = ""
    severity: str = "error"

    def render(self) -> str:
        where = f"{self.location}: " if self.location else ""
        path = f"{self.location.path}: " if self.location and self.location.path else ""
        text = f"{where}{self.severity}: {path}{self.message}"
        return f"{text}\n  hint: {self.hint}" if self.hint else text


class NetautoError(Exception):
    """Root of every error netauto raises on purpose. `exit_code` is what the CLI returns."""

    exit_code = 1


class InventoryError(NetautoError):
    """The source of truth is invalid; carries every problem found, not just the first."""

    def __init__(
        self, diagnostics: list[Diagnostic], source: str, consequence: str = "nothing was planned or written"
    ) -> None:
        self.diagnostics = diagnostics
        self.source = source
        count = len(diagnostics)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{count} {noun} in {source}; {consequence}")


class LockError(NetautoError):
    """The allocation lock file cannot be read or would change where it must not."""


@dataclass
class DiagnosticCollector:
    """Collects diagnostics across a stage; `raise_if_errors` stops at the stage boundary."""

    source: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    consequence: str = "nothing was planned or written"

    def add(self, diagnostic: Diagnostic) -> None:
        self.diagnostics.append(diagnostic)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise InventoryError(self.errors, self.source, self.consequence)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A hint naming the closest valid choice, or listing the choices when none is close.

    >>> did_you_mean("sties", ["sites", "planes"])
    "did you mean 'sites'?"
    >>> did_you_mean("xyz", ["core", "town"])
    'expected one of: core, town'
    """
    options = sorted(choices)
    close = difflib.get_close_matches(word, options, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    if len(options) > 12:
        return f"expected one of: {', '.join(options[:12])}, … ({len(options)} in all)"
    return f"expected one of: {', '.join(options)}"
