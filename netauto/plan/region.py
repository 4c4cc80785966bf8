"""Planning a change again only where it reaches: an engineer adds a village to a 10,000-device
network and `netauto render` re-plans and re-renders that village and the routers it is cabled to,
not the network.

What a folder of rendered configs stands for is remembered after each render (netauto/cache.py):
the inventory's pieces (netauto/model/chunks.py: one per site, one per other section), the lock the
plan left, the templates and the secrets. The next render compares the inventory with that record.
When the only change is to sites of a CE class (villages, say: added, removed, moved or edited) and
everything else is as recorded, the plan is made for a *region*: the changed sites, the sites whose
routers are cabled to them (the far ends of their uplinks, old and new), the sites cabled to those
(a PE's config lists every CE behind it), the core sites (every router's route reflectors) and the
sites that own prefixes (they reserve LAN space). Every device config outside the region is then
unchanged, and the region's configs are what a full plan would render:

- the whole inventory is still read, checked and expanded (uplinks choose their far ends over the
  whole network), and retirement is decided over the whole of it;
- allocations are sticky and new ones take the lowest free value after everything in the lock, so
  with the lock the recorded plan left (checked by digest) the region's new values are the full
  plan's, and everything outside it keeps its lock entry, as a full plan keeps it.

Anything else (a town, a VPN, a pool, a template, the secrets, a lock edited by hand, a folder of
configs touched since) gets the full plan. tests/test_incremental.py renders random edits both ways
and compares every byte of the configs, the render state and the lock.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from netauto.cache import Memo
from netauto.model.checks import IGP_ROLES
from netauto.model.loader import RawInventory
from netauto.model.schema import Inventory
from netauto.plan.expand import Expansion
from netauto.plan.lock import Lock

REGION_SHARE = 4  # a region bigger than a quarter of the sites costs what a full plan costs


@dataclass(frozen=True)
class Snapshot:
    """The inputs of one plan, as the next run compares them."""

    id: bytes
    sites: dict[str, tuple[bytes, str]]  # site id -> (key of its piece, its class)
    others: bytes  # every piece that is not a site, in order
    lock: bytes  # digest of the lock file the plan left
    order: bytes  # the sites' piece keys, in order

    def relocked(self, lock_file: Path) -> Snapshot:
        """The same inputs with the lock as it is now on disk (after the plan wrote it)."""
        lock = file_digest(lock_file)
        ident = hashlib.blake2b(self.others + lock + self.order, digest_size=16).digest()
        return Snapshot(ident, self.sites, self.others, lock, self.order)


@dataclass(frozen=True)
class Region:
    sites: set[str]  # planned again
    dirty: set[str]  # the devices whose configs may change
    managed: set[str]  # every managed device of the whole network


def snapshot_of(raw: RawInventory, lock_file: Path) -> Snapshot | None:
    """The snapshot of an inventory read by pieces (None when it was read whole)."""
    if raw.pieces is None:
        return None
    site_keys = [key for section, key in raw.pieces if section == "sites"]
    sites = raw.data.get("sites") or []
    if len(site_keys) != len(sites):
        return None
    entries: dict[str, tuple[bytes, str]] = {}
    for key, site in zip(site_keys, sites, strict=True):
        if not isinstance(site, dict) or not isinstance(site.get("id"), str) or site["id"] in entries:
            return None
        entries[site["id"]] = (key, str(site.get("class")))
    others = Memo.key(*(f"{section}:{key.hex()}" for section, key in raw.pieces if section != "sites"))
    return Snapshot(b"", entries, others, b"", b"".join(site_keys)).relocked(lock_file)


def file_digest(path: Path) -> bytes:
    try:
        return hashlib.blake2b(path.read_bytes(), digest_size=16).digest()
    except FileNotFoundError:
        return b""


def find_region(before: Snapshot, now: Snapshot, inv: Inventory, expansion: Expansion, lock: Lock) -> Region | None:
    """The region a change from `before` to `now` reaches, or None when it needs the full plan."""
    if before.others != now.others or before.lock != file_digest(lock.path):
        return None
    classes = {sc.id: sc for sc in inv.site_classes}
    changed = {s for s in before.sites.keys() | now.sites.keys() if before.sites.get(s) != now.sites.get(s)}
    versions = [v for s in changed for v in (before.sites.get(s), now.sites.get(s)) if v is not None]
    if any(v[1] not in classes or classes[v[1]].role != "ce" for v in versions):
        return None
    if any(site.parent in changed for site in inv.sites):
        return None  # a changed site is some site's parent
    old_devices = {
        f"{site}-{classes[version[1]].device_prefix}{n}"
        for site in changed
        if (version := before.sites.get(site)) is not None
        for n in range(1, classes[version[1]].devices + 1)
    }
    new_devices = {d for site in changed if site in now.sites for d in expansion.devices_by_site.get(site, [])}
    far = _cabled_to(new_devices, expansion) | _cabled_in_lock(old_devices, lock)
    far -= old_devices | new_devices
    if not far <= expansion.devices.keys():
        return None
    dirty = new_devices | far
    sites = {site for site in changed if site in now.sites} | {expansion.devices[d].site for d in far}
    sites |= {expansion.devices[d].site for d in _cabled_to(dirty, expansion) if d in expansion.devices}
    sites |= {s.id for s in inv.sites if classes[s.site_class].role == "core" or s.prefixes}
    if any(expansion.devices[d].role == "core" for d in dirty):  # a route reflector lists every IGP router
        sites |= {spec.site for spec in expansion.devices.values() if spec.role in IGP_ROLES}
    if len(sites) * REGION_SHARE > len(inv.sites):
        return None
    managed = {name for name, spec in expansion.devices.items() if spec.platform is not None}
    return Region(sites=sites, dirty=dirty & managed, managed=managed)


def _cabled_to(devices: set[str], expansion: Expansion) -> set[str]:
    ends = set()
    for link in expansion.links:
        if link.a in devices:
            ends.add(link.b)
        if link.b in devices:
            ends.add(link.a)
    return ends


def _cabled_in_lock(devices: set[str], lock: Lock) -> set[str]:
    """The far ends of the links the lock records for `devices` (where removed routers were cabled)."""
    ends = set()
    for entry in lock.active["links"].values():
        a, b = entry.get("a"), entry.get("b")
        if a in devices:
            ends.add(str(b))
        if b in devices:
            ends.add(str(a))
    return ends
