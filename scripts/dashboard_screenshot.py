"""Screenshot the officials' dashboard of a running hoadon, for the README.

    .venv/bin/python scripts/dashboard_screenshot.py URL TOKEN OUT.png

Signs in at URL/dashboard with an official's TOKEN in Debian's Chromium (driven by Playwright,
which downloads no browser of its own) and saves the full national view to OUT.png.
"""

from __future__ import annotations

import argparse

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("url", help="base URL of hoadon, e.g. http://127.0.0.1:8000")
    parser.add_argument("token", help="an official's token")
    parser.add_argument("out", help="where to write the PNG")
    parser.add_argument("--width", type=int, default=1280)
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": 900})
        page.goto(f"{args.url.rstrip('/')}/dashboard")
        page.fill("input[name=token]", args.token)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=args.out, full_page=True)
        browser.close()
    print(args.out)


if __name__ == "__main__":
    main()
