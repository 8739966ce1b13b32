"""Page builders for the pdf tests: the skeleton invoice of DOMAIN §5 and a receipt, as pages."""

import subprocess
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import pdf

SELLER_NAME = "CÔNG TY TNHH VÍ DỤ BÁN"
VIETNAM = timezone(timedelta(hours=7))
AUTHORITY_CODE = "00474597512BE94B7BAB367996EF464828"
TOTAL_IN_WORDS = "Bốn triệu ba trăm năm mươi nghìn đồng"
# BOM, CRLF and Vietnamese: any re-encoding or newline normalisation would show.
SIGNED_XML = (
    b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-8"?>\r\n<HDon><DLHDon Id="DLHDon-1">'
    + "<THDon>Hóa đơn giá trị gia tăng</THDon>".encode()
    + b"</DLHDon>\r\n<!--"
    + bytes(range(32, 127)) * 80
    + b"-->\r\n</HDon>\r\n"
)


def _party(**changes: Any) -> pdf.Party:
    base = pdf.Party(
        name=SELLER_NAME,
        tax_code="0100000010",
        address="Số 1 Phố Ví Dụ, Phường Ba Đình, Thành phố Hà Nội",
        phone="024 3333 4444",
        email="ketoan@vidu.vn",
        bank_account="0011004012345 - Ngân hàng TMCP Ngoại thương Việt Nam",
        buyer_person=None,
    )
    return replace(base, **changes)


def _goods_line(number: int | None, **changes: Any) -> pdf.InvoiceLine:
    base = pdf.InvoiceLine(
        number=number,
        nature=1,
        name=f"Dây cáp điện Cadivi loại {number}",
        unit="Cuộn",
        quantity=Decimal("1"),
        unit_price=Decimal("1000000"),
        discount_rate=None,
        amount=Decimal("1000000"),
        vat_rate="10%",
    )
    return replace(base, **changes)


def _invoice_page(**changes: Any) -> pdf.InvoicePage:
    """The DOMAIN §5 skeleton: 2 lines at 10 % and 5 %, total 4.350.000, coded by the authority."""
    base = pdf.InvoicePage(
        title="HÓA ĐƠN GIÁ TRỊ GIA TĂNG",
        template="1",
        series="C26TAA",
        number=123,
        issue_date=date(2026, 3, 15),
        currency="VND",
        exchange_rate=None,
        payment_method="TM/CK",
        seller=_party(),
        buyer=_party(
            name="CÔNG TY CỔ PHẦN VÍ DỤ MUA",
            tax_code="0319999996",
            address="Số 2 Đường Ví Dụ, Phường Sài Gòn, Thành phố Hồ Chí Minh",
            phone=None,
            email=None,
            bank_account=None,
            buyer_person="Nguyễn Văn A",
        ),
        lines=(
            _goods_line(
                1,
                name="Máy in laser",
                unit="Cái",
                quantity=Decimal("2"),
                unit_price=Decimal("1500000"),
                amount=Decimal("3000000"),
            ),
            _goods_line(
                2,
                name="Sách hướng dẫn",
                unit="Quyển",
                unit_price=Decimal("1000000"),
                amount=Decimal("1000000"),
                vat_rate="5%",
            ),
        ),
        rate_summaries=(
            pdf.RateSummary(vat_rate="10%", taxable_amount=Decimal("3000000"), vat_amount=Decimal("300000")),
            pdf.RateSummary(vat_rate="5%", taxable_amount=Decimal("1000000"), vat_amount=Decimal("50000")),
        ),
        subtotal=Decimal("4000000"),
        vat_total=Decimal("350000"),
        total=Decimal("4350000"),
        total_in_words=TOTAL_IN_WORDS,
        authority_code=AUTHORITY_CODE,
        seller_signature=pdf.Signature(
            signer_name=SELLER_NAME, signed_at=datetime(2026, 3, 15, 10, 0, tzinfo=VIETNAM)
        ),
        authority_signature=pdf.Signature(
            signer_name="CỤC THUẾ", signed_at=datetime(2026, 3, 15, 10, 1, tzinfo=VIETNAM)
        ),
        related_note=None,
        status_note=None,
        qr_svg=pdf.qr_svg(data="https://hoadon.example/tra-cuu/0100000010/1C26TAA/123"),
        qr_caption="Mã tra cứu: 7F3K9Q",
        lookup_url="https://hoadon.example/tra-cuu",
    )
    return replace(base, **changes)


def _receipt_page(**changes: Any) -> pdf.ReceiptPage:
    base = pdf.ReceiptPage(
        title="BIÊN LAI THU PHÍ, LỆ PHÍ",
        template="01BLP0-001",
        series="AA-26E",
        number=4567,
        issue_date=date(2026, 3, 16),
        collector=_party(name="UBND PHƯỜNG BA ĐÌNH", tax_code="0100000010", bank_account=None),
        payer=_party(
            name="Trần Thị Bích",
            tax_code=None,
            address="Số 5 Ngõ Ví Dụ, Phường Ba Đình, Thành phố Hà Nội",
            phone=None,
            email=None,
            bank_account=None,
        ),
        lines=(
            pdf.ReceiptLine(number=1, fee_name="Lệ phí chứng thực bản sao", amount=Decimal("20000")),
            pdf.ReceiptLine(number=2, fee_name="Phí trông giữ xe đạp", amount=Decimal("5000")),
        ),
        currency="VND",
        exchange_rate=None,
        total=Decimal("25000"),
        total_in_words="Hai mươi lăm nghìn đồng",
        seller_signature=pdf.Signature(
            signer_name="UBND PHƯỜNG BA ĐÌNH", signed_at=datetime(2026, 3, 16, 9, 30, tzinfo=VIETNAM)
        ),
        qr_svg=pdf.qr_svg(data="https://hoadon.example/tra-cuu/bien-lai/AA-26E/4567"),
        qr_caption="Mã tra cứu: BL4567",
        lookup_url="https://hoadon.example/tra-cuu",
    )
    return replace(base, **changes)


def _pdftotext(path: Path, *, first: int | None = None, last: int | None = None) -> str:
    """Text of a PDF as poppler's pdftotext reads it, in layout order."""
    pages = []
    if first is not None:
        pages += ["-f", str(first)]
    if last is not None:
        pages += ["-l", str(last)]
    result = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", *pages, str(path), "-"],
        check=True,
        capture_output=True,
    )
    return result.stdout.decode("utf-8")


@pytest.fixture(scope="session")
def make_party() -> Callable[..., pdf.Party]:
    """Build a party; keyword arguments replace fields of the default seller."""
    return _party


@pytest.fixture(scope="session")
def make_line() -> Callable[..., pdf.InvoiceLine]:
    """Build a goods line numbered as given; keyword arguments replace fields."""
    return _goods_line


@pytest.fixture(scope="session")
def make_invoice() -> Callable[..., pdf.InvoicePage]:
    """Build the DOMAIN §5 skeleton invoice page; keyword arguments replace fields."""
    return _invoice_page


@pytest.fixture(scope="session")
def make_receipt() -> Callable[..., pdf.ReceiptPage]:
    """Build a two-fee receipt page; keyword arguments replace fields."""
    return _receipt_page


@pytest.fixture(scope="session")
def signed_xml() -> bytes:
    """Bytes standing for a signed XML document (BOM, CRLF, Vietnamese, about 8 KB)."""
    return SIGNED_XML


@pytest.fixture(scope="session")
def pdftotext() -> Callable[..., str]:
    """Run poppler's pdftotext on a file."""
    return _pdftotext


@pytest.fixture
def write_pdf(tmp_path: Path) -> Callable[..., Path]:
    """Save PDF bytes to a file for the poppler tools."""

    def write(data: bytes, name: str = "document.pdf") -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write
