"""Platform knowledge as data: one YAML file per platform beside this module.

Stage code asks `supports(name, feature)` or reads a spec's fields; it never branches on a name.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, model_validator

from netauto.errors import NetautoError, did_you_mean

PLATFORM_DIR = Path(__file__).parent
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # our own files; the C loader reads them 10x faster


class InterfaceNaming(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    loopback: str
    first_port: int
    subinterface: str  # "{parent}.{vlan}"
    lan_port: str
    by_speed_gbps: dict[float, str]

    def sub(self, parent: str, vlan: int) -> str:
        return self.subinterface.format(parent=parent, vlan=vlan)

    def pattern_for(self, capacity_gbps: float) -> str:
        """The interface name pattern of the slowest port speed that carries `capacity_gbps`."""
        for speed in sorted(self.by_speed_gbps):
            if speed >= capacity_gbps:
                return self.by_speed_gbps[speed]
        return self.by_speed_gbps[max(self.by_speed_gbps)]


class PushSpec(BaseModel):
    """How a change is pushed to the platform safely (netauto push): its commit strategy, the commands
    that carry it out, what the platform says when it refuses a line, and what its post-checks read.
    Strategies are implemented in netauto/push/strategies.py."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    strategy: Literal["apply_verify_restore", "confirmed_commit"]
    config_errors: str  # a regular expression: the platform refused a configuration line
    # per_line: stop at the first refused line; after: send every line, then look for refusals in the
    # output (where Netmiko cannot verify echoes, it waits ~2 s of silence after each line to look)
    check_errors: Literal["per_line", "after"] = "per_line"
    # the intended config in the device's own words: as rendered, or as a scratch FRR shows it
    canonical: Literal["as_rendered", "frr_scratch"] = "as_rendered"
    interfaces_command: str | None = None  # lists the device's interfaces: name first, status in a column
    interfaces_status_column: int = 1
    post_checks: list[Literal["interfaces", "isis", "bgp", "loopbacks"]] = ["interfaces"]
    observe: Literal["parsed", "frr_json"] = "parsed"  # how post-checks read the answers (push/observe.py)
    # confirmed_commit: the change is undone by the device itself unless confirmed in time. Timer
    # commands take {seconds} or {minutes}; `arm` goes before the lines (the lines take effect as they
    # are typed), `commit_trial` after them (a candidate committed on trial)
    arm: str | None = None
    commit_trial: str | None = None
    commit: str | None = None  # a plain commit of the candidate (platforms with one)
    confirm: str | None = None  # makes a trial permanent (and ends any pending one)
    notes: str = ""

    @model_validator(mode="after")
    def _confirmed_commit_has_its_commands(self) -> PushSpec:
        if self.strategy == "confirmed_commit" and (self.confirm is None or not (self.arm or self.commit_trial)):
            raise ValueError("strategy confirmed_commit needs `confirm` and a timer (`arm` or `commit_trial`)")
        return self


class CheckSpec(BaseModel):
    """What a runbook's checks send to the platform and how its answer is read (netauto/runbook/checks.py).
    Commands take {vrf}: the platform's VRF clause, empty for the global table. A check kind without a
    command cannot be evaluated on the platform: a runbook that needs it is refused before any change."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    output: Literal["frr_json", "parsed"]  # FRR's JSON, or the platform's parsers (netauto/parse)
    vrf_clause: str = " vrf {name}"
    routes_v4: str | None = None  # the VRF's IPv4 routing table
    routes_v6: str | None = None
    bgp: str | None = None  # the VRF's BGP sessions and their states


class ParserSpec(BaseModel):
    """One command a check reads and how its answer is parsed (netauto/parse): `command` as sent, with
    {vrf} (the platform's VRF clause, empty for the global table) and for ping {target}, {count},
    {timeout}; the library that parses it (`ntc`: ntc-templates' TextFSM template for the platform
    and the command given, which may differ from the one sent when the layout is the same; `textfsm`:
    netauto's own template, a file under netauto/parse/templates/); and the stable fields, each a
    format string over the library's row (a list value is joined, unless named in `explode`: one
    row per item)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    command: str
    ntc: str | None = None
    textfsm: str | None = None
    fields: dict[str, str]
    explode: list[str] = []
    up: str | None = None  # a regular expression on the row's `state`: the peer or interface is up
    trim: str = ""  # characters stripped from the end of every value (VRP marks dynamic peers with *)
    vrf_clause: str | None = None  # where the command names a VRF otherwise than the platform's clause
    source: str = ""  # where the layout comes from when no real output tests it (vendor documentation)

    @model_validator(mode="after")
    def _one_library(self) -> ParserSpec:
        if (self.ntc is None) == (self.textfsm is None):
            raise ValueError("a parser names exactly one of `ntc` (a template of ntc-templates) or `textfsm`")
        return self


class ParsersSpec(BaseModel):
    """The platform's parsers, keyed by what they read (netauto/parse/__init__.py QUERIES)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ntc_platform: str | None = None  # ntc-templates' name for the platform
    vrf_clause: str = " vpn-instance {name}"
    # the short interface names the platform prints (Comware's XGE2/0/0) -> the names its config uses
    interface_abbreviations: dict[str, str] = {}
    commands: dict[str, ParserSpec]


class ConfigSyntax(BaseModel):
    """How the platform writes a config: what to skip when comparing, how to undo and leave."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    comment_markers: list[str]
    exit_lines: list[str]
    negation: str
    leave: str
    # a line that is only this, at the start of the line, ends the top-level section: VRP and Comware
    # print top-level commands indented by one space after a `#` (" sysname X"), so indentation alone
    # would put them under the section before
    section_end: str | None = None
    ordered_sections: list[str] = []
    # sections (regular expressions matched at the start) the device will not delete while the thing
    # they configure exists (FRR: "Only inactive interfaces can be deleted"; a physical port anywhere):
    # a removed one is emptied line by line instead of negated whole, and an empty one means nothing
    cleared_sections: list[str] = []
    negated_bare: list[str] = []  # commands undone without their value (FRR: `no description`, not `no description X`)
    overwrite: list[str] = []  # single-valued commands: a new value replaces the old without undo/no
    hier_config_platform: str | None = None  # hier_config computes the remediation where it supports us
    show_running: str
    # where the platform writes a secret (a regular expression, the secret its last group): masked in
    # everything shown or logged, including secrets no longer in the secrets file (read from a device)
    secret_patterns: list[str] = []


class PlatformSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str
    templates: str = ""  # the folder under templates/ (default: the platform's name)
    roles: list[str]
    netmiko_device_type: str | None
    netmiko_extras: dict[str, Any] = {}
    napalm_driver: str | None
    containerlab_kind: str | None
    containerlab_image: str | None = None
    containerlab_config_bind: str | None = None  # where the node's image reads its config (else startup-config)
    containerlab_files: dict[str, str] = {}  # path in the node -> content (e.g. FRR's daemons file)
    interfaces: InterfaceNaming
    config_syntax: ConfigSyntax
    push: PushSpec | None = None
    checks: CheckSpec | None = None
    parsers: ParsersSpec | None = None
    features: dict[str, bool]
    vrf_name_max: int | None = None  # the longest VRF name the platform takes (Linux VRF devices: 15)

    def vrf_name(self, vpn: str) -> str:
        """The VPN's VRF name on this platform: its id, or where that is too long, the id cut short
        and made unique again with four hex digits of its hash.

        >>> get_platform("frr").vrf_name("dept-shuiwu-water"), get_platform("frr").vrf_name("public-data")
        ('dept-shuiw-536d', 'public-data')
        """
        if self.vrf_name_max is None or len(vpn) <= self.vrf_name_max:
            return vpn
        digest = hashlib.sha256(vpn.encode()).hexdigest()[:4]
        return f"{vpn[: self.vrf_name_max - 5]}-{digest}"


class UnknownPlatformError(NetautoError):
    pass


@cache
def platforms() -> dict[str, PlatformSpec]:
    """Every platform spec, keyed by name; loud on a file whose name and `name` disagree."""
    specs: dict[str, PlatformSpec] = {}
    raw = {
        path.stem: yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
        for path in sorted(PLATFORM_DIR.glob("*.yml"))
    }
    for stem, data in raw.items():
        path = PLATFORM_DIR / f"{stem}.yml"
        spec = PlatformSpec.model_validate(_extended(data, raw, path))
        if spec.name != path.stem:
            raise NetautoError(f"{path}: platform name '{spec.name}' differs from the file name")
        specs[spec.name] = spec
    return specs


def _extended(data: dict[str, Any], raw: dict[str, dict[str, Any]], path: Path) -> dict[str, Any]:
    """`extends: BASE`: the base file's data with this file's keys over it (features merged by key)."""
    base_name = data.get("extends")
    if base_name is None:
        return {**data, "templates": data.get("templates") or data["name"]}
    if base_name not in raw or "extends" in raw[base_name]:
        raise NetautoError(f"{path}: extends '{base_name}', which is not a platform without 'extends'")
    base = raw[base_name]
    merged = {**base, **{k: v for k, v in data.items() if k != "extends"}}
    merged["features"] = {**base.get("features", {}), **data.get("features", {})}
    merged["templates"] = data.get("templates") or base.get("templates") or base["name"]
    return merged


def get_platform(name: str) -> PlatformSpec:
    try:
        return platforms()[name]
    except KeyError:
        raise UnknownPlatformError(f"unknown platform '{name}'; {did_you_mean(name, platforms())}") from None


def supports(name: str, feature: str) -> bool:
    """Whether platform `name` supports `feature` (a key of its `features`); unknown features are False.

    >>> supports("huawei_vrp", "srv6"), supports("frr", "srv6")
    (True, False)
    """
    return get_platform(name).features.get(feature, False)
