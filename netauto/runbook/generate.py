"""`netauto runbook generate`: a dedicated network's migration as a runbook (docs/runbooks.md).

The config of each step is the remediation, per device and platform, from the render of one stage to
the render of the next (stages.py); its rollback is the remediation back. Checks are chosen from what
the stage changed (routes that must appear, sessions that must come up, prefixes that must stay out);
what a device's platform cannot check by itself becomes a gate for the engineer. Nothing here
connects to a device.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import ip_network
from pathlib import Path
from typing import Any

from netauto.model.schema import DedicatedNetwork
from netauto.parse import queries
from netauto.pipeline import PlanResult
from netauto.platforms import get_platform
from netauto.render.context import build_contexts, translated
from netauto.render.engine import render_config
from netauto.render.environment import environment
from netauto.review.configtree import parse, remediation
from netauto.runbook.stages import RunbookError, Stage, stages
from netauto.secrets import Secrets

Step = dict[str, Any]
Check = dict[str, Any]


@dataclass(frozen=True)
class _Site:
    """Where one of the network's sites joins the department's VPN."""

    id: str
    ce: str | None  # the site's CE (None: the VPN's LAN is on the site's own PE)
    pes: list[str]
    lan_device: str | None
    lan_interface: str | None
    lan_prefixes: list[str]
    gateway_v4: str | None = None  # the LAN's first address, on its device


def generate(result: PlanResult, secrets: Secrets, network_id: str, inventory: Path) -> dict[str, Any]:
    """The runbook document of one dedicated network."""
    network = _network(result, network_id)
    _refuse_nat_where_the_border_cannot(result, network)
    all_stages = stages(network)
    sites = _sites(result, network)
    devices = _devices(result, network, sites)
    renders = [_render(result, secrets, network, stage, devices) for stage in all_stages]
    platforms = {d.name: d.platform or "" for d in result.plan.devices if d.name in devices}
    vrf = _vrf(result, network)
    steps: list[Step] = [_pre_check(vrf, network, sites)]
    if network.mode == "cutover":
        steps.append(_baseline_gate(network, sites))
    for before, after, stage in zip(renders, renders[1:], all_stages[1:], strict=False):
        changes = _changes(before, after, platforms, secrets)
        if changes:
            steps.append({"id": stage.id.replace(":", "-"), "kind": "config", "title": stage.title, "devices": changes})
        steps += _after(result, vrf, network, stage, sites, platforms)
    steps.append(
        {
            "id": "post-check",
            "kind": "check",
            "title": "routes after the migration",
            "checks": _counts(vrf, network, sites),
        }
    )
    steps += _closing(network, sites)
    window = network.window
    return {
        "runbook": network.id,
        "name": network.name,
        "department": network.department,
        "mode": network.mode,
        "target_vpn": network.target_vpn,
        "window": {"start": window.start.isoformat(), "hours": window.hours} if window else None,
        "generated": {
            "network": result.plan.network,
            "inventory": str(inventory),
        },
        "steps": steps,
    }


def _network(result: PlanResult, network_id: str) -> DedicatedNetwork:
    networks = {d.id: d for d in result.inventory.dedicated_networks}
    if network_id not in networks:
        known = ", ".join(sorted(networks)) or "none"
        raise RunbookError(f"no dedicated network '{network_id}' in the inventory (known: {known})")
    return networks[network_id]


def _refuse_nat_where_the_border_cannot(result: PlanResult, network: DedicatedNetwork) -> None:
    if not network.nat or network.border is None:
        return
    device = next((d for d in result.plan.devices if d.name == network.border.device), None)
    if device is not None and device.platform and not get_platform(device.platform).features.get("nat", False):
        raise RunbookError(
            f"dedicated network {network.id} needs NAT ({len(network.nat)} rule(s)), but its border "
            f"{device.name} is a {device.platform} device, which does no NAT: choose another border device"
        )


def _sites(result: PlanResult, network: DedicatedNetwork) -> list[_Site]:
    plan, vpn = result.plan, network.target_vpn
    devices = {d.name: d for d in plan.devices}
    found = []
    for site in network.sites:
        attachments = [a for a in plan.attachments if a.vpn == vpn and devices[a.ce_device].site == site]
        lan = next((lan for lan in plan.lans if lan.vpn == vpn and lan.site == site), None)
        prefixes = [str(p) for p in (lan.prefix_v4, lan.prefix_v6) if p is not None] if lan else []
        ce = attachments[0].ce_device if attachments else None
        pes = sorted({a.pe_device for a in attachments})
        interface = lan.interface if lan else None
        gateway = str(next(lan.prefix_v4.hosts())) if lan and lan.prefix_v4 else None
        found.append(_Site(site, ce, pes, lan.device if lan else None, interface, prefixes, gateway))
    return found


def _devices(result: PlanResult, network: DedicatedNetwork, sites: list[_Site]) -> set[str]:
    names = {d for s in sites for d in (*s.pes, s.ce, s.lan_device) if d}
    if network.border is not None:
        names.add(network.border.device)
    managed = {d.name for d in result.plan.devices if d.platform}
    return names & managed


def _render(
    result: PlanResult, secrets: Secrets, network: DedicatedNetwork, stage: Stage, devices: set[str]
) -> dict[str, str]:
    contexts = build_contexts(result, secrets, devices, {network.id: stage.state})
    env = environment()
    return {name: render_config(env, context) for name, context in contexts.items()}


def _changes(
    before: dict[str, str], after: dict[str, str], platforms: dict[str, str], secrets: Secrets
) -> dict[str, dict[str, list[str]]]:
    """Per device whose config differs: the lines from `before` to `after`, and back."""
    changes = {}
    for device in sorted(after):
        syntax = get_platform(platforms[device]).config_syntax
        old, new = parse(before[device], syntax), parse(after[device], syntax)
        commands, rollback = remediation(old, new, syntax), remediation(new, old, syntax)
        if not commands:
            continue
        for line in commands + rollback:
            if secrets.mask(line) != line:
                raise RunbookError(f"{device}: a step would carry a secret ({secrets.mask(line).strip()}); refused")
        changes[device] = {"commands": commands, "rollback": rollback}
    return changes


def _pre_check(vrf: str | None, network: DedicatedNetwork, sites: list[_Site]) -> Step:
    """Before anything changes: what must not be there yet (a runbook run twice, or a network already
    half migrated by hand, stops here)."""
    checks: list[Check] = []
    for site in sites:
        checks += [_route(pe, vrf, p, "absent") for pe in site.pes for p in site.lan_prefixes]
    if network.border is not None:
        device = network.border.device
        checks += [_route(device, vrf, str(p), "absent") for p in _agreed(network)]
    checks += _counts(vrf, network, sites)
    return {"id": "pre-check", "kind": "check", "title": "nothing of the migration is there yet", "checks": checks}


def _baseline_gate(network: DedicatedNetwork, sites: list[_Site]) -> Step:
    """The old network is not in the source of truth: the engineer records how the sites reach their
    services over it before anything moves."""
    return {
        "id": "baseline",
        "kind": "gate",
        "title": "the sites reach their services over the old network",
        "instruction": f"From each site ({', '.join(s.id for s in sites)}), check that the department's "
        f"services answer over the old network ({', '.join(str(p) for p in network.prefixes)}) and record "
        "the results in the change ticket; confirm.",
    }


def _counts(vrf: str | None, network: DedicatedNetwork, sites: list[_Site]) -> list[Check]:
    """The size of the VPN's table where the migration lands, recorded before and after."""
    devices = sorted({pe for s in sites for pe in s.pes} | ({network.border.device} if network.border else set()))
    return [{"kind": "count", "device": device, "vrf": vrf} for device in devices]


def _after(
    result: PlanResult,
    vrf: str | None,
    network: DedicatedNetwork,
    stage: Stage,
    sites: list[_Site],
    platforms: dict[str, str],
) -> list[Step]:
    """The checks (and, for a cut-over site, the operator's move) that follow a stage's config."""
    if stage.id.startswith("site:"):
        site = next(s for s in sites if s.id == stage.id.split(":", 1)[1])
        where = f"{site.lan_device} {site.lan_interface}" if site.lan_device else "its CE"
        move = {
            "id": f"move-{site.id}",
            "kind": "gate",
            "title": f"move site {site.id}",
            "instruction": f"Re-patch the department's users at site {site.id} from the old network to {where} "
            f"(VLAN of VPN {network.target_vpn}); confirm when done.",
        }
        return [move, _site_check(vrf, site, f"check-{site.id}", platforms)]
    if stage.id == "vpn":
        return [_site_check(vrf, s, f"check-vpn-{s.id}", platforms) for s in sites if s.lan_prefixes]
    if stage.id in ("peering", "nat") and network.border is not None:
        peer = next(b.peer_v4 for b in result.plan.borders if b.network == network.id)
        return [_border_check(vrf, network, stage, peer, platforms)]
    return []


def _site_check(vrf: str | None, site: _Site, step_id: str, platforms: dict[str, str]) -> Step:
    """The site's LAN routes on its PEs, and its gateway answering them where they can ping (a LAN on
    the PE itself answers by definition)."""
    checks = [_route(pe, vrf, p, "present") for pe in site.pes for p in site.lan_prefixes]
    if site.gateway_v4 and site.lan_device not in site.pes:
        checks += [_ping(pe, vrf, site.gateway_v4) for pe in site.pes if _can_ping(platforms.get(pe, ""))]
    return {"id": step_id, "kind": "check", "title": f"site {site.id} reached through the extranet", "checks": checks}


def _can_ping(platform: str) -> bool:
    """Whether the platform has a bounded ping (FRR's vtysh has none)."""
    return bool(platform) and "ping" in queries(platform)


def _ping(device: str, vrf: str | None, target: str) -> Check:
    return {
        "kind": "ping",
        "device": device,
        "vrf": vrf,
        "target": target,
        "count": 5,
        "timeout": 2,
        "expect": "reachable",
    }


def _border_check(
    vrf: str | None, network: DedicatedNetwork, stage: Stage, peer: str, platforms: dict[str, str]
) -> Step:
    """After the peering: the session, every agreed prefix, and nothing else of the network's; after
    NAT: the agreed prefixes as the extranet sees them."""
    assert network.border is not None
    device = network.border.device
    checks: list[Check] = []
    if stage.id == "peering":
        if _can_ping(platforms.get(device, "")):
            checks.append(_ping(device, vrf, peer))
        if network.border.peering == "ebgp":
            checks.append({"kind": "bgp", "device": device, "vrf": vrf, "peer": peer, "expect": "up"})
        checks += [_route(device, vrf, str(p), "present") for p in _agreed(network)]
        checks.append(
            {
                "kind": "only",
                "device": device,
                "vrf": vrf,
                "within": [str(p) for p in network.prefixes],
                "allowed": [str(p) for p in _agreed(network)],
            }
        )
    else:
        checks += [_route(device, vrf, str(p), "present") for p in _translated(network)]
    return {"id": f"check-{stage.id}", "kind": "check", "title": stage.title + ": checked", "checks": checks}


def _closing(network: DedicatedNetwork, sites: list[_Site]) -> list[Step]:
    steps: list[Step] = []
    if network.mode == "cutover":
        steps.append(
            {
                "id": "decommission",
                "kind": "gate",
                "title": "decommission the old network",
                "instruction": f"Take down the old network's links at {', '.join(s.id for s in sites)} and "
                f"withdraw its routes ({', '.join(str(p) for p in network.prefixes)}); confirm when done.",
            }
        )
    if network.border is not None:
        hosts = ", ".join(str(next(ip_network(str(p)).hosts())) for p in _agreed(network))
        steps.append(
            {
                "id": "reach",
                "kind": "gate",
                "title": "reachability, by hand",
                "instruction": f"From an extranet host in VPN {network.target_vpn}, reach the department's "
                f"agreed addresses (e.g. {hosts}); confirm when they answer.",
            }
        )
    steps.append(
        {
            "id": "observe",
            "kind": "gate",
            "title": "observation period",
            "instruction": "Watch the department's services for 30 minutes; confirm to close the runbook.",
        }
    )
    return steps


def _route(device: str, vrf: str | None, prefix: str, expect: str) -> Check:
    return {"kind": "route", "device": device, "vrf": vrf, "prefix": prefix, "expect": expect}


def _vrf(result: PlanResult, network: DedicatedNetwork) -> str | None:
    """The department VPN's table on the devices: its VRF, or None for the global table."""
    carried = {v.id for v in result.inventory.vpns if v.global_table}
    return None if network.target_vpn in carried else network.target_vpn


def _agreed(network: DedicatedNetwork) -> list[Any]:
    return list(network.allowed.to_extranet) if network.allowed else list(network.prefixes)


def _translated(network: DedicatedNetwork) -> list[Any]:
    return [translated(p, network) for p in _agreed(network)]
