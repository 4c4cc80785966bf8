"""A Debian trixie root filesystem with FRR 10.3, for the lab's SRv6 engine (DESIGN §9).

FRR 10.3 does IS-IS SRv6 and L3VPN over SRv6; bookworm's 8.4 does not. Installing trixie's FRR on the
host would upgrade its libc, so FRR 10.3 runs from this tree with chroot instead. The tree is built
once with debootstrap (the only thing installed on the host) and kept as a tarball keyed on the suite
and FRR version; later runs unpack it.
"""

from __future__ import annotations

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
PACKAGES = ("frr", "iproute2", "iputils-ping", "fping")
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


def ensure(target: Path, cache: Path = CACHE) -> Rootfs:
    """A ready tree at `target`: unpacked from the newest cached tarball, or built and cached."""
    start = time.monotonic()
    if (target / "usr/lib/frr/zebra").exists():
        return Rootfs(target, frr_version(target), 0.0, built=False)
    tarballs = sorted(cache.glob(f"frr-rootfs-{SUITE}-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if tarballs:
        target.mkdir(parents=True, exist_ok=True)
        _run(["tar", "-xzf", str(tarballs[-1]), "-C", str(target)])
        return Rootfs(target, frr_version(target), time.monotonic() - start, built=False)
    build(target)
    version = frr_version(target)
    cache.mkdir(parents=True, exist_ok=True)
    tarball = cache / f"frr-rootfs-{SUITE}-{version}.tar.gz"
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
