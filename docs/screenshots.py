"""The README's pictures of the review and analysis pages, made from the Qingpu sample in a real
headless Chromium (`./dev screenshots`). Nothing here is drawn by hand: run it again after changing a page.

Each page is made by the netauto CLI as a user would make it (throwaway lab secrets, a scratch folder),
in Chinese (the sample's `network.locale`) and in English.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser import headless_chromium  # noqa: E402  (tests/browser.py: the browser the tests use)

SAMPLE = ROOT / "inventory" / "qingpu"
PICTURES = ROOT / "docs" / "img"
NETAUTO = [sys.executable, "-m", "netauto"]
WIDTH, HEIGHT = 1280, 1000


def netauto(*args: str | Path, env: dict[str, str] | None = None) -> None:
    subprocess.run([*NETAUTO, *map(str, args)], check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def make_pages(scratch: Path) -> dict[str, Path]:
    """The analysis page and the first review of the sample, in both languages."""
    import os

    secrets = scratch / "secrets.yaml"
    netauto("secrets", "init", "--path", secrets)
    env = {**os.environ, "NETAUTO_SECRETS": str(secrets), "NETAUTO_CACHE": str(scratch / "cache")}
    configs = scratch / "configs"
    netauto("render", SAMPLE, "-o", configs, env=env)
    pages = {}
    for lang in ("zh", "en"):
        analysis, review = scratch / f"analysis-{lang}.html", scratch / f"review-{lang}.html"
        netauto("analyze", SAMPLE, "--html", analysis, "--lang", lang, env=env)
        netauto(
            "diff", SAMPLE, "-o", configs, "--baseline", scratch / "baselines", "--html", review,
            "--md", scratch / f"review-{lang}.md", "--lang", lang, env=env,
        )  # fmt: skip
        pages[f"analysis-{lang}"], pages[f"review-{lang}"] = analysis, review
    return pages


def main() -> None:
    PICTURES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="netauto-screenshots-") as folder:
        pages = make_pages(Path(folder))
        browser = headless_chromium(WIDTH, HEIGHT)
        try:
            for name, page in pages.items():
                browser.get(page.as_uri())
                target = PICTURES / f"{name}.png"
                browser.save_screenshot(str(target))
                print(f"{target.relative_to(ROOT)}: {page.name} at {WIDTH}x{HEIGHT}")
        finally:
            browser.quit()


if __name__ == "__main__":
    main()
