"""`netauto lab up --ssh`: each lab router reachable over real SSH on a management network, host keys
checked strictly, key login only, the session landing in that router's vtysh; Netmiko (what push uses)
configures through it and sees a refused line. Needs root, FRR and sshd; CI has them."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest
import yaml
from netmiko import ConnectHandler
from netmiko.exceptions import ConfigInvalidException, NetmikoAuthenticationException
from test_lab_netns import _leftovers, _require_lab_host

from conftest import QINGPU, TESTS, run_netauto, unavailable
from netauto.push import vtysh_driver

vtysh_driver.register()

SECRETS = TESTS / "fixtures" / "secrets.yaml"
LAB = "nt-ssh"
ERRORS = r"% Unknown command|% Invalid|% Ambiguous|% Command incomplete"


@pytest.fixture(scope="module")
def ssh_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    _require_lab_host()
    if shutil.which("sshd") is None and not Path("/usr/sbin/sshd").exists():
        unavailable("the SSH lab test needs sshd (openssh-server) in CI", "SSH lab tests need openssh-server")
    workdir = tmp_path_factory.mktemp("ssh-lab")
    arguments = ["--name", LAB, "--towns", "1", "--villages", "1", "--bureaus", "0", "--ssh", "--secrets", str(SECRETS)]
    arguments += ["--engine", "netns"]  # SSH to the routers needs no kernel feature: they run on this kernel
    try:
        started = run_netauto("lab", "up", str(QINGPU), *arguments, cwd=workdir, timeout=300)
        assert started.returncode == 0, started.stdout + started.stderr
        yield workdir / "build" / "labs" / LAB / "ssh"
    finally:
        run_netauto("lab", "down", "--name", LAB, cwd=workdir)
    assert _leftovers(LAB) == []
    assert "sshd -f" not in subprocess.run(["pgrep", "-a", "sshd"], capture_output=True, text=True).stdout


def _connect(folder: Path, device: str, key: Path | None = None, known_hosts: Path | None = None) -> ConnectHandler:
    hosts = yaml.safe_load((folder / "hosts.yaml").read_text(encoding="utf-8"))
    return ConnectHandler(
        device_type=vtysh_driver.DEVICE_TYPE,
        host=hosts[device]["hostname"],
        port=hosts[device]["port"],
        username="root",
        use_keys=True,
        key_file=str(key or folder / "client_ed25519"),
        allow_agent=False,
        ssh_strict=True,
        system_host_keys=False,
        alt_host_keys=True,
        alt_key_file=str(known_hosts or folder / "known_hosts"),
        conn_timeout=10,
    )


def test_every_router_answers_over_ssh_in_its_own_vtysh(ssh_lab: Path) -> None:
    hosts = yaml.safe_load((ssh_lab / "hosts.yaml").read_text(encoding="utf-8"))
    assert len(hosts) >= 5
    for device in hosts:
        connection = _connect(ssh_lab, device)
        try:
            assert connection.find_prompt() == f"{device}#"
            assert "FRRouting" in connection.send_command("show version")
            assert f"hostname {device}" in connection.send_command("show running-config")
        finally:
            connection.disconnect()


def test_netmiko_configures_through_ssh_and_sees_a_refused_line(ssh_lab: Path) -> None:
    device = next(iter(yaml.safe_load((ssh_lab / "hosts.yaml").read_text(encoding="utf-8"))))
    connection = _connect(ssh_lab, device)
    try:
        connection.send_config_set(["interface lo", " description set over ssh"], error_pattern=ERRORS)
        assert "description set over ssh" in connection.send_command("show running-config")
        with pytest.raises(ConfigInvalidException):
            connection.send_config_set(["no-such-command here"], error_pattern=ERRORS)
    finally:
        connection.disconnect()


def test_an_unknown_host_key_is_refused(ssh_lab: Path, tmp_path: Path) -> None:
    device = next(iter(yaml.safe_load((ssh_lab / "hosts.yaml").read_text(encoding="utf-8"))))
    empty = tmp_path / "known_hosts"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(paramiko.SSHException, match="not found in known_hosts"):
        _connect(ssh_lab, device, known_hosts=empty)


def test_a_wrong_key_is_refused(ssh_lab: Path, tmp_path: Path) -> None:
    device = next(iter(yaml.safe_load((ssh_lab / "hosts.yaml").read_text(encoding="utf-8"))))
    stranger = tmp_path / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    with pytest.raises(NetmikoAuthenticationException):
        _connect(ssh_lab, device, key=stranger)


def test_the_lab_credentials_are_private(ssh_lab: Path) -> None:
    assert (ssh_lab.stat().st_mode & 0o077) == 0
    assert ((ssh_lab / "client_ed25519").stat().st_mode & 0o077) == 0


def test_a_wan_delay_without_the_management_network_is_refused(tmp_path: Path) -> None:
    refused = run_netauto("lab", "up", str(QINGPU), "--name", "nt-nodelay", "--wan-delay", "30", cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.strip() == "Error: --wan-delay delays the management network: it needs --ssh"
    assert not (tmp_path / "build").exists()


def test_a_wan_delay_on_a_kernel_without_netem_is_refused_before_anything_starts(tmp_path: Path) -> None:
    from netauto.lab import kernel

    if "netem" not in {feature.id for feature in kernel.missing()}:
        pytest.skip("this kernel has netem: the netns engine delays the management network itself")
    refused = run_netauto(
        "lab", "up", str(QINGPU), "--name", "nt-nodelay", "--engine", "netns", "--ssh", "--wan-delay", "30",
        cwd=tmp_path,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "--wan-delay needs netem, which this kernel lacks: use --engine vm" in refused.stderr
    assert not (tmp_path / "build").exists()
