"""Page view-models → HTML (Jinja) → PDF/A-3b (WeasyPrint), with the signed XML attached.

Templates, the stylesheet and the fonts are parsed once per process and reused: a render only
builds the page's HTML, lays it out and writes the PDF.
"""

import functools
import hashlib
import logging
import mimetypes
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import jinja2
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from weasyprint import CSS, HTML, Attachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from pdf.documents import InvoicePage, ReceiptPage, Signature
from pdf.errors import RenderError
from pdf.formatting import format_date, format_date_long, format_number

__all__ = ["PackageURLFetcher", "render_invoice", "render_receipt"]

_PACKAGE_DIR = Path(__file__).resolve().parent
_BASE_URL = _PACKAGE_DIR.as_uri() + "/"
_STYLESHEET = _PACKAGE_DIR / "static" / "hoadon.css"
_FONTS = (_PACKAGE_DIR / "fonts" / "DejaVuSans.ttf", _PACKAGE_DIR / "fonts" / "DejaVuSans-Bold.ttf")
# Layout characters that need no glyph.
_CONTROL_CHARACTERS = frozenset({0x09, 0x0A, 0x0D})
_PDF_VARIANT = "pdf/a-3b"
# PDF name syntax: the "/" of a MIME type is written #2f inside a name.
_XML_SUBTYPE = "/application#2fxml"
# Signing times in the XML are Vietnamese local time without an offset (DOMAIN §4).
_VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")
# Environment notices, not defects of the document: WeasyPrint says this on every render on a
# system without libharfbuzz-subset, and the PDF it makes is correct (fontTools subsets instead).
_TOLERATED_MESSAGES = ("Using fontTools instead of HarfBuzz-Subset",)
# Layout per template symbol (KHMSHDon): True prints the VAT columns and totals.
_INVOICE_LAYOUTS = {"1": True, "2": False}

# WeasyPrint is not thread-safe around a shared FontConfiguration, and the warning capture below
# listens on a process-wide logger: one render at a time per process keeps both sound.
_RENDER_LOCK = threading.Lock()


class PackageURLFetcher(URLFetcher):  # type: ignore[misc]
    """WeasyPrint URL fetcher that serves only regular files inside the ``pdf`` package.

    Every URL WeasyPrint wants (stylesheet, fonts, images, SVG references) goes through
    :meth:`fetch`. ``file:`` URLs whose resolved path (symlinks followed) lies inside the package
    directory are read from disk; everything else — ``http(s):``, ``data:``, ``file:`` outside the
    package, a missing file — raises :class:`~pdf.RenderError`. The fetcher is built with
    ``fail_on_errors=True``, so a refusal stops the render instead of leaving a hole in the page.

    Security: a page can never make the renderer touch the network or read files outside the
    package, whatever markup ends up in it (e.g. a hostile ``qr_svg``).
    """

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False, fail_on_errors=True)
        # WeasyPrint swallows even fatal fetch errors while drawing SVG; the renderer reads this
        # list to name what was refused.
        self._refused: list[str] = []

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        """Return the package file that ``url`` names.

        :param url: An absolute URL, as WeasyPrint resolves it against the page's base URL.
        :param headers: Ignored; accepted for WeasyPrint's fetcher interface.
        :returns: The file's bytes, with a content type guessed from its name.
        :raises RenderError: if the URL is not a ``file:`` URL of a regular file inside the package.
        """
        try:
            path = _package_file(url)
        except RenderError:
            self._refused.append(url)
            raise
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": content_type})


def _package_file(url: str) -> Path:
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        raise RenderError(f"refused to fetch {url!r}: only files of the pdf package are served")
    try:
        path = Path(url2pathname(parts.path)).resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise RenderError(f"refused to fetch {url!r}: no such file") from exc
    if not path.is_relative_to(_PACKAGE_DIR) or not path.is_file():
        raise RenderError(f"refused to fetch {url!r}: outside the pdf package")
    return path


@dataclass(frozen=True, slots=True)
class _Engine:
    fetcher: PackageURLFetcher
    font_config: Any
    stylesheet: Any


@functools.cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("pdf", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["vn_number"] = format_number
    environment.filters["vn_date"] = format_date
    environment.filters["vn_date_long"] = format_date_long
    return environment


@functools.cache
def _engine() -> _Engine:
    # Built on first use, under the render lock and the warning capture, so a font that fails to
    # load is reported like any other rendering problem.
    fetcher = PackageURLFetcher()
    font_config = FontConfiguration()
    stylesheet = CSS(
        string=_STYLESHEET.read_text(encoding="utf-8"),
        base_url=_STYLESHEET.as_uri(),
        url_fetcher=fetcher,
        font_config=font_config,
    )
    return _Engine(fetcher=fetcher, font_config=font_config, stylesheet=stylesheet)


@functools.cache
def _printable() -> frozenset[int]:
    covered = frozenset.intersection(*(frozenset(TTFont(path, lazy=True).getBestCmap()) for path in _FONTS))
    return covered | _CONTROL_CHARACTERS


def _check_printable(html: str) -> None:
    # Pango would quietly borrow a missing glyph from whatever system font has it, so the output
    # would depend on the machine; refusing up front keeps the shipped fonts the only fonts.
    printable = _printable()
    missing = sorted({char for char in html if ord(char) not in printable})
    if missing:
        shown = ", ".join(f"U+{ord(char):04X} {char!r}" for char in missing[:5])
        raise RenderError(f"the shipped fonts cannot print {shown}")


class _WarningCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not message.startswith(_TOLERATED_MESSAGES):
            self.messages.append(f"{record.levelname}: {message}")


@contextmanager
def _weasyprint_warnings() -> Iterator[list[str]]:
    logger = logging.getLogger("weasyprint")
    collector = _WarningCollector()
    previous_level = logger.level
    # An application that silenced WeasyPrint must not silence our check.
    if logger.getEffectiveLevel() > logging.WARNING:
        logger.setLevel(logging.WARNING)
    logger.addHandler(collector)
    try:
        yield collector.messages
    finally:
        logger.removeHandler(collector)
        logger.setLevel(previous_level)


def _check_attachment_name(name: str) -> None:
    if (
        not name
        or name in {".", ".."}
        or PurePosixPath(name).name != name
        or "\\" in name
        or any(ord(char) < 32 or ord(char) == 127 for char in name)
    ):
        raise ValueError(f"attachment_name must be a plain file name, not {name!r}")


def _attachment_time(signature: Signature | None, issue_date: date) -> datetime:
    moment = signature.signed_at if signature is not None else datetime.combine(issue_date, time())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_VIETNAM_TIME)
    return moment.astimezone(UTC)


def _html(template_name: str, **context: object) -> str:
    try:
        html = _environment().get_template(template_name).render(**context)
    except (jinja2.TemplateError, TypeError, ValueError) as exc:
        raise RenderError(f"template {template_name} failed: {exc}") from exc
    _check_printable(html)
    return html


def _write_pdf(
    *,
    html: str,
    attachment: bytes | None,
    attachment_name: str,
    attachment_time: datetime,
    pdf_variant: str | None = _PDF_VARIANT,
) -> bytes:
    """Lay out ``html`` and write the PDF; ``pdf_variant`` is a knob for the benchmark only."""
    if attachment is not None and not attachment:
        raise ValueError("attachment is empty")
    checksum = hashlib.md5(attachment, usedforsecurity=False).hexdigest() if attachment else None

    def finish(_document: object, pdf: Any) -> None:
        # WeasyPrint guesses text/xml from the file name; PDF/A-3 associated files of e-invoices
        # (as in Factur-X) declare application/xml. The checksum pins the change to our file.
        for pdf_object in pdf.objects:
            extra = getattr(pdf_object, "extra", None)
            if (
                isinstance(extra, dict)
                and extra.get("Type") == "/EmbeddedFile"
                and extra.get("Params", {}).get("CheckSum") == f"<{checksum}>"
            ):
                extra["Subtype"] = _XML_SUBTYPE
        # WeasyPrint 70 lists each file specification in /AF twice (once from the name tree,
        # once from the object scan); one entry per associated file is what PDF/A-3 describes.
        associated = pdf.catalog.get("AF")
        if associated is not None:
            unique = list(dict.fromkeys(associated))
            associated.clear()
            associated.extend(unique)

    with _RENDER_LOCK, _weasyprint_warnings() as warnings:
        try:
            engine = _engine()
            engine.fetcher._refused.clear()
            attachments = []
            if attachment is not None:
                attachments.append(
                    Attachment(
                        string=attachment,
                        name=attachment_name,
                        description="Dữ liệu hóa đơn điện tử XML có chữ ký số (signed e-invoice XML)",
                        created=attachment_time,
                        modified=attachment_time,
                        relationship="Source",
                        url_fetcher=engine.fetcher,
                    )
                )
            document = HTML(string=html, base_url=_BASE_URL, url_fetcher=engine.fetcher)
            output: bytes = document.write_pdf(
                stylesheets=[engine.stylesheet],
                font_config=engine.font_config,
                pdf_variant=pdf_variant,
                attachments=attachments,
                finisher=finish,
            )
        except FatalURLFetchingError as exc:
            cause = exc.__cause__ if exc.__cause__ is not None else exc
            raise RenderError(str(cause)) from exc
        except RenderError:
            raise
        # WeasyPrint and its C libraries raise many unrelated types; the library boundary
        # promises RenderError, with the original chained.
        except Exception as exc:
            raise RenderError(f"WeasyPrint failed: {type(exc).__name__}: {exc}") from exc
    if engine.fetcher._refused:
        raise RenderError("refused to fetch " + ", ".join(map(repr, engine.fetcher._refused)))
    if warnings:
        raise RenderError("WeasyPrint reported problems: " + "; ".join(warnings))
    return output


def _invoice_html(page: InvoicePage) -> str:
    vat = _INVOICE_LAYOUTS.get(page.template)
    if vat is None:
        raise ValueError(f"no layout for template symbol {page.template!r}; expected '1' or '2'")
    if vat and page.vat_total is None:
        raise ValueError("a VAT invoice (template 1) needs vat_total")
    if not vat and (page.vat_total is not None or page.rate_summaries):
        raise ValueError("a sales invoice (template 2) carries no VAT total nor rate summaries")
    return _html(
        "invoice.html",
        page=page,
        vat=vat,
        discount_column=any(line.discount_rate is not None for line in page.lines),
        amount_places=0 if page.currency == "VND" else 2,
    )


def _receipt_html(page: ReceiptPage) -> str:
    return _html("receipt.html", page=page, amount_places=0 if page.currency == "VND" else 2)


def render_invoice(
    *, page: InvoicePage, attachment: bytes | None = None, attachment_name: str = "invoice.xml"
) -> bytes:
    """Render a VAT or sales invoice as a PDF/A-3b document.

    The page is laid out on A4 with the table header repeated on every page and "Trang x/y" in
    the footer. The signed XML, when given, is embedded byte for byte as a PDF/A-3 associated file
    (``AFRelationship /Source``, MIME type ``application/xml``): the PDF is a view, the XML is
    the invoice.

    :param page: What the invoice shows; ``page.template`` ``"1"`` selects the VAT layout, ``"2"``
        the sales layout.
    :param attachment: The signed invoice XML, exactly as stored.
    :param attachment_name: File name of the attachment inside the PDF.
    :returns: The PDF bytes.
    :raises ValueError: if the template symbol has no layout, the VAT fields do not match the
        layout, ``attachment`` is empty or ``attachment_name`` is not a plain file name.
    :raises RenderError: if the template fails, the page holds a character the shipped fonts cannot
        draw (no system font is ever borrowed), WeasyPrint raises or logs any warning or error, or
        the page references anything outside the ``pdf`` package.

    Security: text fields are HTML-escaped; only ``page.qr_svg`` is inserted as markup. Rendering
    never reads the network or files outside the package (see :class:`PackageURLFetcher`).
    Renders are serialised within a process.
    """
    _check_attachment_name(attachment_name)
    html = _invoice_html(page)
    return _write_pdf(
        html=html,
        attachment=attachment,
        attachment_name=attachment_name,
        attachment_time=_attachment_time(page.seller_signature, page.issue_date),
    )


def render_receipt(
    *, page: ReceiptPage, attachment: bytes | None = None, attachment_name: str = "receipt.xml"
) -> bytes:
    """Render an e-receipt for fees and charges as a PDF/A-3b document.

    Same layout, attachment and guarantees as :func:`render_invoice`, without VAT.

    :param page: What the receipt shows.
    :param attachment: The signed receipt XML, exactly as stored.
    :param attachment_name: File name of the attachment inside the PDF.
    :returns: The PDF bytes.
    :raises ValueError: if ``attachment`` is empty or ``attachment_name`` is not a plain file name.
    :raises RenderError: as for :func:`render_invoice`.

    Security: as for :func:`render_invoice`.
    """
    _check_attachment_name(attachment_name)
    html = _receipt_html(page)
    return _write_pdf(
        html=html,
        attachment=attachment,
        attachment_name=attachment_name,
        attachment_time=_attachment_time(page.seller_signature, page.issue_date),
    )
