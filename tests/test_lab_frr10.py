"""The SRv6 lab: FRR 10.3 from a trixie tree (built once, cached), IS-IS SRv6 with the plan's
locators, one SRv6 path through an IS-IS-installed End SID. Needs root, debootstrap and the Debian
registry; CI has them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_lab_netns import _leftovers, _require_lab_host

from conftest import QINGPU, TESTS, run_netauto
from netauto.lab import netns, rootfs

SECRETS = TESTS / "fixtures" / "secrets.yaml"
LAB = "nt-srv6"


@pytest.fixture(scope="module")
def srv6_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    _require_lab_host()
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


def test_the_cached_tree_unpacks_inside_its_folder(srv6_lab: Path) -> None:
    tarballs = rootfs.cached_tarballs()
    assert tarballs, "the FRR 10 tree was not cached"
    assert rootfs.unpack_check(tarballs[-1]) == []
    assert rootfs.frr_version(netns.FRR10_ROOT).startswith("10.")
