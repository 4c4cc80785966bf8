"""Rendering benchmarks (issue 4), printed with ratios to the targets. Run on demand: `./dev bench`.

1. Every device of a 10,000-device synthetic network rendered into an empty folder: target <= 5 s
   (>= 2,000 devices/s), and >= 20x the nornir-jinja2 `template_file(path=...)` pattern, which builds
   a Jinja2 environment per call (timed on a sample of devices in the same run, scaled per device).
2. Re-render after one village is added (issue 18): the whole `netauto render` command <= 1 s
   (moonshot 0.3 s) and <= 0.2x the whole command's full render in the same run; the whole full
   render <= 4 s. Also the same change through a full plan and the render stage (no memo).
Times of the render stage (the plan already made) and of the whole `netauto render` command.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nornir.core import Nornir
from nornir.plugins.runners import SerialRunner
from nornir_jinja2.plugins.tasks import template_file

from netauto.example.synth import SynthSize, write_synthetic_inventory
from netauto.nornir_plugin import NetautoInventory
from netauto.pipeline import plan_and_lock
from netauto.render.context import build_contexts
from netauto.render.engine import features_for, render_all
from netauto.render.environment import FILTERS, TEMPLATES
from netauto.secrets import init_secrets, load_secrets

SIZE = SynthSize(towns=474, villages_per_town=20, bureaus=80)
SAMPLE = 200
NEW_VILLAGE = "- id: village-0001-999\n  class: village\n  parent: town-0001\n  users: 20\n"


def report(label: str, seconds: float, target: float) -> None:
    verdict = "ok" if seconds <= target else "OVER TARGET"
    print(f"{label:<60} {seconds:7.3f} s   target {target:4.1f} s   ratio {seconds / target:5.2f}   {verdict}")


def nornir_jinja2_seconds_per_device(result, secrets, names: list[str]) -> float:  # type: ignore[no-untyped-def]
    """The pattern the issue warns about: template_file(path=...) per host and feature."""
    contexts = build_contexts(result, secrets, set(names))
    nornir = Nornir(inventory=NetautoInventory(plan_result=result, only=set(names)).load(), runner=SerialRunner())

    def render(task):  # type: ignore[no-untyped-def]
        context = contexts[task.host.name]
        platform = context["device"]["platform"]
        return "".join(
            task.run(
                task=template_file,
                template=f"{feature}.j2",
                path=str(TEMPLATES / platform),
                jinja_filters=FILTERS,
                **context,
            ).result
            for feature in features_for(context)
        )

    start = time.perf_counter()
    results = nornir.run(task=render)
    elapsed = time.perf_counter() - start
    assert not results.failed, "the nornir-jinja2 pattern failed to render"
    return elapsed / len(names)


def file_system_seconds(folder: Path, sizes: list[int]) -> float:
    """What this machine's file system alone takes to write that many files of those sizes the way
    a render writes them (a temporary file renamed into place, one sync at the end): the floor under
    the whole command, which netauto cannot go below (here it varies: 0.2 s on tmpfs, 3-5 s on ext4)."""
    folder.mkdir()
    start = time.perf_counter()
    for index, size in enumerate(sizes):
        partial = folder / f".device-{index}.cfg.part"
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(descriptor, b"x" * size)
        os.close(descriptor)
        os.replace(partial, folder / f"device-{index}.cfg")
    os.sync()
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.environ["NETAUTO_CACHE"] = str(work / "cache")  # what netauto remembers between runs, fresh
        inventory = work / "synth"
        write_synthetic_inventory(inventory, SIZE)
        secrets_file = init_secrets(work / "secrets" / "secrets.yaml")
        secrets = load_secrets(secrets_file, inventory)
        result = plan_and_lock(inventory)
        devices = [d.name for d in result.plan.devices if d.platform]

        start = time.perf_counter()
        render_all(result, secrets, work / "configs")
        stage = time.perf_counter() - start
        rate = len(devices) / stage
        per_device = stage / len(devices)
        baseline = nornir_jinja2_seconds_per_device(result, secrets, devices[:: len(devices) // SAMPLE][:SAMPLE])

        sizes = [path.stat().st_size for path in (work / "configs").glob("*.cfg")]
        floor = file_system_seconds(work / "file-system-floor", sizes)
        command = [sys.executable, "-m", "netauto", "render", str(inventory), "--secrets", str(secrets_file)]
        start = time.perf_counter()
        subprocess.run([*command, "-o", str(work / "configs-cli")], check=True, capture_output=True)
        whole = time.perf_counter() - start

        full_plan = work / "synth-full-plan"  # the same change, planned whole (no memo): for comparison
        shutil.copytree(inventory, full_plan)
        for folder in (inventory, full_plan):
            with (folder / "sites-villages.yaml").open("a", encoding="utf-8") as villages:
                villages.write(NEW_VILLAGE)
        start = time.perf_counter()
        subprocess.run([*command, "-o", str(work / "configs-cli")], check=True, capture_output=True)
        again_whole = time.perf_counter() - start
        os.environ["NETAUTO_CACHE"] = "off"
        start = time.perf_counter()
        incremental = render_all(plan_and_lock(full_plan), secrets, work / "configs")
        again_stage = time.perf_counter() - start

    print(f"synthetic network: {len(devices)} managed devices (Huawei, H3C, IOS-XR; SRv6)")
    report("render all devices (render stage)", stage, 5.0)
    print(f"{'  rate':<60} {rate:7.0f} devices/s   target 2000 devices/s   {'ok' if rate >= 2000 else 'BELOW'}")
    report("netauto render, whole command (planning included)", whole, 4.0)
    print(f"{'  of which the file system alone (same files, plain loop)':<60} {floor:7.3f} s")
    report("  netauto's own part (whole command - file system)", whole - floor, 4.0)
    speedup = baseline / per_device
    print(
        f"{'nornir-jinja2 template_file(path=...) per device':<60} {baseline * 1000:7.2f} ms "
        f"(sampled {SAMPLE}); ours {per_device * 1000:.2f} ms"
    )
    verdict = "ok" if speedup >= 20 else "BELOW"
    print(f"{'speed-up over the path= pattern':<60} {speedup:7.0f} x   target   20 x   {verdict}")
    print(
        f"re-render after adding one village: {len(incremental.rendered)} rendered "
        f"({', '.join(incremental.rendered)}), {len(incremental.unchanged)} unchanged"
    )
    report("  full plan + render stage (in process, no region)", again_stage, 1.0)
    report("  netauto render, whole command", again_whole, 1.0)
    ratio = again_whole / whole
    verdict = "ok" if ratio <= 0.2 else "OVER TARGET"
    print(f"{'  ... as a share of the full render':<60} {ratio:7.3f} x   target  0.2 x   {verdict}")


if __name__ == "__main__":
    main()
