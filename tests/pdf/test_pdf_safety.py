"""What the renderer refuses: foreign resources, WeasyPrint warnings, characters it cannot print."""

import logging
import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

import pdf
from pdf import render as pdf_render
from pdf.render import PackageURLFetcher

PACKAGE_DIR = Path(pdf.__file__).resolve().parent


def svg_image(href: str) -> str:
    return f'<svg viewBox="0 0 10 10"><image href="{href}" width="10" height="10"/></svg>'


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A local TCP server that records every connection made to it."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    received: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                received.append(connection.recv(1024))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], received
    stop.set()
    thread.join()
    server.close()


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/logo.png",
        "https://example.com/logo.png",
        "ftp://example.com/logo.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "file:///etc/passwd",
        "file://remote-host" + str(PACKAGE_DIR / "static" / "hoadon.css"),
        (PACKAGE_DIR / "fonts").as_uri() + "/../../../../../etc/passwd",
        (PACKAGE_DIR / "fonts").as_uri() + "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        (PACKAGE_DIR / "fonts").as_uri() + "/missing.ttf",
        (PACKAGE_DIR / "fonts").as_uri(),
    ],
)
def test_fetcher_refuses_anything_but_package_files(url: str) -> None:
    with pytest.raises(pdf.RenderError, match="refused to fetch"):
        PackageURLFetcher().fetch(url)


def test_fetcher_serves_package_files() -> None:
    font = PACKAGE_DIR / "fonts" / "DejaVuSans.ttf"
    response = PackageURLFetcher().fetch(font.as_uri())
    assert response.read() == font.read_bytes()
    response.close()


@pytest.mark.parametrize("href", ["file:///etc/passwd", "../../../../../../etc/passwd", "fonts/missing.png"])
def test_page_referencing_a_file_outside_the_package_fails(
    make_invoice: Callable[..., pdf.InvoicePage], href: str
) -> None:
    with pytest.raises(pdf.RenderError, match="refused to fetch"):
        pdf.render_invoice(page=make_invoice(qr_svg=svg_image(href)))


def test_html_image_outside_the_package_fails(make_invoice: Callable[..., pdf.InvoicePage]) -> None:
    with pytest.raises(pdf.RenderError, match=r"refused to fetch 'file:///etc/passwd'"):
        pdf.render_invoice(page=make_invoice(qr_svg='<img src="file:///etc/passwd">'))


def test_page_referencing_the_network_fails_without_connecting(
    make_invoice: Callable[..., pdf.InvoicePage], listener: tuple[int, list[bytes]]
) -> None:
    port, received = listener
    for markup in (
        svg_image(f"http://127.0.0.1:{port}/qr.png"),
        f'<img src="http://127.0.0.1:{port}/qr.png">',
    ):
        with pytest.raises(pdf.RenderError, match="refused to fetch"):
            pdf.render_invoice(page=make_invoice(qr_svg=markup))
    with socket.create_connection(("127.0.0.1", port)) as probe:
        probe.sendall(b"probe")
    # The listener works (it saw the probe) and the renders never reached it.
    for _ in range(50):
        if received:
            break
        threading.Event().wait(0.02)
    assert received == [b"probe"]


def test_weasyprint_warning_becomes_render_error(make_invoice: Callable[..., pdf.InvoicePage]) -> None:
    markup = '<svg viewBox="0 0 10 10" style="colr: red"><rect width="10" height="10"/></svg>'
    with pytest.raises(pdf.RenderError, match=r"WARNING: Ignored `colr: red`.*unknown property"):
        pdf.render_invoice(page=make_invoice(qr_svg=markup))


def test_weasyprint_error_becomes_render_error(make_invoice: Callable[..., pdf.InvoicePage]) -> None:
    # A package file that is not an image: fetched, then reported by WeasyPrint as an error log.
    with pytest.raises(pdf.RenderError, match="ERROR: Failed to load image"):
        pdf.render_invoice(page=make_invoice(qr_svg=svg_image("static/hoadon.css")))


def test_warnings_are_caught_even_when_the_application_silenced_weasyprint(
    make_invoice: Callable[..., pdf.InvoicePage],
) -> None:
    logger = logging.getLogger("weasyprint")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        markup = '<svg viewBox="0 0 10 10" style="colr: red"><rect width="10" height="10"/></svg>'
        with pytest.raises(pdf.RenderError, match="unknown property"):
            pdf.render_invoice(page=make_invoice(qr_svg=markup))
        assert logger.level == logging.CRITICAL
    finally:
        logger.setLevel(previous)


def test_a_failed_render_leaves_the_next_one_clean(make_invoice: Callable[..., pdf.InvoicePage]) -> None:
    with pytest.raises(pdf.RenderError):
        pdf.render_invoice(page=make_invoice(qr_svg=svg_image("file:///etc/passwd")))
    assert pdf.render_invoice(page=make_invoice()).startswith(b"%PDF-")


@pytest.mark.parametrize(("text", "codepoint"), [("Nguyễn 中文", "U+4E2D"), ("Cửa hàng 😀", "U+1F600")])
def test_character_outside_the_shipped_fonts_is_refused(
    make_invoice: Callable[..., pdf.InvoicePage],
    make_party: Callable[..., pdf.Party],
    text: str,
    codepoint: str,
) -> None:
    page = make_invoice()
    with pytest.raises(pdf.RenderError, match=re.escape(f"cannot print {codepoint}")):
        pdf.render_invoice(page=replace(page, buyer=make_party(buyer_person=text)))


def test_receipt_is_held_to_the_same_rules(make_receipt: Callable[..., pdf.ReceiptPage]) -> None:
    with pytest.raises(pdf.RenderError, match="refused to fetch"):
        pdf.render_receipt(page=make_receipt(qr_svg=svg_image("http://127.0.0.1:9/qr.png")))


def test_only_the_harfbuzz_fallback_notice_is_tolerated() -> None:
    # On a system without libharfbuzz-subset WeasyPrint logs this on every render although the
    # PDF is correct; every other warning must still fail the render.
    collector = pdf_render._WarningCollector()
    logger = logging.getLogger("weasyprint.test")
    for message in (
        'Using fontTools instead of HarfBuzz-Subset for font "Hoadon Sans". This will be unsupported',
        "Ignored `colr: red` at 1:1, unknown property.",
        "Using fontTools instead of something else",
    ):
        collector.handle(logger.makeRecord("weasyprint", logging.WARNING, __file__, 1, message, None, None))
    assert collector.messages == [
        "WARNING: Ignored `colr: red` at 1:1, unknown property.",
        "WARNING: Using fontTools instead of something else",
    ]
