"""The VM lab engine, driven from the host: `lab up --engine vm` boots QEMU with Debian's kernel and
brings the netns lab up inside it; `status`, `exec`, `verify` and `down` on the host reach it there;
the guest's kernel has every feature the lab shows; a VM killed with its lab leaves nothing behind.
Needs root and QEMU (`.ci/run` installs it); the tests run in order, on one VM."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from netmiko import ConnectHandler
from test_lab_netns import _leftovers

from conftest import QINGPU, TESTS, run_netauto, unavailable
from netauto.lab import kernel, vm
from netauto.push import vtysh_driver

vtysh_driver.register()

SECRETS = TESTS / "fixtures" / "secrets.yaml"
LAB = "nt-vm"
WAN_DELAY_MS = 30
SLICE = ("--towns", "1", "--villages", "1", "--bureaus", "0", "--ssh", "--wan-delay", str(WAN_DELAY_MS))


@pytest.fixture(scope="module")
def vm_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if os.geteuid() != 0 or shutil.which(vm.QEMU) is None:
        unavailable("the VM engine tests need root and QEMU in CI", "the VM engine tests need root and QEMU")
    workdir = tmp_path_factory.mktemp("vm-lab")
    try:
        started = run_netauto(
            "lab", "up", str(QINGPU), "--name", LAB, "--engine", "vm", *SLICE, "--secrets", str(SECRETS),
            cwd=workdir, timeout=900,
        )  # fmt: skip
        assert started.returncode == 0, started.stdout + started.stderr
        yield workdir
    finally:
        run_netauto("lab", "down", "--name", LAB, cwd=workdir, timeout=300)


def test_the_lab_runs_in_the_vm_and_nothing_of_it_on_the_host(vm_lab: Path) -> None:
    assert (vm_lab / "build" / "labs" / LAB / "engine").read_text().split() == ["vm", vm.DEFAULT_VM]
    assert _leftovers(LAB) == []  # no namespace, FRR folder or daemon of the lab here
    status = run_netauto("lab", "status", "--name", LAB, cwd=vm_lab, timeout=300)
    assert status.returncode == 0, status.stderr
    assert status.stdout.count("running") == 6 and "stopped" not in status.stdout
    assert "core-a-cr1" in status.stdout and "baihe-v01-ce1" in status.stdout


def test_the_vm_kernel_has_every_feature_the_lab_shows(vm_lab: Path) -> None:
    machine = vm.find()
    assert machine is not None
    probe = vm.run(machine, [sys.executable, "-c", PROBE], cwd=Path(__file__).parent.parent, capture=True)
    assert probe.returncode == 0, probe.stderr
    expected_slowdown = 1.0 if machine.accel == "kvm" else kernel.EMULATION_SLOWDOWN
    assert json.loads(probe.stdout) == {"missing": [], "inside_vm": True, "slowdown": expected_slowdown}
    assert kernel.inside_netauto_vm() is False and kernel.slowdown() == 1.0  # and the host is not the VM


PROBE = "import json; from netauto.lab import kernel; " + (
    "print(json.dumps({'missing': [f.id for f in kernel.missing()], 'inside_vm': kernel.inside_netauto_vm(), "
    "'slowdown': kernel.slowdown()}))"
)


def test_exec_and_verify_from_the_host_reach_the_routers_in_the_vm(vm_lab: Path) -> None:
    shown = run_netauto("lab", "exec", "core-a-cr1", "show isis neighbor", "--name", LAB, cwd=vm_lab, timeout=300)
    assert shown.returncode == 0, shown.stderr
    assert {"core-a-cr2", "core-b-cr1"} <= set(shown.stdout.split())
    verified = run_netauto("lab", "verify", "--name", LAB, "--json", "--no-sweep", cwd=vm_lab, timeout=600)
    assert verified.returncode == 0, verified.stderr
    checks = json.loads(verified.stdout)["checks"]
    assert {c["what"] for c in checks} == {"isis", "bgp", "loopbacks"}
    assert [c for c in checks if not c["ok"]] == []


def test_the_routers_in_the_vm_answer_ssh_from_the_host(vm_lab: Path) -> None:
    folder = vm_lab / "build" / "labs" / LAB / "ssh"
    hosts = yaml.safe_load((folder / "hosts-host.yaml").read_text(encoding="utf-8"))
    assert len(hosts) == 6 and {entry["hostname"] for entry in hosts.values()} == {"127.0.0.1"}
    for device in ("core-a-cr1", "baihe-v01-ce1"):
        connection = ConnectHandler(
            device_type=vtysh_driver.DEVICE_TYPE,
            host="127.0.0.1",
            port=hosts[device]["port"],
            username="root",
            use_keys=True,
            key_file=str(folder / "client_ed25519"),
            allow_agent=False,
            ssh_strict=True,  # the router's own host key, from the lab's known_hosts
            system_host_keys=False,
            alt_host_keys=True,
            alt_key_file=str(folder / "known_hosts-host"),
            conn_timeout=60,
            banner_timeout=60,
            auth_timeout=60,
        )
        try:
            assert connection.find_prompt() == f"{device}#"
            assert "FRRouting" in connection.send_command("show version", read_timeout=120)
        finally:
            connection.disconnect()


def test_each_routers_management_round_trip_is_the_wan_delay(vm_lab: Path) -> None:
    machine = vm.find()
    assert machine is not None
    hosts = yaml.safe_load((vm_lab / "build" / "labs" / LAB / "ssh" / "hosts.yaml").read_text(encoding="utf-8"))
    for device, entry in hosts.items():
        ping = vm.run(machine, ["ping", "-q", "-c", "3", "-i", "0.2", entry["hostname"]], capture=True)
        assert ping.returncode == 0, ping.stdout + ping.stderr
        fastest = float(ping.stdout.split("=")[-1].split("/")[0])  # rtt min/avg/max/mdev = 30.1/...
        assert WAN_DELAY_MS <= fastest < WAN_DELAY_MS * 3, f"{device}: {ping.stdout}"


def test_a_killed_vm_leaves_nothing_behind_and_down_says_so(vm_lab: Path) -> None:
    machine = vm.find()
    assert machine is not None
    os.kill(machine.pid, signal.SIGKILL)  # no handler runs: the guest's routers die with it
    deadline = time.monotonic() + 10
    while vm.find() is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert vm.find() is None
    status = run_netauto("lab", "status", "--name", LAB, cwd=vm_lab)
    assert status.returncode == 1 and "not running" in status.stderr and "Traceback" not in status.stderr
    down = run_netauto("lab", "down", "--name", LAB, cwd=vm_lab)
    assert down.returncode == 0, down.stderr
    assert "nothing of the lab remained" in down.stdout
    assert not vm.state_folder(vm.DEFAULT_VM).exists()
    assert not (vm_lab / "build" / "labs" / LAB / "engine").exists()
    assert _leftovers(LAB) == []
    assert _live_qemus(f"netauto-{vm.DEFAULT_VM}") == []


def _live_qemus(name: str) -> list[str]:
    listed = subprocess.run(["ps", "-eo", "stat=,args="], capture_output=True, text=True).stdout
    return [line for line in listed.splitlines() if name in line and "qemu" in line and not line.startswith("Z")]
