"""Nornir inventory plugin over the plan: `InitNornir(inventory={"plugin": "NetautoInventory", ...})`.

Hosts are the plan's managed devices, with their platform, role, site and planes; groups per role,
platform and site; connection options for netmiko and napalm from the platform data files.
Credentials come from the environment (NETAUTO_USERNAME, NETAUTO_PASSWORD), never the inventory.

    from nornir import InitNornir
    nr = InitNornir(inventory={"plugin": "NetautoInventory", "options": {"inventory_path": "inventory/qingpu"}})
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nornir.core.inventory import ConnectionOptions, Defaults, Group, Groups, Host, Hosts, Inventory, ParentGroups

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
    ) -> None:
        self.inventory_path = Path(inventory_path)
        self.plan_result = plan_result
        self.only = only

    def load(self) -> Inventory:
        result = self.plan_result or build_plan(self.inventory_path)
        groups = Groups()
        hosts = Hosts()
        planes_of = _planes_by_device(result)
        for device in result.plan.devices:
            if device.platform is None or (self.only is not None and device.name not in self.only):
                continue
            names = (f"role_{device.role}", f"platform_{device.platform}", f"site_{device.site}")
            for name in names:
                if name not in groups:
                    groups[name] = Group(name=name)
            hosts[device.name] = _host(device, planes_of.get(device.name, []), ParentGroups(groups[n] for n in names))
        defaults = Defaults(username=os.environ.get("NETAUTO_USERNAME"), password=os.environ.get("NETAUTO_PASSWORD"))
        return Inventory(hosts=hosts, groups=groups, defaults=defaults)


def _host(device: PlannedDevice, planes: list[str], groups: ParentGroups) -> Host:
    spec = get_platform(device.platform or "")
    options = {}
    if spec.netmiko_device_type:
        options["netmiko"] = ConnectionOptions(platform=spec.netmiko_device_type, extras=dict(spec.netmiko_extras))
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
    )


def _planes_by_device(result: PlanResult) -> dict[str, list[str]]:
    planes: dict[str, set[str]] = {}
    for link in result.plan.links:
        for end in (link.a.device, link.b.device):
            planes.setdefault(end, set()).update(link.planes)
    return {name: sorted(p) for name, p in planes.items()}
