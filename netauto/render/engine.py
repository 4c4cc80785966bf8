"""Render every device's configuration through Nornir, one shared Jinja2 environment, incrementally.

A device's config is the concatenation of its features' templates, in the order of `features_for`.
Each device's inputs (its context, the text of the templates it uses, netauto's version) are hashed;
a device whose hash is unchanged and whose file exists is not rendered again.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment
from nornir.core import Nornir
from nornir.core.task import Result, Task
from nornir.plugins.runners import SerialRunner

from netauto import __version__
from netauto.errors import NetautoError
from netauto.files import flush_all, write_atomic, write_private
from netauto.nornir_plugin import NetautoInventory, quiet_nornir
from netauto.pipeline import PlanResult, without_cycle_collection
from netauto.platforms import get_platform
from netauto.render.context import Context, build_contexts
from netauto.render.environment import TEMPLATES, environment, render_feature, template_name
from netauto.secrets import Secrets

STATE_FILE = ".netauto-render.json"
IGP_FEATURES = ("base", "interfaces", "isis", "{transport}", "bgp", "vrfs")
CE_FEATURES = ("base", "interfaces", "ce")


@dataclass
class RenderReport:
    output: Path
    rendered: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


TRANSPORT_FEATURES = {"srv6": "srv6", "mpls": "mpls", "ip": None}  # ip: no segment routing to configure


def features_for(context: Context) -> list[str]:
    names = IGP_FEATURES if context["device"]["is_pe"] else CE_FEATURES
    transport = TRANSPORT_FEATURES[context["network"]["transport"]]
    features = []
    for name in names:
        if name != "{transport}":
            features.append(name)
        elif transport is not None:
            features.append(transport)
    if context.get("borders"):
        features.append("border")
    return features


def check_platform_features(result: PlanResult) -> None:
    """Refuse, with a clear message, a plan whose transport a device's platform lacks."""
    transport = result.plan.transport
    if transport == "ip":
        return
    feature = "srv6" if transport == "srv6" else "sr_mpls"
    lacking = sorted(
        d.name
        for d in result.plan.devices
        if d.node_id is not None and d.platform and not _supports(d.platform, feature)
    )
    if lacking:
        raise NetautoError(
            f"transport {transport} needs '{feature}', which the platform of {len(lacking)} device(s) lacks: "
            f"{', '.join(lacking[:5])}{' …' if len(lacking) > 5 else ''}"
        )


def _supports(platform: str, feature: str) -> bool:
    return get_platform(platform).features.get(feature, False)


def render_config(env: Environment, context: Context) -> str:
    device = context["device"]
    folder = get_platform(device["platform"]).templates
    return "".join(render_feature(env, folder, f, device["name"], context) for f in features_for(context))


class _TemplateDigests:
    """Hash of the templates a device uses, read once per render run (templates change between runs)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.known: dict[tuple[str, tuple[str, ...]], str] = {}

    def __call__(self, platform: str, features: tuple[str, ...]) -> str:
        key = (platform, features)
        if key not in self.known:
            digest = hashlib.sha256()
            for feature in features:
                path = self.root / template_name(get_platform(platform).templates, feature)
                digest.update(path.read_bytes() if path.exists() else b"<missing>")
            self.known[key] = digest.hexdigest()
        return self.known[key]


_DIGEST_ENCODER = json.JSONEncoder(sort_keys=True, default=str)  # built once: json.dumps(**kw) builds one per call


def input_digest(context: Context, templates: _TemplateDigests) -> str:
    text = _DIGEST_ENCODER.encode(context)
    used = templates(context["device"]["platform"], tuple(features_for(context)))
    return hashlib.sha256(f"{__version__}\n{used}\n{text}".encode()).hexdigest()


PARALLEL_FROM = 2000  # devices; below this, forking costs more than it saves


@dataclass
class _Job:
    """What every rendering worker needs; forked workers inherit it instead of receiving a pickle."""

    result: PlanResult
    secrets: Secrets
    output: Path
    root: Path
    state: dict[str, str]


@dataclass
class _Outcome:
    rendered: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)


_JOB: _Job | None = None


def render_all(
    result: PlanResult,
    secrets: Secrets,
    output: Path,
    only: set[str] | None = None,
    root: Path = TEMPLATES,
    workers: int | None = None,
) -> RenderReport:
    """Render the devices (all, or `only`), skipping those whose inputs did not change.

    Large networks are split over the machine's cores: each forked worker builds the contexts of
    its share, runs Nornir over its hosts with the shared environment, and writes the files.
    """
    global _JOB
    check_platform_features(result)
    region = result.region  # only a region was planned: every config outside it is unchanged
    managed = sorted(region.managed) if region else [d.name for d in result.plan.devices if d.platform is not None]
    wanted = sorted(region.dirty) if region else managed
    names = [n for n in wanted if only is None or n in only]
    unknown = sorted((only or set()) - set(names)) if region is None else []
    if unknown:
        raise NetautoError(f"no managed device named {', '.join(unknown)} in the plan")
    output.mkdir(parents=True, exist_ok=True)
    for partial in output.glob(".*.part"):  # left by a render killed mid-write: its file is whole
        partial.unlink()
    state_path = output / STATE_FILE
    state = read_state(state_path)
    _JOB = _Job(result, secrets, output, root, state)
    count = workers or (min(os.cpu_count() or 1, 8) if len(names) >= PARALLEL_FROM else 1)
    chunks = [names[i::count] for i in range(count)]
    # no cyclic collection: forked workers then share the plan's pages instead of copying them on the
    # collector's touch, and building 10,000 contexts is not slowed by it walking them again and again
    try:
        with without_cycle_collection():
            if count == 1:
                outcomes = [_render_share(names)]
            else:
                with multiprocessing.get_context("fork").Pool(count) as pool:
                    outcomes = pool.map(_render_share, chunks)
    finally:
        _JOB = None
    report = RenderReport(output=output)
    for outcome in outcomes:
        report.rendered += outcome.rendered
        report.unchanged += outcome.unchanged
        report.failed.update(outcome.failed)
        state.update({name: outcome.digests[name] for name in outcome.rendered})
    if region is not None:
        report.unchanged += sorted(set(managed) - set(names))
    report.rendered.sort()
    report.unchanged.sort()
    if only is None:
        _remove_stale(output, set(managed), state, report)
    flush_all(output)  # the configs on disk before the state that vouches for them
    write_atomic(state_path, json.dumps(state, sort_keys=True, indent=0) + "\n")
    if report.failed:
        raise RenderFailed(report)
    return report


def _render_share(names: list[str]) -> _Outcome:
    """Contexts, digests and rendering (through Nornir) of one share of the devices."""
    job = _JOB
    assert job is not None
    outcome = _Outcome()
    contexts = build_contexts(job.result, job.secrets, set(names))
    digests = _TemplateDigests(job.root)
    todo: dict[str, tuple[Context, str]] = {}
    for name in names:
        digest = input_digest(contexts[name], digests)
        if job.state.get(name) == digest and (job.output / f"{name}.cfg").exists():
            outcome.unchanged.append(name)
        else:
            todo[name] = (contexts[name], digest)
            outcome.digests[name] = digest
    if todo:
        _run_nornir(job.result, environment(job.root), todo, job.output, outcome)
    return outcome


class RenderFailed(NetautoError):
    """Some devices failed to render (the others were written); raised once, after the run."""

    def __init__(self, report: RenderReport) -> None:
        self.report = report
        lines = [f"{name}: {message}" for name, message in sorted(report.failed.items())]
        shown = "\n  ".join(lines[:10]) + (f"\n  … and {len(lines) - 10} more" if len(lines) > 10 else "")
        super().__init__(f"{len(lines)} device(s) failed to render ({len(report.rendered)} rendered):\n  {shown}")


def _run_nornir(
    result: PlanResult, env: Environment, todo: dict[str, tuple[Context, str]], output: Path, outcome: _Outcome
) -> None:
    inventory = NetautoInventory(plan_result=result, only=set(todo)).load()
    quiet_nornir()
    nornir = Nornir(inventory=inventory, runner=SerialRunner())
    results = nornir.run(task=_render_task, env=env, todo=todo, output=output, on_failed=True)
    for name, multi in results.items():
        if multi.failed:
            exception = multi[0].exception
            outcome.failed[name] = str(exception) if exception else "failed"
        else:
            outcome.rendered.append(name)


def _render_task(task: Task, env: Environment, todo: dict[str, tuple[Context, str]], output: Path) -> Result:
    context, _ = todo[task.host.name]
    text = render_config(env, context)
    write_private(output / f"{task.host.name}.cfg", text, durable=False)  # it holds the device's secrets
    return Result(host=task.host, changed=True)


def read_state(path: Path) -> dict[str, str]:
    """Each device's input digest at its last render; none (render them all) when unreadable."""
    try:
        state = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (ValueError, RecursionError, UnicodeDecodeError):
        return {}
    return {str(k): v for k, v in state.items() if isinstance(v, str)} if isinstance(state, dict) else {}


def config_names(output: Path) -> list[str]:
    """The devices whose configs are in `output`, by name (no path objects: 10,000 of them)."""
    return sorted(name[: -len(".cfg")] for name in os.listdir(output) if name.endswith(".cfg"))


def _remove_stale(output: Path, current: set[str], state: dict[str, Any], report: RenderReport) -> None:
    for name in config_names(output):
        if name not in current:
            (output / f"{name}.cfg").unlink()
            state.pop(name, None)
            report.removed.append(name)
