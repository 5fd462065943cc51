#!/usr/bin/env python3
"""Checks `emnist serve`'s drawing page in headless Chromium: the page loads with its model line,
strokes drawn with the mouse on the canvas give a request and five bars, the 28x28 preview is
filled, and an EMNIST image put on the canvas (window.emnistShowImage) is classified as CLASS.

    /usr/bin/python3 tools/check_serve_page.py http://127.0.0.1:8080/ \\
        [--pixels IMAGE.json --expect CLASS] [--screenshot OUT.png]
    /usr/bin/python3 tools/check_serve_page.py --probe   # can this machine check at all?

IMAGE.json: a list of 784 numbers (EMNIST's form: 28x28 row-major, upright, light ink on dark).
Needs what tools/check_report_page.py needs (chromium, chromium-driver, python3-selenium).
Exit codes: 0 the page works; 1 it does not (each reason on stderr); 3 it cannot be checked here.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_report_page import find_tools, start_browser  # noqa: E402

TIMEOUT = 30


def answers(driver) -> int:
    return int(driver.execute_script("return Number(document.body.dataset.answers || 0)"))


def bar_classes(driver) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#bars .bar')).map(b => b.dataset.class)")


def check(url: str, pixels: list[float] | None, expect: str | None,
          screenshot: Path | None) -> list[str]:
    browser, driver_path = find_tools()
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    problems = []
    with tempfile.TemporaryDirectory() as profile:
        driver = start_browser(browser, driver_path, profile)
        try:
            driver.set_script_timeout(TIMEOUT)
            driver.get(url)
            wait = WebDriverWait(driver, TIMEOUT)
            wait.until(lambda d: d.find_element(By.ID, "model").text.startswith("Model: "))

            # A stroke like a "1": down the middle of the canvas, with the mouse.
            pad = driver.find_element(By.ID, "pad")
            actions = ActionChains(driver)
            actions.move_to_element_with_offset(pad, 0, -90).click_and_hold()
            for _ in range(9):
                actions.move_by_offset(0, 20)
            actions.release().perform()
            wait.until(lambda d: answers(d) >= 1 and len(bar_classes(d)) == 5)
            seen = driver.execute_script(
                "const d = document.getElementById('seen').getContext('2d')"
                ".getImageData(0, 0, 28, 28).data; let s = 0;"
                "for (let i = 0; i < d.length; i += 4) s += d[i]; return s;")
            if seen <= 0:
                problems.append("the 28x28 preview stayed black after a stroke")

            if pixels is not None:
                before = answers(driver)
                driver.execute_async_script(
                    "const done = arguments[arguments.length - 1];"
                    "window.emnistShowImage(arguments[0]).then(() => done(true));", pixels)
                wait.until(lambda d: answers(d) > before)
                top = bar_classes(driver)
                if not top or top[0] != expect:
                    problems.append(f"the EMNIST image was classified {top[:1]}, "
                                    f"`emnist predict` says {expect!r}")
            if screenshot is not None:
                driver.save_screenshot(str(screenshot))
            for entry in driver.get_log("browser"):
                message = entry.get("message", "")
                if entry.get("level") == "SEVERE" and "favicon.ico" not in message:
                    problems.append(f"console error: {message}")
        finally:
            driver.quit()
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url", nargs="?")
    parser.add_argument("--pixels", type=Path, help="an EMNIST-form image as a JSON list")
    parser.add_argument("--expect", help="the class `emnist predict` gives that image")
    parser.add_argument("--screenshot", type=Path)
    parser.add_argument("--probe", action="store_true", help="only check that a browser is here")
    args = parser.parse_args()
    if args.probe:
        find_tools()
        return 0
    if args.url is None:
        parser.error("give the page's URL")
    if (args.pixels is None) != (args.expect is None):
        parser.error("--pixels and --expect go together")
    pixels = json.loads(args.pixels.read_text()) if args.pixels else None
    problems = check(args.url, pixels, args.expect, args.screenshot)
    for p in problems:
        print(f"check_serve_page.py: {p}", file=sys.stderr)
    if not problems:
        print(f"check_serve_page.py: {args.url} works: a stroke gave 5 bars"
              + (f", the EMNIST image is {args.expect!r}" if pixels is not None else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
