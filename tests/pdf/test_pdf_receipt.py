"""E-receipts rendered by real WeasyPrint and read back."""

import re
import subprocess
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

import pdf


@pytest.fixture(scope="module")
def receipt(
    make_receipt: Callable[..., pdf.ReceiptPage], signed_xml: bytes, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    path = tmp_path_factory.mktemp("receipt") / "receipt.pdf"
    path.write_bytes(pdf.render_receipt(page=make_receipt(), attachment=signed_xml))
    return path


def test_receipt_shows_its_content(receipt: Path, pdftotext: Callable[..., str]) -> None:
    text = pdftotext(receipt)
    assert "BIÊN LAI THU PHÍ, LỆ PHÍ" in text
    assert re.search(r"Mẫu số \(Template\): 01BLP0-001\b", text)
    assert re.search(r"Ký hiệu \(Series\): AA-26E\b", text)
    assert re.search(r"Số \(No\.\): 4567\b", text)
    assert "Ngày 16 tháng 03 năm 2026" in text
    assert "UBND PHƯỜNG BA ĐÌNH" in text
    assert "Trần Thị Bích" in text
    assert re.search(r"Lệ phí chứng thực bản sao\s+20\.000", text)
    assert re.search(r"Phí trông giữ xe đạp\s+5\.000", text)
    assert re.search(r"Tổng cộng: 25\.000", text)
    assert "Hai mươi lăm nghìn đồng" in text
    assert "Ký bởi: UBND PHƯỜNG BA ĐÌNH" in text
    assert "Ký ngày: 16/03/2026" in text
    assert "Trang 1/1" in text
    assert "Thuế suất" not in text


def test_receipt_carries_its_xml_as_pdfa_source(receipt: Path, signed_xml: bytes, tmp_path: Path) -> None:
    reader = PdfReader(receipt)
    assert reader.attachments == {"receipt.xml": [signed_xml]}
    filespec = reader.trailer["/Root"]["/AF"][0].get_object()
    assert filespec["/AFRelationship"] == "/Source"
    saved = tmp_path / "saved.xml"
    subprocess.run(["pdfdetach", "-save", "1", "-o", str(saved), str(receipt)], check=True)
    assert saved.read_bytes() == signed_xml
    assert b'pdfaid:part="3"' in reader.trailer["/Root"]["/Metadata"].get_object().get_data()


def test_cancelled_receipt_is_stamped(make_receipt: Callable[..., pdf.ReceiptPage]) -> None:
    data = pdf.render_receipt(page=make_receipt(status_note="ĐÃ HỦY"))
    assert "ĐÃ HỦY" in PdfReader(BytesIO(data)).pages[0].extract_text()
