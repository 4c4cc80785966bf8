"""Pure helpers for identifiers, prefixes, route distinguishers and targets, IS-IS NETs and SRv6 SIDs."""

from __future__ import annotations

import ipaddress
import re
import socket
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

Prefix = IPv4Network | IPv6Network
Address = IPv4Address | IPv6Address

_IDENT = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?")
_AREA = re.compile(r"[0-9a-fA-F]{2}(\.[0-9a-fA-F]{4}){0,6}")
_ASN_NUMBER = re.compile(r"(\d+)(?:\.(\d+))?:(\d+)")


def check_ident(value: str) -> str:
    """An ASCII id usable in device names and file names.

    >>> check_ident("zhujiajiao")
    'zhujiajiao'
    >>> check_ident("朱家角")
    Traceback (most recent call last):
    ...
    ValueError: '朱家角' is not an ASCII id: use lowercase letters, digits and '-' (put Chinese names in 'name')
    """
    if not _IDENT.fullmatch(value):
        raise ValueError(
            f"'{value}' is not an ASCII id: use lowercase letters, digits and '-' (put Chinese names in 'name')"
        )
    return value


def parse_prefix(value: object) -> Prefix:
    """A prefix with no host bits set; the error says which network was probably meant.

    >>> parse_prefix("10.64.0.0/12")
    IPv4Network('10.64.0.0/12')
    >>> parse_prefix("10.64.1.1/12")
    Traceback (most recent call last):
    ...
    ValueError: '10.64.1.1/12' has host bits set; the network is 10.64.0.0/12
    """
    if not isinstance(value, str):
        raise ValueError(f"expected a prefix such as 10.0.0.0/8 or fd00::/8, got {value!r}")
    if "/" not in value:
        raise ValueError(f"'{value}' has no prefix length; write it as address/length")
    try:
        return ipaddress.ip_network(value)
    except ValueError:
        pass
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(f"'{value}' is not an IPv4 or IPv6 prefix") from None
    raise ValueError(f"'{value}' has host bits set; the network is {network}")


def parse_address(value: object) -> Address:
    """An IPv4 or IPv6 address.

    >>> parse_address("10.250.0.1")
    IPv4Address('10.250.0.1')
    """
    try:
        return ipaddress.ip_address(str(value)) if isinstance(value, str) else _not_address(value)
    except ValueError:
        raise ValueError(f"'{value}' is not an IPv4 or IPv6 address") from None


def _not_address(value: object) -> Address:
    raise ValueError(f"{value!r} is not an address")


def check_isis_area(value: str) -> str:
    """An IS-IS area id such as 49.0001.

    >>> check_isis_area("49.0001")
    '49.0001'
    >>> check_isis_area("49-1")
    Traceback (most recent call last):
    ...
    ValueError: '49-1' is not an IS-IS area id; write it like 49.0001
    """
    if not _AREA.fullmatch(value):
        raise ValueError(f"'{value}' is not an IS-IS area id; write it like 49.0001")
    return value


def check_route_distinguisher(value: str) -> str:
    """A route distinguisher of type 0 (ASN2:NN4), 1 (IPv4:NN2) or 2 (ASN4:NN2, also ASN.ASN:NN2).

    >>> check_route_distinguisher("65010:100")
    '65010:100'
    >>> check_route_distinguisher("10.250.0.1:100")
    '10.250.0.1:100'
    >>> check_route_distinguisher("4200000000:100")
    '4200000000:100'
    >>> check_route_distinguisher("65010")
    Traceback (most recent call last):
    ...
    ValueError: '65010' is not a route distinguisher: expected ASN:number (65010:100) or IPv4:number (10.0.0.1:100)
    >>> check_route_distinguisher("4200000000:70000")
    Traceback (most recent call last):
    ...
    ValueError: '4200000000:70000': with a 4-byte ASN the assigned number must be at most 65535
    """
    return _check_extended_community(value, "route distinguisher")


def check_route_target(value: str) -> str:
    """A route target, written like a route distinguisher.

    >>> check_route_target("65010:105")
    '65010:105'
    >>> check_route_target("target:1")
    Traceback (most recent call last):
    ...
    ValueError: 'target:1' is not a route target: expected ASN:number (65010:100) or IPv4:number (10.0.0.1:100)
    """
    return _check_extended_community(value, "route target")


def _check_extended_community(value: str, what: str) -> str:
    form = "expected ASN:number (65010:100) or IPv4:number (10.0.0.1:100)"
    if not isinstance(value, str) or ":" not in value:
        raise ValueError(f"'{value}' is not a {what}: {form}")
    admin, _, number_text = value.rpartition(":")
    if not number_text.isdigit():
        raise ValueError(f"'{value}' is not a {what}: {form}")
    number = int(number_text)
    if admin.count(".") == 3:
        try:
            ipaddress.IPv4Address(admin)
        except ValueError:
            raise ValueError(f"'{value}' is not a {what}: {form}") from None
        return _bounded(value, number, 0xFFFF, "with an IPv4 administrator")
    match = _ASN_NUMBER.fullmatch(value)
    if not match:
        raise ValueError(f"'{value}' is not a {what}: {form}")
    high, low = int(match.group(1)), match.group(2)
    asn = (high << 16) + int(low) if low is not None else high
    if asn > 0xFFFFFFFF or (low is not None and (high > 0xFFFF or int(low) > 0xFFFF)):
        raise ValueError(f"'{value}': the ASN is larger than 4 bytes")
    if asn > 0xFFFF or low is not None:
        return _bounded(value, number, 0xFFFF, "with a 4-byte ASN")
    return _bounded(value, number, 0xFFFFFFFF, "with a 2-byte ASN")


def _bounded(value: str, number: int, limit: int, context: str) -> str:
    if number > limit:
        raise ValueError(f"'{value}': {context} the assigned number must be at most {limit}")
    return value


def isis_net(area: str, loopback: IPv4Address) -> str:
    """The IS-IS NET whose system id spells the IPv4 loopback, zero-padded to 12 digits.

    >>> isis_net("49.0001", IPv4Address("10.250.0.1"))
    '49.0001.0102.5000.0001.00'
    """
    digits = "".join(f"{int(octet):03d}" for octet in str(loopback).split("."))
    return f"{area}.{digits[0:4]}.{digits[4:8]}.{digits[8:12]}.00"


def plane_block(locator_pool: IPv6Network, block_len: int, flex_algo: int) -> IPv6Network:
    """The SRv6 block of a plane: the locator pool followed by the plane's flex-algo id.

    >>> plane_block(IPv6Network("fcbb:bb00::/24"), 32, 128)
    IPv6Network('fcbb:bb80::/32')
    """
    shift = 128 - block_len
    value = int(locator_pool.network_address) | (flex_algo << shift)
    return IPv6Network((value, block_len))


def locator(block: IPv6Network, node_len: int, node_id: int) -> IPv6Network:
    """A node's locator inside a plane's block.

    >>> locator(IPv6Network("fcbb:bb80::/32"), 16, 3)
    IPv6Network('fcbb:bb80:3::/48')
    """
    length = block.prefixlen + node_len
    return IPv6Network((int(block.network_address) | (node_id << (128 - length)), length))


def sid(locator_prefix: IPv6Network, function_len: int, function: int) -> IPv6Address:
    """A SID: the locator followed by a function value.

    >>> sid(IPv6Network("fcbb:bb80:3::/48"), 16, 0x65)
    IPv6Address('fcbb:bb80:3:65::')
    """
    shift = 128 - locator_prefix.prefixlen - function_len
    return IPv6Address(int(locator_prefix.network_address) | (function << shift))


def overlapping_pairs(prefixes: list[tuple[Prefix, str]]) -> list[tuple[str, str, Prefix, Prefix]]:
    """Pairs of differently-owned prefixes that overlap, found with one sort per address family.

    >>> overlapping_pairs([(IPv4Network("10.0.0.0/8"), "a"), (IPv4Network("10.1.0.0/16"), "b"),
    ...                    (IPv4Network("11.0.0.0/8"), "c")])
    [('a', 'b', IPv4Network('10.0.0.0/8'), IPv4Network('10.1.0.0/16'))]
    """
    found: list[tuple[str, str, Prefix, Prefix]] = []
    for version in (4, 6):
        family = sorted(
            ((p, owner) for p, owner in prefixes if p.version == version),
            key=lambda item: (int(item[0].network_address), item[0].prefixlen),
        )
        open_ranges: list[tuple[int, Prefix, str]] = []
        for prefix, owner in family:
            start = int(prefix.network_address)
            open_ranges = [item for item in open_ranges if item[0] >= start]
            found.extend((o, owner, p, prefix) for _, p, o in open_ranges if o != owner)
            open_ranges.append((int(prefix.broadcast_address), prefix, owner))
    return found


def address_int(text: str) -> int:
    """The integer of an IPv4 or IPv6 address or prefix (its network part); fast, for lock files.

    >>> address_int("10.0.0.1"), address_int("10.0.0.2/31"), address_int("fd00::1")
    (167772161, 167772162, 336294682933583715844663186250927177729)
    >>> address_int("10.0.0.300")
    Traceback (most recent call last):
    ...
    ValueError: '10.0.0.300' is not an IP address
    """
    address = text.partition("/")[0]
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        return int.from_bytes(socket.inet_pton(family, address), "big")
    except OSError:
        raise ValueError(f"'{text}' is not an IP address") from None


def prefix_span(text: str) -> tuple[int, int, int] | None:
    """(version, first address, prefix length) of a prefix written as `address/length`, as strict
    `ipaddress.ip_network` reads it (host bits must be zero); None when it is not a valid prefix.
    Fast, for lock files; any other form is left to `ipaddress`.

    >>> prefix_span("10.1.0.0/24"), prefix_span("fd00:1::/64"), prefix_span("10.1.0.1/24")
    ((4, 167837696, 24), (6, 336294683012811878358927523844471128064, 64), None)
    >>> prefix_span("10.1.0.0/255.255.255.0"), prefix_span("10.1.0.0")
    ((4, 167837696, 24), (4, 167837696, 32))
    """
    address, slash, length = text.partition("/")
    version, bits = (6, 128) if ":" in address else (4, 32)
    if slash and length.isdigit() and length.isascii() and (length == "0" or length[0] != "0"):
        try:
            start = int.from_bytes(
                socket.inet_pton(socket.AF_INET6 if version == 6 else socket.AF_INET, address), "big"
            )
        except OSError:
            start = -1
        size = int(length)
        if start >= 0 and size <= bits:
            return (version, start, size) if start & ((1 << (bits - size)) - 1) == 0 else None
    try:
        network = ipaddress.ip_network(text)
    except ValueError:
        return None
    return network.version, int(network.network_address), network.prefixlen


def last_address(version: int, first: int, length: int) -> int:
    """The last address of the prefix starting at `first` (as `prefix_span` gives it).

    >>> last_address(4, 167837696, 24) == 167837696 + 255
    True
    """
    return first + (1 << ((32 if version == 4 else 128) - length)) - 1


def address_text(value: int, version: int) -> str:
    """The compressed text of an address integer (as `ipaddress` writes it).

    >>> address_text(167772161, 4), address_text(336294682933583715844663186250927177729, 6)
    ('10.0.0.1', 'fd00::1')
    """
    if version == 4:
        return socket.inet_ntop(socket.AF_INET, value.to_bytes(4, "big"))
    text = socket.inet_ntop(socket.AF_INET6, value.to_bytes(16, "big"))
    # libc writes a few prefixes IPv4-style (::0.1.0.0); ipaddress, and every vendor CLI, do not.
    return str(ipaddress.IPv6Address(value)) if "." in text else text
