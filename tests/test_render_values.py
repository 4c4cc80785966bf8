"""Every feature's values come from the plan: addresses, NETs, locators, SIDs, RDs, RTs, neighbours.

Format-agnostic on purpose (vendors write 10.0.0.0/31, "10.0.0.0 255.255.255.254" or "10.0.0.0 31"):
each plan value must appear on one line of the device's config together with its length.
"""

from __future__ import annotations

import re
from ipaddress import ip_interface, ip_network
from pathlib import Path

import pytest

from conftest import TESTS
from netauto.pipeline import build_plan
from netauto.plan.model import Plan
from netauto.platforms import supports
from netauto.render.engine import render_all
from netauto.secrets import load_secrets

SECRETS = TESTS / "fixtures" / "secrets.yaml"
FIXTURES = ("render", "render-frr")


class Rendered(dict[str, tuple[Plan, Path]]):
    """Each fixture rendered once, on first use."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        super().__init__()
        self.factory = factory

    def __missing__(self, name: str) -> tuple[Plan, Path]:
        inventory = TESTS / "fixtures" / name
        result = build_plan(inventory)
        folder = self.factory.mktemp(name)
        render_all(result, load_secrets(SECRETS, inventory), folder)
        self[name] = (result.plan, folder)
        return self[name]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    return Rendered(tmp_path_factory)


def config(rendered: dict[str, tuple[Plan, Path]], fixture: str, device: str) -> str:
    return (rendered[fixture][1] / f"{device}.cfg").read_text(encoding="utf-8").lower()


def has_token(text: str, value: str) -> bool:
    """`value` appears as a whole token (an interface name, an RD, a NET, an address without length)."""
    return re.search(rf"(?<![\w:./]){re.escape(value.lower())}(?![\w:/])", text) is not None


def has(text: str, value: str) -> bool:
    """`value` (address/length, prefix, or a plain token) appears on a line with its length."""
    if "/" not in value:
        return has_token(text, value)
    interface = ip_interface(value)
    address, length = str(interface.ip).lower(), interface.network.prefixlen
    forms = [f"/{length}", f" {length}"]
    if interface.version == 4:
        forms.append(f" {interface.netmask}")
    for line in text.splitlines():
        if re.search(rf"(?<![\w:.]){re.escape(address)}(?![\w:])", line) and any(f in line for f in forms):
            return True
    return False


def devices() -> list[tuple[str, str]]:
    return [
        (fixture, d.name)
        for fixture in FIXTURES
        for d in build_plan(TESTS / "fixtures" / fixture).plan.devices
        if d.platform
    ]


@pytest.mark.parametrize(("fixture", "device"), devices())
def test_interfaces_and_loopbacks_come_from_the_plan(
    rendered: dict[str, tuple[Plan, Path]], fixture: str, device: str
) -> None:
    plan, _ = rendered[fixture]
    text = config(rendered, fixture, device)
    me = next(d for d in plan.devices if d.name == device)
    assert has(text, f"{me.loopback_v4}/32") and has(text, f"{me.loopback_v6}/128")
    for link in plan.links:
        for end in (link.a, link.b):
            if end.device == device:
                assert has_token(text, end.interface or ""), (link.id, end.interface)
                assert has(text, end.address_v4 or "") and has(text, end.address_v6 or ""), link.id
    for attachment in plan.attachments:
        for end in (attachment.ce, attachment.pe):
            if end.device == device:
                assert has(text, end.address_v4 or "") and has(text, end.address_v6 or ""), attachment.id
    for lan in plan.lans:
        if lan.device == device and lan.prefix_v4 is not None:
            assert has(text, f"{lan.prefix_v4.network_address + 1}/{lan.prefix_v4.prefixlen}"), (lan.site, lan.vpn)


@pytest.mark.parametrize(("fixture", "device"), devices())
def test_routing_values_come_from_the_plan(rendered: Rendered, fixture: str, device: str) -> None:
    plan, _ = rendered[fixture]
    text = config(rendered, fixture, device)
    me = next(d for d in plan.devices if d.name == device)
    if me.node_id is None:
        pe_addresses = {a.pe.address_v4 for a in plan.attachments if a.ce_device == device}
        assert pe_addresses and all(has(text, str(ip_interface(a).ip)) for a in pe_addresses if a)
        return
    assert has(text, me.isis_net or "")
    for plane, locator in me.locators.items():
        assert has(text, str(locator)), plane
    if plan.transport == "mpls":
        assert re.search(rf"index {me.node_id}\b", text)
    reflectors = [d for d in plan.devices if d.role == "core" and d.name != device]
    family = "loopback_v6" if plan.transport == "srv6" else "loopback_v4"
    for peer in reflectors:
        assert has(text, str(getattr(peer, family))), peer.name
    for vpn in plan.vpns:
        assert has(text, vpn.rd[device]), vpn.id
        assert all(has(text, rt) for rt in vpn.import_targets + vpn.export_targets), vpn.id
        sids = vpn.sids.get(device)
        if sids is not None and supports(me.platform or "", "srv6_planned_vrf_sid"):
            assert has(text, str(sids.primary)), vpn.id


def test_static_ce_routes_point_at_the_right_pe(rendered: dict[str, tuple[Plan, Path]]) -> None:
    plan, _ = rendered["render-frr"]
    village = next(a for a in plan.attachments if a.ce_device == "village-1-ce1" and a.vpn == "public-data")
    text = config(rendered, "render-frr", "village-1-ce1")
    assert f"ip route 0.0.0.0/0 {ip_interface(village.pe.address_v4 or '').ip}" in text
    lan = next(lan for lan in plan.lans if lan.site == "village-1" and lan.vpn == "public-data")
    pe_text = config(rendered, "render-frr", village.pe_device)
    assert f"ip route {lan.prefix_v4} {ip_interface(village.ce.address_v4 or '').ip} 10" in pe_text
    assert ip_network(str(lan.prefix_v4)).subnet_of(ip_network("10.64.0.0/12"))
