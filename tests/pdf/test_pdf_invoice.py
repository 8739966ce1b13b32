"""Invoices rendered by real WeasyPrint and read back with pypdf and poppler."""

import logging
import re
import subprocess
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

import pdf

HARFBUZZ_NOTICE = "Using fontTools instead of HarfBuzz-Subset"


@pytest.fixture(scope="module")
def coded_invoice(
    make_invoice: Callable[..., pdf.InvoicePage], signed_xml: bytes, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    path = tmp_path_factory.mktemp("coded") / "invoice.pdf"
    path.write_bytes(pdf.render_invoice(page=make_invoice(), attachment=signed_xml))
    return path


@pytest.fixture(scope="module")
def coded_text(coded_invoice: Path, pdftotext: Callable[..., str]) -> str:
    return pdftotext(coded_invoice)


def test_text_shows_seller_with_diacritics(coded_invoice: Path, coded_text: str) -> None:
    assert "CÔNG TY TNHH VÍ DỤ BÁN" in coded_text
    assert "CÔNG TY CỔ PHẦN VÍ DỤ MUA" in coded_text
    assert "Nguyễn Văn A" in coded_text
    pypdf_text = PdfReader(coded_invoice).pages[0].extract_text()
    assert "CÔNG TY TNHH VÍ DỤ BÁN" in pypdf_text


def test_text_shows_symbols_number_and_date(coded_text: str) -> None:
    assert re.search(r"Mẫu số \(Template\): 1\b", coded_text)
    assert re.search(r"Ký hiệu \(Series\): C26TAA\b", coded_text)
    assert re.search(r"Số \(No\.\): 123\b", coded_text)
    assert "Ngày 15 tháng 03 năm 2026" in coded_text


def test_text_shows_lines_totals_and_words(coded_text: str) -> None:
    assert re.search(r"Máy in laser\s+Cái\s+2\s+1\.500\.000\s+3\.000\.000\s+10%", coded_text)
    assert "Tổng hợp theo thuế suất" in coded_text
    assert re.search(r"Cộng tiền hàng: 4\.000\.000", coded_text)
    assert re.search(r"Tiền thuế GTGT: 350\.000", coded_text)
    assert re.search(r"Tổng cộng tiền thanh toán: 4\.350\.000", coded_text)
    assert "Số tiền viết bằng chữ: Bốn triệu ba trăm năm mươi nghìn đồng" in coded_text


def test_text_shows_authority_code_signatures_and_lookup(coded_text: str) -> None:
    assert "Mã của cơ quan thuế: 00474597512BE94B7BAB367996EF464828" in coded_text
    assert coded_text.count("Signature Valid") == 2
    assert "Ký bởi: CÔNG TY TNHH VÍ DỤ BÁN" in coded_text
    assert "Ký bởi: CỤC THUẾ" in coded_text
    assert "Ký ngày: 15/03/2026" in coded_text
    assert "https://hoadon.example/tra-cuu" in coded_text
    assert "Mã tra cứu: 7F3K9Q" in coded_text
    assert "Trang 1/1" in coded_text


def test_attachment_is_byte_identical_with_pypdf(coded_invoice: Path, signed_xml: bytes) -> None:
    attachments = PdfReader(coded_invoice).attachments
    assert list(attachments) == ["invoice.xml"]
    assert attachments["invoice.xml"] == [signed_xml]


def test_attachment_is_byte_identical_with_pdfdetach(
    coded_invoice: Path, signed_xml: bytes, tmp_path: Path
) -> None:
    listing = subprocess.run(
        ["pdfdetach", "-list", str(coded_invoice)], check=True, capture_output=True, text=True
    ).stdout
    assert "1 embedded files" in listing
    assert "1: invoice.xml" in listing
    saved = tmp_path / "saved.xml"
    subprocess.run(["pdfdetach", "-save", "1", "-o", str(saved), str(coded_invoice)], check=True)
    assert saved.read_bytes() == signed_xml


def test_pdfa_3b_markers(coded_invoice: Path) -> None:
    assert coded_invoice.read_bytes().startswith(b"%PDF-1.7")
    reader = PdfReader(coded_invoice)
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert 'xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"' in xmp
    assert re.findall(r'pdfaid:part="(\d)"', xmp) == ["3"]
    assert re.findall(r'pdfaid:conformance="(\w)"', xmp) == ["B"]
    intents = root["/OutputIntents"]
    assert [intent.get_object()["/S"] for intent in intents] == ["/GTS_PDFA1"]


def test_xml_is_an_associated_source_file_of_type_application_xml(coded_invoice: Path) -> None:
    root = PdfReader(coded_invoice).trailer["/Root"]
    associated = [reference.get_object() for reference in root["/AF"]]
    assert len(associated) == 1
    filespec = associated[0]
    assert filespec["/Type"] == "/Filespec"
    assert filespec["/AFRelationship"] == "/Source"
    assert filespec["/UF"] == "invoice.xml"
    embedded = filespec["/EF"]["/F"].get_object()
    assert embedded["/Subtype"] == "/application/xml"
    assert embedded["/Params"]["/ModDate"] == "D:20260315030000Z"  # signed 10:00 in Vietnam


def test_naive_signing_time_is_read_as_vietnamese_time(
    make_invoice: Callable[..., pdf.InvoicePage], signed_xml: bytes
) -> None:
    # SigningTime in the XML carries no offset and means UTC+7 (DOMAIN §4).
    signature = pdf.Signature(signer_name="X", signed_at=datetime(2026, 3, 15, 10, 0))  # noqa: DTZ001
    data = pdf.render_invoice(page=make_invoice(seller_signature=signature), attachment=signed_xml)
    filespec = PdfReader(BytesIO(data)).trailer["/Root"]["/AF"][0].get_object()
    assert filespec["/EF"]["/F"].get_object()["/Params"]["/ModDate"] == "D:20260315030000Z"


def test_render_logs_no_weasyprint_warning(
    make_invoice: Callable[..., pdf.InvoicePage], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="weasyprint"):
        pdf.render_invoice(page=make_invoice())
    problems = [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.WARNING and not record.getMessage().startswith(HARFBUZZ_NOTICE)
    ]
    assert problems == []


def test_invoice_without_attachment_has_no_embedded_file(
    make_invoice: Callable[..., pdf.InvoicePage],
) -> None:
    reader = PdfReader(BytesIO(pdf.render_invoice(page=make_invoice())))
    assert reader.attachments == {}
    assert "/AF" not in reader.trailer["/Root"]


def test_custom_attachment_name(make_invoice: Callable[..., pdf.InvoicePage], signed_xml: bytes) -> None:
    data = pdf.render_invoice(page=make_invoice(), attachment=signed_xml, attachment_name="1C26TAA-123.xml")
    assert PdfReader(BytesIO(data)).attachments == {"1C26TAA-123.xml": [signed_xml]}


def test_sixty_lines_span_pages_with_header_and_numbering(
    make_invoice: Callable[..., pdf.InvoicePage],
    make_line: Callable[..., pdf.InvoiceLine],
    write_pdf: Callable[..., Path],
    pdftotext: Callable[..., str],
) -> None:
    lines = tuple(make_line(number) for number in range(1, 61))
    path = write_pdf(pdf.render_invoice(page=make_invoice(lines=lines)))
    count = len(PdfReader(path).pages)
    assert count >= 2
    for number in range(1, count + 1):
        text = pdftotext(path, first=number, last=number)
        assert "Tên hàng hóa, dịch vụ" in text
        assert "Thành tiền" in text
        assert f"Trang {number}/{count}" in text
        assert "Mẫu số 1 · Ký hiệu C26TAA · Số 123" in text
    everything = pdftotext(path)
    printed = re.findall(r"^\s*(\d+)\s+Dây cáp điện Cadivi loại (\d+)\s", everything, flags=re.MULTILINE)
    assert printed == [(str(number), str(number)) for number in range(1, 61)]
    assert "Tổng cộng tiền thanh toán" in pdftotext(path, first=count, last=count)


def test_related_note_is_printed(
    make_invoice: Callable[..., pdf.InvoicePage],
    write_pdf: Callable[..., Path],
    pdftotext: Callable[..., str],
) -> None:
    note = "Điều chỉnh cho hóa đơn Mẫu số 1 ký hiệu C26TAA số 100 ngày 10 tháng 03 năm 2026"
    text = pdftotext(write_pdf(pdf.render_invoice(page=make_invoice(related_note=note))))
    assert note in text


def test_status_note_is_stamped_on_every_page(
    make_invoice: Callable[..., pdf.InvoicePage], make_line: Callable[..., pdf.InvoiceLine]
) -> None:
    lines = tuple(make_line(number) for number in range(1, 61))
    data = pdf.render_invoice(page=make_invoice(lines=lines, status_note="ĐÃ HỦY"))
    # pdftotext scatters the rotated stamp into letters; pypdf keeps its words together.
    pages = PdfReader(BytesIO(data)).pages
    assert len(pages) >= 2
    for page in pages:
        assert "ĐÃ HỦY" in page.extract_text()


def test_line_natures_and_decimals(
    make_invoice: Callable[..., pdf.InvoicePage],
    make_line: Callable[..., pdf.InvoiceLine],
    write_pdf: Callable[..., Path],
    pdftotext: Callable[..., str],
) -> None:
    lines = (
        make_line(
            1, quantity=Decimal("1.500"), unit_price=Decimal("12445454.5455"), amount=Decimal("18668182")
        ),
        make_line(2, nature=2, name="Hàng khuyến mại không thu tiền", unit_price=None, amount=None),
        make_line(
            3,
            nature=3,
            name="Chiết khấu thương mại",
            unit=None,
            quantity=None,
            unit_price=None,
            amount=Decimal("-100000"),
        ),
        make_line(
            None,
            nature=4,
            name="Ghi chú: giao hàng tại kho người mua",
            unit=None,
            quantity=None,
            unit_price=None,
            amount=None,
            vat_rate=None,
        ),
    )
    text = pdftotext(write_pdf(pdf.render_invoice(page=make_invoice(lines=lines))))
    assert re.search(r"1,5\s+12\.445\.454,5455\s+18\.668\.182\s+10%", text)
    assert "Hàng khuyến mại không thu tiền" in text
    assert re.search(r"Chiết khấu thương mại\s+-100\.000", text)
    assert "Ghi chú: giao hàng tại kho người mua" in text
    assert "Tỷ lệ CK" not in text


def test_discount_column_appears_when_a_line_has_a_rate(
    make_invoice: Callable[..., pdf.InvoicePage],
    make_line: Callable[..., pdf.InvoiceLine],
    write_pdf: Callable[..., Path],
    pdftotext: Callable[..., str],
) -> None:
    lines = (make_line(1, discount_rate=Decimal("2.5"), amount=Decimal("975000")),)
    text = pdftotext(write_pdf(pdf.render_invoice(page=make_invoice(lines=lines))))
    assert "Tỷ lệ CK" in text
    assert re.search(r"1\.000\.000\s+2,5\s+975\.000\s+10%", text)


def test_sales_invoice_has_no_vat(
    make_invoice: Callable[..., pdf.InvoicePage],
    make_line: Callable[..., pdf.InvoiceLine],
    write_pdf: Callable[..., Path],
    pdftotext: Callable[..., str],
) -> None:
    page = make_invoice(
        title="HÓA ĐƠN BÁN HÀNG",
        template="2",
        series="C26TBB",
        lines=(make_line(1, vat_rate=None),),
        rate_summaries=(),
        subtotal=Decimal("1000000"),
        vat_total=None,
        total=Decimal("1000000"),
        total_in_words="Một triệu đồng",
        authority_code=None,
        authority_signature=None,
    )
    text = pdftotext(write_pdf(pdf.render_invoice(page=page)))
    assert "HÓA ĐƠN BÁN HÀNG" in text
    assert re.search(r"Mẫu số \(Template\): 2\b", text)
    assert "Thuế suất" not in text
    assert "Tiền thuế GTGT" not in text
    assert "Mã của cơ quan thuế" not in text
    assert re.search(r"Tổng cộng tiền thanh toán: 1\.000\.000", text)
    assert "Một triệu đồng" in text
    assert text.count("Signature Valid") == 1


def test_foreign_currency_shows_two_decimals_and_the_rate(
    make_invoice: Callable[..., pdf.InvoicePage],
    make_line: Callable[..., pdf.InvoiceLine],
    write_pdf: Callable[..., Path],
    pdftotext: Callable[..., str],
) -> None:
    page = make_invoice(
        currency="USD",
        exchange_rate=Decimal("25400"),
        lines=(make_line(1, quantity=Decimal("3"), unit_price=Decimal("411.5"), amount=Decimal("1234.5")),),
        rate_summaries=(
            pdf.RateSummary(vat_rate="10%", taxable_amount=Decimal("1234.5"), vat_amount=Decimal("123.45")),
        ),
        subtotal=Decimal("1234.5"),
        vat_total=Decimal("123.45"),
        total=Decimal("1357.95"),
        total_in_words="One thousand three hundred fifty-seven US dollars and ninety-five cents",
    )
    text = pdftotext(write_pdf(pdf.render_invoice(page=page)))
    assert "Đồng tiền thanh toán: USD" in text
    assert "Tỷ giá: 25.400" in text
    assert re.search(r"3\s+411,5\s+1\.234,50\s+10%", text)
    assert re.search(r"Tổng cộng tiền thanh toán: 1\.357,95", text)


def test_text_fields_are_html_escaped(
    make_invoice: Callable[..., pdf.InvoicePage],
    make_party: Callable[..., pdf.Party],
    write_pdf: Callable[..., Path],
    pdftotext: Callable[..., str],
) -> None:
    buyer = make_party(
        name='<script>alert("x")</script> & <b>Co</b>',
        buyer_person="<img src=http://127.0.0.1:9/x.png>",
        tax_code=None,
    )
    text = pdftotext(write_pdf(pdf.render_invoice(page=make_invoice(buyer=buyer))))
    assert '<script>alert("x")</script> & <b>Co</b>' in text
    assert "<img src=http://127.0.0.1:9/x.png>" in text


def test_decomposed_vietnamese_renders(
    make_invoice: Callable[..., pdf.InvoicePage],
    make_party: Callable[..., pdf.Party],
    write_pdf: Callable[..., Path],
    pdftotext: Callable[..., str],
) -> None:
    decomposed = "Nguye\u0302\u0303n Thi\u0323 Ho\u0302\u0300ng"  # "Nguyễn Thị Hồng" in NFD
    buyer = make_party(buyer_person=decomposed)
    text = pdftotext(write_pdf(pdf.render_invoice(page=make_invoice(buyer=buyer))))
    assert "Nguy" in text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"template": "3"}, "no layout for template symbol"),
        ({"vat_total": None}, "needs vat_total"),
        ({"template": "2"}, "sales invoice"),
    ],
)
def test_page_that_does_not_fit_its_layout_is_refused(
    make_invoice: Callable[..., pdf.InvoicePage], changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        pdf.render_invoice(page=make_invoice(**changes))


@pytest.mark.parametrize("name", ["", "../invoice.xml", "a/b.xml", "a\\b.xml", "..", "bad\nname.xml"])
def test_attachment_name_must_be_a_plain_file_name(
    make_invoice: Callable[..., pdf.InvoicePage], signed_xml: bytes, name: str
) -> None:
    with pytest.raises(ValueError, match="attachment_name"):
        pdf.render_invoice(page=make_invoice(), attachment=signed_xml, attachment_name=name)


def test_empty_attachment_is_refused(make_invoice: Callable[..., pdf.InvoicePage]) -> None:
    with pytest.raises(ValueError, match="empty"):
        pdf.render_invoice(page=make_invoice(), attachment=b"")


def test_line_nature_is_checked() -> None:
    with pytest.raises(ValueError, match="nature"):
        pdf.InvoiceLine(
            number=1,
            nature=5,
            name="x",
            unit=None,
            quantity=None,
            unit_price=None,
            discount_rate=None,
            amount=None,
            vat_rate=None,
        )
