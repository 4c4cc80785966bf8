"""A containerlab topology from the plan: nodes with their platform's kind and image, the plan's links
and interface names, startup configs from `render`, management addresses."""

from __future__ import annotations

import os
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import yaml

from netauto.errors import NetautoError
from netauto.lab.slice import slice_links
from netauto.pipeline import PlanResult
from netauto.platforms import PlatformSpec, get_platform

MGMT_SUBNET = IPv4Network("172.20.20.0/24")  # containerlab's default
MGMT_SUBNET_LARGE = IPv4Network("172.20.0.0/16")  # for more nodes than the default holds


def management_subnet(nodes: int) -> IPv4Network:
    """containerlab's default management subnet, or a /16 when the nodes and the gateway do not fit."""
    for subnet in (MGMT_SUBNET, MGMT_SUBNET_LARGE):
        if subnet.num_addresses - 3 >= nodes:  # network, gateway, broadcast
            return subnet
    raise NetautoError(f"{nodes} nodes do not fit the management subnet {MGMT_SUBNET_LARGE}; export a slice")


def topology(result: PlanResult, name: str, devices: list[str], configs: Path, topology_file: Path) -> dict[str, Any]:
    """The topology document; `configs` holds <device>.cfg, referenced relative to the topology file.

    Files a platform's image needs besides its config (FRR's daemons file) are written once into
    `configs/../files/<platform>/` and bound into each of its nodes.
    """
    plan = result.plan
    by_name = {d.name: d for d in plan.devices}
    subnet = management_subnet(len(devices))
    hosts = subnet.hosts()
    next(hosts)  # the gateway
    nodes: dict[str, Any] = {}
    for device in devices:
        spec = get_platform(by_name[device].platform or "")
        if spec.containerlab_kind is None:
            raise NetautoError(
                f"platform {spec.name} of {device} has no containerlab kind; export the FRR variant (--frr)"
            )
        config = _relative(Path(configs, f"{device}.cfg"), topology_file)
        node: dict[str, Any] = {"kind": spec.containerlab_kind, "mgmt-ipv4": str(next(hosts))}
        if spec.containerlab_image:
            node["image"] = spec.containerlab_image
        binds = [f"{_relative(file, topology_file)}:{target}" for target, file in _platform_files(spec, configs)]
        if spec.containerlab_config_bind:  # the image reads its config from a file, not a startup-config
            binds.insert(0, f"{config}:{spec.containerlab_config_bind}")
        else:
            node["startup-config"] = config
        if binds:
            node["binds"] = binds
        node["labels"] = {"netauto-site": by_name[device].site, "netauto-role": by_name[device].role}
        nodes[device] = node
    links = [
        {"endpoints": [f"{link.a.device}:{link.a.interface}", f"{link.b.device}:{link.b.interface}"]}
        for link in slice_links(plan, devices)
    ]
    return {
        "name": name,
        "mgmt": {"network": f"{name}-mgmt", "ipv4-subnet": str(subnet)},
        "topology": {"nodes": nodes, "links": links},
    }


def _relative(path: Path, topology_file: Path) -> str:
    return os.path.relpath(path.resolve(), topology_file.parent.resolve())


def _platform_files(spec: PlatformSpec, configs: Path) -> list[tuple[str, Path]]:
    """Write the platform's extra files beside the configs; (path in the node, file here) pairs."""
    pairs = []
    for target, content in spec.containerlab_files.items():
        file = configs.parent / "files" / spec.name / Path(target).name
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(content, encoding="utf-8")
        pairs.append((target, file))
    return pairs


def write_topology(document: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "# containerlab topology exported by `netauto lab export` from the plan; do not edit by hand.\n"
    path.write_text(header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
