"""One Jinja2 environment for every device and template; templates found by convention.

`templates/<platform>/<feature>.j2`. A missing template is an explicit error naming both parts; an
undefined variable is an error naming device, template and variable (StrictUndefined).
"""

from __future__ import annotations

from functools import cache
from ipaddress import IPv4Network, ip_interface, ip_network
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    UndefinedError,
)
from jinja2.bccache import Bucket

from netauto.cache import private_folder
from netauto.errors import NetautoError

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"


class TemplateNotImplemented(NetautoError):
    """No template for a feature on a platform that the plan needs."""


class RenderError(NetautoError):
    """A template failed for a device (undefined variable, bad filter input)."""


# The filters run hundreds of thousands of times on a large network, on values the plan already
# wrote in canonical form, so they split text instead of parsing addresses again.
_V4_MASKS = [str(IPv4Network((0, length)).netmask) for length in range(33)]


def address(value: str) -> str:
    """The address part of address/length.

    >>> address("10.254.0.1/31"), address("fd00::1/127")
    ('10.254.0.1', 'fd00::1')
    """
    return value.partition("/")[0]


def prefixlen(value: str) -> int:
    """The prefix length of address/length or a prefix.

    >>> prefixlen("10.254.0.1/31"), prefixlen("fd00::/64")
    (31, 64)
    """
    return int(value.partition("/")[2])


def netmask(value: str) -> str:
    """The dotted mask of an IPv4 address/length.

    >>> netmask("10.254.0.1/31")
    '255.255.255.254'
    """
    return _V4_MASKS[prefixlen(value)]


def network(value: str) -> str:
    """The network of address/length.

    >>> network("10.64.1.1/26")
    '10.64.1.0/26'
    """
    return str(ip_interface(value).network)


def wildcard(value: str) -> str:
    """The wildcard (inverse) mask of an IPv4 prefix.

    >>> wildcard("10.64.0.0/28")
    '0.0.0.15'
    """
    return str(ip_network(value).hostmask)


def bandwidth_kbps(gbps: float) -> int:
    """Link capacity in kbit/s.

    >>> bandwidth_kbps(10)
    10000000
    """
    return int(gbps * 1_000_000)


FILTERS: dict[str, Any] = {
    "address": address,
    "prefixlen": prefixlen,
    "netmask": netmask,
    "network": network,
    "wildcard": wildcard,
    "bandwidth_kbps": bandwidth_kbps,
}


@cache
def environment(root: Path = TEMPLATES) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(root)),
        bytecode_cache=compiled_templates(),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(FILTERS)
    return env


class _CompiledTemplates(FileSystemBytecodeCache):
    """Compiled templates kept between runs in netauto's private cache folder (netauto/cache.py), so a
    render of two devices does not compile every template again; keyed by each template's source. A
    folder that cannot be read or written (removed meanwhile, a full disk) only means compiling again."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except OSError:
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def compiled_templates() -> FileSystemBytecodeCache | None:
    folder = private_folder("templates")
    return _CompiledTemplates(str(folder)) if folder is not None else None


def template_name(platform: str, feature: str) -> str:
    return f"{platform}/{feature}.j2"


def render_feature(env: Environment, platform: str, feature: str, device: str, context: dict[str, Any]) -> str:
    name = template_name(platform, feature)
    try:
        template = env.get_template(name)
    except TemplateNotFound:
        raise TemplateNotImplemented(
            f"no template for feature '{feature}' on platform '{platform}' (expected templates/{name})"
        ) from None
    try:
        return template.render(context)
    except UndefinedError as exc:
        raise RenderError(f"device {device}: template {name}: {exc.message}") from None
    except Exception as exc:  # noqa: BLE001 - a template's own bug: named, not a traceback
        raise RenderError(f"device {device}: template {name}: {type(exc).__name__}: {exc}") from None
