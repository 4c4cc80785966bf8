"""A Debian trixie root filesystem with FRR 10.3, for the lab's SRv6 engine (DESIGN §9).

FRR 10.3 does IS-IS SRv6 and L3VPN over SRv6; bookworm's 8.4 does not. Installing trixie's FRR on the
host would upgrade its libc, so FRR 10.3 runs from this tree with chroot instead. The tree is built
once with debootstrap (the only thing installed on the host) and kept as a tarball keyed on the suite,
the package list and the FRR version; later runs unpack it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

from netauto.errors import NetautoError

SUITE = "trixie"
CACHE = Path("/var/cache/netauto")
MIRROR_SOURCES = Path("/etc/apt/sources.list.d/debian.sources")
DEFAULT_MIRROR = "http://deb.debian.org/debian"
# nftables: packet counters on a router (which routers a flow crosses); fping: many pings at once
PACKAGES = ("frr", "iproute2", "iputils-ping", "fping", "nftables")
MARKER = ".netauto-packages"  # the package list a tree was built with
TRIMMED = ("usr/share/doc", "usr/share/man", "usr/share/locale", "usr/share/info", "var/lib/apt/lists", "var/cache/apt")


class RootfsError(NetautoError):
    pass


@dataclass(frozen=True)
class Rootfs:
    path: Path
    frr_version: str
    seconds: float
    built: bool  # False: unpacked from the cache


def mirror() -> str:
    """The Debian mirror the host's apt uses (the registry this machine may reach)."""
    if MIRROR_SOURCES.exists():
        for line in MIRROR_SOURCES.read_text(encoding="utf-8").splitlines():
            if line.startswith("URIs:") and "security" not in line:
                return line.split()[1]
    return DEFAULT_MIRROR


def packages_key() -> str:
    return hashlib.sha256(" ".join(PACKAGES).encode()).hexdigest()[:8]


def cached_tarballs(cache: Path = CACHE) -> list[Path]:
    """Cached trees with today's package list, oldest first."""
    return sorted(cache.glob(f"frr-rootfs-{SUITE}-{packages_key()}-*.tar.gz"), key=lambda p: p.stat().st_mtime)


def ensure(target: Path, cache: Path = CACHE) -> Rootfs:
    """A ready tree at `target`: kept if built with today's package list, else unpacked from the newest
    cached tarball, else built and cached."""
    start = time.monotonic()
    if _marker(target) == packages_key():
        return Rootfs(target, frr_version(target), 0.0, built=False)
    if os.path.ismount(target / "proc"):
        raise RootfsError(f"{target} is out of date but a lab runs from it; `netauto lab down` that lab first")
    if target.exists():
        shutil.rmtree(target)
    tarballs = cached_tarballs(cache)
    if tarballs:
        target.mkdir(parents=True)
        _run(["tar", "-xzf", str(tarballs[-1]), "-C", str(target)])
        return Rootfs(target, frr_version(target), time.monotonic() - start, built=False)
    build(target)
    version = frr_version(target)
    cache.mkdir(parents=True, exist_ok=True)
    tarball = cache / f"frr-rootfs-{SUITE}-{packages_key()}-{version}.tar.gz"
    _run(["tar", "-czf", f"{tarball}.part", "-C", str(target), "."])
    os.replace(f"{tarball}.part", tarball)
    return Rootfs(target, version, time.monotonic() - start, built=True)


def build(target: Path) -> None:
    """debootstrap a minimal trixie, then install FRR inside it (DESIGN §9: --include=frr fails here)."""
    if shutil.which("debootstrap") is None:
        raise RootfsError("debootstrap is not installed; apt-get install -y debootstrap")
    if target.exists():
        shutil.rmtree(target)
    _run(["debootstrap", "--variant=minbase", SUITE, str(target), mirror()], timeout=900)
    policy = target / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n", encoding="utf-8")  # no services start inside the tree
    policy.chmod(0o755)
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    _run(
        ["chroot", str(target), "apt-get", "install", "-y", "--no-install-recommends", *PACKAGES], env=env, timeout=900
    )
    for folder in TRIMMED:
        shutil.rmtree(target / folder, ignore_errors=True)
    (target / MARKER).write_text(packages_key() + "\n", encoding="utf-8")


def _marker(target: Path) -> str | None:
    try:
        return (target / MARKER).read_text(encoding="utf-8").strip()
    except OSError:
        return None


def frr_version(target: Path) -> str:
    status = (target / "var/lib/dpkg/status").read_text(encoding="utf-8")
    for block in status.split("\n\n"):
        if block.startswith("Package: frr\n"):
            for line in block.splitlines():
                if line.startswith("Version:"):
                    return line.split()[1]
    raise RootfsError(f"no FRR installed in {target}")


def unpack_check(tarball: Path) -> list[str]:
    """Member names of a cached tarball that would land outside the tree (none, for ours)."""
    with tarfile.open(tarball) as archive:
        return [m.name for m in archive.getmembers() if m.name.startswith("/") or ".." in Path(m.name).parts]


def _run(command: list[str], env: dict[str, str] | None = None, timeout: float = 300) -> None:
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)
    if result.returncode != 0:
        raise RootfsError(f"{' '.join(command[:4])} ... failed: {(result.stderr or result.stdout).strip()[-800:]}")
