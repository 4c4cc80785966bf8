"""Addressing helpers: table-driven cases and properties against the standard library."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netauto.addressing import (
    address_int,
    address_text,
    check_route_distinguisher,
    check_route_target,
    isis_net,
    locator,
    overlapping_pairs,
    plane_block,
    sid,
)
from netauto.plan.pools import PrefixAllocator


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_v4_text_round_trips_like_ipaddress(value: int) -> None:
    text = address_text(value, 4)
    assert text == str(ipaddress.IPv4Address(value))
    assert address_int(text) == value


@given(st.integers(min_value=0, max_value=2**128 - 1))
def test_v6_text_round_trips_like_ipaddress(value: int) -> None:
    text = address_text(value, 6)
    assert text == str(ipaddress.IPv6Address(value))
    assert address_int(text) == value


@given(st.integers(min_value=0, max_value=2**16 - 1).map(lambda n: n << 112 | 1))
def test_v6_single_zero_groups_match_ipaddress(value: int) -> None:
    assert address_text(value, 6) == str(ipaddress.IPv6Address(value))


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("65010:100", True),
        ("65535:4294967295", True),
        ("65535:4294967296", False),
        ("4200000000:100", True),
        ("4200000000:65536", False),
        ("10.250.0.1:100", True),
        ("10.250.0.1:65536", False),
        ("10.250.0.300:1", False),
        ("1.2:100", True),
        ("65010", False),
        ("abc:1", False),
        ("65010:", False),
        ("99999999999:1", False),
    ],
)
def test_route_distinguisher_forms(value: str, valid: bool) -> None:
    if valid:
        assert check_route_distinguisher(value) == value
        assert check_route_target(value) == value
    else:
        with pytest.raises(ValueError, match=value.replace(".", r"\.")):
            check_route_distinguisher(value)


def test_isis_net_spells_the_loopback() -> None:
    assert isis_net("49.0031", ipaddress.IPv4Address("10.255.1.39")) == "49.0031.0102.5500.1039.00"


@pytest.mark.parametrize(("algo", "block"), [(128, "fcbb:3180::/32"), (129, "fcbb:3181::/32"), (255, "fcbb:31ff::/32")])
def test_plane_block_carries_the_flex_algo(algo: int, block: str) -> None:
    assert str(plane_block(ipaddress.IPv6Network("fcbb:3100::/24"), 32, algo)) == block


def test_sid_sits_inside_its_locator() -> None:
    loc = locator(ipaddress.IPv6Network("fcbb:3180::/32"), 16, 0x12)
    assert str(loc) == "fcbb:3180:12::/48"
    assert sid(loc, 16, 101) in loc
    assert str(sid(loc, 16, 101)) == "fcbb:3180:12:65::"


@given(st.lists(st.tuples(st.integers(0, 2**16 - 1), st.integers(16, 32), st.sampled_from("abc")), max_size=30))
def test_overlapping_pairs_agrees_with_brute_force(raw: list[tuple[int, int, str]]) -> None:
    prefixes = [(ipaddress.IPv4Network((value << 16, length), strict=False), owner) for value, length, owner in raw]
    found = {(min(a, b), max(a, b), *sorted((str(p), str(q)))) for a, b, p, q in overlapping_pairs(prefixes)}
    expected = {
        (min(o1, o2), max(o1, o2), *sorted((str(p1), str(p2))))
        for i, (p1, o1) in enumerate(prefixes)
        for p2, o2 in prefixes[i + 1 :]
        if o1 != o2 and p1.overlaps(p2)
    }
    assert found == expected


@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("take"), st.integers(min_value=22, max_value=30)),
            st.tuples(st.just("reserve"), st.integers(0, 1023), st.integers(24, 30)),
        ),
        max_size=60,
    )
)
def test_prefix_allocator_never_hands_out_overlapping_prefixes(steps: list[tuple[int, ...]]) -> None:
    pool = ipaddress.IPv4Network("10.64.0.0/20")
    allocator = PrefixAllocator([pool])
    taken: list[ipaddress.IPv4Network] = []
    reserved: list[ipaddress.IPv4Network] = []
    for step in steps:
        if step[0] == "take":
            start = allocator.take(step[1])
            if start is not None:
                prefix = ipaddress.IPv4Network((start, step[1]))
                assert prefix.subnet_of(pool)
                assert not any(prefix.overlaps(other) for other in taken + reserved)
                taken.append(prefix)
        else:
            block = ipaddress.IPv4Network((int(pool.network_address) + step[1] * 64, step[2]), strict=False)
            allocator.reserve(int(block.network_address), int(block.broadcast_address))
            reserved.append(block)
