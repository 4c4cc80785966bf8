"""The pipeline in one screen: load -> parse -> check -> expand -> allocate (DESIGN §3).

Each stage collects every problem it finds; the pipeline stops at the first stage that found errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from netauto.cache import Memo
from netauto.errors import Diagnostic, DiagnosticCollector
from netauto.files import holding
from netauto.model.checks import Reporter, check_inventory
from netauto.model.loader import RawInventory, load_inventory
from netauto.model.parse import parse_inventory
from netauto.model.schema import Inventory
from netauto.plan.allocate import allocate
from netauto.plan.expand import check_borders, expand
from netauto.plan.lock import Lock, read_lock, write_lock
from netauto.plan.model import Plan
from netauto.plan.pools import AllocationReport


@dataclass
class PlanResult:
    inventory: Inventory
    plan: Plan
    lock: Lock
    changes: AllocationReport
    warnings: list[Diagnostic]
    lock_written: bool = False


STAGES = ("loading", "parsing", "checking", "expanding", "allocating")


def build_plan(
    path: Path,
    on_stage: Callable[[str], None] = lambda stage: None,
    variant: Callable[[Inventory], Inventory] | None = None,
) -> PlanResult:
    """Validate the inventory and plan it in memory; nothing is written.

    `variant` rewrites the validated inventory first (the lab's all-FRR variant); the lock is still
    the inventory's own, so the variant keeps the real addresses.
    """
    on_stage("loading")
    raw: RawInventory = load_inventory(path, Memo.open(inventory_folder(path), "pieces"))
    on_stage("parsing")
    inventory = parse_inventory(raw)
    if variant is not None:
        inventory = variant(inventory)
    on_stage("checking")
    collector = DiagnosticCollector(str(path))
    report = Reporter(raw.source_map, collector)
    check_inventory(inventory, report)
    collector.raise_if_errors()
    on_stage("expanding")
    lock = read_lock(path)
    expansion = expand(inventory, lock, report)
    check_borders(inventory, expansion, report)
    collector.raise_if_errors()
    on_stage("allocating")
    plan, new_lock, changes = allocate(inventory, expansion, lock, report)
    collector.raise_if_errors()
    return PlanResult(inventory, plan, new_lock, changes, collector.warnings)


def plan_and_lock(path: Path, on_stage: Callable[[str], None] = lambda stage: None) -> PlanResult:
    """Plan, then record the allocations in the lock file beside the inventory, holding the inventory
    (netauto/files.py `holding`) so no other netauto plans between the read and the write."""
    with holding(inventory_folder(path), "planning"):
        result = build_plan(path, on_stage)
        if result.changes.any() or not result.lock.path.exists():
            result.lock_written = write_lock(result.lock)
    return result


def inventory_folder(path: Path) -> Path:
    return path if path.is_dir() else path.parent
