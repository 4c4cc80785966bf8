"""Allocation primitives shared by the allocators: ranges that hand out their lowest free value,
and the sticky rule (keep what the lock recorded while it is still valid)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from ipaddress import IPv4Network, IPv6Network
from typing import Any

from netauto.model.checks import Reporter
from netauto.plan.lock import KINDS, Entry, Lock

Pool = IPv4Network | IPv6Network
Parse = Callable[[str], int]


@dataclass
class AllocationReport:
    """What this planning run handed out, kept, moved or retired (for the summary and for tests)."""

    new: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in KINDS})
    changed: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in KINDS})
    retired: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in KINDS})
    restored: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in KINDS})

    def any(self) -> bool:
        """Whether anything was allocated, changed, retired or restored (else the lock stays as it is)."""
        return any(keys for table in (self.new, self.changed, self.retired, self.restored) for keys in table.values())


class PoolAllocator:
    """Hands out the lowest free value of an arithmetic range, skipping reserved ones."""

    def __init__(self, name: str, describe: str, base: int, count: int, step: int = 1, first: int = 0) -> None:
        self.name = name
        self.describe = describe
        self.base = base
        self.count = count
        self.step = step
        self.used: set[int] = set()
        self.cursor = first
        self.exhausted = 0
        self._deferred: list[Callable[[], None]] = []

    def defer(self, reservation: Callable[[], None]) -> None:
        """Run `reservation` before the first value is handed out: a re-plan that keeps every
        allocation never needs to know what else is taken."""
        self._deferred.append(reservation)

    @classmethod
    def in_pool(cls, name: str, pool: Pool, block_len: int, first: int = 0) -> PoolAllocator:
        """Blocks of `block_len` bits inside an address pool (e.g. /31s inside a /22)."""
        step = 1 << (pool.max_prefixlen - block_len)
        return cls(name, f"pool {name} {pool}", int(pool.network_address), pool.num_addresses // step, step, first)

    @classmethod
    def in_range(cls, name: str, low: int, high: int) -> PoolAllocator:
        """Integers from `low` to `high` inclusive (node ids, VPN ids)."""
        return cls(name, f"{name} {low}-{high}", low, high - low + 1)

    def owns(self, value: int) -> bool:
        offset = value - self.base
        return 0 <= offset < self.count * self.step and offset % self.step == 0

    def reserve(self, value: int) -> bool:
        """Mark `value` taken; False when it is outside the range or already taken."""
        if not self.owns(value) or value in self.used:
            return False
        self.used.add(value)
        return True

    def take(self) -> int | None:
        while self._deferred:
            self._deferred.pop()()
        while self.cursor < self.count:
            value = self.base + self.cursor * self.step
            self.cursor += 1
            if value not in self.used:
                self.used.add(value)
                return value
        self.exhausted += 1
        return None


@cache
def _parses(parse: Parse) -> dict[Any, int | None]:
    """The values `parse` has read this run, by their text (every locked value is read twice:
    reserved, then kept)."""
    return {}


def int_of(text: Any, parse: Parse) -> int | None:
    """The lock's value as an integer; None when absent or unreadable (then it is reallocated)."""
    if text is None:
        return None
    known = _parses(parse)
    if text not in known:
        try:
            known[text] = parse(str(text))
        except ValueError:
            known[text] = None
    return known[text]


def sticky(
    allocator: PoolAllocator, previous: Entry | None, attribute: str, parse: Parse, pinned: int | None = None
) -> tuple[int | None, bool]:
    """The value to use and whether it differs from the lock's."""
    old = int_of(previous.get(attribute), parse) if previous else None
    if pinned is not None:
        return pinned, old != pinned
    if old is not None and allocator.owns(old):
        return old, False
    return allocator.take(), previous is not None


def record(new_lock: Lock, kind: str, key: str, entry: Entry, previous: Entry | None) -> None:
    """`entry` in the new lock: the old lock's own entry object when it is the same, so that what the
    new lock holds follows from the old one's without reading it all again (netauto/plan/held.py)."""
    new_lock.active[kind][key] = previous if previous == entry else entry


def note(result: AllocationReport, kind: str, key: str, previous: Entry | None, changed: bool) -> None:
    if previous is None:
        result.new[kind].append(key)
    elif changed:
        result.changed[kind].append(key)


def report_exhausted(allocator: PoolAllocator, report: Reporter, path: tuple[str, ...]) -> None:
    if allocator.exhausted:
        report.error(
            path,
            f"{allocator.describe} is exhausted: {allocator.exhausted} more allocation(s) "
            f"needed beyond its {allocator.count} value(s)",
            "widen the pool (allocations already made stay where they are)",
        )


class PrefixAllocator:
    """Prefixes of mixed lengths from a list of pools, never overlapping each other or what is reserved.

    Taken ranges are kept as sorted, disjoint intervals; a candidate block overlaps one of them only
    if the interval starting last at or before the block's end reaches into it.
    """

    def __init__(self, pools: list[Pool]) -> None:
        self.pools = sorted(pools, key=lambda p: int(p.network_address))
        self._bounds = [(p.prefixlen, int(p.network_address), int(p.broadcast_address)) for p in self.pools]
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.cursors: dict[tuple[int, int], int] = {}
        self._deferred: list[Callable[[], None]] = []

    def defer(self, reservation: Callable[[], None]) -> None:
        self._deferred.append(reservation)

    def owns(self, start: int, length: int) -> bool:
        return any(prefixlen <= length and first <= start <= last for prefixlen, first, last in self._bounds)

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect_right(self.starts, end) - 1
        return i >= 0 and self.ends[i] >= start

    def reserve(self, start: int, end: int) -> None:
        """Mark [start, end] taken, merging with the intervals it touches."""
        i = bisect_left(self.ends, start)
        j = bisect_right(self.starts, end)
        if i < j:
            start, end = min(start, self.starts[i]), max(end, self.ends[j - 1])
        self.starts[i:j] = [start]
        self.ends[i:j] = [end]

    def take(self, length: int) -> int | None:
        while self._deferred:
            self._deferred.pop()()
        for index, pool in enumerate(self.pools):
            if pool.prefixlen > length:
                continue
            size = 1 << (pool.max_prefixlen - length)
            base, last = int(pool.network_address), int(pool.broadcast_address)
            candidate = self.cursors.get((index, length), base)
            while candidate + size - 1 <= last:
                if not self.overlaps(candidate, candidate + size - 1):
                    self.reserve(candidate, candidate + size - 1)
                    self.cursors[(index, length)] = candidate + size
                    return candidate
                candidate += size
            self.cursors[(index, length)] = candidate
        return None
