"""Protocol-level stand-ins for routers that cannot run here (Huawei VRP, H3C Comware, Cisco IOS-XR)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent.parent


def start_stand_ins(spec: Path, **popen: Any) -> subprocess.Popen[Any]:
    """The stand-in routers of `spec` (format in vendor_cli.load_spec), in a process of their own.

    They are run as the package `fakes` from the tests folder, not as `tests.fakes` from the
    repository: a top-level `tests` package installed by a dependency (textfsm 2.1.1 ships one)
    would be found before the repository's own `tests` folder, which has no `__init__.py`."""
    return subprocess.Popen([sys.executable, "-m", "fakes.vendor_cli", str(spec)], cwd=TESTS, **popen)
