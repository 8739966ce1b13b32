"""PDF benchmark: hoadon's real invoice against a bare WeasyPrint page, measured in the same run.

    .venv/bin/python bench/pdf.py [--runs N] [--floor PATH]

(a) The floor: ``/work/shared/bench/floor-invoice.html`` (``../shared/bench/floor-invoice.html`` from
    the repository root): one table, the system's DejaVu Sans, no images, rendered by plain
    ``HTML(filename).write_pdf()``.
(b) hoadon: ``pdf.render_invoice`` on a realistic coded VAT invoice: 10 lines at mixed rates, QR code,
    seller and authority signature boxes, an ~8 KB signed XML attached, PDF/A-3b.

Each run renders every variant once, in the same order, so drift on a shared machine hits them all
alike; medians of wall and CPU time are printed (CPU time is far steadier when other processes
compete for the cores). The breakdown, in CPU time, shows what (b) spends its time on and what each
feature costs: Jinja, layout, PDF writing, font subsetting (timed inside WeasyPrint), PDF/A-3b with
the attachment, the QR code, and the shipped font subset against the full system DejaVu. Timings
are reported, never asserted; the goal is b/a <= 1.3.
"""

import argparse
import base64
import hashlib
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if not __package__:
    # Run as a script, bench/ is sys.path[0] and this very file would shadow the pdf package.
    _here = Path(__file__).resolve().parent
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _here]
    sys.path.insert(0, str(REPO))

import weasyprint  # noqa: E402  (after the sys.path repair above)
from pypdf import PdfReader  # noqa: E402
from weasyprint.pdf import fonts as weasyprint_fonts  # noqa: E402
from weasyprint.text import ffi as weasyprint_ffi  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402

import pdf  # noqa: E402
from pdf import render as pdf_render  # noqa: E402

GOAL = 1.3
DEFAULT_FLOOR = REPO.parent / "shared" / "bench" / "floor-invoice.html"
SYSTEM_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
VIETNAM = timezone(timedelta(hours=7))
TOTAL = Decimal("44835351")
TOTAL_IN_WORDS = "Bốn mươi bốn triệu tám trăm ba mươi lăm nghìn ba trăm năm mươi mốt đồng"
RATES = ("10%", "8%", "5%", "10%", "KCT", "8%", "10%", "5%", "0%", "10%")
ITEMS = (
    ("Máy in laser HP LaserJet Pro M404dn", "Cái", "2", "6450000"),
    ("Giấy in A4 Double A 80gsm", "Ram", "25", "68500"),
    ("Sách hướng dẫn sử dụng phần mềm kế toán", "Quyển", "3", "185000"),
    ("Hộp mực in HP 26A chính hãng", "Hộp", "4", "1250000"),
    ("Dịch vụ đào tạo nghiệp vụ hóa đơn điện tử", "Khóa", "1", "3500000"),
    ("Cáp mạng Cat6 AMP (thùng 305 m)", "Thùng", "1.5", "2890000"),
    ("Bàn phím không dây Logitech K380", "Cái", "6", "749000"),
    ("Ổ cứng SSD Samsung 980 1TB", "Cái", "2", "2199000.5"),
    ("Phí vận chuyển nội thành", "Chuyến", "1", "350000"),
    ("Bảo trì máy chủ tháng 03/2026", "Tháng", "1", "4200000"),
)


def realistic_page() -> pdf.InvoicePage:
    """A coded VAT invoice with 10 lines at mixed rates, as invoicing would hand it over."""
    lines = []
    by_rate: dict[str, Decimal] = {}
    for number, ((name, unit, quantity, price), rate) in enumerate(zip(ITEMS, RATES, strict=True), start=1):
        amount = (Decimal(quantity) * Decimal(price)).quantize(Decimal(1))
        by_rate[rate] = by_rate.get(rate, Decimal(0)) + amount
        lines.append(
            pdf.InvoiceLine(
                number=number,
                nature=1,
                name=name,
                unit=unit,
                quantity=Decimal(quantity),
                unit_price=Decimal(price),
                discount_rate=None,
                amount=amount,
                vat_rate=rate,
            )
        )
    summaries = tuple(
        pdf.RateSummary(
            vat_rate=rate,
            taxable_amount=base,
            vat_amount=(base * Decimal(rate.rstrip("%")) / 100).quantize(Decimal(1))
            if rate.endswith("%")
            else Decimal(0),
        )
        for rate, base in by_rate.items()
    )
    subtotal = sum((summary.taxable_amount for summary in summaries), Decimal(0))
    vat_total = sum((summary.vat_amount for summary in summaries), Decimal(0))
    assert subtotal + vat_total == TOTAL, "the words below were written for this total"
    signed_at = datetime(2026, 3, 15, 10, 0, tzinfo=VIETNAM)
    return pdf.InvoicePage(
        title="HÓA ĐƠN GIÁ TRỊ GIA TĂNG",
        template="1",
        series="C26TAA",
        number=1234,
        issue_date=date(2026, 3, 15),
        currency="VND",
        exchange_rate=None,
        payment_method="TM/CK",
        seller=pdf.Party(
            name="CÔNG TY TNHH XÂY DỰNG ĐÔNG Á",
            tax_code="0100000010",
            address="Số 1 Phố Ví Dụ, Phường Ba Đình, Thành phố Hà Nội",
            phone="024 3333 4444",
            email="ketoan@dongá.vn",
            bank_account="0011004012345 - Ngân hàng TMCP Ngoại thương Việt Nam",
            buyer_person=None,
        ),
        buyer=pdf.Party(
            name="CÔNG TY CỔ PHẦN VÍ DỤ MUA",
            tax_code="0319999996",
            address="Số 2 Đường Ví Dụ, Phường Sài Gòn, Thành phố Hồ Chí Minh",
            phone=None,
            email=None,
            bank_account=None,
            buyer_person="Nguyễn Văn A",
        ),
        lines=tuple(lines),
        rate_summaries=summaries,
        subtotal=subtotal,
        vat_total=vat_total,
        total=subtotal + vat_total,
        total_in_words=TOTAL_IN_WORDS,
        authority_code="00474597512BE94B7BAB367996EF464828",
        seller_signature=pdf.Signature(signer_name="CÔNG TY TNHH XÂY DỰNG ĐÔNG Á", signed_at=signed_at),
        authority_signature=pdf.Signature(signer_name="CỤC THUẾ", signed_at=signed_at + timedelta(minutes=1)),
        related_note=None,
        status_note=None,
        qr_svg=pdf.qr_svg(data="https://hoadon.example/tra-cuu/0100000010/1C26TAA/1234?ma=7F3K9Q"),
        qr_caption="Mã tra cứu: 7F3K9Q",
        lookup_url="https://hoadon.example/tra-cuu",
    )


def realistic_xml(page: pdf.InvoicePage) -> bytes:
    """A signed-invoice-shaped XML of about 8 KB: the lines, totals, two signatures with certificates."""
    items = "".join(
        f"<HHDVu><TChat>1</TChat><STT>{line.number}</STT><THHDVu>{line.name}</THHDVu>"
        f"<DVTinh>{line.unit}</DVTinh><SLuong>{line.quantity}</SLuong><DGia>{line.unit_price}</DGia>"
        f"<ThTien>{line.amount}</ThTien><TSuat>{line.vat_rate}</TSuat></HHDVu>"
        for line in page.lines
    )
    certificate = base64.b64encode(hashlib.sha512(b"certificate").digest() * 24).decode()
    signature = (
        '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>…</SignedInfo>'
        f"<SignatureValue>{base64.b64encode(bytes(256)).decode()}</SignatureValue>"
        f"<KeyInfo><X509Data><X509Certificate>{certificate}</X509Certificate></X509Data></KeyInfo>"
        "</Signature>"
    )
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<HDon><DLHDon Id="DLHDon-0100000010-C26TAA-1234"><TTChung>'
        "<PBan>2.0.1</PBan><THDon>Hóa đơn giá trị gia tăng</THDon><KHMSHDon>1</KHMSHDon>"
        f"<KHHDon>C26TAA</KHHDon><SHDon>1234</SHDon><NLap>2026-03-15</NLap><DVTTe>VND</DVTTe></TTChung>"
        f"<NDHDon><NBan><Ten>{page.seller.name}</Ten><MST>{page.seller.tax_code}</MST></NBan>"
        f"<NMua><Ten>{page.buyer.name}</Ten><MST>{page.buyer.tax_code}</MST></NMua>"
        f"<DSHHDVu>{items}</DSHHDVu><TToan><TgTTTBSo>{page.total}</TgTTTBSo></TToan></NDHDon></DLHDon>"
        f'<MCCQT Id="MCCQT-1">{page.authority_code}</MCCQT>'
        f"<DSCKS><NBan>{signature}</NBan><NMua/><CCKSKhac/><CQT>{signature}</CQT></DSCKS></HDon>\n"
    )
    return document.encode()


class SubsetTimer:
    """CPU seconds WeasyPrint spends subsetting fonts (``Font.subset``), accumulated until read."""

    def __init__(self) -> None:
        self.seconds = 0.0
        original = weasyprint_fonts.Font.subset

        def timed(font: Any, *args: Any, **kwargs: Any) -> Any:
            began = time.process_time()
            try:
                return original(font, *args, **kwargs)
            finally:
                self.seconds += time.process_time() - began

        weasyprint_fonts.Font.subset = timed

    def take(self) -> float:
        seconds, self.seconds = self.seconds, 0.0
        return seconds


def subsetter() -> str:
    harfbuzz_subset = getattr(weasyprint_ffi, "harfbuzz_subset", None)
    if harfbuzz_subset is not None and weasyprint_ffi.harfbuzz.hb_version_atleast(4, 1, 0):
        return "HarfBuzz-Subset"
    return "fontTools (libharfbuzz-subset not installed)"


@contextmanager
def quiet_weasyprint() -> Iterator[None]:
    """Silence WeasyPrint's own logging while the floor and the internals run outside render_invoice."""
    logger = weasyprint.LOGGER
    level = logger.level
    logger.setLevel("CRITICAL")
    try:
        yield
    finally:
        logger.setLevel(level)


def system_font_engine() -> tuple[Any, Any] | None:
    """hoadon's stylesheet with the full system DejaVu (6,253 glyphs) instead of the shipped subset."""
    regular, bold = SYSTEM_DEJAVU / "DejaVuSans.ttf", SYSTEM_DEJAVU / "DejaVuSans-Bold.ttf"
    if not (regular.exists() and bold.exists()):
        return None
    css = (
        pdf_render._STYLESHEET.read_text(encoding="utf-8")
        .replace("url(../fonts/DejaVuSans.ttf)", f"url({regular.as_uri()})")
        .replace("url(../fonts/DejaVuSans-Bold.ttf)", f"url({bold.as_uri()})")
    )
    font_config = FontConfiguration()
    stylesheet = weasyprint.CSS(string=css, font_config=font_config)
    return font_config, stylesheet


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=20, help="measured runs per variant (default 20)")
    parser.add_argument("--floor", type=Path, default=DEFAULT_FLOOR, help="the floor HTML page")
    options = parser.parse_args()
    floor = options.floor.resolve()
    if not floor.is_file():
        parser.error(f"floor page not found: {floor}")

    page = realistic_page()
    xml = realistic_xml(page)
    html = pdf_render._invoice_html(page)
    attachment_time = pdf_render._attachment_time(page.seller_signature, page.issue_date)

    began = time.perf_counter()
    pdf.render_invoice(page=page, attachment=xml)
    cold = time.perf_counter() - began
    engine = pdf_render._engine()
    system_fonts = system_font_engine()
    timer = SubsetTimer()

    def floor_render() -> None:
        with quiet_weasyprint():
            weasyprint.HTML(filename=str(floor)).write_pdf()

    def hoadon_render() -> None:
        pdf.render_invoice(page=page, attachment=xml)

    def jinja_only() -> None:
        pdf_render._invoice_html(page)

    def layout_only() -> None:
        with quiet_weasyprint():
            weasyprint.HTML(string=html, base_url=pdf_render._BASE_URL, url_fetcher=engine.fetcher).render(
                stylesheets=[engine.stylesheet], font_config=engine.font_config
            )

    def without_pdfa() -> None:
        pdf_render._write_pdf(
            html=html,
            attachment=None,
            attachment_name="invoice.xml",
            attachment_time=attachment_time,
            pdf_variant=None,
        )

    no_qr = replace(page, qr_svg='<svg viewBox="0 0 1 1"></svg>')

    def without_qr() -> None:
        pdf.render_invoice(page=no_qr, attachment=xml)

    def with_system_fonts() -> None:
        assert system_fonts is not None
        font_config, stylesheet = system_fonts
        with quiet_weasyprint():
            weasyprint.HTML(string=html, base_url=pdf_render._BASE_URL).write_pdf(
                stylesheets=[stylesheet], font_config=font_config, pdf_variant="pdf/a-3b"
            )

    variants: dict[str, Callable[[], None]] = {
        "floor": floor_render,
        "hoadon": hoadon_render,
        "jinja": jinja_only,
        "layout": layout_only,
        "no_pdfa": without_pdfa,
        "no_qr": without_qr,
    }
    if system_fonts is not None:
        variants["system_fonts"] = with_system_fonts
    for run in variants.values():  # warm-up: caches, allocator, first-use imports
        run()
    timer.take()

    wall: dict[str, list[float]] = {name: [] for name in variants}
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    subsets: dict[str, list[float]] = {"floor": [], "hoadon": [], "system_fonts": []}
    for _ in range(options.runs):
        for name, run in variants.items():
            timer.take()
            began_wall, began_cpu = time.perf_counter(), time.process_time()
            run()
            cpu[name].append(time.process_time() - began_cpu)
            wall[name].append(time.perf_counter() - began_wall)
            if name in subsets:
                subsets[name].append(timer.take())

    def ms(table: dict[str, list[float]], name: str) -> float:
        return statistics.median(table[name]) * 1000

    output = pdf.render_invoice(page=page, attachment=xml)
    print(f"hoadon PDF benchmark: WeasyPrint {weasyprint.__version__}, font subsetting by {subsetter()}")
    print(f"{options.runs} interleaved runs, medians; floor page {floor}")
    print(
        f"(b) page: {len(page.lines)} lines, rates {', '.join(dict.fromkeys(RATES))}, QR, "
        f"{len(xml):,} B XML attached, PDF/A-3b -> {len(PdfReader(BytesIO(output)).pages)} page(s), "
        f"{len(output):,} B"
    )
    print()
    print("                                              wall ms    CPU ms")
    for label, name in (("(a) floor, plain WeasyPrint", "floor"), ("(b) hoadon render_invoice", "hoadon")):
        print(f"  {label:<40} {ms(wall, name):8.1f}  {ms(cpu, name):8.1f}")
    print(
        f"  {'ratio b/a':<40} {ms(wall, 'hoadon') / ms(wall, 'floor'):8.2f}  "
        f"{ms(cpu, 'hoadon') / ms(cpu, 'floor'):8.2f}    goal <= {GOAL}"
    )

    # The breakdown uses CPU time: on a shared machine it is far less noisy than wall time.
    b = ms(cpu, "hoadon")
    print()
    print("  where (b) goes (CPU)                              ms  share")
    rows = [
        ("Jinja template -> HTML", ms(cpu, "jinja")),
        ("layout (HTML parse, CSS cascade, boxes, pages)", ms(cpu, "layout")),
        ("PDF writing (draw, fonts, PDF/A, attachment)", b - ms(cpu, "jinja") - ms(cpu, "layout")),
        ("  of which font subsetting (2 fonts)", ms(subsets, "hoadon")),
    ]
    for label, value in rows:
        print(f"  {label:<46} {value:6.1f}  {value / b:5.0%}")
    floor_subset = ms(subsets, "floor")
    print(
        f"  {'(a) font subsetting, for comparison':<46} {floor_subset:6.1f}  {floor_subset / ms(cpu, 'floor'):5.0%} of (a)"
    )
    print()
    print("  what each feature costs (CPU, b minus b without it)  ms")
    print(f"  {'PDF/A-3b + ~8 KB XML attachment':<46} {b - ms(cpu, 'no_pdfa'):+6.1f}")
    print(f"  {'QR code (inline SVG)':<46} {b - ms(cpu, 'no_qr'):+6.1f}")
    if system_fonts is not None:
        full = ms(cpu, "system_fonts")
        print(
            f"  {'shipped font subset (vs full system DejaVu)':<46} {b - full:+6.1f}"
            f"   full fonts: {full:.1f} ms, b/a {full / ms(cpu, 'floor'):.2f}, "
            f"subsetting {ms(subsets, 'system_fonts'):.1f} ms"
        )
    print()
    print(
        f"  cold start: first render_invoice in a process {cold * 1000:.0f} ms wall "
        "(templates compiled, stylesheet parsed, fonts loaded once, then cached)"
    )


if __name__ == "__main__":
    main()
