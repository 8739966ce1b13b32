"""The dashboard in a real browser: Debian's Chromium driven by Playwright against a live server.

The server is uvicorn in a thread on a migrated SQLite file with seeded statistics. The page must
work under its own Content-Security-Policy: any violation (an inline style, a blocked script) is
a console error and fails the test. ``HOADON_SCREENSHOT_PATH=docs/dashboard.png`` also saves the
screenshot there (the README's picture).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from invoicing.config import Settings
from invoicing.db import Database, create_db_engine
from invoicing.localities import service as localities
from invoicing.main import create_app
from invoicing.migrations import upgrade_to_head
from tests.conftest import unavailable
from tests.dashboard import DA_NANG, HANOI, seed
from tests.receipts import issue, receipt_business, receipt_payload, register_receipt_series

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HCMC, HAI_PHONG, CAN_THO = "79", "31", "92"
UNAUTHORIZED = "Failed to load resource: the server responded with a status of 401 (Unauthorized)"


@dataclass(frozen=True)
class LiveServer:
    url: str
    token: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def live_server(tmp_path: Path, settings: Settings) -> Iterator[LiveServer]:
    url = f"sqlite:///{tmp_path / 'hoadon.db'}"
    upgrade_to_head(url)
    settings = settings.model_copy(update={"database_url": url})
    database = Database(create_db_engine(url))
    with TestClient(create_app(settings)) as client:
        seeded = seed(
            client,
            database,
            provinces={HANOI: (12, 7), HCMC: (15, 12), DA_NANG: (8, 3), HAI_PHONG: (6, 6), CAN_THO: (5, 1)},
            invoices=2,
        )
        collector = receipt_business(
            client, database, province_code=HCMC, ward_code=localities.list_wards(HCMC)[0].code
        )
        issue(client, collector.api_key, receipt_payload(register_receipt_series(client, collector.api_key)))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "the server stopped"
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield LiveServer(url=f"http://127.0.0.1:{port}", token=seeded.token)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        database.engine.dispose()


@pytest.fixture
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        unavailable(
            f"Chromium is not installed at {CHROMIUM}: apt-get install chromium (make install does, as root)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright is not installed: .venv/bin/pip install -e '.[dev]'")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def _names(page: Any) -> list[str]:
    names: list[str] = page.locator("table.stats tbody th").all_inner_texts()
    return names


def test_an_official_signs_in_sorts_drills_down_downloads_and_signs_out(
    browser: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="vi-VN", accept_downloads=True
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    home = f"{live_server.url}/dashboard"

    page.goto(home)
    assert page.locator("h1").inner_text() == "Đăng nhập"
    page.fill("#token", "hd_ot_000000000000_sai")
    page.click("form[action='/dashboard/sign-in'] button")
    assert "không hợp lệ" in page.locator(".alert").inner_text()
    page.fill("#token", live_server.token)
    page.click("form[action='/dashboard/sign-in'] button")
    page.wait_for_url(home)
    cookie = next(c for c in context.cookies() if c["name"] == "hoadon_dashboard")
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/dashboard"
    assert page.evaluate("document.cookie") == ""  # out of reach of scripts

    assert len(_names(page)) == 34
    assert page.locator("svg.chart.rates g.bar rect").count() == 5
    assert page.locator("svg.chart.series g.column").count() == 12
    this_month = page.locator("svg.chart.series g.column").last
    assert float(this_month.locator("rect.receipts").get_attribute("height")) > 0
    assert "2 hóa đơn, 1 biên lai" in this_month.locator("title").text_content()
    assert page.locator("table.stats").bounding_box()["width"] > 800
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    print(f"screenshot: {tmp_path / 'dashboard.png'}")
    if target := os.environ.get("HOADON_SCREENSHOT_PATH"):
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tmp_path / "dashboard.png", target)
        print(f"screenshot: {target}")

    # Sorting happens in the page: no navigation (the marker survives), the address follows.
    page.evaluate("window.notReloaded = true")
    page.click("th[data-key='active'] a")
    assert _names(page)[:3] == ["Thành phố Hồ Chí Minh", "Thành phố Hà Nội", "Thành phố Đà Nẵng"]
    assert page.get_attribute("th[data-key='active']", "aria-sort") == "descending"
    assert page.evaluate("window.notReloaded") is True
    assert page.url.endswith("/dashboard?sort=active&order=desc")
    page.click("th[data-key='active'] a")
    assert _names(page)[-1] == "Thành phố Hồ Chí Minh"
    page.click("th[data-key='rate'] a")
    assert _names(page)[0] == "Thành phố Hải Phòng"  # 6 of 6

    with page.expect_download() as download:
        page.click("a.download[href^='/dashboard/provinces.csv']")
    saved = download.value
    assert saved.suggested_filename.startswith("adoption-provinces-")
    rows = list(csv.DictReader(io.StringIO(Path(saved.path()).read_text(encoding="utf-8"))))
    assert len(rows) == 35
    hanoi = next(row for row in rows if row["code"] == HANOI)
    assert (hanoi["active_businesses"], hanoi["registered_businesses"], hanoi["invoices_issued"]) == (
        "12",
        "8",
        "2",
    )

    page.click("table.stats tbody a:text-is('Thành phố Hà Nội')")
    page.wait_for_url(f"{home}/provinces/{HANOI}")
    assert len(_names(page)) == 126
    assert "Phường Ngọc Hà" in _names(page)
    assert page.locator("svg.chart.rates g.bar").count() == 1
    with page.expect_download() as download:
        page.click("a.download[href*='/wards.csv']")
    wards = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert len(wards) == 126 + 2

    # A phone: the table scrolls sideways inside its box, the charts shrink to the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    scroller = page.locator(".table-scroll")
    assert scroller.evaluate("box => box.scrollWidth > box.clientWidth")
    assert page.locator("svg.chart.rates").bounding_box()["width"] <= 390

    page.click("text=Đăng xuất")
    page.wait_for_url(home)
    assert page.locator("#token").is_visible()
    page.goto(f"{home}/provinces/{HANOI}")
    assert page.locator("#token").is_visible()
    assert not [c for c in context.cookies() if c["name"] == "hoadon_dashboard"]
    # The page loads nothing its policy blocks and runs without an error; the only failures are
    # the two 401 answers this walk asked for (a wrong token, a page after signing out).
    assert problems == [UNAUTHORIZED, UNAUTHORIZED]
    context.close()
