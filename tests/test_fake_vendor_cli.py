"""The vendor CLI test double (tests/fakes/vendor_cli.py) driven by real Netmiko over real SSH: each
platform's show commands, commit semantics (candidate, trial / confirmed / delayed commits rolled back
at expiry unless confirmed), refused lines, dropped sessions, the exit-with-uncommitted question and
SSH authentication. One server process for the module, timers scaled down."""

from __future__ import annotations

import select
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paramiko
import pytest
import yaml
from fakes import answers, start_stand_ins
from fakes.routing import Attached, Network, router_of
from fakes.vendor_cli import (
    COMWARE,
    VRP,
    XR,
    Edit,
    apply_edit,
    config_lines,
    parse_config,
    render_huawei_style,
    render_xr,
)
from netmiko import BaseConnection, ConnectHandler
from netmiko.exceptions import (
    ConfigInvalidException,
    NetmikoAuthenticationException,
    NetmikoTimeoutException,
    ReadTimeout,
)

from conftest import free_port, unavailable
from netauto.parse import parse

TIME_SCALE = 0.03  # VRP trial 60 s -> 1.8 s, XR confirmed 30 s -> 0.9 s, Comware delay 1 min -> 1.8 s
USERNAME = "netops"
PASSWORD = "fake-router-password"
VRP_QUESTION = r"\[Y\(yes\)/N\(no\)/C\(cancel\)\]:"
XR_QUESTION = r"\(yes/no/cancel\)\? \[cancel\]:"

VRP_CONFIG = """\
!Software Version V800R021C10SPC600
#
 sysname town-1-pe1
#
interface GigabitEthernet0/1/0
 description to core-b-cr1
 ip address 10.0.0.1 255.255.255.252
#
interface LoopBack0
 ip address 10.255.0.1 255.255.255.255
#
isis 1
 is-level level-2
 cost-style wide
 network-entity 49.0001.0102.5500.0001.00
#
return
"""

XR_CONFIG = """\
!! IOS XR Configuration 7.9.2
!
hostname core-b-cr1
interface Loopback0
 ipv4 address 10.255.1.1 255.255.255.255
!
interface GigabitEthernet0/0/0/0
 description to town-1-pe1
 ipv4 address 10.0.0.2 255.255.255.252
!
interface GigabitEthernet0/0/0/1
 shutdown
!
router isis 1
 is-type level-2-only
 net 49.0001.0102.5500.1001.00
 address-family ipv4 unicast
  metric-style wide
 !
 interface Loopback0
  passive
 !
!
end
"""

COMWARE_CONFIG = """\
#
 sysname town-2-pe1
#
interface GigabitEthernet1/0/1
 description to core-b-cr1
 ip address 10.0.1.1 255.255.255.252
#
interface LoopBack0
 ip address 10.255.2.1 255.255.255.255
#
return
"""


@dataclass(frozen=True)
class Router:
    name: str
    platform: str
    device_type: str
    initial: str
    show: str
    errors: str  # Netmiko error_pattern
    leave: str  # the command leaving one view

    def section(self, interface: str, description: str) -> list[str]:
        return [f"interface {interface}", f" description {description}", self.leave]


ROUTERS = {
    VRP: Router("town-1-pe1", VRP, "huawei_vrpv8", VRP_CONFIG, "display current-configuration", "Error: ", "quit"),
    XR: Router("core-b-cr1", XR, "cisco_xr", XR_CONFIG, "show running-config", "% Invalid input", "exit"),
    COMWARE: Router(
        "town-2-pe1", COMWARE, "hp_comware", COMWARE_CONFIG, "display current-configuration", "% Unrecognized", "quit"
    ),
}
ALL = pytest.mark.parametrize("platform", [VRP, XR, COMWARE])
TWO_STAGE = pytest.mark.parametrize("platform", [VRP, XR])


@dataclass
class Fleet:
    folder: Path
    state: Path
    ports: dict[str, int]
    client_key: Path
    other_key: Path
    host_public_key: str

    def running(self, platform: str) -> list[str]:
        text = (self.state / f"{ROUTERS[platform].name}.running.cfg").read_text(encoding="utf-8")
        return config_lines(parse_config(text))

    def log(self, platform: str) -> str:
        return (self.state / f"{ROUTERS[platform].name}.log").read_text(encoding="utf-8")

    def set_faults(self, platform: str, faults: dict[str, object]) -> None:
        (self.state / f"{ROUTERS[platform].name}.faults.yaml").write_text(yaml.safe_dump(faults), encoding="utf-8")

    def clear_faults(self) -> None:
        for path in self.state.glob("*.faults.yaml"):
            path.unlink()


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


def _write_spec(folder: Path, ports: dict[str, int]) -> Path:
    devices = []
    for platform, router in ROUTERS.items():
        (folder / f"{router.name}.cfg").write_text(router.initial, encoding="utf-8")
        devices.append(
            {"name": router.name, "platform": platform, "port": ports[platform], "config": f"{router.name}.cfg"}
        )
    spec = {
        "state_dir": str(folder / "state"),
        "host_key": "host_ed25519",
        "authorized_key": "client_ed25519.pub",
        "username": USERNAME,
        "password": PASSWORD,
        "time_scale": TIME_SCALE,
        "latency_ms": 0,
        "devices": devices,
    }
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def _wait_ready(process: subprocess.Popen[str], timeout: float) -> None:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    line = process.stdout.readline() if ready else ""
    if line.strip() != "ready":
        process.kill()
        raise AssertionError(f"the fake did not start: {line!r}, exit code {process.wait()}")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    if shutil.which("ssh-keygen") is None:
        unavailable("the vendor CLI fake tests need ssh-keygen (openssh-client) in CI", "ssh-keygen is missing")
    folder = tmp_path_factory.mktemp("vendor-cli")
    for name in ("host_ed25519", "client_ed25519", "other_ed25519"):
        _keygen(folder / name)
    ports = {platform: free_port() for platform in ROUTERS}
    spec = _write_spec(folder, ports)
    stderr = (folder / "server.stderr").open("w")
    process = start_stand_ins(
        spec,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    try:
        _wait_ready(process, timeout=15)
        host_key = (folder / "host_ed25519.pub").read_text(encoding="utf-8").split()
        yield Fleet(
            folder, folder / "state", ports, folder / "client_ed25519", folder / "other_ed25519", " ".join(host_key[:2])
        )
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=10)
        stderr.close()
    assert code == 0, (folder / "server.stderr").read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def no_faults_left(fleet: Fleet) -> Iterator[None]:
    yield
    fleet.clear_faults()


def _connect(fleet: Fleet, platform: str, **options: Any) -> BaseConnection:
    settings: dict[str, Any] = {
        "device_type": ROUTERS[platform].device_type,
        "host": "127.0.0.1",
        "port": fleet.ports[platform],
        "username": USERNAME,
        "use_keys": True,
        "key_file": str(fleet.client_key),
        "allow_agent": False,
        "conn_timeout": 10,
    }
    settings.update(options)
    return ConnectHandler(**settings)


def _hang_up(connection: BaseConnection, platform: str) -> None:
    """Netmiko's Huawei logout polls config mode three times with 2 s of silence each; closing the SSH
    client is what a killed job does anyway and ends the fake's session all the same."""
    if platform == VRP:
        connection.paramiko_cleanup()
    else:
        connection.disconnect()


def _push(connection: BaseConnection, platform: str, lines: list[str], **options: Any) -> str:
    """send_config_set; on VRP from an explicit `system-view` (see _hang_up: Netmiko's Huawei
    config-mode check costs 2 s a call; test_commit_* goes through it once)."""
    if platform == VRP:
        if not connection.find_prompt().startswith("["):
            connection.send_command("system-view", expect_string=r"\]")
        return connection.send_config_set(lines, enter_config_mode=False, **options)
    return connection.send_config_set(lines, **options)


def _show(connection: BaseConnection, command: str) -> str:
    output = connection.send_command(command)
    assert isinstance(output, str)
    return output


def _wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _has(lines: list[str], interface: str, description: str | None = None) -> bool:
    if f"interface {interface}" not in lines:
        return False
    return description is None or f" description {description}" in lines


# The config model, without SSH

XR_VRF_CONFIG = """hostname core-b-cr1
interface Loopback0
 ipv4 address 10.255.0.2 255.255.255.255
!
interface TenGigE0/0/0/5.100
 vrf dept-a
 ipv4 address 10.253.0.17 255.255.255.254
!
router bgp 65001
 vrf dept-a
  neighbor 10.253.0.16
   remote-as 64701
!
"""


@pytest.mark.parametrize("port_down", [False, True])
def test_a_vrf_port_brings_the_attached_routers_session_routes_and_pings_as_the_parsers_read_them(
    port_down: bool,
) -> None:
    """IOS-XR's answers in a VRF (`show bgp vrf all ipv4 unicast summary`, `show route vrf X ipv4`,
    `ping vrf X`), computed from the config and the attached router, read back with the XR parsers."""
    far = Attached("dept-a", "10.253.0.16", "64701", ("172.20.1.0/24",))
    router = router_of("core-b-cr1", XR, parse_config(XR_VRF_CONFIG), lambda _: port_down, attached=[far])
    network = Network([router])
    summary = answers.xr_bgp_vrf_all_summary(
        "10.255.0.2", "65001", {"dept-a": network.vpn_sessions(router.name, "dept-a")}
    )
    peers = parse(XR, "bgp_vpn_peers", "\n".join(summary))
    assert [(p["neighbor"], p["vrf"], p["up"]) for p in peers] == [("10.253.0.16", "dept-a", not port_down)]
    routes = parse(XR, "routes_v4", "\n".join(answers.xr_route(network.vpn_routes(router.name, "dept-a"))))
    expected = set() if port_down else {"10.253.0.16/31", "172.20.1.0/24"}
    assert {r["prefix"] for r in routes} == expected
    for target, answered in (("10.253.0.16", True), ("172.20.1.9", True), ("172.21.0.1", False)):
        ping = "\n".join(answers.xr_ping(target, 5, 2, network.answers_ping(router.name, "dept-a", target)))
        assert parse(XR, "ping", ping)[0]["received"] == ("5" if answered and not port_down else "0"), target


def test_single_valued_commands_replace_and_negation_removes_by_prefix() -> None:
    root = parse_config(VRP_CONFIG)
    path = ("interface GigabitEthernet0/1/0",)
    apply_edit(root, Edit(path, "description to core-a-cr1", negate=False))
    apply_edit(root, Edit(path, "ip address 10.9.9.1 255.255.255.0 sub", negate=False))
    assert apply_edit(root, Edit(path, "ip address 10.0.0.5 255.255.255.252", negate=False))
    assert config_lines(root)[1:5] == [
        "interface GigabitEthernet0/1/0",
        " description to core-a-cr1",
        " ip address 10.0.0.5 255.255.255.252",
        " ip address 10.9.9.1 255.255.255.0 sub",
    ]
    assert apply_edit(root, Edit(("isis 1",), "network-entity", negate=True))
    assert not apply_edit(root, Edit(("isis 1",), "network-entity", negate=True))
    assert "network-entity" not in "\n".join(config_lines(root))


def test_printed_configs_parse_back_to_the_same_tree() -> None:
    for text, render in ((VRP_CONFIG, lambda root: render_huawei_style(root, "")), (XR_CONFIG, render_xr)):
        root = parse_config(text)
        assert config_lines(parse_config(render(root))) == config_lines(root)
    assert parse_config(VRP_CONFIG).children[0].line == "sysname town-1-pe1"  # top level despite the space


# Over SSH


@ALL
def test_show_running_is_the_initial_config(fleet: Fleet, platform: str) -> None:
    connection = _connect(fleet, platform)
    try:
        shown = _show(connection, ROUTERS[platform].show)
        unknown = _show(connection, "frobnicate the router")
    finally:
        _hang_up(connection, platform)
    initial = config_lines(parse_config(ROUTERS[platform].initial))
    assert config_lines(parse_config(shown)) == initial
    assert fleet.running(platform) == initial
    assert {VRP: "Error: Unrecognized command", XR: "% Invalid input", COMWARE: "% Unrecognized command"}[
        platform
    ] in unknown


@ALL
def test_interface_brief_lists_running_interfaces(fleet: Fleet, platform: str) -> None:
    command = "show ipv4 interface brief" if platform == XR else "display interface brief"
    connection = _connect(fleet, platform)
    try:
        rows = _show(connection, command).splitlines()
    finally:
        _hang_up(connection, platform)
    parsed = parse(platform, "interfaces", "\n".join(rows))  # as netauto reads a real device's listing
    states = {row["interface"]: row["up"] for row in parsed}
    if platform == XR:
        assert rows[1].split() == ["Loopback0", "10.255.1.1", "Up", "Up", "default"]
        assert states == {"Loopback0": True, "GigabitEthernet0/0/0/0": True, "GigabitEthernet0/0/0/1": False}
    else:
        assert list(states.values()) == [True, True] and "LoopBack0" in states


@ALL
def test_commit_makes_changes_running(fleet: Fleet, platform: str) -> None:
    router = ROUTERS[platform]
    lines = router.section("LoopBack11" if platform != XR else "Loopback11", "committed over netmiko")
    interface = lines[0].split()[1]
    connection = _connect(fleet, platform)
    try:
        # Netmiko's own config-mode entry; error_pattern costs 2 s a line on Comware (no command echo check)
        connection.send_config_set(lines, error_pattern="" if platform == COMWARE else router.errors)
        if platform == VRP:
            assert connection.find_prompt() == "[*town-1-pe1]"
            assert not _has(fleet.running(platform), interface)
            connection.send_command("commit", expect_string=r"\]")
            assert connection.find_prompt() == "[~town-1-pe1]"
        elif platform == XR:
            assert not _has(fleet.running(platform), interface)
            connection.commit()
        shown = _show(connection, router.show)
    finally:
        _hang_up(connection, platform)
    assert _has(fleet.running(platform), interface, "committed over netmiko")
    assert _has(config_lines(parse_config(shown)), interface, "committed over netmiko")


TIMED_COMMIT = {
    VRP: (["commit trial 60"], ["commit"]),
    XR: (["commit confirmed 30"], ["commit"]),
    COMWARE: (["configuration commit delay 1"], ["configuration commit"]),
}


@ALL
def test_unconfirmed_timed_commit_rolls_back_and_confirmed_one_stays(fleet: Fleet, platform: str) -> None:
    router = ROUTERS[platform]
    arm, confirm = TIMED_COMMIT[platform]
    kept, dropped = router.section("LoopBack21", "confirmed"), router.section("LoopBack22", "never confirmed")
    if platform == COMWARE:  # the timer first, then the lines that take effect at once
        first, second = arm + kept + confirm, arm + dropped
    else:
        first, second = kept + arm + confirm, dropped + arm
    # Comware: Netmiko skips the command echo check by default and then waits 2 s of silence per line;
    # with the check on, lines are answered as fast as on the others (the default path is covered above)
    connection = _connect(fleet, platform, global_cmd_verify=True) if platform == COMWARE else _connect(fleet, platform)
    try:
        _push(connection, platform, first, error_pattern=router.errors)
        _push(connection, platform, second, error_pattern=router.errors)
        assert _has(fleet.running(platform), "LoopBack22", "never confirmed"), fleet.log(platform)
    finally:
        _hang_up(connection, platform)
    rolled_back = _wait_until(lambda: not _has(fleet.running(platform), "LoopBack22"), timeout=60 * TIME_SCALE + 3)
    assert rolled_back, fleet.log(platform)
    assert _has(fleet.running(platform), "LoopBack21", "confirmed"), fleet.log(platform)
    assert "expired: rolled back" in fleet.log(platform)
    assert "confirmed\n" in fleet.log(platform)


@ALL
def test_refused_line_gives_the_vendor_error_and_commits_nothing(fleet: Fleet, platform: str) -> None:
    router = ROUTERS[platform]
    fleet.set_faults(platform, {"reject": r"^mtu 9999$"})
    lines = ["interface LoopBack31", " mtu 9999"] if platform == COMWARE else router.section("LoopBack31", "before")
    if platform != COMWARE:
        lines = [*lines[:2], " mtu 9999", " description after", "commit"]
    connection = _connect(fleet, platform)
    try:
        with pytest.raises(ConfigInvalidException, match=router.errors.strip()):
            _push(connection, platform, lines, error_pattern=router.errors)
        if platform == VRP:  # leave the candidate: VRP asks, "N" discards
            connection.send_command("return", expect_string=VRP_QUESTION)
            connection.send_command("N", expect_string=">")
        elif platform == XR:  # Netmiko answers XR's question with "no"
            connection.exit_config_mode()
        assert connection.find_prompt() in ("<town-1-pe1>", "RP/0/RP0/CPU0:core-b-cr1#", "[town-2-pe1-LoopBack31]")
    finally:
        _hang_up(connection, platform)
    running = fleet.running(platform)
    assert " mtu 9999" not in running
    assert _has(running, "LoopBack31") == (platform == COMWARE)  # Comware lines take effect at once
    assert "refused (fault reject): mtu 9999" in fleet.log(platform)


@TWO_STAGE
def test_dropped_session_discards_the_candidate(fleet: Fleet, platform: str) -> None:
    fleet.set_faults(platform, {"drop_after": 2})
    connection = _connect(fleet, platform)
    try:
        with pytest.raises((ReadTimeout, OSError, EOFError)):
            _push(connection, platform, ["interface LoopBack41", " description doomed", " mtu 1400"], read_timeout=2)
    finally:
        connection.disconnect()
    fleet.clear_faults()

    def after_drop() -> str:
        return fleet.log(platform).partition("dropped after 2 config lines")[2]

    assert _wait_until(lambda: "session closed" in after_drop(), timeout=5)
    assert "candidate discarded" in after_drop()
    assert not _has(fleet.running(platform), "LoopBack41")
    connection = _connect(fleet, platform)
    try:
        assert "LoopBack41" not in _show(connection, ROUTERS[platform].show)
    finally:
        _hang_up(connection, platform)


def test_vrp_exit_question_cancel_stays_and_yes_commits(fleet: Fleet) -> None:
    connection = _connect(fleet, VRP)
    try:
        _push(connection, VRP, ROUTERS[VRP].section("LoopBack51", "committed on exit"))
        connection.send_command("return", expect_string=VRP_QUESTION)
        connection.send_command("C", expect_string=r"\]")
        assert connection.find_prompt() == "[*town-1-pe1]"
        connection.send_command("return", expect_string=VRP_QUESTION)
        connection.send_command("Y", expect_string=">")
        assert connection.find_prompt() == "<town-1-pe1>"
    finally:
        _hang_up(connection, VRP)
    assert _has(fleet.running(VRP), "LoopBack51", "committed on exit")


def test_xr_exit_question_yes_commits_and_abort_discards(fleet: Fleet) -> None:
    connection = _connect(fleet, XR)
    try:
        _push(connection, XR, ROUTERS[XR].section("Loopback52", "committed on exit"))
        connection.send_command("end", expect_string=XR_QUESTION)
        connection.send_command("yes", expect_string="#")
        _push(connection, XR, ROUTERS[XR].section("Loopback53", "aborted"))
        connection.send_command("abort", expect_string="#")
        assert connection.find_prompt() == "RP/0/RP0/CPU0:core-b-cr1#"
    finally:
        _hang_up(connection, XR)
    assert _has(fleet.running(XR), "Loopback52", "committed on exit")
    assert not _has(fleet.running(XR), "Loopback53")


def test_latency_fault_delays_every_answer(fleet: Fleet) -> None:
    connection = _connect(fleet, XR)
    try:
        fleet.set_faults(XR, {"latency_ms": 300})
        started = time.monotonic()
        assert "Cisco IOS XR Software" in _show(connection, "show version")  # Enter for the prompt, then the command
        assert time.monotonic() - started >= 0.6
    finally:
        _hang_up(connection, XR)


def test_wrong_key_or_password_is_refused_and_the_password_accepted(fleet: Fleet) -> None:
    with pytest.raises(NetmikoAuthenticationException):
        _connect(fleet, XR, key_file=str(fleet.other_key))
    with pytest.raises(NetmikoAuthenticationException):
        _connect(fleet, XR, use_keys=False, key_file=None, password="not-the-password")
    connection = _connect(fleet, XR, use_keys=False, key_file=None, password=PASSWORD)
    try:
        assert connection.find_prompt() == "RP/0/RP0/CPU0:core-b-cr1#"
    finally:
        _hang_up(connection, XR)


def test_strict_host_key_checking_against_a_known_hosts_file(fleet: Fleet) -> None:
    port = fleet.ports[COMWARE]
    known_hosts = fleet.folder / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {fleet.host_public_key}\n", encoding="utf-8")
    strict = {"ssh_strict": True, "system_host_keys": False, "alt_host_keys": True, "alt_key_file": str(known_hosts)}
    connection = _connect(fleet, COMWARE, **strict)
    try:
        assert connection.find_prompt() == "<town-2-pe1>"
    finally:
        _hang_up(connection, COMWARE)
    other = paramiko.PKey.from_path(fleet.other_key)
    known_hosts.write_text(f"[127.0.0.1]:{port} {other.get_name()} {other.get_base64()}\n", encoding="utf-8")
    with pytest.raises((NetmikoTimeoutException, paramiko.SSHException)):
        _connect(fleet, COMWARE, **strict)


def test_server_answers_sigterm_cleanly(tmp_path: Path) -> None:
    """A second server, alone: `ready` once listening, exit code 0 on SIGTERM, nothing on stderr."""
    for name in ("host_ed25519", "client_ed25519"):
        _keygen(tmp_path / name)
    spec = _write_spec(tmp_path, {platform: free_port() for platform in ROUTERS})
    process = start_stand_ins(
        spec,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_ready(process, timeout=15)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=10)
    assert (process.returncode, stderr) == (0, "")


def test_undo_shutdown_is_kept_as_config_and_shutdown_replaces_it(fleet: Fleet) -> None:
    """VRP shows an enabled interface as `undo shutdown`: the negation sets a state, it removes nothing."""
    connection = _connect(fleet, VRP)
    try:
        enable = ["interface LoopBack12", " undo shutdown", " quit", "commit"]
        _push(connection, VRP, enable, error_pattern=ROUTERS[VRP].errors)
        after_enable = fleet.running(VRP)
        _push(connection, VRP, ["interface LoopBack12", " shutdown", " quit", "commit"])
        after_shutdown = fleet.running(VRP)
    finally:
        _hang_up(connection, VRP)
    enabled = after_enable.index("interface LoopBack12")
    assert after_enable[enabled + 1] == " undo shutdown"
    shut = after_shutdown.index("interface LoopBack12")
    assert after_shutdown[shut + 1] == " shutdown" and " undo shutdown" not in after_shutdown[shut:]
