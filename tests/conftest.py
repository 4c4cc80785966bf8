from __future__ import annotations

import functools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import pytest

from netauto.lab import kernel

TESTS = Path(__file__).parent
ROOT = TESTS.parent
MINIMAL = TESTS / "fixtures" / "minimal"
QINGPU = ROOT / "inventory" / "qingpu"
# netauto refuses a secrets file other users can read, and git checks files out 0644 (./dev test sets
# it too, before the lab VM, where this tree is read-only, imports this)
for _secrets in (TESTS / "fixtures").glob("*secrets*.yaml"):
    if _secrets.stat().st_mode & 0o077:
        _secrets.chmod(0o600)
# what netauto remembers between runs (netauto/cache.py) goes to a folder of this test run's own
os.environ.setdefault("NETAUTO_CACHE", tempfile.mkdtemp(prefix="netauto-cache-"))
# inside the lab VM under software emulation (where KVM does not work) commands run several times slower
SLOWDOWN = kernel.slowdown()


def run_netauto(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "netauto", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout * SLOWDOWN,
    )


@contextmanager
def running_lab(workdir: Path, name: str, *up_args: str) -> Iterator[Path]:
    """`netauto lab up` of the Qingpu sample as lab `name` in `workdir` (it must succeed), and
    `lab down` afterwards whatever happened."""
    try:
        started = run_netauto("lab", "up", str(QINGPU), "--name", name, *up_args, cwd=workdir, timeout=1200)
        assert started.returncode == 0, started.stdout + started.stderr
        yield workdir
    finally:
        run_netauto("lab", "down", "--name", name, cwd=workdir)


def lab_verification(workdir: Path, name: str, *verify_args: str, timeout: float = 900) -> Any:
    """`netauto lab verify --json` of a running lab (it must succeed), parsed."""
    result = run_netauto("lab", "verify", "--name", name, "--json", *verify_args, cwd=workdir, timeout=timeout)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def unavailable(in_ci: str, elsewhere: str) -> NoReturn:
    """A real component a test needs is missing: a failure in CI (`.ci/run` installs it), a skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(in_ci)
    pytest.skip(elsewhere)


@pytest.fixture
def browser() -> Iterator[Any]:
    """A real headless Chromium with the CJK fonts a Chinese desktop has (tests/browser.py)."""
    from browser import chromium_paths, cjk_fonts, headless_chromium

    if chromium_paths() is None:
        unavailable("chromium and chromium-driver (Debian) are required in CI", "chromium / chromedriver not installed")
    if "Noto Sans CJK SC" not in cjk_fonts():
        unavailable("fonts-noto-cjk (Debian) is required in CI", "no CJK font installed (fonts-noto-cjk)")
    driver = headless_chromium()
    try:
        yield driver
    finally:
        driver.quit()


@functools.cache
def lacking_kernel_features() -> frozenset[str]:
    return frozenset(feature.id for feature in kernel.missing())


def require_kernel(*features: str) -> None:
    """The routers of a test need these kernel features: where this kernel lacks one, the test runs in
    the lab VM (`./dev test` puts it there); here it fails in CI and skips elsewhere, saying so."""
    lacking = sorted(set(features) & lacking_kernel_features())
    if lacking:
        how = "./dev test runs it in the lab VM; or `netauto lab vm up`, then `netauto lab vm run -- pytest FILE`"
        unavailable(f"this kernel lacks {', '.join(lacking)} ({how})", f"this kernel lacks {', '.join(lacking)}: {how}")


@pytest.fixture
def minimal(tmp_path: Path) -> Path:
    """A writable copy of the minimal valid inventory."""
    target = tmp_path / "inv"
    shutil.copytree(MINIMAL, target)
    return target


@pytest.fixture
def qingpu(tmp_path: Path) -> Path:
    """A writable copy of the Qingpu sample inventory, with its lock file."""
    target = tmp_path / "qingpu"
    shutil.copytree(QINGPU, target)
    return target


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for the vendor stand-ins)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
