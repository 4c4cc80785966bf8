"""A real headless Chromium (Debian's chromium and chromium-driver) for the pages' tests and the README's
screenshots, and what it says about the fonts it drew a node's text with."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

from selenium.webdriver.common.by import By

CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)


def chromium_paths() -> tuple[str, str] | None:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    return (chromium, driver) if chromium and driver else None


def headless_chromium(width: int = 1280, height: int = 900) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    paths = chromium_paths()
    if paths is None:
        raise RuntimeError("chromium and chromium-driver (Debian) are not installed")
    chromium, driver = paths
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--window-size={width},{height}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(driver), options=options)


def fonts_drawing(browser: Any, selector: str) -> dict[str, int]:
    """The platform fonts Chromium drew the text of the first node matching `selector` with, and how many
    glyphs each drew for its text children (DevTools' CSS.getPlatformFontsForNode)."""
    browser.execute_cdp_cmd("DOM.enable", {})
    browser.execute_cdp_cmd("CSS.enable", {})
    root = browser.execute_cdp_cmd("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    node = browser.execute_cdp_cmd("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    if not node:
        raise LookupError(f"no node matches {selector}")
    fonts = browser.execute_cdp_cmd("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return {font["familyName"]: font["glyphCount"] for font in fonts}


def cjk_fonts() -> str:
    """The font families fontconfig has for Chinese."""
    if not shutil.which("fc-list"):
        return ""
    return subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False).stdout


def has_han(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def assert_drawn_in_a_cjk_font(browser: Any, selector: str) -> None:
    """No tofu: Chromium drew the node's Chinese with a CJK face, and different characters look different
    (a missing glyph is one box, the same for every character)."""
    fonts = fonts_drawing(browser, selector)
    assert any("CJK" in family for family in fonts), fonts
    script = (  # each sample on a line of its own, at the same x, in the node's own font
        "const style = getComputedStyle(document.querySelector(arguments[1]));"
        "for (const [id, text] of arguments[0]) {"
        " const line = document.createElement('div'); line.id = id; line.textContent = text;"
        " line.style.font = style.font; line.style.width = 'fit-content';"
        " document.body.appendChild(line); }"
    )
    samples = [("han-1", "青"), ("han-2", "浦"), ("none-1", "\u0378"), ("none-2", "\u0379")]  # two unassigned
    browser.execute_script(script, samples, selector)
    pictures = {key: browser.find_element(By.ID, key).screenshot_as_png for key, _ in samples}
    assert pictures["none-1"] == pictures["none-2"], "the missing-glyph box is not one picture: the check is void"
    assert pictures["han-1"] != pictures["han-2"] and pictures["han-1"] != pictures["none-1"]
