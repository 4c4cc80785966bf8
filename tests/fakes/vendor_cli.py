"""A protocol-level test double for vendor routers that cannot run on this machine: Huawei VRP8, H3C
Comware 7 and Cisco IOS-XR behind a real SSH server, speaking enough of each CLI for Netmiko's
`huawei_vrpv8`, `hp_comware` and `cisco_xr` drivers, with each vendor's commit semantics:

- VRP8 (two-stage): edits go to a per-session candidate; `commit` applies it; `commit trial <60..65535>`
  applies it and rolls the running config back at expiry unless a later `commit` confirms it.
- Comware 7: every config line takes effect at once; `configuration commit delay <minutes>` restores
  the running config of that moment at expiry unless `configuration commit` follows.
- IOS-XR: per-session candidate; `commit`; `commit confirmed <30..65535>` (rolled back at expiry
  unless a later `commit` confirms it); `abort` discards the candidate and leaves config mode.

Run from the tests folder: `python -m fakes.vendor_cli SPEC.yaml` (format in `load_spec`), as
`fakes.start_stand_ins` does.
It prints `ready` once every device listens and exits cleanly on SIGTERM.

The config model is deliberately small: a tree of lines nested by indentation. In config mode a line
indented deeper than the previous one makes the previous one the current view; `quit`/`exit` leave one
view; a few single-valued commands (`SINGLE_VALUED`) replace their old value; the negation word
removes a line. Faults come from `<state_dir>/<name>.faults.yaml`, re-read at every command.
"""

from __future__ import annotations

import hmac
import itertools
import logging
import os
import re
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import paramiko
import yaml

from . import answers
from .routing import Attached, Network, Router, router_of

# --------------------------------------------------------------------------------------------------
# The config tree
# --------------------------------------------------------------------------------------------------

SECTION_ENDS = ("#", "!")
SKIPPED_LINES = frozenset({"return", "end", "Building configuration..."})

# Commands holding one value per view: a new line starting with the keyword replaces the old one
SINGLE_VALUED = (
    "sysname",
    "hostname",
    "description",
    "ip address",
    "ipv4 address",
    "mtu",
    "router-id",
    "bgp router-id",
    "network-entity",
    "net",
    "is-level",
    "is-type",
    "cost-style",
    "rd",
    "isis cost",
    "isis ipv6 cost",
    "metric",
    "vlan-type dot1q",
    "encapsulation dot1q",
    "bandwidth",
)
ADDRESS_KEYWORDS = ("ip address", "ipv4 address")
SECONDARY_SUFFIXES = (" sub", " secondary")
# Answers to a question, typed where no question is pending (Netmiko's XR commit(confirm=True) sends a
# stray `y`: the echo of `commit confirmed` matches its "onfirm" pattern): an error, not a config line
ANSWER_WORDS = frozenset({"y", "n", "yes", "no"})


@dataclass
class Node:
    line: str
    children: list[Node] = field(default_factory=list)

    def find(self, line: str) -> Node | None:
        return next((child for child in self.children if child.line == line), None)

    def child(self, line: str) -> Node:
        """The child with this line, added at the end if absent."""
        found = self.find(line)
        if found is None:
            found = Node(line)
            self.children.append(found)
        return found

    def copy(self) -> Node:
        return Node(self.line, [child.copy() for child in self.children])


def parse_config(text: str) -> Node:
    """Config text as a tree: children are indented deeper than their parent; a `#` or `!` alone at
    column 0 ends the top-level section; other comment lines and `return`/`end` are dropped."""
    root = Node("")
    stack: list[tuple[int, Node]] = [(-1, root)]
    for raw in text.splitlines():
        line = raw.rstrip()
        if line in SECTION_ENDS:
            del stack[1:]
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith(SECTION_ENDS) or stripped in SKIPPED_LINES:
            continue
        indent = len(line) - len(line.lstrip(" "))
        while stack[-1][0] >= indent:
            stack.pop()
        node = stack[-1][1].child(stripped)
        stack.append((indent, node))
    return root


def config_lines(root: Node, depth: int = 0) -> list[str]:
    """The tree as indented lines, one space per level, without separators (for comparisons)."""
    out = []
    for child in root.children:
        out.append(" " * depth + child.line)
        out.extend(config_lines(child, depth + 1))
    return out


def _section_body(node: Node, depth: int, marker: str, marker_first: bool) -> list[str]:
    """Children of a section; a nested section is preceded (VRP) or followed (XR) by an indented
    marker line, as the devices print them."""
    out = []
    pad = " " * depth
    for child in node.children:
        if child.children and marker_first:
            out.append(pad + marker)
        out.append(pad + child.line)
        out.extend(_section_body(child, depth + 1, marker, marker_first))
        if child.children and not marker_first:
            out.append(pad + marker)
    return out


def render_huawei_style(root: Node, banner: str) -> str:
    """VRP/Comware: `#` before every section and before each run of top-level commands, which get one
    leading space; `return` at the end."""
    out = [banner] if banner else []
    in_leaf_run = False
    for node in root.children:
        if node.children:
            out += ["#", node.line, *_section_body(node, 1, "#", marker_first=True)]
            in_leaf_run = False
            continue
        if not in_leaf_run:
            out.append("#")
        out.append(" " + node.line)
        in_leaf_run = True
    out += ["#", "return"]
    return "\n".join(out) + "\n"


def render_xr(root: Node) -> str:
    """IOS-XR: top-level commands flush left, `!` after every section, `end` at the end."""
    out = ["!! IOS XR Configuration 7.9.2", "!"]
    for node in root.children:
        out.append(node.line)
        if node.children:
            out += [*_section_body(node, 1, "!", marker_first=False), "!"]
    out.append("end")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------------
# Edits
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edit:
    path: tuple[str, ...]  # the view the line was typed in
    line: str  # without the negation word when negate
    negate: bool


def single_valued_keyword(line: str) -> str | None:
    matches = [keyword for keyword in SINGLE_VALUED if line == keyword or line.startswith(keyword + " ")]
    if not matches:
        return None
    keyword = max(matches, key=len)
    if keyword in ADDRESS_KEYWORDS and line.endswith(SECONDARY_SUFFIXES):
        return None
    return keyword


# Commands whose negated form is itself kept as config (VRP's interfaces show `undo shutdown`): the
# negation sets the state instead of removing a line, and each form replaces the other
KEPT_NEGATIVE = ("shutdown",)
SHUTDOWN_FORMS = {"shutdown", "undo shutdown", "no shutdown"}


def is_kept_negative(rest: str) -> bool:
    return rest in KEPT_NEGATIVE


def set_line(view: Node, line: str) -> None:
    """Add `line` to the view unless present; a single-valued command replaces its old value."""
    if view.find(line) is not None:
        return
    if line in SHUTDOWN_FORMS:  # one of them at a time
        view.children = [child for child in view.children if child.line not in SHUTDOWN_FORMS]
    keyword = single_valued_keyword(line)
    if keyword is not None:
        for child in view.children:
            if single_valued_keyword(child.line) == keyword:
                child.line = line
                return
    view.children.append(Node(line))


def remove_line(view: Node, line: str) -> bool:
    """Remove the child equal to `line`, else the children starting with `line` and a space (`undo ip
    address` removes `ip address 1.1.1.1 255.255.255.255`); False when nothing matched."""
    exact = view.find(line)
    if exact is not None:
        view.children = [child for child in view.children if child is not exact]
        return True
    kept = [child for child in view.children if not child.line.startswith(line + " ")]
    removed = len(kept) != len(view.children)
    view.children = kept
    return removed


def find_path(root: Node, path: tuple[str, ...]) -> Node | None:
    node: Node | None = root
    for line in path:
        if node is None:
            return None
        node = node.find(line)
    return node


def ensure_path(root: Node, path: tuple[str, ...]) -> Node:
    node = root
    for line in path:
        node = node.child(line)
    return node


def apply_edit(root: Node, edit: Edit) -> bool:
    if edit.negate:
        view = find_path(root, edit.path)
        return view is not None and remove_line(view, edit.line)
    set_line(ensure_path(root, edit.path), edit.line)
    return True


# --------------------------------------------------------------------------------------------------
# Vendors
# --------------------------------------------------------------------------------------------------

VRP, COMWARE, XR = "huawei_vrp", "h3c_comware", "cisco_iosxr"
PLATFORM_NAMES = {
    VRP: VRP,
    "huawei_vrpv8": VRP,
    COMWARE: COMWARE,
    "hp_comware": COMWARE,
    XR: XR,
    "cisco_xr": XR,
}


@dataclass(frozen=True)
class Dialect:
    platform: str
    negation: str
    two_stage: bool  # a per-session candidate committed explicitly
    name_keyword: str  # the command carrying the prompt's host name
    unrecognized: str
    wrong_parameter: str
    missing_config: str


DIALECTS = {
    VRP: Dialect(
        VRP,
        "undo",
        True,
        "sysname",
        "Error: Unrecognized command found at '^' position.",
        "Error: Wrong parameter found at '^' position.",
        "Error: The configuration to be deleted does not exist.",
    ),
    COMWARE: Dialect(
        COMWARE,
        "undo",
        False,
        "sysname",
        "% Unrecognized command found at '^' position.",
        "% Wrong parameter found at '^' position.",
        "Error: The configuration to be deleted does not exist.",
    ),
    XR: Dialect(
        XR,
        "no",
        True,
        "hostname",
        "% Invalid input detected at '^' marker.",
        "% Invalid input detected at '^' marker.",
        "% Invalid input: the configuration to be removed does not exist.",
    ),
}

VRP_EXIT_QUESTION = (
    "Warning: Uncommitted configurations found. Are you sure to commit them before exiting? [Y(yes)/N(no)/C(cancel)]:"
)
XR_EXIT_QUESTION = "Uncommitted changes found, commit them before exiting(yes/no/cancel)? [cancel]:"
XR_PROMPT_PREFIX = "RP/0/RP0/CPU0:"


# --------------------------------------------------------------------------------------------------
# Spec and faults
# --------------------------------------------------------------------------------------------------


class SpecError(Exception):
    pass


@dataclass(frozen=True)
class DeviceSpec:
    name: str
    platform: str
    port: int
    config: Path | None


@dataclass(frozen=True)
class Spec:
    state_dir: Path
    host_key: Path
    authorized_key: Path
    username: str
    password: str | None
    time_scale: float
    latency_ms: float
    devices: tuple[DeviceSpec, ...]


def load_spec(path: Path) -> Spec:
    """The server's SPEC.yaml; relative paths are relative to the spec's folder:

    state_dir: /tmp/x              # <name>.running.cfg, <name>.log, <name>.faults.yaml (read)
    host_key: host_ed25519         # the server's private host key (ed25519, ECDSA or RSA)
    authorized_key: client.pub     # OpenSSH public key line(s) accepted for publickey auth
    username: netops
    password: secret               # optional: password auth accepted too
    time_scale: 0.05               # every commit timer is multiplied by this (default 1)
    latency_ms: 0                  # sleep before answering each command (default 0)
    devices:
      - {name: pe1, platform: huawei_vrp, port: 42201, config: pe1.cfg}   # config optional
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise SpecError(f"{path}: not a mapping")
    try:
        devices = tuple(_device_spec(entry, path.parent) for entry in data["devices"])
        spec = Spec(
            state_dir=_resolve(data["state_dir"], path.parent),
            host_key=_resolve(data["host_key"], path.parent),
            authorized_key=_resolve(data["authorized_key"], path.parent),
            username=str(data["username"]),
            password=None if data.get("password") is None else str(data["password"]),
            time_scale=float(data.get("time_scale", 1.0)),
            latency_ms=float(data.get("latency_ms", 0)),
            devices=devices,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise SpecError(f"{path}: {type(error).__name__}: {error}") from error
    _check_unique(spec.devices, path)
    return spec


def _resolve(value: object, base: Path) -> Path:
    candidate = Path(str(value)).expanduser()
    return candidate if candidate.is_absolute() else base / candidate


def _device_spec(entry: dict[str, object], base: Path) -> DeviceSpec:
    platform = str(entry["platform"])
    if platform not in PLATFORM_NAMES:
        raise ValueError(f"unknown platform {platform!r} (known: {', '.join(sorted(PLATFORM_NAMES))})")
    config = entry.get("config")
    return DeviceSpec(
        name=str(entry["name"]),
        platform=PLATFORM_NAMES[platform],
        port=int(str(entry["port"])),
        config=None if config is None else _resolve(config, base),
    )


def _check_unique(devices: tuple[DeviceSpec, ...], path: Path) -> None:
    for attribute in ("name", "port"):
        values = [getattr(device, attribute) for device in devices]
        duplicates = sorted({str(value) for value in values if values.count(value) > 1})
        if duplicates:
            raise SpecError(f"{path}: duplicate device {attribute}: {', '.join(duplicates)}")


@dataclass(frozen=True)
class Faults:
    reject: re.Pattern[str] | None = None
    drop_after: int | None = None
    latency_ms: float | None = None
    once: bool = False  # the drop happens to one session: the fault file is removed when it does
    down: re.Pattern[str] | None = None  # interfaces shown down (their far end failed)
    isis_down: re.Pattern[str] | None = None  # interfaces up whose IS-IS adjacency does not form
    # a misbehaving device, for the commands matching: answers bytes that mean nothing, never stops
    # printing, colours its answer with terminal escapes, stops halfway through its answer
    garbage: re.Pattern[str] | None = None
    flood: re.Pattern[str] | None = None
    escapes: re.Pattern[str] | None = None
    hang: re.Pattern[str] | None = None

    def misbehaviour(self, command: str) -> str | None:
        for name in ("garbage", "flood", "escapes", "hang"):
            pattern = getattr(self, name)
            if pattern is not None and command and pattern.search(command):
                return name
        return None

    def shown_down(self, interface: str) -> bool:
        return self.down is not None and self.down.search(interface) is not None

    def isis_refused(self, interface: str) -> bool:
        return self.isis_down is not None and self.isis_down.search(interface) is not None


def read_faults(path: Path) -> Faults:
    """The device's fault file; absent means no faults. Raises ValueError when unreadable.

    reject: REGEX        # a config line matching it is refused with the vendor's error, not applied
    drop_after: 3        # the session is cut after this many config lines
    once: true           # ... only the next session that gets there (the file is removed then)
    latency_ms: 200      # before every answer (overrides the spec's)
    down: REGEX          # interfaces whose name matches are shown down
    isis_down: REGEX     # interfaces whose IS-IS adjacency does not form (say, a hello key mismatch)
    garbage: REGEX       # commands answered with random bytes (not all UTF-8), then the prompt
    flood: REGEX         # commands whose answer never ends (until the session is closed)
    escapes: REGEX       # commands answered in colour: terminal escapes around every line
    hang: REGEX          # commands answered halfway, then nothing more (no prompt)
    """
    if not path.exists():
        return Faults()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError("not a mapping")
        reject = data.get("reject")
        return Faults(
            reject=None if reject is None else re.compile(str(reject)),
            drop_after=None if data.get("drop_after") is None else int(data["drop_after"]),
            latency_ms=None if data.get("latency_ms") is None else float(data["latency_ms"]),
            once=bool(data.get("once", False)),
            down=None if data.get("down") is None else re.compile(str(data["down"])),
            isis_down=None if data.get("isis_down") is None else re.compile(str(data["isis_down"])),
            **{
                name: re.compile(str(data[name]))
                for name in ("garbage", "flood", "escapes", "hang")
                if data.get(name) is not None
            },
        )
    except (OSError, yaml.YAMLError, re.error, TypeError, ValueError) as error:
        raise ValueError(f"{path.name}: {error}") from error


# --------------------------------------------------------------------------------------------------
# A device: the running config, its files and the pending rollback timer
# --------------------------------------------------------------------------------------------------


@dataclass
class PendingRollback:
    label: str  # "trial", "confirmed commit", "commit delay"
    snapshot: Node
    timer: threading.Timer
    token: object


class Device:
    """One router. The running tree is never changed in place, only replaced, so a snapshot is just a
    reference. Every access goes through `lock`."""

    def __init__(self, spec: DeviceSpec, settings: Spec) -> None:
        self.name = spec.name
        self.port = spec.port
        self.dialect = DIALECTS[spec.platform]
        self.time_scale = settings.time_scale
        self.latency_ms = settings.latency_ms
        self.lock = threading.RLock()
        self.running = parse_config(self._initial_text(spec))
        self.version = 0
        self.pending: PendingRollback | None = None
        self.running_file = settings.state_dir / f"{self.name}.running.cfg"
        self.log_file = settings.state_dir / f"{self.name}.log"
        self.faults_file = settings.state_dir / f"{self.name}.faults.yaml"
        self.attached_file = settings.state_dir / f"{self.name}.attached.yaml"
        self._session_numbers = itertools.count(1)
        self.network: Callable[[], Network] = lambda: Network([self.router()])  # the server sets the whole one
        self._write_running()
        self.log(f"-- started: {self.dialect.platform} on 127.0.0.1:{self.port}")

    def _initial_text(self, spec: DeviceSpec) -> str:
        if spec.config is None:
            return f"{self.dialect.name_keyword} {self.name}\n"
        return spec.config.read_text(encoding="utf-8")

    def next_session_number(self) -> int:
        with self.lock:
            return next(self._session_numbers)

    def hostname(self) -> str:
        with self.lock:
            prefix = self.dialect.name_keyword + " "
            line = next((node.line for node in self.running.children if node.line.startswith(prefix)), "")
        return line[len(prefix) :].strip() or self.name

    def router(self) -> Router:
        """The router as its running config and faults describe it (routing.py)."""
        faults = self.faults()
        with self.lock:
            name, platform, running = self.hostname(), self.dialect.platform, self.running
        return router_of(name, platform, running, faults.shown_down, faults.isis_refused, self.attached())

    def attached(self) -> list[Attached]:
        """The routers outside the stand-ins the test put on this device's VRF ports (routing.py):
        `[{vrf, address, remote_as, routes: [prefix, ...]}]`, re-read at every command."""
        if not self.attached_file.exists():
            return []
        try:
            entries = yaml.safe_load(self.attached_file.read_text(encoding="utf-8")) or []
            return [Attached(e["vrf"], e["address"], str(e["remote_as"]), tuple(e.get("routes", []))) for e in entries]
        except (OSError, yaml.YAMLError, KeyError, TypeError) as error:
            self.log(f"-- attached file ignored: {error}")
            return []

    def router_id(self) -> str:
        return next((a for a in self.router().loopbacks if "." in a), "0.0.0.0")

    def answers_ping(self, vrf: str | None, target: str, bound: float) -> bool:
        """Whether `target` answers a ping in the VRF (routing.py); an unanswered ping takes its whole
        bound (scaled, as the commit timers), as a router waits out every echo."""
        answered = vrf is not None and self.network().answers_ping(self.hostname(), vrf, target)
        if not answered:
            time.sleep(bound * self.time_scale)
        return answered

    def show_running(self) -> str:
        with self.lock:
            if self.dialect.platform == XR:
                return render_xr(self.running)
            banner = "!Software Version V800R021C10SPC600" if self.dialect.platform == VRP else ""
            return render_huawei_style(self.running, banner)

    def replace_running(self, tree: Node, event: str | None = None) -> None:
        with self.lock:
            self.running = tree
            self.version += 1
            if event:  # logged first: whoever sees the new running file finds its event in the log
                self.log(f"-- {event}")
            self._write_running()

    def _write_running(self) -> None:
        temporary = self.running_file.with_name(self.running_file.name + ".tmp")
        temporary.write_text(self.show_running(), encoding="utf-8")
        os.replace(temporary, self.running_file)

    def log(self, text: str) -> None:
        stamp = datetime.now().isoformat(sep=" ", timespec="milliseconds")
        with self.lock, self.log_file.open("a", encoding="utf-8") as log:
            log.write(f"{stamp} {text}\n")

    def faults(self) -> Faults:
        try:
            return read_faults(self.faults_file)
        except ValueError as error:
            self.log(f"-- fault file ignored: {error}")
            return Faults()

    # The pending rollback (VRP trial, XR confirmed commit, Comware commit delay)

    def arm_rollback(self, label: str, seconds: float, snapshot: Node, who: str) -> None:
        """Roll back to `snapshot` after `seconds` (scaled) unless confirmed; re-arming keeps the
        snapshot of the first, still unconfirmed change."""
        with self.lock:
            if self.pending is not None:
                self.pending.timer.cancel()
                snapshot = self.pending.snapshot
            token = object()
            delay = seconds * self.time_scale
            timer = threading.Timer(delay, self._expire, args=(token,))
            timer.daemon = True
            self.pending = PendingRollback(label, snapshot, timer, token)
            timer.start()
            self.log(f"-- {who} {label} armed: {seconds:g} s (fires in {delay:.2f} s)")

    def confirm_rollback(self, who: str) -> bool:
        with self.lock:
            pending, self.pending = self.pending, None
            if pending is None:
                return False
            pending.timer.cancel()
            self.log(f"-- {who} {pending.label} confirmed")
            return True

    def roll_back_now(self, who: str) -> bool:
        with self.lock:
            pending, self.pending = self.pending, None
            if pending is None:
                return False
            pending.timer.cancel()
            self.replace_running(pending.snapshot, f"{who} {pending.label} aborted: rolled back")
            return True

    def _expire(self, token: object) -> None:
        with self.lock:
            pending = self.pending
            if pending is None or pending.token is not token:
                return
            self.pending = None
            self.replace_running(pending.snapshot, f"{pending.label} expired: rolled back")

    def stop(self) -> None:
        with self.lock:
            if self.pending is not None:
                self.pending.timer.cancel()
                self.log(f"-- stopped with the {self.pending.label} unconfirmed (not rolled back)")
                return
            self.log("-- stopped")


# --------------------------------------------------------------------------------------------------
# CLI sessions
# --------------------------------------------------------------------------------------------------


@dataclass
class Reply:
    text: str = ""  # printed after the echo, before the next prompt; ends with a newline if not empty
    close: bool = False  # log out after printing
    drop: bool = False  # close the transport at once, printing nothing


@dataclass(frozen=True)
class Frame:
    indent: int  # indentation of the line that opened the view
    path: tuple[str, ...]


def lines_reply(*lines: str) -> Reply:
    return Reply("".join(line + "\n" for line in lines))


class LineSplitter:
    """Bytes typed on the terminal to complete lines: CR, LF or CRLF ends a line; backspace edits;
    other control characters (the NUL Netmiko sends as keepalive) are dropped."""

    def __init__(self) -> None:
        self.buffer = ""
        self.after_cr = False

    def feed(self, data: str) -> list[str]:
        lines = []
        for char in data:
            if char == "\n" and self.after_cr:
                self.after_cr = False
                continue
            self.after_cr = char == "\r"
            if char in "\r\n":
                lines.append(self.buffer)
                self.buffer = ""
            elif char in "\x08\x7f":
                self.buffer = self.buffer[:-1]
            elif char >= " " or char == "\t":
                self.buffer += char
        return lines


class CliSession:
    """One interactive shell on a device: exec mode, config mode with views, the session's candidate
    (two-stage platforms) and the exit question. Vendor subclasses supply prompts and commands."""

    def __init__(self, device: Device, channel: paramiko.Channel, transport: paramiko.Transport) -> None:
        self.device = device
        self.dialect = device.dialect
        self.channel = channel
        self.transport = transport
        self.number = device.next_session_number()
        self.in_config = False
        self.views: list[Frame] = []
        self.last: Frame | None = None  # the last config line: a view once a deeper line follows
        self.edits: list[Edit] = []
        self._candidate: Node | None = None
        self._candidate_version = -1
        self.question: str | None = None  # the pending exit question, shown instead of the prompt
        self.config_line_count = 0
        self.typed_prompt = ""

    @property
    def who(self) -> str:
        return f"s{self.number}"

    # Vendor hooks

    def banner(self) -> str:
        return "\n"

    def prompt(self) -> str:
        raise NotImplementedError

    def exec_command(self, text: str) -> Reply:
        raise NotImplementedError

    def control_command(self, text: str) -> Reply | None:
        """A config-mode command that is not a config line (commit, leaving views, show), or None."""
        raise NotImplementedError

    def answer(self, text: str) -> Reply:
        self.question = None
        return Reply()

    # The terminal loop

    def run(self, stopping: threading.Event) -> None:
        self.device.log(f"-- {self.who} session opened")
        self.channel.settimeout(0.5)
        splitter = LineSplitter()
        try:
            self.send(self.banner() + self.prompt())
            while not stopping.is_set():
                try:
                    data = self.channel.recv(4096)
                except TimeoutError:
                    continue
                if not data:
                    break
                for line in splitter.feed(data.decode("utf-8", "replace")):
                    if not self.respond(line):
                        return
        except (OSError, EOFError, paramiko.SSHException):
            pass
        finally:
            self.finish()

    def send(self, text: str) -> None:
        self.channel.sendall(text.replace("\n", "\r\n").encode("utf-8"))

    def respond(self, raw: str) -> bool:
        """Answer one typed line: the echo, the output, the next prompt. False when the session ends."""
        faults = self.device.faults()
        latency = self.device.latency_ms if faults.latency_ms is None else faults.latency_ms
        if latency > 0:
            time.sleep(latency / 1000)
        self.typed_prompt = self.prompt()
        if raw.strip():
            self.device.log(f"{self.who} {self.typed_prompt} {raw.rstrip()}")
        reply = self.dispatch(raw, faults)
        if reply.drop:
            self.drop()
            return False
        misbehaviour = faults.misbehaviour(raw.strip())
        if misbehaviour is not None:
            self.device.log(f"-- {self.who} misbehaves ({misbehaviour}) on {raw.strip()!r}")
            return self.misbehave(misbehaviour, raw, reply.text)
        self.send(raw + "\n" + reply.text + ("" if reply.close else self.prompt()))
        if reply.close:
            self.channel.close()
        return not reply.close

    def misbehave(self, how: str, raw: str, text: str) -> bool:
        """Answer as a broken device would; False once the session is over."""
        self.send(raw + "\n")
        if how == "garbage":
            self.channel.sendall(os.urandom(2048) + b"\r\n")
            self.send(self.prompt())
            return True
        if how == "escapes":
            coloured = "".join(f"\x1b[1;32m{line}\x1b[0m\x1b[K\n" for line in text.splitlines())
            self.send(coloured + self.prompt())
            return True
        if how == "hang":
            self.send(text[: len(text) // 2])
        chunk = ("x" * 79 + "\n") * 800  # 64 KB of answer
        while not self.channel.closed and self.transport.is_active():
            try:
                if how == "flood":
                    self.send(chunk)
                else:
                    time.sleep(0.2)
            except OSError:
                break
        return False

    def dispatch(self, raw: str, faults: Faults) -> Reply:
        text = raw.strip()
        if self.question is not None:
            return self.answer(text)
        if not text:
            return Reply()
        if not self.in_config:
            return self.exec_command(text)
        return self.config_input(raw, text, faults)

    def drop(self) -> None:
        self.device.log(f"-- {self.who} dropped after {self.config_line_count} config lines (fault drop_after)")
        try:
            self.transport.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.transport.close()

    def finish(self) -> None:
        if self.dirty():
            self.device.log(f"-- {self.who} candidate discarded ({len(self.edits)} uncommitted edits)")
        self.discard()
        self.device.log(f"-- {self.who} session closed")

    # Config mode

    def config_input(self, raw: str, text: str, faults: Faults) -> Reply:
        limit = faults.drop_after
        if limit is not None and self.config_line_count >= limit:
            return self.dropping(faults)
        self.config_line_count += 1
        reply = self.config_line(raw, text, faults)
        if limit is not None and self.config_line_count >= limit:
            return self.dropping(faults)
        return reply

    def dropping(self, faults: Faults) -> Reply:
        if faults.once:
            self.device.faults_file.unlink(missing_ok=True)
        return Reply(drop=True)

    def config_line(self, raw: str, text: str, faults: Faults) -> Reply:
        control = self.control_command(text)
        if control is not None:
            self.last = None
            return control
        if text.lower() in ANSWER_WORDS:
            self.last = None
            return self.error(raw, self.dialect.unrecognized)
        indent = len(raw) - len(raw.lstrip(" "))
        self.nest(indent)  # a refused line still nests: the views follow what was typed
        if faults.reject is not None and faults.reject.search(text):
            self.device.log(f"-- {self.who} refused (fault reject): {text}")
            return self.error(raw, self.dialect.unrecognized)
        return self.statement(raw, indent, text)

    def statement(self, raw: str, indent: int, text: str) -> Reply:
        path = self.view_path()
        negation = self.dialect.negation + " "
        if text.startswith(negation) and not is_kept_negative(text[len(negation) :].strip()):
            if not self.apply(Edit(path, text[len(negation) :].strip(), negate=True)):
                return self.error(raw, self.dialect.missing_config)
            return Reply()
        self.apply(Edit(path, text, negate=False))
        self.last = Frame(indent, (*path, text))
        return Reply()

    def nest(self, indent: int) -> None:
        """A line deeper than the last one enters the last one's view; a line at or above the
        indentation of the line that opened a view leaves that view."""
        if self.last is not None and indent > self.last.indent:
            self.views.append(self.last)
        else:
            while self.views and indent <= self.views[-1].indent:
                self.views.pop()
        self.last = None

    def view_path(self) -> tuple[str, ...]:
        return self.views[-1].path if self.views else ()

    def view_line(self) -> str | None:
        path = self.view_path()
        return path[-1] if path else None

    def apply(self, edit: Edit) -> bool:
        device = self.device
        with device.lock:
            if self.dialect.two_stage:
                if not apply_edit(self.candidate(), edit):
                    return False
                self.edits.append(edit)
                return True
            tree = device.running.copy()
            if not apply_edit(tree, edit):
                return False
            device.replace_running(tree)
            return True

    def candidate(self) -> Node:
        """The running config with this session's edits (rebuilt when the running config changed)."""
        device = self.device
        with device.lock:
            if self._candidate is None or self._candidate_version != device.version:
                tree = device.running.copy()
                for edit in self.edits:
                    apply_edit(tree, edit)
                self._candidate, self._candidate_version = tree, device.version
            return self._candidate

    def dirty(self) -> bool:
        if not self.dialect.two_stage or not self.edits:
            return False
        with self.device.lock:
            return self.candidate() != self.device.running

    def discard(self) -> None:
        self.edits.clear()
        self._candidate = None

    def commit(self, rollback: tuple[str, float] | None = None) -> bool:
        """Apply the candidate; a plain commit confirms a pending rollback, `rollback` (label,
        seconds) arms one. True when the running config changed."""
        device = self.device
        with device.lock:
            previous = device.running
            tree = self.candidate().copy()
            self.discard()
            changed = tree != previous
            if rollback is None:
                device.confirm_rollback(self.who)
            if changed:
                device.replace_running(tree, f"{self.who} committed")
            if rollback is not None:
                device.arm_rollback(rollback[0], rollback[1], previous, self.who)
            return changed

    def enter_config(self) -> None:
        self.in_config = True
        self.views, self.last = [], None
        self.discard()

    def leave_view(self) -> Reply:
        if self.views:
            self.views.pop()
            self.last = None
            return Reply()
        return self.leave_config()

    def leave_config(self) -> Reply:
        if self.dirty():
            self.question = self.exit_question()
            return Reply()
        self.to_exec()
        return Reply()

    def exit_question(self) -> str:
        return ""

    def to_exec(self) -> None:
        self.in_config = False
        self.views, self.last = [], None
        self.discard()

    def error(self, raw: str, message: str) -> Reply:
        """The vendor error under a caret pointing at the start of the typed command."""
        column = len(self.typed_prompt) + len(raw) - len(raw.lstrip())
        return lines_reply(" " * column + "^", message)


def interface_rows(root: Node) -> list[tuple[str, Node]]:
    prefix = "interface "
    return [(node.line[len(prefix) :], node) for node in root.children if node.line.startswith(prefix)]


def parse_seconds(value: str | None, default: int, low: int, high: int) -> int | None:
    if value is None:
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        return None
    return int(value)


class HuaweiStyleSession(CliSession):
    """What VRP and Comware share: `<NAME>` / `[NAME-view]` prompts, `quit`/`return`, `display`."""

    version_text = ""

    def view_name(self) -> str:
        line = self.view_line()
        if line is None:
            return ""
        words = line.split()
        if words[0] == "interface" and len(words) > 1:
            return "-" + words[1]
        return "-" + "-".join(words)

    def display(self, text: str) -> Reply | None:
        if text == "display current-configuration":
            return Reply(self.device.show_running())
        if text == "display interface brief":
            return lines_reply(*self.interface_brief())
        if text == "display version":
            return Reply(self.version_text)
        return self.display_state(text)

    def display_state(self, text: str) -> Reply | None:
        """The routing state the checks ask for, in the platform's layout (answers.py)."""
        return None

    def isis_adjacencies(self) -> list[answers.Adjacency]:
        return self.device.network().adjacencies(self.device.hostname())

    def sessions(self) -> list[answers.Session]:
        return self.device.network().sessions(self.device.hostname())

    def v4_routes(self) -> list[answers.Route]:
        return [r for r in self.device.network().routes(self.device.hostname()) if "." in r.prefix]

    def interface_brief(self) -> list[str]:
        rows = ["Interface                   PHY   Protocol  InUti OutUti   inErrors  outErrors"]
        faults = self.device.faults()
        with self.device.lock:
            interfaces = interface_rows(self.device.running)
        for name, node in interfaces:
            down = node.find("shutdown") is not None or faults.shown_down(name)
            physical, protocol = ("*down", "down") if down else ("up", "up")
            rows.append(f"{name:<27} {physical:<5} {protocol:<9} 0%     0%          0          0")
        return rows

    def exec_command(self, text: str) -> Reply:
        if text == "system-view":
            self.enter_config()
            return lines_reply(self.system_view_banner())
        if text == "quit":
            return Reply(close=True)
        if text in self.paging_commands():
            return self.paging_reply()
        pinged = self.ping(text)
        if pinged is not None:
            return pinged
        shown = self.display(text)
        return shown if shown is not None else self.error(text, self.dialect.unrecognized)

    def ping(self, text: str) -> Reply | None:
        """A ping, in any view (as on VRP and Comware)."""
        ping = HUAWEI_STYLE_PING.fullmatch(text)
        if ping is None:
            return None
        count, seconds = int(ping["count"] or 5), int(ping["ms"] or 2000) / 1000
        answered = self.device.answers_ping(ping["vrf"], ping["target"], count * seconds)
        return lines_reply(*self.ping_lines(ping["target"], ping["vrf"], count, answered))

    def ping_lines(self, target: str, vrf: str | None, count: int, answered: bool) -> list[str]:
        raise NotImplementedError

    def system_view_banner(self) -> str:
        raise NotImplementedError

    def paging_commands(self) -> tuple[str, ...]:
        return ("screen-length 0 temporary", "screen-length disable")

    def paging_reply(self) -> Reply:
        return Reply()

    def common_control(self, text: str) -> Reply | None:
        if text.startswith("display "):
            shown = self.display(text)
            return shown if shown is not None else self.error(text, self.dialect.unrecognized)
        pinged = self.ping(text)
        if pinged is not None:
            return pinged
        if text == "quit":
            return self.leave_view()
        if text == "return":
            return self.leave_config()
        return None


HUAWEI_STYLE_PING = re.compile(  # VRP's and Comware's: ping [-vpn-instance X] [-c N] [-t MS] TARGET
    r"ping(?: -vpn-instance (?P<vrf>\S+))?(?: -c (?P<count>\d+))?(?: -t (?P<ms>\d+))? (?P<target>[\d.]+)"
)
COMWARE_VPN_COMMANDS = re.compile(
    r"display (?P<what>ip routing-table|ipv6 routing-table|bgp peer ipv4) vpn-instance (?P<vrf>\S+)"
)
VRP_VPN_COMMANDS = re.compile(
    r"display (?P<what>ip|ipv6|bgp vpnv4) (?:routing-table )?vpn-instance (?P<vrf>\S+) (?:verbose|peer)"
)


class VrpSession(HuaweiStyleSession):
    version_text = (
        "Huawei Versatile Routing Platform Software\n"
        "VRP (R) software, Version 8.210 (NE40E V800R021C10SPC600) - test double\n"
        "Copyright (C) 2012-2024 Huawei Technologies Co., Ltd.\n"
    )
    commit_pattern = re.compile(
        r"commit(?: (?P<trial>trial)(?: (?P<seconds>\S+))?)?(?: label \S+)?(?: (?:description|comment) .+)?"
    )

    def banner(self) -> str:
        return f"\nInfo: VRP8 test double, device {self.device.name}, session {self.number}.\n"

    def prompt(self) -> str:
        if self.question is not None:
            return self.question
        name = self.device.hostname()
        if not self.in_config:
            return f"<{name}>"
        state = "*" if self.dirty() else "~"
        return f"[{state}{name}{self.view_name()}]"

    def system_view_banner(self) -> str:
        return "Enter system view, return user view with return command."

    def paging_commands(self) -> tuple[str, ...]:
        return ("screen-length 0 temporary",)

    def paging_reply(self) -> Reply:
        return lines_reply("Info: The configuration takes effect on the current user terminal interface only.")

    def exit_question(self) -> str:
        return VRP_EXIT_QUESTION

    def ping_lines(self, target: str, vrf: str | None, count: int, answered: bool) -> list[str]:
        return answers.vrp_ping(target, count, answered)

    def display_state(self, text: str) -> Reply | None:
        asn = self.device.router().asn
        network, name = self.device.network(), self.device.hostname()
        vpn = VRP_VPN_COMMANDS.fullmatch(text)
        if vpn is not None and vpn["what"] == "bgp vpnv4":
            sessions = network.vpn_sessions(name, vpn["vrf"])
            return lines_reply(*answers.vrp_vpn_bgp_peer(self.device.router_id(), asn, vpn["vrf"], sessions))
        if vpn is not None:
            v4 = vpn["what"] == "ip"
            family = [r for r in network.vpn_routes(name, vpn["vrf"]) if ("." in r.prefix) == v4]
            layout = answers.vrp_routing_table_verbose if v4 else answers.vrp_ipv6_routing_table_verbose
            return lines_reply(*layout(family, vpn["vrf"]))
        if text == "display isis peer":
            return lines_reply(*answers.vrp_isis_peer(self.isis_adjacencies()))
        if text == "display bgp vpnv4 all peer":
            return lines_reply(*answers.vrp_bgp_peer(self.device.router_id(), asn, self.sessions()))
        if text == "display ip routing-table verbose":
            return lines_reply(*answers.vrp_routing_table_verbose(self.v4_routes()))
        return None

    def control_command(self, text: str) -> Reply | None:
        common = self.common_control(text)
        if common is not None:
            return common
        if text.split()[0] == "commit":
            return self.commit_command(text)
        if text == "abort trial":
            if not self.device.roll_back_now(self.who):
                return lines_reply("Error: No trial run is in progress.")
            return Reply()
        if text == "clear configuration candidate":
            self.discard()
            return Reply()
        if text.split()[0] in ("abort", "system-view", "clear"):
            return self.error(text, self.dialect.unrecognized)
        return None

    def commit_command(self, text: str) -> Reply:
        match = self.commit_pattern.fullmatch(text)
        if match is None:
            return self.error(text, self.dialect.unrecognized)
        if not match["trial"]:
            self.commit()
            return Reply()
        seconds = parse_seconds(match["seconds"], 600, 60, 65535)
        if seconds is None:
            return self.error(text, self.dialect.wrong_parameter)
        self.commit(("trial", seconds))
        return lines_reply(
            f"Info: Trial run started. The configuration is rolled back in {seconds} seconds"
            " unless confirmed by commit."
        )

    def answer(self, text: str) -> Reply:
        self.question = None
        choice = text.lower()
        if choice in ("y", "yes"):
            self.commit()
            self.to_exec()
        elif choice in ("n", "no"):
            self.to_exec()
        return Reply()


class ComwareSession(HuaweiStyleSession):
    version_text = (
        "H3C Comware Software, Version 7.1.064, Release 7585P05 - test double\n"
        "Copyright (c) 2004-2024 New H3C Technologies Co., Ltd. All rights reserved.\n"
    )
    delay_pattern = re.compile(r"configuration commit delay (?P<minutes>\S+)")

    def banner(self) -> str:
        return f"\n* Comware 7 test double, device {self.device.name}, session {self.number} *\n\n"

    def prompt(self) -> str:
        name = self.device.hostname()
        if not self.in_config:
            return f"<{name}>"
        return f"[{name}{self.view_name()}]"

    def system_view_banner(self) -> str:
        return "System View: return to User View with Ctrl+Z."

    def interface_brief(self) -> list[str]:
        faults = self.device.faults()
        with self.device.lock:
            interfaces = interface_rows(self.device.running)
        up = [(name, node.find("shutdown") is None and not faults.shown_down(name)) for name, node in interfaces]
        return answers.comware_interface_brief(up)

    def ping_lines(self, target: str, vrf: str | None, count: int, answered: bool) -> list[str]:
        return answers.comware_ping(target, vrf, count, answered)

    def display_state(self, text: str) -> Reply | None:
        asn = self.device.router().asn
        network, name = self.device.network(), self.device.hostname()
        vpn = COMWARE_VPN_COMMANDS.fullmatch(text)
        if vpn is not None and vpn["what"] == "bgp peer ipv4":
            sessions = network.vpn_sessions(name, vpn["vrf"])
            return lines_reply(*answers.comware_bgp_peer(self.device.router_id(), asn, sessions))
        if vpn is not None:
            v4 = vpn["what"] == "ip routing-table"
            family = [r for r in network.vpn_routes(name, vpn["vrf"]) if ("." in r.prefix) == v4]
            return lines_reply(*(answers.comware_routing_table if v4 else answers.comware_ipv6_routing_table)(family))
        if text == "display isis peer":
            return lines_reply(*answers.comware_isis_peer(self.isis_adjacencies()))
        if text == "display bgp peer vpnv4":
            return lines_reply(*answers.comware_bgp_peer(self.device.router_id(), asn, self.sessions()))
        if text == "display ip routing-table":
            return lines_reply(*answers.comware_routing_table(self.v4_routes()))
        return None

    def control_command(self, text: str) -> Reply | None:
        common = self.common_control(text)
        if common is not None:
            return common
        if text == "configuration commit":
            self.device.confirm_rollback(self.who)
            return Reply()
        match = self.delay_pattern.fullmatch(text)
        if match is not None:
            return self.commit_delay(text, match["minutes"])
        if text.split()[0] in ("configuration", "commit", "system-view"):
            return self.error(text, self.dialect.unrecognized)
        return None

    def commit_delay(self, text: str, value: str) -> Reply:
        minutes = parse_seconds(value, 0, 1, 65535)
        if minutes is None:
            return self.error(text, self.dialect.wrong_parameter)
        with self.device.lock:
            self.device.arm_rollback("commit delay", minutes * 60, self.device.running, self.who)
        return lines_reply(
            f"Info: The configuration will be rolled back in {minutes} minute(s) unless 'configuration commit' follows."
        )


XR_VRF_ROUTES = re.compile(r"show route vrf (?P<vrf>\S+) (?P<family>ipv4|ipv6)")
XR_PING = re.compile(
    r"ping(?: vrf (?P<vrf>\S+))? (?P<target>[\d.]+)(?: count (?P<count>\d+))?(?: timeout (?P<timeout>\d+))?"
)


class XrSession(CliSession):
    version_text = (
        "Cisco IOS XR Software, Version 7.9.2 - test double\nCopyright (c) 2013-2024 by Cisco Systems, Inc.\n"
    )
    commit_pattern = re.compile(
        r"commit(?: label \S+)?(?: (?P<confirmed>confirmed)(?: (?P<unit>seconds|minutes))?(?: (?P<value>\S+))?"
        r"| comment .+)?"
    )

    def prompt(self) -> str:
        if self.question is not None:
            return self.question
        base = XR_PROMPT_PREFIX + self.device.hostname()
        if not self.in_config:
            return base + "#"
        return f"{base}({self.mode_name()})#"

    def mode_name(self) -> str:
        line = self.view_line()
        if line is None:
            return "config"
        words = line.split()
        if words[0] == "interface":
            return "config-if"
        if words[0] == "router" and len(words) > 1:
            return f"config-{words[1]}"
        return f"config-{words[0]}"

    def exit_question(self) -> str:
        return XR_EXIT_QUESTION

    def exec_command(self, text: str) -> Reply:
        if text in ("configure", "configure terminal"):
            self.enter_config()
            return Reply()
        if text in ("exit", "logout", "quit"):
            return Reply(close=True)
        if text in ("terminal length 0", "terminal width 511"):
            return Reply()
        shown = self.show(text)
        return shown if shown is not None else self.error(text, self.dialect.unrecognized)

    def show(self, text: str) -> Reply | None:
        if text == "show running-config":
            return Reply(self.device.show_running())
        if text == "show ipv4 interface brief":
            return lines_reply(*self.interface_brief())
        if text == "show version":
            return Reply(self.version_text)
        network, name = self.device.network(), self.device.hostname()
        if text == "show isis neighbors":
            return lines_reply(*answers.xr_isis_neighbors(network.adjacencies(name)))
        if text == "show bgp vpnv4 unicast summary":
            router = self.device.router()
            return lines_reply(*answers.xr_bgp_summary(self.device.router_id(), router.asn, network.sessions(name)))
        if text == "show route ipv4":
            return lines_reply(*answers.xr_route([r for r in network.routes(name) if "." in r.prefix]))
        if text == "show bgp vrf all ipv4 unicast summary":
            router = self.device.router()
            vrfs = {vrf: network.vpn_sessions(name, vrf) for vrf in sorted({v for v, _, _ in router.vpn_peers})}
            return lines_reply(*answers.xr_bgp_vrf_all_summary(self.device.router_id(), router.asn, vrfs))
        vrf_routes = XR_VRF_ROUTES.fullmatch(text)
        if vrf_routes is not None:
            v4 = vrf_routes["family"] == "ipv4"
            family = [r for r in network.vpn_routes(name, vrf_routes["vrf"]) if ("." in r.prefix) == v4]
            return lines_reply(*answers.xr_route(family))
        ping = XR_PING.fullmatch(text)
        if ping is not None:
            count, seconds = int(ping["count"] or 5), int(ping["timeout"] or 2)
            answered = self.device.answers_ping(ping["vrf"], ping["target"], count * seconds)
            return lines_reply(*answers.xr_ping(ping["target"], count, seconds, answered))
        return None

    def interface_brief(self) -> list[str]:
        rows = ["Interface                      IP-Address      Status          Protocol Vrf-Name"]
        faults = self.device.faults()
        with self.device.lock:
            interfaces = interface_rows(self.device.running)
        for name, node in interfaces:
            down = node.find("shutdown") is not None or faults.shown_down(name)
            address = next((c.line.split()[2] for c in node.children if c.line.startswith("ipv4 address ")), "")
            vrf = next((c.line.split()[1] for c in node.children if c.line.startswith("vrf ")), "default")
            status, protocol = ("Shutdown", "Down") if down else ("Up", "Up")
            rows.append(f"{name:<30} {address or 'unassigned':<15} {status:<15} {protocol:<8} {vrf}")
        return rows

    def control_command(self, text: str) -> Reply | None:
        first = text.split()[0]
        if first in ("show", "do"):
            command = text[3:].strip() if first == "do" else text
            shown = self.show(command)
            return shown if shown is not None else self.error(text, self.dialect.unrecognized)
        simple: dict[str, Callable[[], Reply]] = {
            "exit": self.leave_view,
            "end": self.leave_config,
            "root": self.go_to_root,
            "abort": self.abort,
        }
        if text in simple:
            return simple[text]()
        if first == "commit":
            return self.commit_command(text)
        if first in ("abort", "configure", "end", "root"):
            return self.error(text, self.dialect.unrecognized)
        return None

    def go_to_root(self) -> Reply:
        self.views, self.last = [], None
        return Reply()

    def abort(self) -> Reply:
        if self.dirty():
            self.device.log(f"-- {self.who} candidate aborted")
        self.to_exec()
        return Reply()

    def commit_command(self, text: str) -> Reply:
        match = self.commit_pattern.fullmatch(text)
        if match is None:
            return self.error(text, self.dialect.unrecognized)
        if not match["confirmed"]:
            pending = self.device.pending is not None
            if not self.commit() and not pending:
                return lines_reply("% No configuration changes to commit.")
            return Reply()
        if match["unit"] == "minutes":
            minutes = parse_seconds(match["value"], 10, 1, 1092)
            seconds = None if minutes is None else minutes * 60
        else:
            seconds = parse_seconds(match["value"], 600, 30, 65535)
        if seconds is None:
            return self.error(text, self.dialect.wrong_parameter)
        self.commit(("confirmed commit", seconds))
        return Reply()

    def answer(self, text: str) -> Reply:
        self.question = None
        choice = text.lower()
        if choice == "yes":
            self.commit()
            self.to_exec()
        elif choice == "no":
            self.to_exec()
        return Reply()


SESSION_CLASSES: dict[str, type[CliSession]] = {VRP: VrpSession, COMWARE: ComwareSession, XR: XrSession}


# --------------------------------------------------------------------------------------------------
# SSH
# --------------------------------------------------------------------------------------------------


def read_authorized_keys(path: Path) -> set[str]:
    """The base64 key blobs of an OpenSSH public key file (options and comments ignored)."""
    blobs = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        words = line.split()
        for position, word in enumerate(words[:-1]):
            if word.startswith(("ssh-", "ecdsa-sha2-", "sk-")):
                blobs.add(words[position + 1])
                break
    if not blobs:
        raise SpecError(f"{path}: no public key found")
    return blobs


class SshGate(paramiko.ServerInterface):
    """Authentication (one user; listed keys, optionally a password) and one interactive shell."""

    def __init__(self, username: str, keys: set[str], password: str | None, log: Callable[[str], None]) -> None:
        self.username = username
        self.keys = keys
        self.password = password
        self.log = log
        self.shell_requested = threading.Event()

    def get_allowed_auths(self, username: str) -> str:
        return "publickey,password" if self.password is not None else "publickey"

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        if username == self.username and key.get_base64() in self.keys:
            return paramiko.AUTH_SUCCESSFUL
        self.log(f"-- ssh: publickey refused for {username!r} ({key.get_name()} {key.fingerprint})")
        return paramiko.AUTH_FAILED

    def check_auth_password(self, username: str, password: str) -> int:
        accepted = (
            self.password is not None
            and username == self.username
            and hmac.compare_digest(password.encode(), self.password.encode())
        )
        if accepted:
            return paramiko.AUTH_SUCCESSFUL
        self.log(f"-- ssh: password refused for {username!r}")
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_pty_request(self, *args: object) -> bool:
        return True

    def check_channel_window_change_request(self, *args: object) -> bool:
        return True

    def check_channel_shell_request(self, channel: paramiko.Channel) -> bool:
        self.shell_requested.set()
        return True


class FakeRouterServer:
    """Every device of the spec on its own port of 127.0.0.1, a thread per listener and per session."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        spec.state_dir.mkdir(parents=True, exist_ok=True)
        self.host_key = paramiko.PKey.from_path(spec.host_key)
        self.keys = read_authorized_keys(spec.authorized_key)
        self.devices = [Device(device, spec) for device in spec.devices]
        for device in self.devices:
            device.network = self.network
        self.stopping = threading.Event()
        self.listeners: list[socket.socket] = []
        self.transports: set[paramiko.Transport] = set()
        self.transports_lock = threading.Lock()

    def network(self) -> Network:
        """Every device's router as it is now: what each shows of IS-IS, BGP and its routes."""
        return Network(device.router() for device in self.devices)

    def start(self) -> None:
        """Bind every port first (so a busy port fails before `ready`), then accept."""
        for device in self.devices:
            listener = socket.create_server(("127.0.0.1", device.port))
            listener.settimeout(0.5)
            self.listeners.append(listener)
        for device, listener in zip(self.devices, self.listeners, strict=True):
            name = f"listen-{device.name}"
            threading.Thread(target=self.accept_loop, args=(device, listener), name=name, daemon=True).start()

    def accept_loop(self, device: Device, listener: socket.socket) -> None:
        while not self.stopping.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            threading.Thread(target=self.serve, args=(device, client), daemon=True).start()

    def serve(self, device: Device, client: socket.socket) -> None:
        transport = paramiko.Transport(client)
        transport.add_server_key(self.host_key)
        gate = SshGate(self.spec.username, self.keys, self.spec.password, device.log)
        with self.transports_lock:
            self.transports.add(transport)
        try:
            transport.start_server(server=gate)
            channel = self.wait_for_channel(transport)
            if channel is not None and gate.shell_requested.wait(10):
                SESSION_CLASSES[device.dialect.platform](device, channel, transport).run(self.stopping)
        except (paramiko.SSHException, EOFError, OSError) as error:
            device.log(f"-- ssh: {type(error).__name__}: {error}")
        finally:
            transport.close()
            with self.transports_lock:
                self.transports.discard(transport)

    def wait_for_channel(self, transport: paramiko.Transport) -> paramiko.Channel | None:
        deadline = time.monotonic() + 30
        while transport.is_active() and not self.stopping.is_set() and time.monotonic() < deadline:
            channel = transport.accept(timeout=0.5)
            if channel is not None:
                return channel
        return None

    def stop(self) -> None:
        self.stopping.set()
        for listener in self.listeners:
            listener.close()
        with self.transports_lock:
            transports = list(self.transports)
        for transport in transports:
            transport.close()
        for device in self.devices:
            device.stop()


def _log_ssh_library_to(path: Path) -> None:
    """Paramiko reports every client that hangs up abruptly (`Connection reset by peer`): routine here,
    so into a file of the state folder rather than stderr."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    library = logging.getLogger("paramiko")
    library.addHandler(handler)
    library.setLevel(logging.INFO)
    library.propagate = False


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if len(arguments) != 1:
        print("usage: python -m fakes.vendor_cli SPEC.yaml (from the tests folder)", file=sys.stderr)
        return 2
    try:
        spec = load_spec(Path(arguments[0]))
        server = FakeRouterServer(spec)
        _log_ssh_library_to(spec.state_dir / "ssh.log")
        server.start()
    except (SpecError, OSError, paramiko.SSHException) as error:
        print(f"vendor_cli: {error}", file=sys.stderr)
        return 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print("ready", flush=True)
    while not stop.wait(0.5):
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
