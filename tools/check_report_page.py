#!/usr/bin/env python3
"""Opens a run's report.html in headless Chromium and checks that it really renders: the page loads,
every image decodes, the console stays free of errors, nothing is fetched from outside the file, and
the page is not blank (text on it, and a screenshot of more than one colour).

    /usr/bin/python3 tools/check_report_page.py RUN_DIR/report.html [--screenshot OUT.png]
    /usr/bin/python3 tools/check_report_page.py --probe   # can this machine check at all?

Needs Debian's chromium, chromium-driver, python3-selenium and python3-pil.
Exit codes: 0 the page is fine; 1 it is not (each reason on stderr); 3 it cannot be checked here
(a missing browser, driver or module; the reason on stderr).
"""
from __future__ import annotations

import argparse
import importlib.util
import io
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

CANNOT_CHECK = 3
MAX_SCREENSHOT_HEIGHT = 16000


def find_tools() -> tuple[str, str]:
    """The browser and its driver, or SystemExit(3) naming what to install."""
    missing = [package for module, package in (("selenium", "python3-selenium"),
                                               ("PIL", "python3-pil"))
               if importlib.util.find_spec(module) is None]
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser is None:
        missing.append("chromium")
    if driver is None:
        missing.append("chromium-driver")
    if missing:
        print(f"check_report_page.py: cannot check a page here; install {' '.join(missing)} "
              f"(apt-get install {' '.join(missing)})", file=sys.stderr)
        raise SystemExit(CANNOT_CHECK)
    return browser, driver


def external_references(page: str) -> list[str]:
    """Attribute or CSS references that would need the network or another file."""
    refs = re.findall(r"""\b(?:src|href|srcset|poster|data)\s*=\s*["']([^"']*)["']""", page, re.I)
    refs += re.findall(r"""url\(\s*["']?([^"')]*)""", page, re.I)
    refs += re.findall(r"@import\s+[\"']([^\"']*)", page, re.I)
    return sorted({r for r in refs if not (r.startswith("data:") or r.startswith("#"))})


def start_browser(browser: str, driver_path: str, profile: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--disable-gpu", "--disable-dev-shm-usage",
                 "--force-device-scale-factor=1", "--hide-scrollbars", "--window-size=1280,1000",
                 "--disable-extensions", "--no-first-run", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    if os.geteuid() == 0:  # Chromium refuses to run as root inside its sandbox
        options.add_argument("--no-sandbox")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=driver_path), options=options)


def check(page_path: Path, screenshot: Path | None, min_images: int) -> list[str]:
    browser, driver_path = find_tools()
    from PIL import Image
    from selenium.webdriver.support.ui import WebDriverWait

    problems = []
    if not page_path.is_file():
        return [f"{page_path}: not found"]
    refs = external_references(page_path.read_text(encoding="utf-8"))
    if refs:
        problems.append(f"the page refers to outside resources: {refs[:5]}")

    with tempfile.TemporaryDirectory(prefix="check-report-") as profile:
        driver = start_browser(browser, driver_path, profile)
        try:
            driver.set_page_load_timeout(60)
            driver.get(page_path.resolve().as_uri())
            WebDriverWait(driver, 60).until(
                lambda d: d.execute_script("return document.readyState") == "complete")
            # Decoding can finish after "complete" for large data URIs; wait for every image.
            WebDriverWait(driver, 30).until(lambda d: d.execute_script(
                "return Array.from(document.images).every(i => i.complete)"))

            images = driver.execute_script(
                "return Array.from(document.images).map(i => ({alt: i.alt, complete: i.complete,"
                " w: i.naturalWidth, h: i.naturalHeight, shown: i.getBoundingClientRect().width}))")
            if len(images) < min_images:
                problems.append(f"{len(images)} images on the page, expected at least {min_images}")
            for i, image in enumerate(images):
                if not image["complete"] or image["w"] <= 0 or image["h"] <= 0:
                    problems.append(f"image {i} ('{image['alt']}') did not load "
                                    f"(complete {image['complete']}, {image['w']}x{image['h']})")
                elif image["shown"] <= 0:
                    problems.append(f"image {i} ('{image['alt']}') takes no space on the page")

            text_length = driver.execute_script("return document.body.innerText.trim().length")
            if text_length < 200:
                problems.append(f"the page is nearly empty ({text_length} characters of text)")
            fetched = driver.execute_script(
                "return performance.getEntriesByType('resource').map(e => e.name)"
                ".filter(n => !n.startsWith('data:'))")
            if fetched:
                problems.append(f"the page fetched {fetched[:5]}")

            for entry in driver.get_log("browser"):
                if entry.get("level") == "SEVERE":
                    problems.append(f"console error: {entry.get('message')}")

            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(1280, min(int(height) + 140, MAX_SCREENSHOT_HEIGHT))
            png = driver.get_screenshot_as_png()
        finally:
            driver.quit()

    shot = Image.open(io.BytesIO(png)).convert("RGB")
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        screenshot.write_bytes(png)
    colours = shot.getcolors(maxcolors=1 << 20)
    distinct = len(colours) if colours is not None else 1 << 20
    if distinct < 16:
        problems.append(f"the screenshot has {distinct} colours: the page looks blank")
    inked = sum(count for count, rgb in (colours or []) if sum(rgb) < 600)
    if colours is not None and inked < 0.01 * shot.width * shot.height:
        problems.append("under 1% of the screenshot is anything but white: the page looks blank")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("page", nargs="?", type=Path, help="the report.html to check")
    parser.add_argument("--screenshot", type=Path, help="where to save a full-page screenshot")
    parser.add_argument("--min-images", type=int, default=1, help="images the page must show")
    parser.add_argument("--probe", action="store_true", help="only say whether a check can run")
    args = parser.parse_args()
    if args.probe:
        find_tools()
        return 0
    if args.page is None:
        parser.error("the page to check is missing")
    problems = check(args.page, args.screenshot, args.min_images)
    for p in problems:
        print(f"check_report_page.py: {p}", file=sys.stderr)
    if not problems:
        print(f"check_report_page.py: {args.page} renders: images load, no console errors")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
