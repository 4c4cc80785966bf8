"""The runbook file (`runbooks/<network>.yaml`): its model, reading it with positions for errors,
writing it, and the hash an approval binds (docs/runbooks.md).

The file is generated, then reviewed and possibly edited (a change board may add a gate or a check);
whatever is in it when it is approved is what runs. Errors name the file, line and field.
"""

from __future__ import annotations

import hashlib
import json
from ipaddress import ip_address
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from netauto.errors import Diagnostic, DiagnosticCollector
from netauto.model.loader import display_path, read_yaml_document

NOTHING_RUN = "nothing was run or changed"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RouteCheck(_Model):
    """The device's table for the VPN (vrf; null: the global table) has exactly this prefix, or not."""

    kind: Literal["route"]
    device: str
    vrf: str | None
    prefix: str
    expect: Literal["present", "absent"]


class BgpCheck(_Model):
    """The device's BGP session to `peer` in the VPN is established (up), or not (down)."""

    kind: Literal["bgp"]
    device: str
    vrf: str | None
    peer: str
    expect: Literal["up", "down"] = "up"


class OnlyCheck(_Model):
    """Of the routes inside `within`, the table holds none but the `allowed` ones."""

    kind: Literal["only"]
    device: str
    vrf: str | None
    within: list[str]
    allowed: list[str]


class CountCheck(_Model):
    """Records how many routes the device's table for the VPN holds (always passes: a baseline to
    compare with after the migration, in the journal and the report)."""

    kind: Literal["count"]
    device: str
    vrf: str | None


class PingCheck(_Model):
    """From the device, in the VPN (vrf; null: the global table), `count` echoes to the IPv4 address
    `target`, each waited for at most `timeout` seconds, so the check ends within count x timeout
    seconds: reachable when at most `max_loss` percent of them are lost, unreachable when none answers."""

    kind: Literal["ping"]
    device: str
    vrf: str | None
    target: str
    count: int = Field(default=5, ge=1, le=100)
    timeout: int = Field(default=2, ge=1, le=30)  # seconds (IOS-XR takes whole seconds)
    max_loss: int = Field(default=20, ge=0, le=100)
    expect: Literal["reachable", "unreachable"] = "reachable"

    @field_validator("target")
    @classmethod
    def _ipv4_address(cls, target: str) -> str:
        try:
            address = ip_address(target)
        except ValueError:
            raise ValueError(f"'{target}' is not an IP address") from None
        if address.version != 4:
            raise ValueError(f"'{target}': ping checks take IPv4 addresses (the platforms' ping ipv6 has no parser)")
        return target

    @property
    def bound(self) -> float:
        """The longest the device may take to answer, in seconds."""
        return self.count * self.timeout


Check = Annotated[RouteCheck | BgpCheck | OnlyCheck | CountCheck | PingCheck, Field(discriminator="kind")]


class DeviceLines(_Model):
    commands: list[str] = Field(min_length=1)
    rollback: list[str]


class CheckStep(_Model):
    id: str
    kind: Literal["check"]
    title: str = ""
    checks: list[Check]


class ConfigStep(_Model):
    id: str
    kind: Literal["config"]
    title: str = ""
    devices: dict[str, DeviceLines] = Field(min_length=1)


class GateStep(_Model):
    """The engineer does something by hand (move a fibre, watch a service) and confirms."""

    id: str
    kind: Literal["gate"]
    title: str = ""
    instruction: str


Step = Annotated[CheckStep | ConfigStep | GateStep, Field(discriminator="kind")]


class Runbook(_Model):
    runbook: str
    name: str = ""
    department: str = ""
    mode: Literal["cutover", "interconnect"]
    target_vpn: str
    window: dict[str, Any] | None = None
    generated: dict[str, Any]
    steps: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _step_ids_are_unique(self) -> Runbook:
        seen: set[str] = set()
        for step in self.steps:
            if step.id in seen:
                raise ValueError(f"step id '{step.id}' is used twice")
            seen.add(step.id)
        return self

    @property
    def network(self) -> str:
        return str(self.generated.get("network", ""))

    def devices(self) -> list[str]:
        names = {d for s in self.steps if isinstance(s, ConfigStep) for d in s.devices}
        names |= {c.device for s in self.steps if isinstance(s, CheckStep) for c in s.checks}
        return sorted(names)


def load_runbook(path: Path) -> Runbook:
    """The runbook in `path`; InventoryError (file:line:column: field: message) when it is not one."""
    shown = str(path)
    data, source_map = read_yaml_document(path, shown, NOTHING_RUN)
    try:
        return Runbook.model_validate(data)
    except ValidationError as error:
        collector = DiagnosticCollector(shown, consequence=NOTHING_RUN)
        for problem in error.errors(include_url=False):
            where = _without_union_tags(problem["loc"])
            location = source_map.locate(where)
            message = problem["msg"].removeprefix("Value error, ")
            if problem["type"] == "missing":
                message = f"required key '{where[-1]}' is missing"
            elif problem["type"] == "extra_forbidden":
                message = f"unknown key '{where[-1]}'"
            if location is not None and not location.path:
                location = type(location)(location.file, location.line, location.column, display_path(where))
            collector.add(Diagnostic(message, location))
        collector.raise_if_errors()
        raise


_UNION_TAGS = {
    "route",
    "bgp",
    "only",
    "count",
    "ping",
    "check",
    "config",
    "gate",
}  # pydantic's discriminator tags in error paths


def _without_union_tags(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """The error's path in the file: pydantic puts the discriminator's tag after a list index
    (steps, 0, 'check', checks, 2, 'ping', count); a field may have a tag's name ('count')."""
    return tuple(p for k, p in enumerate(loc) if not (k and isinstance(loc[k - 1], int) and p in _UNION_TAGS))


def dump_runbook(document: dict[str, Any]) -> str:
    header = (
        f"# Runbook of dedicated network {document['runbook']} ({document['name']}), generated by netauto.\n"
        "# Review it like code; edits are allowed (the approval binds what is here when it is approved).\n"
    )
    return header + yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=120)


def runbook_hash(runbook: Runbook) -> str:
    """What an approval binds: the runbook's content, whatever its formatting and comments."""
    text = json.dumps(runbook.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
