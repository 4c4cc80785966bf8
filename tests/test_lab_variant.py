"""What the FRR 10.3 lab variant of the inventory plans and renders (no root needed): one VPN in the
global table (the lab kernel has no VRF devices), announced prefix by prefix, and the wiring the lab
builds for it."""

from __future__ import annotations

from ipaddress import ip_address, ip_network
from pathlib import Path

import pytest

from conftest import QINGPU, TESTS
from netauto.lab.slice import FRR8, FRR10, SliceSpec, frr_variant, global_vpn, select
from netauto.pipeline import PlanResult, build_plan
from netauto.render.engine import render_all
from netauto.secrets import load_secrets

SECRETS = TESTS / "fixtures" / "secrets.yaml"


@pytest.fixture(scope="module")
def frr10_plan() -> PlanResult:
    return build_plan(QINGPU, variant=lambda inv: frr_variant(inv, FRR10))


@pytest.fixture(scope="module")
def frr10_configs(frr10_plan: PlanResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("frr10-configs")
    devices = select(frr10_plan.plan, SliceSpec())
    render_all(frr10_plan, load_secrets(SECRETS, QINGPU), folder, set(devices))
    return folder


def test_the_frr10_lab_carries_exactly_one_vpn_in_the_global_table(frr10_plan: PlanResult) -> None:
    assert [v.id for v in frr10_plan.inventory.vpns if v.global_table] == ["public-data"]
    fr8 = build_plan(QINGPU, variant=lambda inv: frr_variant(inv, FRR8))
    assert [v.id for v in fr8.inventory.vpns if v.global_table] == []


def test_the_plan_says_which_vpns_the_lab_cannot_forward(frr10_plan: PlanResult) -> None:
    warnings = [w.message for w in frr10_plan.warnings if "no VRF devices" in w.message]
    assert warnings and all("public-video" in w for w in warnings)
    assert all("public-data" not in w.split("(")[1] for w in warnings)  # the global-table VPN forwards


def test_the_global_vpn_lives_in_the_default_vrf_of_pe_and_ce(frr10_configs: Path) -> None:
    pe = (frr10_configs / "baihe-pe1.cfg").read_text(encoding="utf-8")
    ce = (frr10_configs / "baihe-v01-ce1.cfg").read_text(encoding="utf-8")
    assert "vrf public-data" not in pe and "vrf public-data" not in ce
    assert "vrf public-video" in pe  # the others keep their VRFs
    assert "interface eth1.116\n" in pe and "interface eth1.116\n" in ce
    assert "\nipv6 route ::/0 fd00:3100:fd::bd 10\n" in ce


def test_the_pe_announces_only_the_vpn_prefixes_from_its_global_table(
    frr10_plan: PlanResult, frr10_configs: Path
) -> None:
    pe = (frr10_configs / "baihe-pe1.cfg").read_text(encoding="utf-8")
    default_instances = [block.split("\nexit\n")[0] for block in pe.split("\nrouter bgp 64620\n")[1:]]
    vpn_block = next(block for block in default_instances if "sid vpn export auto" in block)
    announced = [ip_network(line.split()[1]) for line in vpn_block.splitlines() if line.strip().startswith("network ")]
    vpn_space = [ip_network(p) for v in frr10_plan.inventory.vpns if v.id == "public-data" for p in v.prefixes]
    allowed = [n for n in vpn_space if n.version == 6] + [ip_network(str(frr10_plan.inventory.network.pools.pe_ce_v6))]
    assert announced and all(a.version == 6 for a in announced)  # End.DT4 needs a VRF device
    assert all(any(a.subnet_of(n) for n in allowed) for a in announced)  # type: ignore[arg-type]
    assert "redistribute connected" not in vpn_block  # that would leak loopbacks and core links


def test_the_lab_wires_every_lan_and_pe_ce_link_of_the_global_vpn_inside_the_slice(frr10_plan: PlanResult) -> None:
    devices = select(frr10_plan.plan, SliceSpec())
    vpn = global_vpn(frr10_plan.inventory, frr10_plan.plan, devices)
    assert vpn is not None and vpn.id == "public-data"
    lans = [lan for lan in frr10_plan.plan.lans if lan.vpn == "public-data" and lan.device in devices]
    assert sorted(h.device for h in vpn.hosts) == sorted(lan.device for lan in lans)
    for host in vpn.hosts:
        prefix = ip_network(host.prefix)
        assert ip_address(host.ip) in prefix and host.ip != host.gateway and ip_address(host.gateway) in prefix
    attached = [a for a in frr10_plan.plan.attachments if a.vpn == "public-data"]
    inside = [(a.pe_device, a.ce_device) for a in attached if a.pe_device in devices and a.ce_device in devices]
    assert sorted((pe, ce) for pe, _, ce, _ in vpn.attachments) == sorted(inside)
    assert global_vpn(build_plan(QINGPU).inventory, frr10_plan.plan, devices) is None
