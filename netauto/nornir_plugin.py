"""Nornir inventory plugin over the plan: `InitNornir(inventory={"plugin": "NetautoInventory", ...})`.

Hosts are the plan's managed devices, with their platform, role, site and planes; groups per role,
platform and site; connection options for netmiko and napalm from the platform data files.
Credentials come from the environment, never the inventory: NETAUTO_USERNAME, NETAUTO_PASSWORD or
NETAUTO_SSH_KEY (a private key file). Host keys are always checked strictly: against NETAUTO_KNOWN_HOSTS
when set, else the user's known_hosts. A hosts file (device -> hostname, port; a lab writes one)
replaces the plan's in-band addresses (the loopbacks) where given.

    from nornir import InitNornir
    nr = InitNornir(inventory={"plugin": "NetautoInventory", "options": {"inventory_path": "inventory/qingpu"}})
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from nornir.core.inventory import ConnectionOptions, Defaults, Group, Groups, Host, Hosts, Inventory, ParentGroups

from netauto.errors import NetautoError
from netauto.model.loader import read_bounded_yaml
from netauto.pipeline import PlanResult, build_plan
from netauto.plan.model import PlannedDevice
from netauto.platforms import get_platform


class NetautoInventory:
    """Registered under the `nornir.plugins.inventory` entry point as `NetautoInventory`."""

    def __init__(
        self,
        inventory_path: str | Path = "inventory/qingpu",
        plan_result: PlanResult | None = None,
        only: set[str] | None = None,
        hosts_file: str | Path | None = None,
    ) -> None:
        self.inventory_path = Path(inventory_path)
        self.plan_result = plan_result
        self.only = only
        self.addresses = read_hosts_file(Path(hosts_file)) if hosts_file else {}

    def load(self) -> Inventory:
        result = self.plan_result or build_plan(self.inventory_path)
        groups = Groups()
        hosts = Hosts()
        planes_of = _planes_by_device(result)
        # every host refers to the defaults: a host built without them never sees the credentials
        defaults = Defaults(username=os.environ.get("NETAUTO_USERNAME"), password=os.environ.get("NETAUTO_PASSWORD"))
        for device in result.plan.devices:
            if device.platform is None or (self.only is not None and device.name not in self.only):
                continue
            names = (f"role_{device.role}", f"platform_{device.platform}", f"site_{device.site}")
            for name in names:
                if name not in groups:
                    groups[name] = Group(name=name)
            host = _host(device, planes_of.get(device.name, []), ParentGroups(groups[n] for n in names), defaults)
            if device.name in self.addresses:
                host.hostname, host.port = self.addresses[device.name]
            hosts[device.name] = host
        return Inventory(hosts=hosts, groups=groups, defaults=defaults)


def read_hosts_file(path: Path) -> dict[str, tuple[str, int]]:
    """device -> (hostname, port) from a YAML hosts file (`lab up --ssh` writes one); a bad file is a
    clear error naming the file, line and field."""
    data = read_bounded_yaml(path, "nothing was contacted") or {}
    if not isinstance(data, dict):
        raise HostsFileError(f"{path}:1: expected a mapping of device -> {{hostname, port}}")
    text = path.read_text(encoding="utf-8")
    lines = {name: _line_of(text, str(name)) for name in data}
    addresses = {}
    for name, entry in data.items():
        where = f"{path}:{lines[name]}: {name}"
        if not isinstance(entry, dict) or not isinstance(entry.get("hostname"), str):
            raise HostsFileError(f"{where}.hostname: missing (each device needs hostname, and may give port)")
        port = entry.get("port", 22)
        if not isinstance(port, int) or not 0 < port < 65536:
            raise HostsFileError(f"{where}.port: {port!r} is not a TCP port")
        addresses[str(name)] = (entry["hostname"], port)
    return addresses


def _line_of(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith(f"{key}:") or line.startswith(f"'{key}':") or line.startswith(f'"{key}":'):
            return number
    return 1


class HostsFileError(NetautoError):
    pass


def ssh_extras() -> dict[str, Any]:
    """Netmiko connection arguments for key login and strict host-key checking, from the environment."""
    extras: dict[str, Any] = {"ssh_strict": True, "allow_agent": False, "conn_timeout": 10}
    key = os.environ.get("NETAUTO_SSH_KEY")
    if key:
        extras.update(use_keys=True, key_file=key)
    known_hosts = os.environ.get("NETAUTO_KNOWN_HOSTS")
    if known_hosts:
        extras.update(system_host_keys=False, alt_host_keys=True, alt_key_file=known_hosts)
    return extras


def _host(device: PlannedDevice, planes: list[str], groups: ParentGroups, defaults: Defaults) -> Host:
    spec = get_platform(device.platform or "")
    options = {}
    if spec.netmiko_device_type:
        extras = {**spec.netmiko_extras, **ssh_extras()}
        options["netmiko"] = ConnectionOptions(platform=spec.netmiko_device_type, extras=extras)
    if spec.napalm_driver:
        options["napalm"] = ConnectionOptions(platform=spec.napalm_driver)
    data: dict[str, Any] = {
        "role": device.role,
        "site": device.site,
        "site_class": device.site_class,
        "model": device.model,
        "planes": planes,
        "loopback_v4": str(device.loopback_v4),
        "loopback_v6": str(device.loopback_v6),
        "node_id": device.node_id,
    }
    return Host(
        name=device.name,
        hostname=str(device.loopback_v4),
        platform=device.platform,
        groups=groups,
        data=data,
        connection_options=options,
        defaults=defaults,
    )


def _planes_by_device(result: PlanResult) -> dict[str, list[str]]:
    planes: dict[str, set[str]] = {}
    for link in result.plan.links:
        for end in (link.a.device, link.b.device):
            planes.setdefault(end, set()).update(link.planes)
    return {name: sorted(p) for name, p in planes.items()}


def quiet_nornir() -> None:
    """A failed task's traceback stays off the terminal: each failure reaches the user once, as the
    device's outcome or the clear error that names it (else Python's last-resort handler prints every
    task's traceback on stderr)."""
    logger = logging.getLogger("nornir")
    logger.propagate = False
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
