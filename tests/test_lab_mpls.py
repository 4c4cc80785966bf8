"""The MPLS lab: FRR 10.3 with the transport the plan renders for MPLS (IS-IS SR-MPLS node SIDs from
the SRGB, L3VPN over MPLS with a VPN label per VRF), on a kernel that forwards labels: every router
has a label for every other router's node SID in its kernel, and hosts behind different PEs reach
each other in every VPN's own VRF, IPv4 and IPv6, over routes that push labels; every single link
failure cuts off the VPN host pairs the analysis predicts, no more, no fewer. Needs root and the
FRR 10.3 tree, and a kernel with MPLS, VRF and VLAN devices (the lab VM where the host lacks them)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_lab_netns import _leftovers, _require_lab_host

from conftest import TESTS, lab_verification, run_netauto, running_lab

SECRETS = TESTS / "fixtures" / "secrets.yaml"
LAB = "nt-mpls"
SLICE = ("--towns", "2", "--villages", "1", "--bureaus", "1")
pytestmark = pytest.mark.lab_kernel  # MPLS forwarding, VRF and VLAN devices


@pytest.fixture(scope="module")
def mpls_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    _require_lab_host("mpls", "vrf", "vlan")
    workdir = tmp_path_factory.mktemp("mpls-lab")
    with running_lab(workdir, LAB, "--frr-version", "10", "--transport", "mpls", *SLICE, "--secrets", str(SECRETS)):
        yield workdir
    assert _leftovers(LAB) == []


@pytest.fixture(scope="module")
def mpls_verification(mpls_lab: Path) -> dict:  # type: ignore[type-arg]
    return lab_verification(mpls_lab, LAB, timeout=1800)  # type: ignore[no-any-return]


def test_the_routers_run_the_sr_mpls_config_netauto_renders(mpls_lab: Path) -> None:
    running = run_netauto("lab", "exec", "core-a-cr1", "show running-config", "--name", LAB, cwd=mpls_lab)
    assert " segment-routing on" in running.stdout and "label vpn export auto" in running.stdout
    assert "srv6" not in running.stdout


def test_every_router_has_a_label_for_every_other_routers_node_sid(mpls_verification: dict) -> None:  # type: ignore[type-arg]
    checks = mpls_verification["checks"]
    assert {c["what"] for c in checks} == {"isis", "bgp", "loopbacks", "labels"}
    assert [c for c in checks if not c["ok"]] == []
    labels = [c for c in checks if c["what"] == "labels"]
    # 4 core routers and 2 town PEs; each has the v4 and the v6 loopback's label of the 5 others
    assert len(labels) == 6 and all(len(c["measured"]) == 2 * 5 for c in labels)
    assert all(16000 <= int(label) <= 23999 for c in labels for label in c["measured"])  # the SRGB


def test_bgp_runs_over_the_v4_loopbacks(mpls_verification: dict) -> None:  # type: ignore[type-arg]
    sessions = [c for c in mpls_verification["checks"] if c["what"] == "bgp"]
    assert sessions and all(peer.startswith("10.255.") for c in sessions for peer in c["measured"])


def test_hosts_behind_different_pes_reach_each_other_over_mpls_in_each_vrf(mpls_verification: dict) -> None:  # type: ignore[type-arg]
    vpns = {vpn["vpn"]: vpn for vpn in mpls_verification["vpns"]}
    assert {"public-data", "public-video"} <= set(vpns)
    for name, vpn in vpns.items():
        assert vpn["transport"] == "mpls" and vpn["error"] is None, vpn["error"]
        assert vpn["pairs"] and all(p["ok"] for p in vpn["pairs"]), name
    across = [p for p in vpns["public-data"]["pairs"] if p["encapsulated"]]
    assert {p["family"] for p in across} == {4, 6}  # both families cross the core with labels pushed


def test_the_vpns_are_isolated_from_each_other(mpls_verification: dict) -> None:  # type: ignore[type-arg]
    isolation = mpls_verification["isolation"]
    assert isolation and all(row["sent"] > 0 and row["received"] == 0 for row in isolation)


def test_each_link_failure_cuts_the_vpn_pairs_the_analysis_predicts(mpls_lab: Path, mpls_verification: dict) -> None:  # type: ignore[type-arg]
    state = json.loads((mpls_lab / "build" / "labs" / f"{LAB}.json").read_text())
    sweep = mpls_verification["sweep"]
    assert len(sweep) == len(state["links"]) == 14
    assert [row for row in sweep if not row["agree"]] == []  # routers and VPN host pairs, per VRF
    lossless = sum(1 for vpn in mpls_verification["vpns"] for p in vpn["pairs"] if p["ok"])
    assert {row["vpn_pairs"] for row in sweep} == {lossless}  # every pair measured after every failure
    cut = {row["link"]: row["vpn_pairs_cut"] for row in sweep if row["vpn_pairs_cut"]}
    # a village's single uplink cuts its host off: 4 other hosts, 2 families, both ways, 2 VPNs
    assert cut == {"uplink:baihe-v01:1": 32, "uplink:chonggu-v01:1": 32}
