"""The `vm` lab engine: one QEMU VM booting Debian's own kernel, in which the netns lab runs unchanged.

Why: the lab's routers are real FRR on the running kernel, so the lab can only show what that kernel
has. These machines run a microVM kernel without SRv6, VRF devices, VLAN, dummy, netem or MPLS, and
load no modules (DESIGN §9); Debian 12's kernel package has all of them. The VM brings that kernel.

How (DESIGN §9, "VM engine"):
- assets: the kernel package is fetched with `apt-get download` and unpacked (never installed); an
  initramfs holds busybox, the modules the boot and the lab need (resolved with the package's own
  module dependencies), and the init script below. Cached in /var/cache/netauto/vm, keyed on the
  kernel version and the initramfs recipe.
- root filesystem: the host's own `/`, shared read-write over virtio-9p, so the guest runs the very
  same netauto, Python environment, FRR 8.4 and FRR 10.3 tree as the host. What the lab writes at
  run time (/run with the namespaces and FRR's sockets, FRR's per-router folders) lands on tmpfs
  inside the guest, so a VM that is killed leaves no router, namespace or daemon behind on the host.
- channel: sshd inside the guest (chrooted into the shared root) on QEMU's user-mode network, its port
  forwarded to 127.0.0.1 on the host; keys are made per VM and kept in the VM's state folder.
- acceleration: KVM when a probe boot proves it works (a short timeout), TCG otherwise (measured here:
  a KVM guest hangs right after the kernel is decompressed; TCG boots in about 5 s).
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from netauto.errors import NetautoError

CACHE = Path("/var/cache/netauto/vm")
STATE_ROOT = Path("/run/netauto/vm")
SERVER_ALIVE_COUNT = 12  # keep-alives of 15 s each that may go unanswered
KERNEL_METAPACKAGE = "linux-image-amd64"
QEMU = "qemu-system-x86_64"
DEFAULT_VM = "lab"
DEFAULT_MEMORY_MB = 4096  # a 20-router lab with FRR 10.3 uses about 1.5 GiB (measured, DESIGN §9)
DEFAULT_CPUS = 2
BOOT_TIMEOUT = 180.0
KVM_PROBE_TIMEOUT = 20.0
GUEST_ADDRESS = "10.0.2.15"  # QEMU user-mode network: the guest's address, the gateway is .2
MARKER = "netauto-vm: ready"
NETDEV = "net0"  # the guest's user-mode network, where ports are forwarded (QEMU monitor: hostfwd_add)
ENV_PASSED = ("CI", "TERM", "LANG", "COLUMNS", "PYTEST_ADDOPTS")  # and every NETAUTO_* variable

# The modules the guest loads at boot: the 9p root and the network card first, then what the lab
# uses (their dependencies are added from the kernel package's modules.dep).
BOOT_MODULES = ("virtio_pci", "virtio_net", "9pnet_virtio", "9p", "overlay")
LAB_MODULES = (
    "bridge",
    "veth",
    "vrf",
    "8021q",
    "dummy",
    "sch_netem",
    "mpls_router",
    "mpls_iptunnel",
    "nf_tables",
    "nft_chain_nat",
    "nft_nat",
    "nft_ct",
    "nft_masq",
)
# Folders the guest keeps to itself: tmpfs over them (run-time state: namespaces, FRR's sockets; the
# FRR 10.3 tree's /tmp, where the lab writes scratch files the tree's programs read, as the tree itself
# is read-only in the guest: GUEST_CACHED)...
# (/tmp and the working folders stay shared: a lab brought up from the host keeps its files there)
GUEST_TMPFS = ("/run", "/var/lib/netauto/rootfs-trixie/run", "/var/lib/netauto/rootfs-trixie/tmp")
# ...and folders it sees from the host but writes to a tmpfs layer above (FRR's per-router configs)
GUEST_OVERLAYS = ("/etc/frr", "/var/lib/netauto/rootfs-trixie/etc/frr")
# 9p caching: "loose" trusts the guest's cache (fast, but the guest may miss a change the host makes
# to a file it has read, and the host sees the guest's writes late), "mmap" asks the host every time
NINEP_CACHE = os.environ.get("NETAUTO_VM_9P_CACHE", "mmap")
# ...so the root stays "mmap" (the lab's files cross both ways), and what only ever gets read while a VM
# runs comes through a second, read-only share with "loose" caching: the system's programs and
# libraries and the FRR 10.3 tree. Measured under TCG: a router's SSH login (sshd, then vtysh) cost
# ~8 s of guest CPU through the uncached root, as every exec and library is read over 9p again
GUEST_CACHED = ("/usr", "/var/lib/netauto/rootfs-trixie")
SYSCTLS = ("net.ipv4.ip_forward=1", "net.mpls.platform_labels=100000")

INIT = r"""#!/bin/busybox sh
# netauto VM init (PID 1 until busybox init takes over): mount the host's root shared over 9p, keep
# run-time state on tmpfs, start sshd (the channel) chrooted into the shared root.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for module in $(cat /modules); do
    insmod /lib/modules/$module 2>/dev/null || echo "netauto-vm: insmod $module failed"
done
for arg in $(cat /proc/cmdline); do
    case "$arg" in netauto.*=*) key=${arg%%=*}; eval "${key#netauto.}=\${arg#*=}";; esac
done
R=/newroot
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=$cache hostroot $R \
    || { echo "netauto-vm: no 9p root"; poweroff -f; }
mkdir -p /vm && cp -a "$R$state/guest/." /vm/
mkdir -p /cached
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose,ro hostsys /cached; then
    for path in $(echo "$cached" | tr , ' '); do [ -d "/cached$path" ] && mount -o bind "/cached$path" "$R$path"; done
else
    echo "netauto-vm: no cached share; the system is read through the root"
fi
for path in $(echo "$tmpfs" | tr , ' '); do [ -d "$R$path" ] && mount -t tmpfs tmpfs "$R$path"; done
mkdir -p /overlays
index=0
for path in $(echo "$overlays" | tr , ' '); do
    [ -d "$R$path" ] || continue
    index=$((index + 1)); mkdir -p /overlays/$index/upper /overlays/$index/work
    layers="lowerdir=$R$path,upperdir=/overlays/$index/upper,workdir=/overlays/$index/work"
    mount -t overlay overlay -o "$layers" "$R$path"
done
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm $R/run/sshd $R/run/netauto-vm
mount -t devpts devpts $R/dev/pts
mount -t tmpfs tmpfs $R/dev/shm
cp -a /vm/. $R/run/netauto-vm/
hostname netauto-vm
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2
for setting in $(echo "$sysctls" | tr , ' '); do sysctl -q -w "$setting"; done
cat > /etc/inittab <<EOF
::respawn:/bin/chroot $R /usr/sbin/sshd -D -e -f /run/netauto-vm/sshd_config
::shutdown:/bin/umount -a -r
EOF
echo "netauto-vm: ready"
exec /bin/busybox init
"""

SSHD_CONFIG = """\
Port 22
ListenAddress 0.0.0.0
HostKey /run/netauto-vm/host_ed25519
AuthorizedKeysFile /run/netauto-vm/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile /run/netauto-vm/sshd.pid
AcceptEnv *
"""


class VmError(NetautoError):
    pass


@dataclass(frozen=True)
class Assets:
    kernel: Path
    initrd: Path
    version: str  # the kernel's release, e.g. 6.1.0-57-amd64
    seconds: float
    built: bool  # False: taken from the cache


@dataclass(frozen=True)
class Vm:
    name: str
    folder: Path
    port: int
    pid: int
    accel: str

    @property
    def client_key(self) -> Path:
        return self.folder / "client_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self.folder / "known_hosts"


# --- assets ---------------------------------------------------------------------------------------


def recipe_key() -> str:
    """What an initramfs is made of, besides the kernel: a new recipe builds new assets."""
    recipe = "\n".join((INIT, *BOOT_MODULES, *LAB_MODULES))
    return hashlib.sha256(recipe.encode()).hexdigest()[:8]


def kernel_package() -> str:
    """The kernel package Debian's `linux-image-amd64` points at today (e.g. linux-image-6.1.0-57-amd64)."""
    result = _run(["apt-cache", "depends", KERNEL_METAPACKAGE], "apt-cache depends")
    for line in result.splitlines():
        words = line.split()
        if len(words) == 2 and words[0] == "Depends:" and words[1].startswith("linux-image-"):
            return words[1]
    raise VmError(f"apt-cache knows no kernel behind {KERNEL_METAPACKAGE}; run apt-get update")


def ensure_assets(cache: Path = CACHE) -> Assets:
    """The kernel and initramfs, from the cache when built before with today's kernel and recipe."""
    start = time.monotonic()
    release = kernel_package().removeprefix("linux-image-")
    folder = cache / f"{release}-{recipe_key()}"
    kernel, initrd = folder / "vmlinuz", folder / "initrd.gz"
    if kernel.exists() and initrd.exists():
        return Assets(kernel, initrd, release, time.monotonic() - start, built=False)
    for tool in ("dpkg-deb", "depmod", "modprobe", "cpio", "busybox"):
        if shutil.which(tool) is None and not Path(f"/bin/{tool}").exists():
            raise VmError(f"building the VM's initramfs needs {tool} (Debian packages kmod, cpio, busybox-static)")
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as scratch:
        work = Path(scratch)
        _run(["apt-get", "download", f"linux-image-{release}"], "apt-get download", cwd=work, timeout=600)
        package = next(work.glob("linux-image-*.deb"))
        _run(["dpkg-deb", "-x", str(package), str(work / "tree")], "dpkg-deb -x", timeout=600)
        _run(["depmod", "-b", str(work / "tree"), release], "depmod")
        _initramfs(work / "tree", release, work / "initrd.gz")
        staged = work / "ready"
        staged.mkdir()
        shutil.copyfile(work / f"tree/boot/vmlinuz-{release}", staged / "vmlinuz")
        shutil.copyfile(work / "initrd.gz", staged / "initrd.gz")
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(staged, folder)
    return Assets(kernel, initrd, release, time.monotonic() - start, built=True)


def module_files(tree: Path, release: str, modules: Sequence[str]) -> list[Path]:
    """The module files to insert, in order, dependencies first, each once (built-ins are skipped)."""
    ordered: list[Path] = []
    for module in modules:
        shown = _run(["modprobe", "-d", str(tree), "-S", release, "--show-depends", module], f"modprobe {module}")
        for line in shown.splitlines():
            words = line.split()
            if words[:1] == ["insmod"] and Path(words[1]) not in ordered:
                ordered.append(Path(words[1]))
    return ordered


def _initramfs(tree: Path, release: str, target: Path) -> None:
    root = target.parent / "initramfs"
    for folder in ("bin", "lib/modules", "proc", "sys", "dev", "etc", "newroot"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    shutil.copyfile("/bin/busybox", root / "bin/busybox")
    (root / "bin/busybox").chmod(0o755)
    files = module_files(tree, release, (*BOOT_MODULES, *LAB_MODULES))
    for file in files:
        shutil.copyfile(file, root / "lib/modules" / file.name)
    (root / "modules").write_text("".join(f"{file.name}\n" for file in files), encoding="utf-8")
    (root / "init").write_text(INIT, encoding="utf-8")
    (root / "init").chmod(0o755)
    listing = subprocess.run(["find", "."], cwd=root, capture_output=True, check=True).stdout
    archive = subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=root, input=listing, capture_output=True)
    if archive.returncode != 0:
        raise VmError(f"cpio failed: {archive.stderr.decode(errors='replace').strip()}")
    target.write_bytes(_gzip(archive.stdout))


def _gzip(data: bytes) -> bytes:
    import gzip

    return gzip.compress(data, compresslevel=1)


# --- acceleration -----------------------------------------------------------------------------------


def kvm_works(assets: Assets) -> bool:
    """Whether a KVM guest boots this kernel to its first line of init: a probe boot with a short
    timeout, remembered for this host boot (the answer does not change until the host reboots)."""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    boot_id = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="utf-8").strip()
    verdict = assets.kernel.parent / f"kvm-{boot_id}"
    if verdict.exists():
        return verdict.read_text(encoding="utf-8").strip() == "works"
    command = [QEMU, "-accel", "kvm", "-cpu", "max", "-m", "256", "-display", "none", "-serial", "stdio"]
    command += ["-no-reboot", "-kernel", str(assets.kernel), "-initrd", str(assets.initrd)]
    command += ["-append", "console=ttyS0 panic=-1 rdinit=/bin/busybox -- poweroff -f"]
    works = False
    try:
        probe = subprocess.run(command, capture_output=True, timeout=KVM_PROBE_TIMEOUT)
        works = b"Power down" in probe.stdout or b"reboot:" in probe.stdout
    except subprocess.TimeoutExpired:
        works = False
    verdict.write_text("works\n" if works else "hangs\n", encoding="utf-8")
    return works


# --- the VM -----------------------------------------------------------------------------------------


def state_folder(name: str) -> Path:
    return STATE_ROOT / name


def start(
    name: str = DEFAULT_VM,
    memory_mb: int = DEFAULT_MEMORY_MB,
    cpus: int = DEFAULT_CPUS,
    accel: str = "auto",
) -> Vm:
    """Boot the VM (or return it if it already runs) and wait until its channel answers."""
    if os.geteuid() != 0:
        raise VmError("the VM lab needs root (it shares the host's root filesystem with the guest)")
    if shutil.which(QEMU) is None:
        raise VmError(f"{QEMU} is not installed (Debian package qemu-system-x86)")
    running = find(name)
    if running is not None:
        return running
    stop(name)  # whatever a VM of this name left behind
    assets = ensure_assets()
    chosen = ("kvm" if kvm_works(assets) else "tcg") if accel == "auto" else accel
    folder = state_folder(name)
    _prepare_keys(folder)
    port = _free_port()
    (folder / "port").write_text(f"{port}\n", encoding="utf-8")
    (folder / "accel").write_text(f"{chosen}\n", encoding="utf-8")
    command = _qemu_command(assets, folder, port, memory_mb, cpus, chosen)
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        stop(name)
        raise VmError(f"QEMU did not start: {result.stderr.strip()[-500:]}")
    vm = Vm(name, folder, port, int((folder / "pid").read_text().strip()), chosen)
    try:
        _wait_for_channel(vm)
    except BaseException:
        stop(name)
        raise
    return vm


def _qemu_command(assets: Assets, folder: Path, port: int, memory_mb: int, cpus: int, accel: str) -> list[str]:
    accelerator = ["-accel", "kvm", "-cpu", "max"] if accel == "kvm" else ["-accel", "tcg,thread=multi", "-cpu", "max"]
    params = {
        "state": str(folder),
        "tmpfs": ",".join(GUEST_TMPFS),
        "overlays": ",".join(GUEST_OVERLAYS),
        "sysctls": ",".join(SYSCTLS),
        "cache": NINEP_CACHE,
        "cached": ",".join(GUEST_CACHED),
        "accel": accel,
    }
    append = "console=ttyS0 quiet panic=-1 " + " ".join(f"netauto.{key}={value}" for key, value in params.items())
    return [
        QEMU,
        "-name",
        f"netauto-{folder.name}",
        *accelerator,
        "-smp",
        str(cpus),
        "-m",
        str(memory_mb),
        "-display",
        "none",
        "-serial",
        f"file:{folder / 'console.log'}",
        "-monitor",
        f"unix:{folder / 'monitor.sock'},server,nowait",
        "-no-reboot",
        "-daemonize",
        "-pidfile",
        str(folder / "pid"),
        "-kernel",
        str(assets.kernel),
        "-initrd",
        str(assets.initrd),
        "-append",
        append,
        "-fsdev",
        "local,id=hostroot,path=/,security_model=passthrough,multidevs=remap",
        "-device",
        "virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot",
        "-fsdev",
        "local,id=hostsys,path=/,security_model=passthrough,multidevs=remap,readonly=on",
        "-device",
        "virtio-9p-pci,fsdev=hostsys,mount_tag=hostsys",
        "-netdev",
        f"user,id={NETDEV},hostfwd=tcp:127.0.0.1:{port}-:22",
        "-device",
        f"virtio-net-pci,netdev={NETDEV}",
    ]


def _prepare_keys(folder: Path) -> None:
    """A host key for the guest's sshd and a client key for the host, both made for this VM only."""
    guest = folder / "guest"
    guest.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    for key in (guest / "host_ed25519", folder / "client_ed25519"):
        _run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"netauto-vm-{folder.name}", "-f", str(key)],
            "ssh-keygen",
        )
    (guest / "sshd_config").write_text(SSHD_CONFIG, encoding="utf-8")
    shutil.copyfile(folder / "client_ed25519.pub", guest / "authorized_keys")
    host_key = (guest / "host_ed25519.pub").read_text(encoding="utf-8").split()
    (folder / "known_hosts_key").write_text(" ".join(host_key[:2]) + "\n", encoding="utf-8")


def _wait_for_channel(vm: Vm) -> None:
    port_line = f"[127.0.0.1]:{vm.port} " + (vm.folder / "known_hosts_key").read_text(encoding="utf-8")
    vm.known_hosts.write_text(port_line, encoding="utf-8")
    deadline = time.monotonic() + BOOT_TIMEOUT
    while time.monotonic() < deadline:
        if not _alive(vm.pid):
            raise VmError(f"the VM stopped while booting; its console: {_console_tail(vm.folder)}")
        if _quiet([*ssh_command(vm), "true"]) == 0:
            _open_master(vm)
            (vm.folder / "ready").touch()
            return
        time.sleep(1.0)
    raise VmError(f"the VM's sshd did not answer within {BOOT_TIMEOUT:.0f} s; its console: {_console_tail(vm.folder)}")


def _open_master(vm: Vm) -> None:
    """One SSH connection kept open in the background for every later command to share; no pipes to
    it (a background master holding a caller's pipe makes the caller wait for ever)."""
    _quiet([*ssh_command(vm, master=True)[:-1], "-f", "-N", "root@127.0.0.1"])


def _close_master(folder: Path) -> None:
    control = folder / "ssh-control"
    if control.exists():
        _quiet(["ssh", "-q", "-o", f"ControlPath={control}", "-O", "exit", "root@127.0.0.1"])


def _quiet(command: list[str], timeout: float = 60) -> int:
    """Run an SSH command without pipes; its exit code (255 when it did not finish in time)."""
    null = subprocess.DEVNULL
    try:
        return subprocess.run(command, stdin=null, stdout=null, stderr=null, timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        return 255


def console_tail(name: str = DEFAULT_VM, lines: int = 40) -> list[str]:
    """The last lines of the VM's serial console (the guest kernel's messages: an OOM kill, a panic),
    kept until `down`; empty when there is none."""
    try:
        text = (state_folder(name) / "console.log").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return text.splitlines()[-lines:]


def _console_tail(folder: Path, lines: int = 8) -> str:
    try:
        text = (folder / "console.log").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(none)"
    return " | ".join(line.strip() for line in text.splitlines()[-lines:] if line.strip()) or "(empty)"


def find(name: str = DEFAULT_VM) -> Vm | None:
    """The VM of this name if it runs and its channel was up."""
    folder = state_folder(name)
    try:
        pid = int((folder / "pid").read_text().strip())
        port = int((folder / "port").read_text().strip())
        accel = (folder / "accel").read_text().strip()
    except (OSError, ValueError):
        return None
    if not _alive(pid) or not (folder / "ready").exists():
        return None
    return Vm(name, folder, port, pid, accel)


def stop(name: str = DEFAULT_VM) -> bool:
    """Stop the VM and remove its state folder; whether a VM was running."""
    folder = state_folder(name)
    was_running = False
    try:
        pid = int((folder / "pid").read_text().strip())
    except (OSError, ValueError):
        pid = 0
    _close_master(folder)
    if pid and _alive(pid) and _is_qemu(pid):
        was_running = True
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    shutil.rmtree(folder, ignore_errors=True)
    return was_running


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie is not alive
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _is_qemu(pid: int) -> bool:
    try:
        return "qemu" in Path(f"/proc/{pid}/comm").read_text()
    except OSError:
        return False


# --- the channel ------------------------------------------------------------------------------------


def ssh_command(vm: Vm, master: bool = False) -> list[str]:
    """The SSH command to the guest; `master`: the one that opens the shared connection."""
    sharing = ["ControlMaster=yes", "ControlPersist=yes"] if master else ["ControlMaster=no"]
    return [
        "ssh",
        "-q",
        "-p",
        str(vm.port),
        "-i",
        str(vm.client_key),
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        f"UserKnownHostsFile={vm.known_hosts}",
        "-o",
        "ConnectTimeout=10",
        "-o",
        "ServerAliveInterval=15",
        # a guest under TCG on a loaded host can leave sshd unscheduled for long: give up on it only after
        # 3 minutes without an answer (ssh's default, 3 x 15 s, dropped a whole test run in CI); a test
        # that really hangs is stopped by its own time limit
        "-o",
        f"ServerAliveCountMax={SERVER_ALIVE_COUNT}",
        # through the connection the boot opened (_open_master), when it is still there: under TCG a
        # new SSH connection costs about 3 s of key exchange more than a shared one (measured)
        *[word for option in sharing for word in ("-o", option)],
        "-o",
        f"ControlPath={vm.folder / 'ssh-control'}",
        "root@127.0.0.1",
    ]


def guest_command(argv: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """The shell line the guest runs: same folder, the caller's relevant environment, the command."""
    passed = {key: value for key, value in (env or {}).items() if key in ENV_PASSED or key.startswith("NETAUTO_")}
    exports = " ".join(f"{key}={shlex.quote(value)}" for key, value in sorted(passed.items()))
    line = f"cd {shlex.quote(str(cwd or Path.cwd()))} && "
    return line + (f"env {exports} " if exports else "") + shlex.join(argv)


def run(
    vm: Vm, argv: Sequence[str], cwd: Path | None = None, capture: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run a command inside the VM, in the same folder, with the caller's NETAUTO_*/CI environment."""
    line = guest_command(argv, cwd, dict(os.environ))
    return subprocess.run([*ssh_command(vm), line], text=True, capture_output=capture)


def forward_port(vm: Vm, guest_port: int) -> int:
    """A port on the host's 127.0.0.1 forwarded to the guest's `guest_port` (QEMU's user network); the
    host port."""
    port = _free_port()
    answer = monitor(vm, f"hostfwd_add {NETDEV} tcp:127.0.0.1:{port}-:{guest_port}")
    if "could not" in answer.lower() or "error" in answer.lower():
        raise VmError(f"QEMU did not forward port {port} to the guest's {guest_port}: {answer.strip()}")
    return port


def monitor(vm: Vm, command: str, timeout: float = 10.0) -> str:
    """One command to the VM's QEMU monitor; what it answered."""
    with socket.socket(socket.AF_UNIX) as channel:
        channel.settimeout(timeout)
        channel.connect(str(vm.folder / "monitor.sock"))
        answer = _read_until_prompt(channel)
        channel.sendall(command.encode() + b"\n")
        answer = _read_until_prompt(channel)
    return answer.split("\n", 1)[1] if "\n" in answer else answer  # without the echoed command


def _read_until_prompt(channel: socket.socket) -> str:
    received = b""
    while not received.rstrip().endswith(b"(qemu)"):
        chunk = channel.recv(4096)
        if not chunk:
            break
        received += chunk
    return received.decode(errors="replace").replace("\r", "").removesuffix("(qemu) ")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(command: list[str], what: str, cwd: Path | None = None, timeout: float = 120) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=timeout)
    except FileNotFoundError:
        raise VmError(f"{what}: {command[0]} is not installed") from None
    except subprocess.TimeoutExpired:
        raise VmError(f"{what} did not finish within {timeout:.0f} s") from None
    if result.returncode != 0:
        raise VmError(f"{what} failed: {(result.stderr or result.stdout).strip()[-500:]}")
    return result.stdout
