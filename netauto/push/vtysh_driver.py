"""A Netmiko driver for FRR's vtysh behind an SSH login (DESIGN §8), registered as `frr_vtysh`.

Netmiko has no FRR driver; its IOS one nearly fits, but it types `terminal width 511` the moment the
session opens, before any prompt. A vtysh that starts slowly (a loaded router; measured in the lab VM
under software emulation: 3-8 s per login, 10 at once) gets that input ahead of its first prompt, the
echoes come back out of order, and Netmiko waits for an echo that never comes (a ReadTimeout on 1 of
10 routers). This driver waits for vtysh's first prompt, then turns paging off; vtysh has no terminal
width to set (FRR 8.4 answers "% Unknown command").
"""

from __future__ import annotations

import importlib
from typing import Any

from netmiko.cisco.cisco_ios import CiscoIosBase

DEVICE_TYPE = "frr_vtysh"
FIRST_PROMPT = r"[>#]\s*$"


class FrrVtyshSSH(CiscoIosBase):
    def session_preparation(self) -> None:
        self._test_channel_read(pattern=FIRST_PROMPT)
        self.set_base_prompt()
        self.disable_paging(command="terminal length 0")


def register() -> None:
    """Make `frr_vtysh` a device type Netmiko's ConnectHandler (and so Nornir) accepts."""
    dispatcher: Any = importlib.import_module("netmiko.ssh_dispatcher")  # `netmiko.ssh_dispatcher` is also a function
    if DEVICE_TYPE not in dispatcher.CLASS_MAPPER:
        dispatcher.CLASS_MAPPER[DEVICE_TYPE] = FrrVtyshSSH
        dispatcher.platforms.append(DEVICE_TYPE)
