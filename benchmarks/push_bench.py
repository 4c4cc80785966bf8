"""Push benchmark (issue 7), run on demand as root: `./dev bench`.

A synthetic all-FRR network of 20 routers up as a lab with SSH (`netauto lab up --scope all --ssh`);
a change that touches every router (a new VPN joined by every town, bureau and village: a VRF on every
PE and core router, sub-interfaces on every CE) is approved and pushed with `netauto push --apply`,
once with 1 worker and once (the next such change) with 10, the same waves (a canary, then the rest):
wall time of the whole command each time (after the dry run a user reads first, which leaves the
intended configs' canonical form in the cache), and the ratio. Target: 10 workers at least 5x faster.

Also from the journal's timestamps: the device work (backups, then the waves: apply, verify,
post-checks), which is what the workers share, apart from the fixed work of the command (plan, render,
compare with the baseline).

The lab's routers share this machine's CPUs with the push, and answer in microseconds; a real network
answers over a WAN. So the same measurement again on 20 vendor stand-ins (tests/fakes/vendor_cli.py:
VRP8, IOS-XR and Comware over real SSH, driven by Netmiko's drivers, commit on trial then confirm)
that answer every line after a simulated round trip of LATENCY_MS, where the workers overlap waiting;
and on the FRR lab in the lab VM (Debian's kernel, which has netem) with a real LATENCY_MS round trip
on every router's management link (`lab up --wan-delay`), pushed from this host.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import fakes  # noqa: E402  (tests/fakes: the vendor stand-ins)

SECRETS = ROOT / "tests" / "fixtures" / "secrets.yaml"
LAB = "nt-pbench"
SIZE = ["--towns", "3", "--villages-per-town", "2", "--bureaus", "5"]  # 20 managed routers
TARGET_RATIO = 5.0
LATENCY_MS = 30


def netauto(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "netauto", *args]
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=1200)
    if result.returncode != 0:
        raise SystemExit(f"netauto {' '.join(args[:3])} failed:\n{result.stdout}\n{result.stderr}")
    return result


def add_vpn(inventory: Path, number: int) -> None:
    vpns = yaml.safe_load((inventory / "vpns.yaml").read_text(encoding="utf-8"))
    vpns["vpns"].append(
        {
            "id": f"bench-{number}",
            "zone": "dedicated",
            "plane": "data",
            "prefixes": [f"10.{200 + number}.0.0/16"],
            "attach": ["town", "bureau", "village"],
        }
    )
    (inventory / "vpns.yaml").write_text(yaml.safe_dump(vpns, allow_unicode=True, sort_keys=False), encoding="utf-8")


def timed_push(
    folder: Path, inventory: Path, env: dict[str, str], workers: int, change: int, hosts: Path, *limits: str
) -> tuple[float, float]:
    add_vpn(inventory, change)
    secrets = ["--secrets", str(SECRETS)]
    netauto(folder, "approve", str(inventory), "--change-id", f"BENCH-{change}", "--by", "bench", *secrets)
    netauto(folder, "push", str(inventory), "--hosts", str(hosts), *limits, *secrets, env=env)  # the dry run read first
    start = time.perf_counter()
    netauto(folder, "push", str(inventory), "--apply", "--hosts", str(hosts), "--workers", str(workers),
            "--batch-size", "20", *limits, *secrets, env=env)  # fmt: skip
    wall = time.perf_counter() - start
    return wall, device_work(folder)


def device_work(folder: Path) -> float:
    """Seconds of the newest journal spent on devices: push start to the last backup, first wave to end."""
    journal = max((folder / "build" / "push").glob("2*/journal.jsonl"), key=lambda p: p.stat().st_mtime)
    records = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]
    at = [(datetime.fromisoformat(r["at"]), r) for r in records]
    start = at[0][0]
    last_backup = max(t for t, r in at if r["action"] == "backup")
    first_wave = min(t for t, r in at if r["action"] == "wave")
    end = at[-1][0]
    return (last_backup - start).total_seconds() + (end - first_wave).total_seconds()


def frr_lab(engine: str = "netns", wan_delay_ms: int = 0) -> tuple[int, tuple[float, float], tuple[float, float]]:
    """The FRR lab with SSH, on this kernel (netns) or in the lab VM (vm, reached through its forwarded
    ports); with `wan_delay_ms`, netem on every router's management link."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        inventory = folder / "inv"
        netauto(folder, "example", "synth", "-o", str(inventory), *SIZE, "--frr")
        network = inventory / "network.yaml"
        network.write_text(network.read_text(encoding="utf-8").replace("transport: mpls", "transport: ip"), "utf-8")
        secrets = ["--secrets", str(SECRETS)]
        delay = ["--wan-delay", str(wan_delay_ms)] if wan_delay_ms else []
        try:
            netauto(folder, "lab", "up", str(inventory), "--scope", "all", "--name", LAB, "--engine", engine,
                    "--ssh", *delay, *secrets)  # fmt: skip
            ssh = folder / "build" / "labs" / LAB / "ssh"
            suffix = "-host" if engine == "vm" else ""
            hosts = ssh / f"hosts{suffix}.yaml"
            routers = len(yaml.safe_load(hosts.read_text(encoding="utf-8")))
            env = {
                **os.environ,
                "NETAUTO_USERNAME": "root",
                "NETAUTO_SSH_KEY": str(ssh / "client_ed25519"),
                "NETAUTO_KNOWN_HOSTS": str(ssh / f"known_hosts{suffix}"),
            }
            netauto(folder, "approve", str(inventory), "--change-id", "BASE", "--by", "bench", *secrets)
            time.sleep(5)  # routing settles, so the post-checks measure the push and not the lab's start
            # under software emulation a router's vtysh shows its first prompt ~10 s after login
            limits = ["--login-timeout", "120"] if engine == "vm" else []
            one = timed_push(folder, inventory, env, 1, 1, hosts, *limits)
            ten = timed_push(folder, inventory, env, 10, 2, hosts, *limits)
        finally:
            subprocess.run(
                [sys.executable, "-m", "netauto", "lab", "down", "--name", LAB], cwd=folder, capture_output=True
            )
            shutil.rmtree(folder / "build", ignore_errors=True)
    return routers, one, ten


def vendor_stand_ins() -> tuple[int, tuple[float, float], tuple[float, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        inventory = folder / "inv"
        netauto(folder, "example", "synth", "-o", str(inventory), *SIZE)  # VRP8, IOS-XR and Comware routers
        netauto(folder, "approve", str(inventory), "--change-id", "BASE", "--by", "bench", "--secrets", str(SECRETS))
        stand_ins, env = start_stand_ins(folder, inventory)
        try:
            one = timed_push(folder, inventory, env, 1, 1, folder / "routers" / "hosts.yaml")
            ten = timed_push(folder, inventory, env, 10, 2, folder / "routers" / "hosts.yaml")
        finally:
            stand_ins.terminate()
            stand_ins.wait(timeout=30)
        routers = len(yaml.safe_load((folder / "routers" / "hosts.yaml").read_text(encoding="utf-8")))
    return routers, one, ten


def start_stand_ins(folder: Path, inventory: Path) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """One stand-in per managed router, running its approved config, answering after LATENCY_MS."""
    routers = folder / "routers"
    routers.mkdir()
    for key in ("host_ed25519", "client_ed25519"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(routers / key)], check=True)
    plan = json.loads(netauto(folder, "plan", str(inventory), "--json").stdout)
    platforms = {d["name"]: d["platform"] for d in plan["devices"] if d.get("platform")}
    ports = dict(zip(platforms, range(43100, 43100 + len(platforms)), strict=True))
    configs = folder / "build" / "configs"
    devices = [
        {"name": d, "platform": p, "port": ports[d], "config": str(configs / f"{d}.cfg")} for d, p in platforms.items()
    ]
    spec = {
        "state_dir": str(routers / "state"),
        "host_key": str(routers / "host_ed25519"),
        "authorized_key": str(routers / "client_ed25519.pub"),
        "username": "netops",
        "latency_ms": LATENCY_MS,
        "devices": devices,
    }
    (routers / "spec.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    host_key = " ".join((routers / "host_ed25519.pub").read_text(encoding="utf-8").split()[:2])
    (routers / "known_hosts").write_text("".join(f"[127.0.0.1]:{p} {host_key}\n" for p in ports.values()), "utf-8")
    hosts = {d: {"hostname": "127.0.0.1", "port": p} for d, p in ports.items()}
    (routers / "hosts.yaml").write_text(yaml.safe_dump(hosts), encoding="utf-8")
    process = fakes.start_stand_ins(routers / "spec.yaml", stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    env = {**os.environ, "NETAUTO_USERNAME": "netops", "NETAUTO_SSH_KEY": str(routers / "client_ed25519"),
           "NETAUTO_KNOWN_HOSTS": str(routers / "known_hosts")}  # fmt: skip
    return process, env


def report(title: str, routers: int, one: tuple[float, float], ten: tuple[float, float]) -> None:
    print(f"{title}: push a change to all {routers} routers with netauto push --apply, 1 worker / 10 workers")
    for label, (a, b) in (("whole command", (one[0], ten[0])), ("device work (backups, waves)", (one[1], ten[1]))):
        ratio = a / b
        verdict = "ok" if ratio >= TARGET_RATIO else "UNDER TARGET"
        print(
            f"  {label:<30} {a:6.1f} s / {b:5.1f} s   ratio {ratio:4.1f}x   target >= {TARGET_RATIO:.0f}x   {verdict}"
        )


def main() -> int:
    if "--vm-only" in sys.argv:
        report(f"FRR lab in the lab VM, management round trip {LATENCY_MS} ms (netem)", *frr_lab("vm", LATENCY_MS))
        return 0
    report(f"vendor stand-ins answering after {LATENCY_MS} ms", *vendor_stand_ins())
    if "--vendor-only" in sys.argv:
        return 0
    if os.geteuid() != 0 or not Path("/usr/lib/frr/zebra").exists() or not Path("/usr/sbin/sshd").exists():
        print("FRR lab push benchmark skipped: it needs root, FRR and sshd (apt-get install -y frr openssh-server)")
        return 0
    report("FRR lab (routers on this machine's CPUs)", *frr_lab())
    if "--no-vm" not in sys.argv and shutil.which("qemu-system-x86_64"):
        title = f"FRR lab in the lab VM, management round trip {LATENCY_MS} ms (netem)"
        report(title, *frr_lab("vm", LATENCY_MS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
