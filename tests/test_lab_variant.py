"""What the FRR 10.3 lab variant of the inventory plans and renders (no root needed): every VPN in a VRF
of its own, and the wiring the lab builds for them (VLAN sub-interfaces, VRF members, dual-stack LAN
hosts); and a VPN the inventory puts in the global table (for routers without VRF devices), announced
prefix by prefix."""

from __future__ import annotations

import shutil
from ipaddress import ip_address, ip_network
from pathlib import Path

import pytest

from conftest import QINGPU, TESTS
from netauto.lab.slice import FRR10, SliceSpec, frr_variant, global_vpn, lab_vpns, select
from netauto.pipeline import PlanResult, build_plan
from netauto.plan.migration import as_deployed, inventory_states
from netauto.render.engine import render_all
from netauto.secrets import load_secrets

SECRETS = TESTS / "fixtures" / "secrets.yaml"


@pytest.fixture(scope="module")
def frr10_plan() -> PlanResult:
    return build_plan(QINGPU, variant=lambda inv: frr_variant(inv, FRR10))


def _slice_configs(result: PlanResult, folder: Path) -> Path:
    """The rendered configs of the default slice's devices."""
    render_all(result, load_secrets(SECRETS, QINGPU), folder, set(select(result.plan, SliceSpec())))
    return folder


@pytest.fixture(scope="module")
def frr10_configs(frr10_plan: PlanResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _slice_configs(frr10_plan, tmp_path_factory.mktemp("frr10-configs"))


@pytest.fixture(scope="module")
def global_plan(tmp_path_factory: pytest.TempPathFactory) -> PlanResult:
    """Qingpu with its public data network in the global table (as for routers without VRF devices)."""
    inventory = tmp_path_factory.mktemp("global") / "qingpu"
    shutil.copytree(QINGPU, inventory)
    vpns = inventory / "vpns.yaml"
    text = vpns.read_text(encoding="utf-8")
    assert "{id: public-data," in text
    vpns.write_text(text.replace("{id: public-data,", "{id: public-data, global_table: true,", 1), encoding="utf-8")
    return build_plan(inventory, variant=lambda inv: frr_variant(inv, FRR10))


@pytest.fixture(scope="module")
def global_configs(global_plan: PlanResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _slice_configs(global_plan, tmp_path_factory.mktemp("global-configs"))


def test_the_frr10_lab_forwards_every_vpn_in_its_own_vrf(frr10_plan: PlanResult) -> None:
    assert [v.id for v in frr10_plan.inventory.vpns if v.global_table] == []
    assert [w.message for w in frr10_plan.warnings if "no VRF devices" in w.message] == []


def test_pe_and_ce_put_each_vpn_sub_interface_in_its_vrf(frr10_configs: Path) -> None:
    pe = (frr10_configs / "baihe-pe1.cfg").read_text(encoding="utf-8")
    ce = (frr10_configs / "baihe-v01-ce1.cfg").read_text(encoding="utf-8")
    assert "interface eth1.116 vrf public-data\n" in pe and "interface eth1.116 vrf public-data\n" in ce
    assert "interface eth1.117 vrf public-video\n" in pe and "interface eth1.117 vrf public-video\n" in ce
    assert "interface eth0.116 vrf public-data\n" in ce  # the LAN
    assert "router bgp 64620 vrf public-data\n" in pe and "sid vpn export auto" in pe


def test_the_lab_wires_every_vpn_with_a_lan_inside_the_slice(frr10_plan: PlanResult) -> None:
    devices = select(frr10_plan.plan, SliceSpec())
    vpns = lab_vpns(frr10_plan.inventory, frr10_plan.plan, devices)
    # as the routers are configured: no LAN of a dedicated network not yet moved in
    plan = as_deployed(frr10_plan.plan, frr10_plan.inventory, inventory_states(frr10_plan.inventory))
    assert any(lan.vpn.startswith("dept-") for lan in frr10_plan.plan.lans if lan.device in devices)
    assert not any(lan.vpn.startswith("dept-") for lan in plan.lans if lan.device in devices)
    with_lans = sorted({lan.vpn for lan in plan.lans if lan.device in devices})
    assert sorted(v.id for v in vpns) == with_lans and {"public-data", "public-video"} <= set(with_lans)
    for vpn in vpns:
        assert vpn.vrf is not None and vpn.families == (4, 6) and len(vpn.vrf) <= 15
        assert vpn.vrf == vpn.id or (len(vpn.id) > 15 and vpn.vrf.startswith(vpn.id[:10]))
        lans = [lan for lan in plan.lans if lan.vpn == vpn.id and lan.device in devices]
        assert sorted((h.device, h.interface, h.vlan) for h in vpn.hosts) == sorted(
            (lan.device, lan.interface, lan.vlan) for lan in lans
        )
        for host, lan in zip(
            sorted(vpn.hosts, key=lambda h: h.device), sorted(lans, key=lambda lan: lan.device), strict=True
        ):
            families = ((host.ip, host.gateway, lan.prefix_v6), (host.ip_v4, host.gateway_v4, lan.prefix_v4))
            for address, gateway, prefix in families:
                if prefix is None:  # an IPv4-only department LAN
                    assert address is None and gateway is None
                    continue
                assert address and gateway and address != gateway
                assert ip_address(address) in prefix and ip_address(gateway) in prefix
        attached = [
            a for a in plan.attachments if a.vpn == vpn.id and a.pe_device in devices and a.ce_device in devices
        ]
        assert sorted(vpn.attachments) == sorted(
            (a.pe_device, a.pe_interface, a.ce_device, a.ce_interface) for a in attached
        )
        assert all(
            vpn.vlans[(a.pe_device, a.pe_interface)] == a.vlan == int(str(a.pe_interface).split(".")[1])
            for a in attached
        )


def test_a_global_table_vpn_lives_in_the_default_vrf_of_pe_and_ce(global_configs: Path) -> None:
    pe = (global_configs / "baihe-pe1.cfg").read_text(encoding="utf-8")
    ce = (global_configs / "baihe-v01-ce1.cfg").read_text(encoding="utf-8")
    assert "vrf public-data" not in pe and "vrf public-data" not in ce
    assert "vrf public-video" in pe  # the others keep their VRFs
    assert "interface eth1.116\n" in pe and "interface eth1.116\n" in ce
    assert "\nipv6 route ::/0 fd00:3100:fd::bd 10\n" in ce


def test_the_pe_announces_only_the_vpn_prefixes_from_its_global_table(
    global_plan: PlanResult, global_configs: Path
) -> None:
    pe = (global_configs / "baihe-pe1.cfg").read_text(encoding="utf-8")
    default_instances = [block.split("\nexit\n")[0] for block in pe.split("\nrouter bgp 64620\n")[1:]]
    vpn_block = next(block for block in default_instances if "sid vpn export auto" in block)
    announced = [ip_network(line.split()[1]) for line in vpn_block.splitlines() if line.strip().startswith("network ")]
    vpn_space = [ip_network(p) for v in global_plan.inventory.vpns if v.id == "public-data" for p in v.prefixes]
    allowed = [n for n in vpn_space if n.version == 6] + [ip_network(str(global_plan.inventory.network.pools.pe_ce_v6))]
    assert announced and all(a.version == 6 for a in announced)  # End.DT4 needs a VRF device
    assert all(any(a.subnet_of(n) for n in allowed) for a in announced)  # type: ignore[arg-type]
    assert "redistribute connected" not in vpn_block  # that would leak loopbacks and core links


def test_the_lab_wires_the_global_vpn_alone_when_the_inventory_has_one(global_plan: PlanResult) -> None:
    devices = select(global_plan.plan, SliceSpec())
    vpns = lab_vpns(global_plan.inventory, global_plan.plan, devices)
    assert [(v.id, v.vrf, v.families) for v in vpns] == [("public-data", None, (6,))]
    assert all(h.vlan is None and h.address_v4 is None for h in vpns[0].hosts)
    lans = [lan for lan in global_plan.plan.lans if lan.vpn == "public-data" and lan.device in devices]
    assert sorted(h.device for h in vpns[0].hosts) == sorted(lan.device for lan in lans)
    assert global_vpn(build_plan(QINGPU).inventory, global_plan.plan, devices) is None
