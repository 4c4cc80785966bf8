"""Config-aware diffs and remediation per platform (table-driven), and the meaning digest."""

from __future__ import annotations

import textwrap

import pytest
import yaml

from conftest import TESTS
from netauto.pipeline import build_plan
from netauto.platforms import get_platform
from netauto.review.change import _remediation
from netauto.review.configtree import diff_trees, digest, mask_secrets, parse, remediation
from netauto.secrets import Secrets


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# platform, running, intended, expected added lines, expected removed lines, expected remediation
CASES = [
    (
        "frr",
        """
        hostname r1
        !
        interface eth1
         ip address 10.0.0.0/31
         isis metric 10
        exit
        !
        router bgp 65001
         neighbor 10.255.0.2 remote-as 65001
         neighbor 10.255.0.3 remote-as 65001
        exit
        """,
        """
        hostname r1
        interface eth1
         ip address 10.0.0.0/31
         isis metric 20
        exit
        router bgp 65001
         neighbor 10.255.0.2 remote-as 65001
        exit
        """,
        1,
        2,
        # removals first (so no added line collides with one still there), each in its section
        """
        router bgp 65001
         no neighbor 10.255.0.3 remote-as 65001
        exit
        interface eth1
         isis metric 20
        exit
        """,
    ),
    (
        "h3c_comware",
        """
         sysname r1
        #
        interface GigabitEthernet1/0/0
         description old
         ip address 10.0.0.0 255.255.255.254
        #
        isis 1
         cost-style wide
         network-entity 49.0001.0000.0000.0001.00
        #
        """,
        """
         sysname r1
        #
        interface GigabitEthernet1/0/0
         description new
         ip address 10.0.0.0 255.255.255.254
        #
        isis 1
         is-level level-2
         network-entity 49.0001.0000.0000.0001.00
        #
        """,
        2,
        2,
        # "description" is single-valued: the new value replaces the old without an undo
        """
        isis 1
         undo cost-style wide
         is-level level-2
        quit
        interface GigabitEthernet1/0/0
         description new
        quit
        """,
    ),
]


@pytest.mark.parametrize(
    ("platform", "running", "intended", "added", "removed", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_own_rules_diff_and_remediation(
    platform: str, running: str, intended: str, added: int, removed: int, expected: str
) -> None:
    syntax = get_platform(platform).config_syntax
    old, new = parse(dedent(running), syntax), parse(dedent(intended), syntax)
    changes = diff_trees(old, new)
    assert (len(changes.added), len(changes.removed)) == (added, removed)
    assert remediation(old, new, syntax) == dedent(expected).splitlines()


def test_removed_section_is_negated_once_and_added_section_is_entered_whole() -> None:
    syntax = get_platform("frr").config_syntax
    old = parse("vrf a\n ip route 0.0.0.0/0 10.0.0.1 10\nexit-vrf\n", syntax)
    new = parse("vrf b\n ip route 0.0.0.0/0 10.0.0.3 10\nexit-vrf\n", syntax)
    assert remediation(old, new, syntax) == ["no vrf a", "vrf b", " ip route 0.0.0.0/0 10.0.0.3 10", "exit"]


def test_frr_empties_a_removed_interface_and_undoes_its_description_bare() -> None:
    """FRR refuses `no interface X` while the port exists and `no description <text>` (measured, FRR 8.4);
    an interface left empty says nothing, so the emptied one equals its absence."""
    syntax = get_platform("frr").config_syntax
    old = parse("interface eth0.100\n description to the dedicated network\n ip address 10.0.0.1/31\nexit\n", syntax)
    new = parse("hostname r1\n", syntax)
    assert remediation(old, new, syntax) == [
        "interface eth0.100",
        " no description",
        " no ip address 10.0.0.1/31",
        "exit",
        "hostname r1",
    ]
    assert parse("interface eth0.100\nexit\nhostname r1\n", syntax).children.keys() == new.children.keys()


def test_plain_commands_go_before_sub_sections_whatever_the_rendered_order() -> None:
    """A neighbor's `activate` in an address family is refused before its `remote-as`: a render that
    merged two templates may write the address family first."""
    syntax = get_platform("frr").config_syntax
    merged = "router bgp 1 vrf a\n address-family ipv4 unicast\n  neighbor 10.0.0.0 activate\n exit-address-family\n"
    merged += " neighbor 10.0.0.0 remote-as 2\nexit\n"
    assert remediation(parse("", syntax), parse(merged, syntax), syntax) == [
        "router bgp 1 vrf a",
        " neighbor 10.0.0.0 remote-as 2",
        " address-family ipv4 unicast",
        "  neighbor 10.0.0.0 activate",
        " exit",
        "exit",
    ]


HUAWEI_RUNNING = """
#
sysname r1
#
interface GigabitEthernet0/1/0
 description old
 ip address 10.0.0.0 255.255.255.254
#
bgp 65001
 peer 10.0.0.1 as-number 65001
#
"""
HUAWEI_INTENDED = HUAWEI_RUNNING.replace("description old", "description new").replace(
    " peer 10.0.0.1 as-number 65001\n", " peer 10.0.0.1 as-number 65001\n peer 10.0.0.2 as-number 65001\n"
)
XR_RUNNING = """
hostname r1
!
interface TenGigE0/0/1/0
 description old
 ipv4 address 10.0.0.0 255.255.255.254
!
router isis 1
 net 49.0001.0000.0000.0001.00
 address-family ipv4 unicast
  metric-style wide
 !
!
"""
XR_INTENDED = XR_RUNNING.replace("description old", "description new").replace(
    "  metric-style wide\n", "  metric-style wide\n  maximum-paths 8\n"
)


@pytest.mark.parametrize(
    ("platform", "running", "intended", "expected"),
    [
        # hier_config knows VRP's "undo description" takes no argument
        (
            "huawei_vrp",
            HUAWEI_RUNNING,
            HUAWEI_INTENDED,
            [
                "interface GigabitEthernet0/1/0",
                "  undo description",
                "  description new",
                "  quit",
                "bgp 65001",
                "  peer 10.0.0.2 as-number 65001",
                "  quit",
            ],
        ),
        (
            "cisco_iosxr",
            XR_RUNNING,
            XR_INTENDED,
            [
                "interface TenGigE0/0/1/0",
                "  no description old",
                "  description new",
                "  root",
                "router isis 1",
                "  address-family ipv4 unicast",
                "    maximum-paths 8",
                "    exit",
                "  exit",
            ],
        ),
    ],
    ids=["huawei_vrp", "cisco_iosxr"],
)
def test_hier_config_remediation(tmp_path, platform: str, running: str, intended: str, expected: list[str]) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "r1.cfg").write_text(running)
    syntax = get_platform(platform).config_syntax
    assert syntax.hier_config_platform is not None
    commands = _remediation(tmp_path / "r1.cfg", parse(intended, syntax), platform, Secrets({}, tmp_path))
    assert commands == expected


@pytest.mark.parametrize("platform", ["frr", "huawei_vrp", "h3c_comware", "cisco_iosxr"])
def test_reordering_does_not_change_the_meaning_but_a_value_does(platform: str) -> None:
    first = "interface a\n description x\n mtu 9000\n!\ninterface b\n description y\n!\n"
    reordered = "interface b\n description y\n!\ninterface a\n mtu 9000\n description x\n!\n"
    split = "interface a\n description x\n!\ninterface b\n description y\n!\ninterface a\n mtu 9000\n!\n"
    assert digest(first, platform) == digest(reordered, platform) == digest(split, platform)
    assert digest(first, platform) != digest(first.replace("9000", "1500"), platform)


def test_order_matters_inside_ordered_sections() -> None:
    policy = "route-policy P\n  if destination in A then\n    drop\n  endif\n  pass\nend-policy\n"
    swapped = "route-policy P\n  pass\n  if destination in A then\n    drop\n  endif\nend-policy\n"
    assert digest(policy, "cisco_iosxr") != digest(swapped, "cisco_iosxr")


def test_frr_remediation_sends_context_first_and_replaces_a_net_in_two_steps() -> None:
    """Measured on FRR 8.4 by a push: a `bgp router-id` sent after the RDs re-derived them, and a new NET
    with another system ID is refused while the old one is still there."""
    syntax = get_platform("frr").config_syntax
    old = parse(
        "router isis 1\n net 49.0001.0000.0000.0001.00\nexit\n"
        "router bgp 1 vrf a\n bgp router-id 10.0.0.1\n address-family ipv4 unicast\n"
        "  rd vpn export 10.0.0.1:5\n exit-address-family\nexit\n",
        syntax,
    )
    new = parse(
        "router isis 1\n net 49.0001.0000.0000.0002.00\nexit\n"
        "router bgp 1 vrf a\n bgp router-id 10.0.0.2\n address-family ipv4 unicast\n"
        "  rd vpn export 10.0.0.2:5\n exit-address-family\nexit\n",
        syntax,
    )
    assert remediation(old, new, syntax) == [
        "router isis 1",
        " no net 49.0001.0000.0000.0001.00",
        " net 49.0001.0000.0000.0002.00",
        "exit",
        "router bgp 1 vrf a",
        " bgp router-id 10.0.0.2",
        " address-family ipv4 unicast",
        "  no rd vpn export 10.0.0.1:5",
        "  rd vpn export 10.0.0.2:5",
        " exit",
        "exit",
    ]


@pytest.mark.parametrize("fixture", sorted(p.name for p in (TESTS / "golden").iterdir() if p.is_dir()))
def test_the_platforms_secret_patterns_mask_every_secret_their_templates_write(fixture: str) -> None:
    """Without knowing the values (a device's old, rotated secret is in no secrets file), the platform's
    patterns alone hide every secret of every golden config (rendered with the test secrets)."""
    values = list(yaml.safe_load((TESTS / "fixtures" / "secrets.yaml").read_text(encoding="utf-8")).values())
    platform_of = {d.name: d.platform for d in build_plan(TESTS / "fixtures" / fixture).plan.devices if d.platform}
    configs = sorted((TESTS / "golden" / fixture).glob("*.cfg"))
    assert configs
    for config in configs:
        text = config.read_text(encoding="utf-8")
        platform = platform_of[config.stem]
        assert any(v in text for v in values) or platform == "frr", config.name  # the vendors' carry secrets
        masked = mask_secrets(text, get_platform(platform).config_syntax)
        assert [v for v in values if v in masked] == [], f"{config.name} ({platform})"


@pytest.mark.parametrize("platform", ["huawei_vrp", "h3c_comware"])
def test_a_separator_ends_the_section_so_indented_top_level_commands_stay_top_level(platform: str) -> None:
    # VRP and Comware print top-level commands with one leading space after a `#`
    syntax = get_platform(platform).config_syntax
    running = dedent(
        """
        #
        interface LoopBack0
         description router-id
        #
         ntp-service unicast-server 10.64.0.10
        #
        return
        """
    )
    tree = parse(running, syntax)
    assert list(tree.children) == ["interface LoopBack0", "ntp-service unicast-server 10.64.0.10"]
    intended = running.replace("10.64.0.10", "10.64.0.11")
    assert remediation(tree, parse(intended, syntax), syntax) == [
        "undo ntp-service unicast-server 10.64.0.10",
        "ntp-service unicast-server 10.64.0.11",
    ]
