"""Fuzz the inventory loader and planner: run on demand (minutes), not in CI.

    .venv/bin/python benchmarks/fuzz_loader.py [--minutes M] [--seed S]

Each input is one file joined to the minimal valid inventory (tests/fixtures/minimal): random YAML
documents (hypothesis: nested mappings, lists and scalars under real section names, with anchors
and aliases), and mutations of the sample's own files (bytes flipped, lines dropped or repeated,
indentation shifted, an alias bomb or deep nesting spliced in). Each is read and planned in this
process, as `netauto plan` does (no lock written). A clean rejection is a NetautoError (the user's
file:line:column message); anything else is a crash, printed with the input that caused it. Figures:
inputs tried, accepted, cleanly rejected, crashes, the slowest input and the peak memory.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

import yaml
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from netauto.errors import NetautoError  # noqa: E402
from netauto.pipeline import build_plan  # noqa: E402

MINIMAL = ROOT / "tests" / "fixtures" / "minimal"
SAMPLES = sorted((ROOT / "inventory" / "qingpu").rglob("*.yaml"))
SECTIONS = ["network", "planes", "link_classes", "site_classes", "sites", "devices", "links", "vpns", "demands"]
KEYS = ["id", "name", "class", "parent", "platform", "prefixes", "plane", "zone", "capacity_gbps", "uplinks", "asn"]

scalars = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    st.text(max_size=40),
    st.sampled_from(["10.0.0.0/8", "fd00::/8", "town", "core", "64512:10", "yes", "0x1F", "1e999", "~"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=6), st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=6)
    ),
    max_leaves=40,
)
documents = st.dictionaries(st.sampled_from(SECTIONS), values, min_size=1, max_size=3)


def generated(rng: random.Random) -> str:
    text = yaml.safe_dump(documents.example(), allow_unicode=True)
    if rng.random() < 0.3:  # turn a repeated value into an anchor and aliases
        text = text.replace("- ", "- &a ", 1) + ("x: [" + ", ".join(["*a"] * rng.randint(1, 20)) + "]\n")
    return text


def mutated(rng: random.Random) -> str:
    lines = rng.choice(SAMPLES).read_text(encoding="utf-8").splitlines()
    for _ in range(rng.randint(1, 5)):
        if not lines:
            break
        k = rng.randrange(len(lines))
        kind = rng.randrange(7)
        if kind == 0:
            del lines[k]
        elif kind == 1:
            lines.insert(k, lines[k])
        elif kind == 2:
            lines[k] = " " * rng.randint(1, 4) + lines[k]
        elif kind == 3 and lines[k]:
            chars = list(lines[k])
            chars[rng.randrange(len(chars))] = chr(rng.choice([0, 9, 34, 38, 42, 58, 91, 123, 0xFEFF, 0x4E00]))
            lines[k] = "".join(chars)
        elif kind == 4:
            lines.insert(k, "  - &b [" + ", ".join(["*b"] * 3) + "]" if rng.random() < 0.5 else "    x: " + "[" * 300)
        elif kind == 5:
            lines[k] = lines[k].replace(":", "", 1)
        else:
            lines[k] = lines[k] + " " + "y" * rng.randint(1, 70_000)
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    counts = {"tried": 0, "accepted": 0, "rejected": 0, "crashes": 0}
    slowest = (0.0, "")
    deadline = time.monotonic() + args.minutes * 60
    with tempfile.TemporaryDirectory() as scratch:
        while time.monotonic() < deadline:
            inventory = Path(scratch) / f"inv{counts['tried']}"
            shutil.copytree(MINIMAL, inventory)
            text = generated(rng) if rng.random() < 0.5 else mutated(rng)
            (inventory / "fuzz.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
            counts["tried"] += 1
            start = time.perf_counter()
            try:
                build_plan(inventory)
                counts["accepted"] += 1
            except NetautoError:
                counts["rejected"] += 1
            except Exception:  # noqa: BLE001 - a crash is what this looks for
                counts["crashes"] += 1
                print(f"--- crash on input {counts['tried']}:\n{text[:2000]}\n{traceback.format_exc()}", flush=True)
            took = time.perf_counter() - start
            if took > slowest[0]:
                slowest = (took, text[:200])
            shutil.rmtree(inventory)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"inputs tried      {counts['tried']}")
    print(f"accepted          {counts['accepted']}")
    print(f"cleanly rejected  {counts['rejected']}")
    print(f"crashes           {counts['crashes']}")
    print(f"slowest input     {slowest[0]:.2f} s")
    print(f"peak memory       {peak:.0f} MiB")
    sys.exit(1 if counts["crashes"] else 0)


if __name__ == "__main__":
    main()
