"""What a lock holds: every value of each allocated attribute, active or retired, which a pool must
skip before it hands out a new one.

A 10,000-device lock holds ~140,000 such values; reading them all costs a region plan
(netauto/plan/region.py) 0.17 s of its 0.26 s (measured), for the one village it allocates. So what
a lock holds is remembered by the lock file's digest (netauto/cache.py): a render leaves it there
for the lock it wrote, worked out from what the lock it read held plus the entries the plan made
(every old entry kept as it was), or from the new lock itself when the plan made every entry anew.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from netauto.addressing import address_int, last_address, prefix_span
from netauto.plan.lock import KINDS, Entry, Lock
from netauto.plan.pools import Parse, PoolAllocator, int_of

# (kind, attribute) -> how its values read; every pool the allocators reserve from the lock
POOLS: dict[tuple[str, str], Parse] = {
    ("devices", "loopback_v4"): address_int,
    ("devices", "loopback_v6"): address_int,
    ("devices", "node_id"): int,
    ("devices", "asn"): int,
    ("links", "p2p_v4"): address_int,
    ("links", "p2p_v6"): address_int,
    ("attachments", "p2p_v4"): address_int,
    ("attachments", "p2p_v6"): address_int,
    ("vpns", "vpn_id"): int,
}
LAN_ATTRIBUTE = {4: "v4", 6: "v6"}
MEMO = "held"

Held = dict[tuple[Any, ...], Any]


def reserve_all(allocator: PoolAllocator, lock: Lock, kind: str, attribute: str) -> None:
    """Reserve every value the lock holds for `attribute`, active or retired, before the allocator
    hands out its first value (a re-plan that keeps every allocation never needs them). Values
    outside the pool are never handed out anyway."""
    allocator.defer(lambda: allocator.used.update(pool_values(lock, kind, attribute)))


def pool_values(lock: Lock, kind: str, attribute: str) -> frozenset[int]:
    """Every value of `attribute` in the lock's `kind` entries."""
    key = (kind, attribute)
    if key not in lock.held:
        lock.held[key] = _values(_entries(lock, kind), attribute, POOLS[key])
    values: frozenset[int] = lock.held[key]
    return values


def lan_spans(lock: Lock, vpn: str, version: int) -> tuple[tuple[int, int], ...]:
    """(first, last) address of every LAN of `vpn` in the lock, of one family."""
    key = ("lans", vpn, version)
    if key not in lock.held:
        lock.held[key] = _spans(_keyed(lock, "lans"), vpn, version)
    spans: tuple[tuple[int, int], ...] = lock.held[key]
    return spans


def held_after(before: Lock, after: Lock, vpns: list[str]) -> Held:
    """What `after` (the lock a plan made from `before`) holds, every pool and VPN of it."""
    old = {id(entry) for kind in KINDS for entry in _entries(before, kind)}
    fresh = {kind: [(k, e) for k, e in _keyed(after, kind) if id(e) not in old] for kind in KINDS}
    kept = sum(1 for kind in KINDS for entry in _entries(after, kind) if id(entry) in old)
    base = before.held if kept == len(old) else {}  # else entries were made anew: read `after` itself
    held: Held = {}
    for (kind, attribute), parse in POOLS.items():
        known = base.get((kind, attribute))
        held[(kind, attribute)] = (
            known | _values((e for _, e in fresh[kind]), attribute, parse)
            if known is not None
            else _values(_entries(after, kind), attribute, parse)
        )
    for vpn in vpns:
        for version in LAN_ATTRIBUTE:
            known = base.get(("lans", vpn, version))
            held[("lans", vpn, version)] = (
                known + _spans(fresh["lans"], vpn, version)
                if known is not None
                else _spans(_keyed(after, "lans"), vpn, version)
            )
    return held


def _entries(lock: Lock, kind: str) -> Iterable[Entry]:
    yield from lock.active[kind].values()
    yield from lock.retired[kind].values()


def _keyed(lock: Lock, kind: str) -> Iterable[tuple[str, Entry]]:
    yield from lock.active[kind].items()
    yield from lock.retired[kind].items()


def _values(entries: Iterable[Entry], attribute: str, parse: Parse) -> frozenset[int]:
    return frozenset(v for v in (int_of(entry.get(attribute), parse) for entry in entries) if v is not None)


def _spans(entries: Iterable[tuple[str, Entry]], vpn: str, version: int) -> tuple[tuple[int, int], ...]:
    attribute, suffix = LAN_ATTRIBUTE[version], f"|{vpn}"
    spans = []
    for key, entry in entries:
        text = entry.get(attribute)
        if key.endswith(suffix) and isinstance(text, str):
            prefix = prefix_span(text)
            if prefix is not None and prefix[0] == version:
                spans.append((prefix[1], last_address(*prefix)))
    return tuple(spans)
