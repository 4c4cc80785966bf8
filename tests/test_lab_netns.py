"""The netns lab: real FRR 8.4 routers in network namespaces, built from the plan, checked against the
plan and the analysis. Needs root and FRR; CI has both (`.ci/run`), a non-root local run skips."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import QINGPU, SLOWDOWN, TESTS, require_kernel, run_netauto, unavailable
from netauto.cli.main import POLICY_EXIT_CODE

SECRETS = TESTS / "fixtures" / "secrets.yaml"
LAB = "nt-lab"


def _require_lab_host(*kernel_features: str) -> None:
    missing = []
    if os.geteuid() != 0:
        missing.append("root")
    if not Path("/usr/lib/frr/zebra").exists():
        missing.append("FRR (apt-get install -y frr)")
    if missing:
        needed = " and ".join(missing)
        unavailable(
            f"the lab tests need {needed} in CI", f"lab tests need {needed}: run them as root on a machine with FRR"
        )
    require_kernel(*kernel_features)


def _namespaces(name: str) -> list[str]:
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return [line.split()[0] for line in listed.splitlines() if line.startswith(f"{name}-")]


def _leftovers(name: str) -> list[str]:
    folders = [str(p) for root in (Path("/etc/frr"), Path("/var/run/frr")) for p in root.glob(f"{name}-*")]
    daemons = subprocess.run(["pgrep", "-a", "-f", f"-N {name}-"], capture_output=True, text=True).stdout.splitlines()
    return _namespaces(name) + folders + daemons


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The Qingpu slice up as real FRR routers; torn down after the module, even on failure or SIGTERM."""
    _require_lab_host()
    workdir = tmp_path_factory.mktemp("lab")

    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")  # so the teardown below still runs

    previous = signal.signal(signal.SIGTERM, interrupted)
    try:
        # FRR 8.4 forwards plain IP: the lab needs no kernel feature, it runs on this kernel (netns); the
        # SRv6 path, VRFs and VLANs are shown by the FRR 10.3 lab (tests/test_lab_frr10.py)
        arguments = ["--name", LAB, "--secrets", str(SECRETS), "--engine", "netns"]
        started = run_netauto("lab", "up", str(QINGPU), *arguments, cwd=workdir)
        assert started.returncode == 0, started.stdout + started.stderr
        yield workdir
    finally:
        run_netauto("lab", "down", "--name", LAB, cwd=workdir)
        signal.signal(signal.SIGTERM, previous)


@pytest.fixture(scope="module")
def verification(lab: Path) -> dict:  # type: ignore[type-arg]
    result = run_netauto("lab", "verify", "--name", LAB, "--json", cwd=lab, timeout=600)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_every_device_of_the_slice_runs_frr_in_its_own_namespace(lab: Path) -> None:
    state = json.loads((lab / "build" / "labs" / f"{LAB}.json").read_text())
    assert sorted(_namespaces(LAB)) == sorted(state["namespaces"].values())
    assert {"core-a-cr1", "core-a-cr2", "core-b-cr1", "core-b-cr2"} <= set(state["namespaces"])
    status = run_netauto("lab", "status", "--name", LAB, cwd=lab)
    assert status.returncode == 0
    assert status.stdout.count("running") == len(state["namespaces"]) and "stopped" not in status.stdout


def test_plan_adjacencies_sessions_and_loopbacks_are_what_the_routers_show(verification: dict) -> None:  # type: ignore[type-arg]
    checks = verification["checks"]
    assert {c["what"] for c in checks} == {"isis", "bgp", "loopbacks"}
    assert [c for c in checks if not c["ok"]] == []
    core = next(c for c in checks if c["router"] == "core-a-cr1" and c["what"] == "isis")
    assert {"core-a-cr2", "core-b-cr1", "core-b-cr2"} <= set(core["measured"])


def test_every_single_link_failure_agrees_with_the_analysis(lab: Path, verification: dict) -> None:  # type: ignore[type-arg]
    state = json.loads((lab / "build" / "labs" / f"{LAB}.json").read_text())
    assert len(verification["sweep"]) == len(state["links"]) > 10
    assert [row for row in verification["sweep"] if not row["agree"]] == []
    assert verification["ok"] is True


def test_a_broken_link_is_reported_as_a_finding_not_a_crash(lab: Path, verification: dict) -> None:  # type: ignore[type-arg]
    state = json.loads((lab / "build" / "labs" / f"{LAB}.json").read_text())
    a, a_if, b, _ = next(link for link in state["links"] if link[0].startswith("core-") and link[2].startswith("core-"))
    subprocess.run(["ip", "netns", "exec", state["namespaces"][a], "ip", "link", "set", a_if, "down"], check=True)
    try:
        result = run_netauto("lab", "verify", "--name", LAB, "--json", "--no-sweep", "--strict", cwd=lab, timeout=300)
    finally:
        subprocess.run(["ip", "netns", "exec", state["namespaces"][a], "ip", "link", "set", a_if, "up"], check=True)
    assert result.returncode == POLICY_EXIT_CODE, result.stderr
    found = json.loads(result.stdout)
    failed = {(c["router"], c["what"]) for c in found["checks"] if not c["ok"]}
    assert {(a, "isis"), (b, "isis")} <= failed
    missing = next(c for c in found["checks"] if c["router"] == a and c["what"] == "isis")
    assert b in set(missing["expected"]) - set(missing["measured"])


def test_exec_runs_a_command_on_one_router(lab: Path) -> None:
    result = run_netauto("lab", "exec", "core-a-cr1", "show isis neighbor", "--name", LAB, cwd=lab)
    assert result.returncode == 0 and "core-a-cr2" in result.stdout
    unknown = run_netauto("lab", "exec", "no-such-router", "show version", "--name", LAB, cwd=lab)
    assert unknown.returncode == 1 and "has no device no-such-router" in unknown.stderr


def test_down_removes_everything_even_after_up_was_killed(tmp_path: Path) -> None:
    _require_lab_host()
    name = "nt-kill"
    command = [sys.executable, "-m", "netauto", "lab", "up", str(QINGPU), "--name", name, "--secrets", str(SECRETS)]
    command += ["--engine", "netns"]
    builder = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60 * SLOWDOWN
        while len(_namespaces(name)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        builder.kill()  # SIGKILL mid-build: no handler runs
        builder.wait()
        assert _namespaces(name), "the builder was killed before it made anything"
    finally:
        result = run_netauto("lab", "down", "--name", name, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert _leftovers(name) == []
