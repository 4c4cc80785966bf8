"""The `netauto` command. The only place that turns exceptions into messages and exit codes."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from netauto.cli.output import (
    print_analysis,
    print_change,
    print_diagnostics,
    print_plan_summary,
    print_push_report,
    print_rows,
    print_runbook_list,
    print_verification,
    stage_progress,
    wave_progress,
)
from netauto.errors import InventoryError, NetautoError
from netauto.example.synth import SynthSize, write_synthetic_inventory
from netauto.files import hold, write_atomic
from netauto.lab.slice import SliceSpec
from netauto.lab.vm import DEFAULT_CPUS as DEFAULT_VM_CPUS
from netauto.lab.vm import DEFAULT_MEMORY_MB as DEFAULT_VM_MEMORY_MB
from netauto.lab.vm import DEFAULT_VM
from netauto.pipeline import PlanResult, build_plan, inventory_folder, plan_and_lock
from netauto.plan.export import plan_json
from netauto.plan.lock import lock_is_current
from netauto.secrets import Secrets, init_secrets, load_secrets, secrets_path

if TYPE_CHECKING:
    from netauto.review.baseline import Baseline
    from netauto.review.change import Change

DEFAULT_INVENTORY = Path("inventory/qingpu")
POLICY_EXIT_CODE = 3  # `analyze --strict` found a policy violation (1 stays for bad input)

app = typer.Typer(
    help="Plan, validate and automate a dual-plane government extranet from one YAML source of truth.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
example_app = typer.Typer(help="Generate example inventories.", no_args_is_help=True)
app.add_typer(example_app, name="example")
secrets_app = typer.Typer(help="Secrets kept outside the inventory.", no_args_is_help=True)
app.add_typer(secrets_app, name="secrets")
vm_app = typer.Typer(help="The lab VM: QEMU with Debian's kernel, for what this kernel lacks.", no_args_is_help=True)
lab_app = typer.Typer(
    help="Labs: containerlab topologies, real FRR routers in network namespaces.", no_args_is_help=True
)
app.add_typer(lab_app, name="lab")
lab_app.add_typer(vm_app, name="vm")
runbook_app = typer.Typer(help="Migration runbooks of the dedicated networks.", no_args_is_help=True)
app.add_typer(runbook_app, name="runbook")

stdout = Console(soft_wrap=True, emoji=False)
stderr = Console(stderr=True, soft_wrap=True, emoji=False)

T = TypeVar("T")
InventoryPath = Annotated[Path, typer.Argument(help="Inventory folder (or single YAML file).")]


class Lang(StrEnum):
    zh = "zh"
    en = "en"


LangOption = Annotated[
    Lang | None,
    typer.Option("--lang", help="The reports' language: zh (Simplified Chinese) or en; default: network.locale."),
]


def _plan_and_hold(path: Path, on_stage: Callable[[str], None]) -> PlanResult:
    """Plan and lock, holding the inventory to the end of this command: what it writes from the plan
    (configs, a baseline, runbooks) is its own (netauto/files.py)."""
    hold(inventory_folder(path), "planning")
    return plan_and_lock(path, on_stage)


def run_guarded(action: Callable[[], T]) -> T:
    """Run a command body; a NetautoError becomes `Error: …` on stderr and its exit code, and so does a
    file that cannot be read or written (a bad `-o`, a full disk), with exit code 1."""
    try:
        return action()
    except InventoryError as exc:
        print_diagnostics(stderr, exc.diagnostics)
        stderr.print(f"Error: {exc}", markup=False, highlight=False)
        raise typer.Exit(exc.exit_code) from None
    except NetautoError as exc:
        stderr.print(f"Error: {exc}", markup=False, highlight=False)
        raise typer.Exit(exc.exit_code) from None
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        stderr.print(f"Error: {exc.strerror or exc}{where}", markup=False, highlight=False)
        raise typer.Exit(1) from None


@app.command()
def validate(path: InventoryPath = DEFAULT_INVENTORY) -> None:
    """Check the inventory: syntax, schema, references, pools, SID structure, allocations. Writes nothing."""
    with stage_progress(stderr) as on_stage:
        result = run_guarded(lambda: build_plan(path, on_stage))
    print_diagnostics(stderr, result.warnings)
    plan = result.plan
    stdout.print(
        f"{path}: valid — {len(plan.sites)} sites, {len(plan.devices)} devices, {len(plan.links)} links, "
        f"{len(plan.vpns)} VPNs, {len(plan.dedicated_networks)} dedicated networks",
        markup=False,
        highlight=False,
    )


@app.command()
def plan(
    path: InventoryPath = DEFAULT_INVENTORY,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as stable JSON on stdout.")] = False,
    frozen: Annotated[
        bool, typer.Option("--frozen", help="Fail instead of changing the allocation lock (for CI).")
    ] = False,
) -> None:
    """Expand sites into devices and links, allocate addresses and SIDs, record them in the lock file."""
    with stage_progress(stderr) as on_stage:
        result: PlanResult = run_guarded(lambda: _plan(path, frozen, on_stage))
    print_diagnostics(stderr, result.warnings)
    if as_json:
        sys.stdout.write(plan_json(result.plan))
    else:
        print_plan_summary(stdout, result)


def _plan(path: Path, frozen: bool, on_stage: Callable[[str], None]) -> PlanResult:
    if not frozen:
        return _plan_and_hold(path, on_stage)
    result = build_plan(path, on_stage)
    if lock_is_current(result.lock):
        return result
    raise NetautoError(f"{result.lock.path} would change; run `netauto plan {path}` and commit the lock file")


@app.command("analyze")
def analyze_command(
    path: InventoryPath = DEFAULT_INVENTORY,
    as_json: Annotated[bool, typer.Option("--json", help="Print the analysis as JSON on stdout.")] = False,
    html: Annotated[Path | None, typer.Option("--html", help="Write a self-contained HTML report here.")] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help=f"Exit with {POLICY_EXIT_CODE} when a policy check fails.")
    ] = False,
    max_normal: Annotated[float, typer.Option(help="Highest link utilisation allowed in the normal state.")] = 0.8,
    max_failure: Annotated[
        float, typer.Option(help="Highest link utilisation allowed under any single failure.")
    ] = 1.0,
    lang: LangOption = None,
) -> None:
    """Redundancy, single-failure impact, plane backup and capacity of the planned network."""
    from netauto.analyze.analysis import Thresholds, analyze  # networkx: loaded only by the commands that need it
    from netauto.analyze.report import analysis_html, analysis_json
    from netauto.i18n import ReportLocale
    from netauto.pages import Names

    with stage_progress(stderr) as on_stage:
        result = run_guarded(lambda: build_plan(path, on_stage))
    analysis = analyze(result, Thresholds(normal=max_normal, failure=max_failure))
    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        locale = ReportLocale.for_network(result.inventory.network, lang)
        write_atomic(html, analysis_html(analysis, result.plan, locale, Names.of(result.inventory)))
    if as_json:
        sys.stdout.write(analysis_json(analysis))
    else:
        print_analysis(stdout, analysis)
        if html is not None:
            stdout.print(f"HTML report: {html}", markup=False, highlight=False)
    if strict and not analysis.ok:
        raise typer.Exit(POLICY_EXIT_CODE)


@app.command()
def render(
    path: InventoryPath = DEFAULT_INVENTORY,
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for <device>.cfg files.")] = Path(
        "build/configs"
    ),
    device: Annotated[list[str] | None, typer.Option("--device", help="Render only these devices.")] = None,
    secrets_file: Annotated[Path | None, typer.Option("--secrets", help="Secrets file (else NETAUTO_SECRETS).")] = None,
    context: Annotated[
        str | None, typer.Option("--context", help="Print this device's template context (secrets masked).")
    ] = None,
) -> None:
    """Render every device's configuration (templates/<platform>/<feature>.j2) through Nornir, incrementally.

    Configs are deployment artefacts, so their allocations are recorded: render updates the lock file.
    """
    from netauto.render.context import build_contexts
    from netauto.render.incremental import plan_for_render, render_and_remember

    whole = context is not None or bool(device)  # a region plan holds only the devices a change reaches
    with stage_progress(stderr) as on_stage:
        result, record = run_guarded(lambda: plan_for_render(path, output, on_stage, whole))
    secrets = run_guarded(lambda: load_secrets(secrets_file, path))
    if context is not None:
        contexts = build_contexts(result, secrets, {context})
        if context not in contexts:
            stderr.print(f"Error: no managed device named {context}", markup=False, highlight=False)
            raise typer.Exit(1)
        sys.stdout.write(secrets.mask(json.dumps(contexts[context], ensure_ascii=False, indent=2, default=str)) + "\n")
        return
    only = set(device) if device else None
    _, report = run_guarded(lambda: render_and_remember(path, output, result, record, secrets, only))
    stdout.print(
        f"{output}: {len(report.rendered)} rendered, {len(report.unchanged)} unchanged, {len(report.removed)} removed",
        markup=False,
        highlight=False,
    )


def _current_change(
    path: Path,
    output: Path,
    baseline_root: Path,
    secrets_file: Path | None,
    running: Path | None,
    with_analysis: bool,
    villages: int,
) -> tuple[PlanResult, Secrets, Baseline, Change, dict[str, Any] | None]:
    """Plan, render and analyse the inventory, then compare with the approved baseline."""
    from netauto.render.engine import render_all
    from netauto.review.baseline import load_baseline
    from netauto.review.change import compute_change

    with stage_progress(stderr) as on_stage:
        result = run_guarded(lambda: _plan_and_hold(path, on_stage))
    secrets = run_guarded(lambda: load_secrets(secrets_file, path))
    run_guarded(lambda: render_all(result, secrets, output))
    analysis = None
    if with_analysis:
        from netauto.analyze.analysis import analyze

        analysis = analyze(result).model_dump(mode="json")
    baseline = run_guarded(lambda: load_baseline(baseline_root, result.plan.network))
    change = run_guarded(
        lambda: compute_change(result, secrets, output, baseline, running, analysis, village_threshold=villages)
    )
    return result, secrets, baseline, change, analysis


ConfigsOption = Annotated[Path, typer.Option("-o", "--output", help="Folder of rendered configs.")]
BaselineOption = Annotated[Path, typer.Option("--baseline", help="Folder of approved baselines.")]
SecretsOption = Annotated[Path | None, typer.Option("--secrets", help="Secrets file (else NETAUTO_SECRETS).")]
HostsOption = Annotated[
    Path | None, typer.Option("--hosts", help="YAML: device -> {hostname, port} (a lab writes one).")
]
WorkersOption = Annotated[int, typer.Option("--workers", min=1, help="Devices changed at once.")]
CommandTimeoutOption = Annotated[
    float, typer.Option("--command-timeout", min=1, help="Seconds to wait for a device's answer to one command.")
]
LoginTimeoutOption = Annotated[
    float,
    typer.Option("--login-timeout", min=1, help="Seconds from connecting to a device to its first prompt."),
]
ChangeIdOption = Annotated[str, typer.Option("--change-id", help="The change board's id for this change.")]
ByOption = Annotated[str, typer.Option("--by", help="Who approves.")]


@app.command()
def diff(
    path: InventoryPath = DEFAULT_INVENTORY,
    output: ConfigsOption = Path("build/configs"),
    baseline_root: BaselineOption = Path("baselines"),
    secrets_file: SecretsOption = None,
    running: Annotated[
        Path | None,
        typer.Option(
            "--running",
            help="Folder of running configs (<device>.cfg) for the remediation; `latest`: the newest "
            "`netauto collect` folder.",
        ),
    ] = None,
    html: Annotated[Path, typer.Option("--html", help="The review page (self-contained).")] = Path("build/review.html"),
    markdown: Annotated[Path, typer.Option("--md", help="The review in Markdown.")] = Path("build/review.md"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    villages: Annotated[int, typer.Option(help="Flag the change when more villages than this are touched.")] = 20,
    with_analysis: Annotated[bool, typer.Option("--analysis/--no-analysis", help="Compare the analysis.")] = True,
    lang: LangOption = None,
) -> None:
    """What would change against the approved baseline: per-device diffs, risk, model and analysis deltas."""
    from netauto.i18n import ReportLocale
    from netauto.pages import Names
    from netauto.push.collect import latest
    from netauto.review.report import review_html, review_markdown, summary_json

    if running == Path("latest"):
        running = run_guarded(latest)
    result, secrets, _, change, _ = _current_change(
        path, output, baseline_root, secrets_file, running, with_analysis, villages
    )
    title = f"{result.plan.name} ({result.plan.network})"
    locale, names = ReportLocale.for_network(result.inventory.network, lang), Names.of(result.inventory)
    pages = (
        (html, review_html(change, result.plan, title, locale, names)),
        (markdown, review_markdown(change, title, locale, names)),
    )
    for target, text in pages:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, secrets.mask(text))
    if as_json:
        sys.stdout.write(secrets.mask(summary_json(change)))
        return
    print_change(stdout, change)
    stdout.print(f"Review: {html} and {markdown}", markup=False, highlight=False)


@app.command("collect")
def collect_command(
    path: InventoryPath = DEFAULT_INVENTORY,
    hosts_file: HostsOption = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="Where the dated folders go.")] = Path("build/running"),
    workers: WorkersOption = 10,
    command_timeout: CommandTimeoutOption = 120.0,
    login_timeout: LoginTimeoutOption = 20.0,
) -> None:
    """Save every reachable device's running config into a dated folder (read-only; mode 0700).
    Credentials and host keys as for `netauto push`; exit 4 when a device did not answer."""
    from netauto.push.collect import collect
    from netauto.push.engine import PushOptions

    with stage_progress(stderr) as on_stage:
        result = run_guarded(lambda: build_plan(path, on_stage))
    options = PushOptions(
        workers=workers, hosts_file=hosts_file, command_timeout=command_timeout, login_timeout=login_timeout
    )
    collection = run_guarded(lambda: collect(result, options, output))
    for device, why in sorted(collection.failed.items()):
        stderr.print(f"{device}: not collected: {why}", markup=False, highlight=False)
    summary = f"{len(collection.saved)} running config(s) in {collection.folder}"
    stdout.print(summary + (f"; {len(collection.failed)} device(s) did not answer" if collection.failed else ""))
    if collection.failed:
        raise typer.Exit(4)


@app.command("parse")
def parse_command(
    platform: Annotated[str, typer.Argument(help="The platform (huawei_vrp, h3c_comware, cisco_iosxr, ...).")],
    command: Annotated[str, typer.Argument(help="The command the output answers, as typed (quoted).")],
    file: Annotated[Path, typer.Argument(help="A file holding the device's output.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as JSON.")] = False,
) -> None:
    """Parse a saved device output as the checks do: the rows, with stable field names."""
    from netauto.parse import parse_with, parser_for_command

    chosen = run_guarded(lambda: parser_for_command(platform, command))
    text = run_guarded(lambda: file.read_text(encoding="utf-8", errors="replace"))
    rows = run_guarded(lambda: parse_with(chosen, text))
    if as_json:
        document = {"platform": platform, "command": command, "query": chosen.query, "parser": chosen.library}
        sys.stdout.write(json.dumps({**document, "rows": rows}, ensure_ascii=False, indent=2) + "\n")
        return
    print_rows(stdout, f"{chosen.query} ({chosen.library}): {len(rows)} rows", rows)


def _require_approver(change_id: str, by: str) -> None:
    if not change_id.strip() or not by.strip():
        stderr.print("Error: --change-id and --by are required", markup=False, highlight=False)
        raise typer.Exit(1)


@app.command()
def approve(
    path: InventoryPath = DEFAULT_INVENTORY,
    change_id: ChangeIdOption = "",
    by: ByOption = "",
    expected_hash: Annotated[
        str | None, typer.Option("--hash", help="Refuse unless the change still has this hash (from the review).")
    ] = None,
    output: ConfigsOption = Path("build/configs"),
    baseline_root: BaselineOption = Path("baselines"),
    secrets_file: SecretsOption = None,
) -> None:
    """Approve exactly the current change: record its hash and make its configs the approved baseline."""
    from netauto.review.baseline import Approval, save_approval

    _require_approver(change_id, by)
    result, secrets, baseline, change, analysis = _current_change(
        path, output, baseline_root, secrets_file, None, True, 20
    )
    if change.empty:
        stdout.print("Nothing to approve: the intended configs equal the approved baseline.", markup=False)
        return
    if expected_hash is not None and expected_hash != change.change_hash:
        stderr.print(
            f"Error: the change is no longer the one reviewed (hash {change.change_hash[:12]}…, "
            f"reviewed {expected_hash[:12]}…); review it again",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(1)
    approval = Approval(
        change_id=change_id,
        by=by,
        at=datetime.now(UTC).isoformat(timespec="seconds"),
        change_hash=change.change_hash,
        devices=[d.name for d in change.devices],
        digests={d.name: d.digest for d in change.devices if d.status != "removed"},
    )
    masked = {
        d.name: secrets.mask((output / f"{d.name}.cfg").read_text(encoding="utf-8"))
        for d in change.devices
        if d.status != "removed"
    }
    removed = [d.name for d in change.devices if d.status == "removed"]
    from netauto.plan.export import plan_document

    save_approval(baseline, approval, masked, plan_document(result.plan), analysis, removed)
    stdout.print(
        f"Approved change {change_id} by {by}: {len(change.devices)} device(s), hash {change.change_hash}",
        markup=False,
        highlight=False,
    )


PUSH_FAILED_EXIT_CODE = 4  # the push failed on a device or a post-check; what it touched was restored


@app.command(name="push")
def push_command(
    path: InventoryPath = DEFAULT_INVENTORY,
    apply: Annotated[bool, typer.Option("--apply", help="Change the routers (default: a dry run).")] = False,
    hosts_file: HostsOption = None,
    devices: Annotated[list[str] | None, typer.Option("--device", help="Only this device (repeatable).")] = None,
    canary: Annotated[list[str] | None, typer.Option("--canary", help="The canary wave (repeatable).")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Devices per wave after the canary.")] = 10,
    workers: WorkersOption = 10,
    max_failures: Annotated[
        int, typer.Option("--max-failures", min=0, help="Failed devices tolerated before stopping.")
    ] = 0,
    expected_hash: Annotated[
        str | None, typer.Option("--hash", help="Refuse unless this is the newest approval's hash.")
    ] = None,
    post_check_seconds: Annotated[
        float, typer.Option("--post-check-timeout", min=0, help="Seconds a wave gets to pass its post-checks.")
    ] = 30.0,
    confirm_window: Annotated[
        int,
        typer.Option("--confirm-window", min=60, help="Seconds a device on a commit timer waits for the confirmation."),
    ] = 600,
    command_timeout: CommandTimeoutOption = 120.0,
    login_timeout: LoginTimeoutOption = 20.0,
    resume: Annotated[Path | None, typer.Option("--resume", help="Continue the push of this journal.")] = None,
    rollback_journal: Annotated[
        Path | None, typer.Option("--rollback", help="Restore every device this journal touched.")
    ] = None,
    journal_root: Annotated[Path, typer.Option("--journal-dir", help="Where journals are kept.")] = Path("build/push"),
    output: ConfigsOption = Path("build/configs"),
    baseline_root: BaselineOption = Path("baselines"),
    secrets_file: SecretsOption = None,
) -> None:
    """Push the approved change: back up, dry run (default) or apply in waves with post-checks, journal,
    restore on failure; or resume / roll back a journal. Credentials: NETAUTO_USERNAME and NETAUTO_SSH_KEY
    or NETAUTO_PASSWORD; host keys: NETAUTO_KNOWN_HOSTS (else ~/.ssh/known_hosts), always checked."""
    from netauto.push.engine import PushOptions
    from netauto.push.run import PushRequest, run_push, run_rollback

    options = PushOptions(
        workers,
        batch_size,
        canary or [],
        max_failures,
        hosts_file,
        post_check_seconds,
        confirm_window,
        command_timeout,
        login_timeout,
    )
    if rollback_journal is not None:
        with stage_progress(stderr) as on_stage:
            result = run_guarded(lambda: _plan_and_hold(path, on_stage))
        secrets = run_guarded(lambda: load_secrets(secrets_file, path))
        outcomes = run_guarded(lambda: run_rollback(result, secrets, rollback_journal, options))
        for device, outcome in sorted(outcomes.items()):
            stdout.print(f"{device}: {outcome}", markup=False, highlight=False)
        stdout.print(f"rollback of {rollback_journal}: {len(outcomes)} device(s) touched", markup=False)
        if any(o != "restored" for o in outcomes.values()):
            raise typer.Exit(PUSH_FAILED_EXIT_CODE)
        return
    result, secrets, baseline, change, _ = _current_change(path, output, baseline_root, secrets_file, None, False, 20)
    request = PushRequest(
        apply or resume is not None, options, output, journal_root, devices or [], expected_hash, resume
    )
    with wave_progress(stderr) as progress:
        report = run_guarded(lambda: run_push(result, secrets, change, baseline, request, progress))
    print_push_report(stdout, report, dry_run=not request.apply)
    if not report.ok:
        raise typer.Exit(PUSH_FAILED_EXIT_CODE)


class Scope(StrEnum):
    all = "all"
    slice = "slice"


ScopeOption = Annotated[Scope, typer.Option("--scope", help="all, or slice (the core plus a few of the rest).")]
TownsOption = Annotated[int, typer.Option("--towns", min=0, help="Towns in the slice.")]
VillagesOption = Annotated[int, typer.Option("--villages", min=0, help="Villages per town in the slice.")]
BureausOption = Annotated[int, typer.Option("--bureaus", min=0, help="Bureaus in the slice.")]
LabName = Annotated[str, typer.Option("--name", help="The lab's name.")]
EngineOption = Annotated[
    str,
    typer.Option(
        "--engine",
        help="auto: netns where this kernel has all the lab shows, else vm; netns: FRR in namespaces here; "
        "vm: the same inside a QEMU VM with Debian's kernel; containerlab.",
    ),
]
VmMemoryOption = Annotated[int, typer.Option("--vm-memory", min=512, help="The lab VM's memory, MiB.")]
VmCpusOption = Annotated[int, typer.Option("--vm-cpus", min=1, help="The lab VM's CPUs.")]
VmName = Annotated[str, typer.Option("--vm", help="The lab VM's name.")]
FrrVersionOption = Annotated[
    str, typer.Option("--frr-version", help="8: FRR 8.4 (the host's; IP transport); 10: FRR 10.3 (trixie tree; SRv6).")
]


TransportOption = Annotated[
    str | None,
    typer.Option("--transport", help="FRR 10 only: srv6 (default) or mpls (IS-IS SR-MPLS, L3VPN over MPLS labels)."),
]


def _lab_frr(version: str):  # type: ignore[no-untyped-def]
    from netauto.lab.slice import LAB_FRR

    if version not in LAB_FRR:
        stderr.print(f"Error: --frr-version {version}: expected one of {', '.join(LAB_FRR)}", markup=False)
        raise typer.Exit(1)
    return LAB_FRR[version]


def _lab_plan(path: Path, version: str | None, transport: str | None = None) -> PlanResult:
    """The plan of the inventory, or of its all-FRR lab variant for FRR `version` (and `transport`)."""
    from netauto.lab.slice import frr_variant

    if version is None:
        return run_guarded(lambda: build_plan(path))
    lab_frr = _lab_frr(version)
    if transport is not None and transport not in lab_frr.transports:
        choices = " or ".join(lab_frr.transports)
        stderr.print(f"Error: --transport {transport}: {lab_frr.model} in the lab forwards {choices}", markup=False)
        raise typer.Exit(1)
    return run_guarded(lambda: build_plan(path, variant=lambda inv: frr_variant(inv, lab_frr, transport)))


def _lab_slice(  # type: ignore[no-untyped-def]
    path: Path, version: str | None, spec: SliceSpec, secrets_file: Path | None, configs: Path, transport: str | None
):
    from netauto.lab.slice import select, slice_links
    from netauto.render.engine import render_all

    result = _lab_plan(path, version, transport)
    devices = select(result.plan, spec)
    secrets = run_guarded(lambda: load_secrets(secrets_file, path))
    run_guarded(lambda: render_all(result, secrets, configs, set(devices)))
    return result, devices, slice_links(result.plan, devices)


@lab_app.command("export")
def lab_export(
    path: InventoryPath = DEFAULT_INVENTORY,
    output: Annotated[Path, typer.Option("-o", "--output", help="The topology file (<name>.clab.yml).")] = Path(
        "topologies/qingpu-slice-frr.clab.yml"
    ),
    scope: ScopeOption = Scope.slice,
    towns: TownsOption = 2,
    villages: VillagesOption = 2,
    bureaus: BureausOption = 1,
    frr: Annotated[bool, typer.Option("--frr/--native", help="Every node FRR (runs anywhere).")] = True,
    frr_version: FrrVersionOption = "8",
    transport: TransportOption = None,
    secrets_file: SecretsOption = None,
) -> None:
    """Write a containerlab topology of a slice of the plan, with startup configs from render."""
    from netauto.lab.containerlab import topology, write_topology

    name = output.name.removesuffix(".yml").removesuffix(".clab")
    configs = output.parent / name / "configs"
    spec = SliceSpec(scope.value, towns, villages, bureaus)
    result, devices, _ = _lab_slice(path, frr_version if frr else None, spec, secrets_file, configs, transport)
    document = run_guarded(lambda: topology(result, name, devices, configs, output))
    run_guarded(lambda: write_topology(document, output))
    stdout.print(f"{output}: {len(devices)} nodes, {len(document['topology']['links'])} links", markup=False)


@lab_app.command("up")
def lab_up(
    path: InventoryPath = DEFAULT_INVENTORY,
    name: LabName = "lab",
    engine: EngineOption = "auto",
    scope: ScopeOption = Scope.slice,
    towns: TownsOption = 2,
    villages: VillagesOption = 2,
    bureaus: BureausOption = 1,
    secrets_file: SecretsOption = None,
    frr_version: FrrVersionOption = "8",
    transport: TransportOption = None,
    with_ssh: Annotated[
        bool, typer.Option("--ssh", help="A management network and an sshd per router, landing in its vtysh.")
    ] = False,
    wan_delay: Annotated[
        float,
        typer.Option(
            "--wan-delay", min=0, max=1000, help="With --ssh: each router's management round trip in ms (netem)."
        ),
    ] = 0.0,
    vm_memory: VmMemoryOption = DEFAULT_VM_MEMORY_MB,
    vm_cpus: VmCpusOption = DEFAULT_VM_CPUS,
) -> None:
    """Bring a slice up as real routers: FRR in network namespaces, here or in the lab VM (Debian's
    kernel) where this kernel lacks what the lab shows; or containerlab where installed."""
    from netauto.lab import engines

    spec = SliceSpec(scope.value, towns, villages, bureaus)
    folder = Path("build/labs") / name
    if wan_delay and not with_ssh:
        stderr.print("Error: --wan-delay delays the management network: it needs --ssh", markup=False)
        raise typer.Exit(1)
    choice = run_guarded(lambda: engines.choose(engine))
    if choice.engine == "containerlab":
        _containerlab_deploy(path, name, spec, secrets_file, folder, frr_version, transport)
        return
    if wan_delay and choice.engine == "netns" and "netem" in choice.lacking:
        stderr.print("Error: --wan-delay needs netem, which this kernel lacks: use --engine vm", markup=False)
        raise typer.Exit(1)
    if choice.engine == "vm":
        _lab_up_in_vm(name, choice.lacking, vm_memory, vm_cpus, folder / "ssh" if with_ssh else None, frr_version)
    if choice.lacking:
        stderr.print(
            f"Warning: this kernel lacks {', '.join(choice.lacking)}: the lab cannot show them here (--engine vm can)",
            markup=False,
            highlight=False,
        )
    from netauto.lab import netns
    from netauto.lab.slice import lab_vpns

    run_guarded(netns.require_root)
    _lab_frr(frr_version)
    result, devices, links = _lab_slice(path, frr_version, spec, secrets_file, folder / "configs", transport)
    frr = run_guarded(lambda: _frr_install(frr_version))
    vpns = lab_vpns(result.inventory, result.plan, devices)
    carried_by = result.plan.transport
    lab = run_guarded(
        lambda: netns.up(devices, links, folder / "configs", name, frr=frr, vpns=vpns, transport=carried_by)
    )
    meta = {"inventory": str(path), "spec": vars(spec), "frr_version": frr_version, "transport": carried_by}
    (folder / "lab.json").write_text(json.dumps(meta) + "\n", encoding="utf-8")
    summary = f"lab {name}: {len(lab.namespaces)} FRR routers, {len(lab.links)} links up"
    if with_ssh:
        from netauto.lab import ssh

        try:
            reach = run_guarded(lambda: ssh.up(lab, folder / "ssh", wan_delay))
        except typer.Exit:
            run_guarded(lambda: netns.down(name))
            run_guarded(lambda: ssh.down(name, folder / "ssh"))
            raise
        summary += f"; SSH to each router's vtysh: {reach.hosts_file}, {reach.known_hosts}, key {reach.client_key}"
    for vpn in vpns:
        where = f"VRF {vpn.vrf}" if vpn.vrf else "the global table"
        summary += f"; VPN {vpn.id} in {where}: {len(vpn.attachments)} PE-CE links, {len(vpn.hosts)} LAN hosts"
    stdout.print(summary, markup=False)


def _lab_up_in_vm(
    name: str, lacking: tuple[str, ...], memory_mb: int, cpus: int, ssh: Path | None, frr_version: str
) -> None:
    """Boot the lab VM (or reuse it) and bring the lab up inside it with the netns engine; with `ssh`
    (the lab's SSH folder), the routers' sshd reachable from here too."""
    from netauto.lab import engines, vm

    if lacking:
        stderr.print(f"this kernel lacks {', '.join(lacking)}: the lab runs in the VM", markup=False)
    machine = _vm_start(vm.DEFAULT_VM, memory_mb, cpus, with_frr10=frr_version == "10")
    run_guarded(lambda: engines.remember_vm(name, machine.name))
    code = engines.forward(machine, [*sys.argv[1:], "--engine", "netns"])
    if code == 0 and ssh is not None:
        hosts, known = run_guarded(lambda: engines.expose_ssh(machine, ssh))
        stdout.print(f"lab {name}: SSH to each router from this host: {hosts}, {known}", markup=False)
    raise typer.Exit(code)


def _vm_start(vm_name: str, memory_mb: int, cpus: int, with_frr10: bool = True):  # type: ignore[no-untyped-def]
    """The running VM, or a new one. A new one reads the FRR 10.3 tree through its cached read-only
    share (vm.GUEST_CACHED): the tree is made ready here first, on the host, where building it is fast."""
    import time

    from netauto.lab import vm

    running = vm.find(vm_name)
    if running is not None:
        return running
    if with_frr10:
        run_guarded(lambda: _frr_install("10"))
    started = time.monotonic()
    machine = run_guarded(lambda: vm.start(vm_name, memory_mb, cpus))
    stderr.print(
        f"VM {machine.name}: booted in {time.monotonic() - started:.1f} s ({machine.accel}, {memory_mb} MiB, "
        f"{cpus} CPUs, SSH on 127.0.0.1:{machine.port})",
        markup=False,
        highlight=False,
    )
    return machine


def _forward_to_vm_if_there(name: str) -> None:
    """A lab brought up in the VM: run this very command inside the VM and exit with its code."""
    from netauto.lab import engines

    vm_name = engines.vm_of(name)
    if vm_name is None:
        return
    machine = run_guarded(lambda: engines.running_vm(name, vm_name))
    raise typer.Exit(engines.forward(machine, sys.argv[1:]))


def _frr_install(version: str):  # type: ignore[no-untyped-def]
    from netauto.lab import netns, rootfs

    if version == "8":
        return netns.HOST_FRR
    tree = rootfs.ensure(netns.FRR10_ROOT)
    how = "built and cached" if tree.built else "ready"
    stderr.print(f"FRR {tree.frr_version} tree {how} in {tree.seconds:.1f} s: {tree.path}", markup=False)
    return netns.FRR10


def _containerlab_deploy(
    path: Path,
    name: str,
    spec: SliceSpec,
    secrets_file: Path | None,
    folder: Path,
    frr_version: str,
    transport: str | None,
) -> None:
    import shutil
    import subprocess

    from netauto.lab.containerlab import topology, write_topology

    binary = shutil.which("containerlab")
    if binary is None:
        stderr.print(
            "Error: containerlab is not installed (it needs a Docker engine); use --engine netns for real FRR "
            "routers in network namespaces, or export a topology with `netauto lab export`",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(1)
    topology_file = folder / f"{name}.clab.yml"
    result, devices, _ = _lab_slice(path, frr_version, spec, secrets_file, folder / name / "configs", transport)
    document = run_guarded(lambda: topology(result, name, devices, folder / name / "configs", topology_file))
    run_guarded(lambda: write_topology(document, topology_file))
    raise typer.Exit(subprocess.run([binary, "deploy", "-t", str(topology_file)]).returncode)


@lab_app.command("down")
def lab_down(name: LabName = "lab") -> None:
    """Stop the lab's routers and remove its namespaces (and the lab VM, once no lab runs in it)."""
    from netauto.lab import engines, netns, ssh

    run_guarded(netns.require_root)
    vm_name = engines.vm_of(name)
    if vm_name is not None:
        _lab_down_in_vm(name, vm_name)
    run_guarded(lambda: netns.down(name))
    run_guarded(lambda: ssh.down(name, Path("build/labs") / name / "ssh"))
    stdout.print(f"lab {name}: down", markup=False)


def _lab_down_in_vm(name: str, vm_name: str) -> None:
    from netauto.lab import engines, netns, vm

    machine = vm.find(vm_name)
    code = 0
    if machine is None:
        note = f"its VM {vm_name} was not running: nothing of the lab remained"
        vm.stop(vm_name)  # its state folder
        netns.state_file(name).unlink(missing_ok=True)
    else:
        code = engines.forward(machine, sys.argv[1:])
        left = engines.guest_namespaces(machine)
        note = f"VM {vm_name} keeps running ({len(left)} namespaces in it)" if left else f"VM {vm_name} stopped"
        if not left:
            vm.stop(vm_name)
    engines.forget(name)
    stdout.print(f"lab {name}: {note}", markup=False, highlight=False)
    raise typer.Exit(code)


@lab_app.command("status")
def lab_status(name: LabName = "lab") -> None:
    """Each router of the lab: its namespace, whether FRR runs, its IS-IS neighbours."""
    from netauto.lab import netns
    from netauto.lab.verify import isis_neighbors

    _forward_to_vm_if_there(name)
    lab = run_guarded(lambda: netns.load(name))
    table = Table(title=f"lab {name}", title_justify="left")
    for header in ("device", "namespace", "frr", "isis neighbours"):
        table.add_column(header)
    for device, ns in sorted(lab.namespaces.items()):
        running = netns.running(lab, ns)
        table.add_row(device, ns, "running" if running else "stopped", str(len(isis_neighbors(lab, device))))
    stdout.print(table)


@lab_app.command("exec")
def lab_exec(device: str, command: str, name: LabName = "lab") -> None:
    """Run a vtysh command on one router of the lab."""
    from netauto.lab import netns

    _forward_to_vm_if_there(name)
    lab = run_guarded(lambda: netns.load(name))
    if device not in lab.namespaces:
        stderr.print(f"Error: lab {name} has no device {device}", markup=False, highlight=False)
        raise typer.Exit(1)
    sys.stdout.write(netns.vtysh(lab, device, command))


@lab_app.command("verify")
def lab_verify(
    name: LabName = "lab",
    as_json: Annotated[bool, typer.Option("--json", help="Print the verification as JSON.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help=f"Exit {POLICY_EXIT_CODE} on any disagreement.")] = False,
    sweep: Annotated[bool, typer.Option("--sweep/--no-sweep", help="Fail every link in turn.")] = True,
    sweep_vpns: Annotated[
        bool, typer.Option("--sweep-vpns/--no-sweep-vpns", help="In the sweep, measure the VPNs' host pairs too.")
    ] = True,
) -> None:
    """Adjacencies, BGP sessions, loopbacks as planned, one SRv6 path; then fail every link and compare
    who reaches whom with the analysis."""
    from netauto.lab import netns
    from netauto.lab.slice import lab_vpns, select, slice_links
    from netauto.lab.verify import expected, verify

    _forward_to_vm_if_there(name)
    lab = run_guarded(lambda: netns.load(name))
    meta_file = Path("build/labs") / name / "lab.json"
    if not meta_file.exists():
        stderr.print(f"Error: lab {name} was not built by `netauto lab up` here (no {meta_file})", markup=False)
        raise typer.Exit(1)
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    result = _lab_plan(Path(meta["inventory"]), meta.get("frr_version", "8"), meta.get("transport"))
    devices = select(result.plan, SliceSpec(**meta["spec"]))
    planned = expected(result.plan, devices, slice_links(result.plan, devices))
    vpns = lab_vpns(result.inventory, result.plan, devices)
    verification = run_guarded(lambda: verify(lab, planned, sweep=sweep, vpns=vpns, sweep_vpns=sweep_vpns))
    if as_json:
        sys.stdout.write(json.dumps(verification.as_dict(), indent=2) + "\n")
    else:
        print_verification(stdout, verification)
    if strict and not verification.ok:
        raise typer.Exit(POLICY_EXIT_CODE)


@lab_app.command("kernel")
def lab_kernel(
    check: Annotated[bool, typer.Option("--check", help=f"Exit {POLICY_EXIT_CODE} when a feature is missing.")] = False,
) -> None:
    """What this kernel offers the lab (each feature tried in a scratch namespace), and the engine
    `lab up` picks from it."""
    from netauto.lab import engines, kernel, netns

    run_guarded(netns.require_root)
    choice = engines.choose("auto", tuple(feature.id for feature in kernel.missing()))
    lacking = set(choice.lacking)
    table = Table(title="this kernel", title_justify="left")
    for header in ("feature", "what the lab shows with it", "here"):
        table.add_column(header)
    for feature in kernel.FEATURES:
        table.add_row(feature.id, feature.what, "missing" if feature.id in lacking else "yes")
    stdout.print(table)
    stdout.print(f"lab up --engine auto: {choice.engine}", markup=False, highlight=False)
    if check and lacking:
        raise typer.Exit(POLICY_EXIT_CODE)


@vm_app.command("up")
def vm_up(
    vm_name: VmName = DEFAULT_VM,
    memory_mb: VmMemoryOption = DEFAULT_VM_MEMORY_MB,
    cpus: VmCpusOption = DEFAULT_VM_CPUS,
) -> None:
    """Boot the lab VM (kernel and initramfs built and cached on first use) and wait for its channel."""
    machine = _vm_start(vm_name, memory_mb, cpus)
    stdout.print(f"VM {machine.name}: running ({machine.accel}), SSH on 127.0.0.1:{machine.port}", markup=False)


@vm_app.command("down")
def vm_down(vm_name: VmName = DEFAULT_VM) -> None:
    """Stop the lab VM, and every lab in it."""
    from netauto.lab import vm

    stopped = run_guarded(lambda: vm.stop(vm_name))
    stdout.print(f"VM {vm_name}: {'stopped' if stopped else 'was not running'}", markup=False, highlight=False)


@vm_app.command("status")
def vm_status(
    vm_name: VmName = DEFAULT_VM,
    console: Annotated[
        int, typer.Option("--console", min=0, help="Also print the last LINES of the VM's serial console.")
    ] = 0,
) -> None:
    """Whether the lab VM runs, how it is accelerated, where its channel is."""
    from netauto.lab import vm

    machine = vm.find(vm_name)
    if console:
        for line in vm.console_tail(vm_name, console):
            stdout.print(f"console: {line}", markup=False, highlight=False)
    if machine is None:
        stdout.print(f"VM {vm_name}: not running", markup=False, highlight=False)
        raise typer.Exit(1)
    stdout.print(
        f"VM {machine.name}: running ({machine.accel}), pid {machine.pid}, SSH on 127.0.0.1:{machine.port}",
        markup=False,
        highlight=False,
    )


@vm_app.command("run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def vm_run(
    command: Annotated[list[str], typer.Argument(help="The command, after `--`.")],
    vm_name: VmName = DEFAULT_VM,
) -> None:
    """Run a command inside the lab VM, in this folder (shared with the VM), and exit with its code."""
    from netauto.lab import vm

    machine = vm.find(vm_name)
    if machine is None:
        stderr.print(f"Error: VM {vm_name} is not running; `netauto lab vm up` boots it", markup=False)
        raise typer.Exit(1)
    raise typer.Exit(vm.run(machine, command, cwd=Path.cwd()).returncode)


@secrets_app.command("init")
def secrets_init(
    path: Annotated[
        Path | None, typer.Option("--path", help="Where to write (else NETAUTO_SECRETS or ~/.config).")
    ] = None,
) -> None:
    """Write random secrets (IS-IS/BGP keys, SNMPv3, login) to a file outside the repository, mode 0600."""
    written = run_guarded(lambda: init_secrets(secrets_path(path)))
    stdout.print(f"wrote random secrets to {written}", markup=False, highlight=False)


@example_app.command("synth")
def synth(
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder to write the inventory into.")],
    towns: Annotated[int, typer.Option(min=1, help="Number of towns.")] = 20,
    villages_per_town: Annotated[int, typer.Option(min=0, help="Villages hanging off each town.")] = 20,
    bureaus: Annotated[int, typer.Option(min=0, help="Number of bureaus (dual-homed to the core).")] = 40,
    core_sites: Annotated[int, typer.Option(min=2, help="Number of core sites (2 devices each).")] = 2,
    frr: Annotated[bool, typer.Option("--frr", help="Every device FRR, transport SR-MPLS (for labs).")] = False,
    preset: Annotated[
        str | None,
        typer.Option(
            "--preset",
            help="province: 13 cities, each town dual-homed to its city's core, ~50,000 devices (the size options "
            "are then ignored).",
        ),
    ] = None,
) -> None:
    """Write a valid synthetic inventory of any size, for what-if planning and benchmarks."""
    if preset not in (None, "province"):
        stderr.print(f"Error: unknown preset '{preset}'; the presets are: province", markup=False, highlight=False)
        raise typer.Exit(1)
    size = (
        SynthSize.province()
        if preset
        else SynthSize(
            towns=towns, villages_per_town=villages_per_town, bureaus=bureaus, core_sites=core_sites, all_frr=frr
        )
    )
    written = run_guarded(lambda: write_synthetic_inventory(output, size))
    stdout.print(f"wrote {written} files to {output} ({size.device_count} devices)", markup=False, highlight=False)


RUNBOOK_PAUSED_EXIT_CODE = 5  # a run stopped at a gate, waiting for the engineer; --resume continues it
RunbooksOption = Annotated[Path, typer.Option("--runbooks", help="Folder of runbook files.")]
RunbookJournals = Annotated[Path, typer.Option("--journal-dir", help="Where runbook journals are kept.")]


@runbook_app.command("generate")
def runbook_generate(
    path: InventoryPath = DEFAULT_INVENTORY,
    networks: Annotated[
        list[str] | None, typer.Option("--network", help="Only this dedicated network (repeatable).")
    ] = None,
    runbooks: RunbooksOption = Path("runbooks"),
    secrets_file: SecretsOption = None,
) -> None:
    """Write runbooks/<network>.yaml for each dedicated network: staged config steps with rollbacks,
    checks and gates, from the source of truth and the plan. Nothing is contacted."""
    from netauto.runbook.document import dump_runbook
    from netauto.runbook.generate import generate

    with stage_progress(stderr) as on_stage:
        result = run_guarded(lambda: _plan_and_hold(path, on_stage))
    secrets = run_guarded(lambda: load_secrets(secrets_file, path))
    chosen = networks or [d.id for d in result.inventory.dedicated_networks]
    documents = run_guarded(lambda: [generate(result, secrets, network, path) for network in chosen])
    runbooks.mkdir(parents=True, exist_ok=True)
    for document in documents:
        target = runbooks / f"{document['runbook']}.yaml"
        write_atomic(target, dump_runbook(document))
        configs = sum(1 for s in document["steps"] if s["kind"] == "config")
        gates = sum(1 for s in document["steps"] if s["kind"] == "gate")
        stdout.print(
            f"{target}: {document['mode']}, {len(document['steps'])} steps ({configs} config, {gates} gates)",
            markup=False,
            highlight=False,
        )


@runbook_app.command("list")
def runbook_list(
    path: InventoryPath = DEFAULT_INVENTORY,
    runbooks: RunbooksOption = Path("runbooks"),
    journal_root: RunbookJournals = Path("build/runbooks"),
) -> None:
    """The dedicated networks, their mode, their runbook and the state of its newest run."""
    from netauto.runbook.status import network_states

    result = run_guarded(lambda: build_plan(path))
    states = network_states(result.inventory, runbooks, journal_root)
    print_runbook_list(stdout, states, runbooks, result.inventory.network.time_zone)


@runbook_app.command("approve")
def runbook_approve(
    file: Annotated[Path, typer.Argument(help="The runbook file.")],
    change_id: ChangeIdOption = "",
    by: ByOption = "",
    expected_hash: Annotated[
        str | None, typer.Option("--hash", help="Refuse unless the runbook still has this hash (from the review).")
    ] = None,
    baseline_root: BaselineOption = Path("baselines"),
) -> None:
    """Approve exactly this runbook's content (its hash); `runbook run --apply` refuses anything else."""
    from netauto.runbook.approvals import approve_runbook
    from netauto.runbook.document import load_runbook, runbook_hash

    _require_approver(change_id, by)
    runbook = run_guarded(lambda: load_runbook(file))
    hash_ = runbook_hash(runbook)
    if expected_hash is not None and expected_hash != hash_:
        stderr.print(f"Error: {file} is no longer the runbook reviewed (hash {hash_[:12]})", markup=False)
        raise typer.Exit(1)
    run_guarded(lambda: approve_runbook(baseline_root, runbook, hash_, change_id, by))
    stdout.print(f"Approved runbook {runbook.runbook} as {change_id} by {by}: hash {hash_}", markup=False)


@runbook_app.command("run")
def runbook_run(
    file: Annotated[Path, typer.Argument(help="The runbook file.")],
    inventory: Annotated[
        Path | None, typer.Option("--inventory", help="The inventory (default: the one it was generated from).")
    ] = None,
    apply: Annotated[bool, typer.Option("--apply", help="Change the routers (default: a dry run).")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm every gate without asking (labs).")] = False,
    confirmed: Annotated[
        list[str] | None, typer.Option("--confirm", help="This gate is done (its step id; repeatable).")
    ] = None,
    hosts_file: HostsOption = None,
    workers: WorkersOption = 10,
    check_seconds: Annotated[
        float, typer.Option("--check-timeout", min=0, help="Seconds a check step gets to pass.")
    ] = 60.0,
    command_timeout: CommandTimeoutOption = 120.0,
    login_timeout: LoginTimeoutOption = 20.0,
    resume: Annotated[Path | None, typer.Option("--resume", help="Continue the run of this journal.")] = None,
    rollback_journal: Annotated[
        Path | None, typer.Option("--rollback", help="Undo what the run of this journal changed.")
    ] = None,
    journal_root: RunbookJournals = Path("build/runbooks"),
    baseline_root: BaselineOption = Path("baselines"),
    secrets_file: SecretsOption = None,
    lang: LangOption = None,
) -> None:
    """Run a runbook: a dry run (default) prints every step and line; --apply runs an approved runbook
    with backups, a journal, checks and gates, and rolls back on a failure; --resume / --rollback a run."""
    from netauto.runbook.document import load_runbook
    from netauto.runbook.run import RunOptions, describe, run_rollback, run_runbook

    runbook = run_guarded(lambda: load_runbook(file))
    path = inventory or Path(str(runbook.generated.get("inventory") or DEFAULT_INVENTORY))
    with stage_progress(stderr) as on_stage:
        result = run_guarded(lambda: build_plan(path, on_stage))
    if result.plan.network != runbook.network:
        stderr.print(
            f"Error: {file} is a runbook of network {runbook.network!r}, but {path} plans network "
            f"{result.plan.network!r}; give its inventory with --inventory",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(1)
    secrets = run_guarded(lambda: load_secrets(secrets_file, path))
    ask = _ask_at_gates if sys.stdin.isatty() and not yes else None
    options = RunOptions(
        apply=apply or resume is not None,
        yes=yes,
        confirmed=frozenset(confirmed or []),
        ask=ask,
        hosts_file=hosts_file,
        workers=workers,
        command_timeout=command_timeout,
        login_timeout=login_timeout,
        check_seconds=check_seconds,
        journal_root=journal_root,
        resume=resume,
        baseline_root=baseline_root,
        lang=lang.value if lang else None,
    )
    if rollback_journal is not None:
        report = run_guarded(lambda: run_rollback(result, secrets, runbook, rollback_journal, options))
    else:
        report = run_guarded(lambda: run_runbook(result, secrets, runbook, options))
    if report.journal is None:
        for line in describe(runbook, secrets.mask):
            stdout.print(line, markup=False, highlight=False)
        stdout.print(f"Dry run of {file}: nothing was contacted or changed.", markup=False)
        return
    for step in report.steps:
        stdout.print(f"{step.id}: {step.status} {step.detail}".rstrip(), markup=False, highlight=False)
    for device, state in report.devices.items():
        stdout.print(f"{device}: {state}", markup=False, highlight=False)
    stdout.print(f"Runbook {runbook.runbook}: {report.status} (journal {report.journal})", markup=False)
    if report.status == "paused":
        stdout.print(f"Do the step, then: netauto runbook run {file} --resume {report.journal}", markup=False)
        raise typer.Exit(RUNBOOK_PAUSED_EXIT_CODE)
    wanted = "rolled back" if rollback_journal is not None else "done"
    if report.status != wanted:
        raise typer.Exit(PUSH_FAILED_EXIT_CODE)


def _ask_at_gates(question: str) -> bool:
    return typer.confirm(question, default=False)


def main() -> None:
    app()
