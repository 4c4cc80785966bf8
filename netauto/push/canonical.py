"""A config in the router's own words: what FRR shows as running config after loading it.

FRR rewrites what it is given (`rt vpn import X` + `rt vpn export X` become `rt vpn both X`, defaults
such as `ip forwarding` disappear, lsp-timers are merged; measured on the lab), so an intended config
cannot be compared with a running one line by line. Loading it into a scratch FRR - the same FRR, with
the router's interface names as empty bridges - gives its canonical form; a push compares and
remediates in that form.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from netauto.lab import netns
from netauto.lab.netns import FrrInstall

SHOW_RUNNING = "show running-config"


def canonical_configs(
    configs: dict[str, str], interfaces: dict[str, list[str]], frr: FrrInstall, cache: Path | None = None
) -> dict[str, str]:
    """Each device's config as its FRR shows it, loaded into a scratch copy of the device.

    The form depends only on the config, the interfaces and the FRR, so it is kept in `cache` (a
    folder, mode 0700: the configs hold secrets) under a digest of the three: the dry run a push
    starts with makes the apply that follows it cheaper."""
    found, missing = {}, {}
    for device, text in configs.items():
        key = _key(text, interfaces.get(device, []), frr)
        cached = cache / f"{key}.cfg" if cache else None
        if cached is not None and cached.exists():
            found[device] = cached.read_text(encoding="utf-8")
        else:
            missing[device] = text
    if missing:
        made = _scratch(missing, interfaces, frr)
        if cache is not None:
            cache.mkdir(parents=True, mode=0o700, exist_ok=True)
            for device, text in made.items():
                _write_private(cache / f"{_key(missing[device], interfaces.get(device, []), frr)}.cfg", text)
        found |= made
    return found


def _key(config: str, interfaces: list[str], frr: FrrInstall) -> str:
    identity = f"{frr.root}|{frr.daemons}|{sorted(interfaces)}|{config}"
    return hashlib.sha256(identity.encode()).hexdigest()


def _write_private(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text)


def _scratch(configs: dict[str, str], interfaces: dict[str, list[str]], frr: FrrInstall) -> dict[str, str]:
    name = f"ntcanon{os.getpid() % 10000}"
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for device, text in configs.items():
            (folder / f"{device}.cfg").write_text(text, encoding="utf-8")
        state = folder / "state"
        devices = sorted(configs)
        bridges = {d: interfaces.get(d, []) for d in devices}
        lab = netns.up(devices, [], folder, name, state, frr=frr, bridges=bridges, strict=True)
        try:
            return {device: _show_running(lab, device) for device in devices}
        finally:
            netns.down(name, state)


def _show_running(lab: netns.Lab, device: str) -> str:
    """vtysh names the router after the system's hostname: run it under the router's, as its sshd does."""
    shown = netns.in_ns(
        lab, device, *netns.named(device), *lab.frr.vtysh(lab.ns(device), "-c", SHOW_RUNNING), timeout=60
    )
    if shown.returncode != 0:
        raise netns.LabError(f"scratch copy of {device}: show running-config failed: {shown.stderr.strip()}")
    return shown.stdout
