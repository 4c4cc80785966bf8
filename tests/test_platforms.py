"""Platform data files: every one loads, names are loud when unknown, interface naming by speed."""

from __future__ import annotations

import pytest

from netauto.platforms import UnknownPlatformError, get_platform, platforms, supports


def test_the_four_platforms_of_the_design_and_the_srv6_lab_platform_are_present() -> None:
    assert set(platforms()) == {"huawei_vrp", "h3c_comware", "cisco_iosxr", "frr", "frr10"}


def test_frr10_extends_frr_with_what_10_3_adds() -> None:
    frr, frr10 = get_platform("frr"), get_platform("frr10")
    assert frr10.templates == "frr" and frr.templates == "frr"
    assert frr10.interfaces == frr.interfaces and frr10.config_syntax == frr.config_syntax
    assert supports("frr10", "srv6") and not supports("frr10", "srv6_flex_algo")
    assert supports("frr10", "isis") and supports("frr10", "l3vpn")  # inherited
    assert frr10.containerlab_image != frr.containerlab_image


def test_unknown_platform_names_the_closest() -> None:
    with pytest.raises(UnknownPlatformError, match="did you mean 'huawei_vrp'"):
        get_platform("huawei_vpr")


@pytest.mark.parametrize(
    ("platform", "capacity", "name"),
    [
        ("huawei_vrp", 1, "GigabitEthernet0/1/{port}"),
        ("huawei_vrp", 10, "GigabitEthernet0/2/{port}"),
        ("huawei_vrp", 200, "200GE0/5/{port}"),
        ("h3c_comware", 10, "Ten-GigabitEthernet2/0/{port}"),
        ("cisco_iosxr", 100, "HundredGigE0/0/2/{port}"),
        ("cisco_iosxr", 40, "HundredGigE0/0/2/{port}"),
        ("cisco_iosxr", 400, "TwoHundredGigE0/0/3/{port}"),
        ("frr", 200, "eth{port}"),
    ],
)
def test_interface_pattern_is_the_slowest_port_that_carries_the_link(platform: str, capacity: float, name: str) -> None:
    assert get_platform(platform).interfaces.pattern_for(capacity) == name


def test_frr_8_declares_no_isis_srv6() -> None:
    assert not supports("frr", "srv6")
    assert supports("cisco_iosxr", "srv6_flex_algo")
    assert not supports("huawei_vrp", "no-such-feature")
