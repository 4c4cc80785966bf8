"""The SRv6 lab: FRR 10.3 from a trixie tree (built once, cached), IS-IS SRv6 with the plan's
locators, one SRv6 path through an IS-IS-installed End SID, L3VPN over SRv6 between hosts behind
different PEs, and a core link failure that moves a flow where the analysis said. Needs root,
debootstrap and the Debian registry; CI has them."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_lab_netns import _leftovers, _require_lab_host

from conftest import QINGPU, TESTS, run_netauto
from netauto.lab import netns, rootfs

SECRETS = TESTS / "fixtures" / "secrets.yaml"
LAB = "nt-srv6"
pytestmark = pytest.mark.lab_kernel  # IS-IS SRv6 and its End SIDs need seg6local


@pytest.fixture(scope="module")
def srv6_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    _require_lab_host("srv6")
    workdir = tmp_path_factory.mktemp("srv6-lab")
    try:
        started = run_netauto(
            "lab", "up", str(QINGPU), "--name", LAB, "--frr-version", "10", "--secrets", str(SECRETS),
            cwd=workdir, timeout=1200,
        )  # fmt: skip
        assert started.returncode == 0, started.stdout + started.stderr
        yield workdir
    finally:
        run_netauto("lab", "down", "--name", LAB, cwd=workdir)
    assert _leftovers(LAB) == []


@pytest.fixture(scope="module")
def srv6_verification(srv6_lab: Path) -> dict:  # type: ignore[type-arg]
    result = run_netauto("lab", "verify", "--name", LAB, "--json", "--no-sweep", cwd=srv6_lab, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_the_routers_run_frr_10_from_the_tree(srv6_lab: Path) -> None:
    version = run_netauto("lab", "exec", "core-a-cr1", "show version", "--name", LAB, cwd=srv6_lab)
    assert "FRRouting 10." in version.stdout


def test_every_router_learns_every_locator_and_installs_its_end_sid(srv6_verification: dict) -> None:  # type: ignore[type-arg]
    checks = srv6_verification["checks"]
    assert {c["what"] for c in checks} == {"isis", "bgp", "loopbacks", "locators", "end-sid"}
    assert [c for c in checks if not c["ok"]] == []
    locators = [c for c in checks if c["what"] == "locators"]
    assert locators and all(len(c["measured"]) == len(locators) - 1 for c in locators)
    assert all(c["measured"] for c in checks if c["what"] == "end-sid")


def test_bgp_runs_over_the_v6_loopbacks(srv6_verification: dict) -> None:  # type: ignore[type-arg]
    sessions = [c for c in srv6_verification["checks"] if c["what"] == "bgp"]
    assert sessions and all(":" in address for c in sessions for address in c["measured"])


def test_a_packet_steered_through_an_isis_end_sid_arrives_and_needs_it(srv6_verification: dict) -> None:  # type: ignore[type-arg]
    demo = srv6_verification["srv6"]
    assert demo["error"] is None
    end, dt6 = demo["segments"]
    assert end.startswith("fcbb:") and dt6.endswith("::d6")  # SIDs in the plan's locators
    assert demo["answered"] is True and demo["answered_without_end"] is False
    assert demo["counted_at_end"] == demo["sent"] > 0  # the intermediate router's counter saw every ping


def test_every_host_of_the_vpn_reaches_every_other_across_the_srv6_core(srv6_verification: dict) -> None:  # type: ignore[type-arg]
    vpn = srv6_verification["vpn"]
    assert vpn["vpn"] == "public-data" and vpn["error"] is None
    hosts = {p["source"] for p in vpn["pairs"]}
    assert len(hosts) >= 4 and len(vpn["pairs"]) == len(hosts) * (len(hosts) - 1)
    assert all(p["sent"] > 0 and p["received"] == p["sent"] for p in vpn["pairs"])  # 0% loss
    across = [p for p in vpn["pairs"] if p["encapsulated"] is not None]
    assert across and all(p["encapsulated"] for p in across)  # PE routes are SRv6 encapsulations
    assert vpn["routes_seconds"] is not None


def test_failing_a_core_link_moves_the_flow_where_the_analysis_predicted(srv6_verification: dict) -> None:  # type: ignore[type-arg]
    normal, failed = srv6_verification["vpn"]["paths"]
    assert normal["failed_link"] is None and failed["failed_link"].startswith("mesh:")  # a core link
    assert failed["failed_link"] in normal["measured"]  # it carried the flow
    assert failed["failed_link"] not in failed["predicted"] and failed["failed_link"] not in failed["measured"]
    for path in (normal, failed):
        assert path["arrived"] == path["sent"] > 0
        assert set(path["measured"]) <= set(path["predicted"]), path
    assert set(normal["measured"]) != set(failed["measured"])


def test_the_routers_run_the_configs_netauto_renders_for_the_slice(srv6_lab: Path) -> None:
    exported = srv6_lab / "export" / "slice.clab.yml"
    arguments = ["-o", str(exported), "--frr-version", "10", "--secrets", str(SECRETS)]
    assert run_netauto("lab", "export", str(QINGPU), *arguments, cwd=srv6_lab).returncode == 0
    rendered, used = exported.parent / "slice" / "configs", srv6_lab / "build" / "labs" / LAB / "configs"
    names = sorted(p.name for p in rendered.glob("*.cfg"))
    assert names and names == sorted(p.name for p in used.glob("*.cfg"))
    for name in names:
        assert (rendered / name).read_bytes() == (used / name).read_bytes(), name


def test_frr_10_accepts_every_line_of_the_rendered_configs(srv6_lab: Path) -> None:
    used = srv6_lab / "build" / "labs" / LAB / "configs"
    inside = netns.FRR10_ROOT / "tmp" / "netauto-dryrun"
    shutil.copytree(used, inside, dirs_exist_ok=True)
    try:
        for config in sorted(inside.glob("*.cfg")):
            command = ["chroot", str(netns.FRR10_ROOT), "vtysh", "--dryrun", "-f", f"/tmp/netauto-dryrun/{config.name}"]
            check = subprocess.run(command, capture_output=True, text=True, timeout=60)
            assert check.returncode == 0, f"{config.name}: {check.stdout}{check.stderr}"
    finally:
        shutil.rmtree(inside)


def test_the_cached_tree_unpacks_inside_its_folder(srv6_lab: Path) -> None:
    tarballs = rootfs.cached_tarballs()
    assert tarballs, "the FRR 10 tree was not cached"
    assert rootfs.unpack_check(tarballs[-1]) == []
    assert rootfs.frr_version(netns.FRR10_ROOT).startswith("10.")
