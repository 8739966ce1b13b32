"""The receipt XML builder and hoadon's rules for it, without a database."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from invoicing.receipts.xml import (
    Fee,
    ReceiptDocument,
    ReceiptParty,
    ReceiptXMLError,
    build_receipt_xml,
    check_receipt_xml,
)

DOCUMENT = ReceiptDocument(
    data_id="DLBLai-1",
    format_version="2.0.1",
    title="Biên lai thu phí, lệ phí",
    template="01BLP0-001",
    series="AA-26E",
    number=1,
    issue_date=date(2026, 3, 15),
    currency="VND",
    exchange_rate=None,
    collector=ReceiptParty(name="UBND Phường Ba Đình", tax_code="0100000010", address="Hà Nội"),
    payer=ReceiptParty(name="Nguyễn Văn Nộp"),
    fees=(Fee(name="Lệ phí hộ tịch", amount=Decimal(30000)), Fee(name="Phí sao lục", amount=Decimal(20000))),
    total_in_words="Năm mươi nghìn đồng",
)


def _violations(root: etree._Element) -> list[str]:
    with pytest.raises(ReceiptXMLError) as caught:
        check_receipt_xml(root)
    return list(caught.value.violations)


def _built(**changes: object) -> etree._Element:
    root = build_receipt_xml(DOCUMENT)
    for path, text in changes.items():
        element = root.find(path.replace("__", "/"))
        assert element is not None, path
        element.text = str(text)
    return root


def test_a_vnd_receipt() -> None:
    root = build_receipt_xml(DOCUMENT)
    assert etree.tostring(root, encoding="unicode") == (
        '<BLai><DLBLai Id="DLBLai-1"><TTChung><PBan>2.0.1</PBan><TBLai>Biên lai thu phí, lệ phí</TBLai>'
        "<KHMSBLai>01BLP0-001</KHMSBLai><KHBLai>AA-26E</KHBLai><SBLai>1</SBLai><NLap>2026-03-15</NLap>"
        "<DVTTe>VND</DVTTe><TGia>1</TGia></TTChung><NDBLai>"
        "<NThu><Ten>UBND Phường Ba Đình</Ten><MST>0100000010</MST><DChi>Hà Nội</DChi></NThu>"
        "<NNop><Ten>Nguyễn Văn Nộp</Ten></NNop><DSKhoan>"
        "<Khoan><STT>1</STT><TKhoan>Lệ phí hộ tịch</TKhoan><STien>30000</STien></Khoan>"
        "<Khoan><STT>2</STT><TKhoan>Phí sao lục</TKhoan><STien>20000</STien></Khoan></DSKhoan>"
        "<TToan><TgTien>50000</TgTien><TgTChu>Năm mươi nghìn đồng</TgTChu></TToan></NDBLai></DLBLai>"
        "<DSCKS><NBan/></DSCKS></BLai>"
    )


def test_a_foreign_currency_receipt_shows_the_conversion() -> None:
    document = replace(
        DOCUMENT,
        currency="USD",
        exchange_rate=Decimal("25000.50"),
        fees=(Fee(name="Phí thị thực", amount=Decimal("25.25")),),
        total_in_words="Hai mươi lăm phẩy hai mươi lăm đô la Mỹ",
    )
    assert document.total_vnd == Decimal(631263)  # 631,262.625 half-up
    root = build_receipt_xml(document)
    assert root.findtext("DLBLai/TTChung/TGia") == "25000.5"
    assert [child.tag for child in root.find("DLBLai/NDBLai/TToan")] == ["TgTien", "TgTienVND", "TgTChu"]
    assert root.findtext("DLBLai/NDBLai/TToan/TgTienVND") == "631263"


def test_text_is_written_in_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Lệ phí hộ tịch")
    root = build_receipt_xml(replace(DOCUMENT, fees=(Fee(name=decomposed, amount=Decimal(50000)),)))
    assert root.findtext("DLBLai/NDBLai/DSKhoan/Khoan/TKhoan") == "Lệ phí hộ tịch"


@pytest.mark.parametrize(("number", "valid"), [(1, True), (9_999_999, True), (10_000_000, False), (0, False)])
def test_numbers_have_at_most_seven_digits(number: int, valid: bool) -> None:
    document = replace(DOCUMENT, number=number)
    if valid:
        assert build_receipt_xml(document).findtext("DLBLai/TTChung/SBLai") == str(number)
    else:
        with pytest.raises(ReceiptXMLError, match=r"BLai/DLBLai/TTChung/SBLai: .* is outside 1\.\.9999999"):
            build_receipt_xml(document)


def test_a_zero_padded_number_is_refused() -> None:
    assert _violations(_built(DLBLai__TTChung__SBLai="0000001")) == [
        "BLai/DLBLai/TTChung/SBLai: '0000001' is not a plain integer (no sign, no zero padding)"
    ]


def test_elements_out_of_order_and_unexpected() -> None:
    root = build_receipt_xml(DOCUMENT)
    general = root.find("DLBLai/TTChung")
    assert general is not None
    general.append(general.find("PBan"))
    etree.SubElement(general, "THDon").text = "Hóa đơn"
    assert _violations(root) == [
        "BLai/DLBLai/TTChung/PBan: out of order, must come before TGia",
        "BLai/DLBLai/TTChung/THDon: unexpected element",
    ]


def test_missing_required_elements() -> None:
    root = build_receipt_xml(DOCUMENT)
    collector = root.find("DLBLai/NDBLai/NThu")
    assert collector is not None
    collector.remove(collector.find("MST"))
    data = root.find("DLBLai")
    assert data is not None
    del data.attrib["Id"]
    assert _violations(root) == [
        "BLai/DLBLai/@Id: missing or not an XML ID",
        "BLai/DLBLai/NDBLai/NThu/MST: missing (required always)",
    ]


def test_lengths_and_shapes() -> None:
    root = _built(
        DLBLai__TTChung__KHMSBLai="1",
        DLBLai__TTChung__KHBLai="C26TAA",
        DLBLai__NDBLai__DSKhoan__Khoan__TKhoan="x" * 256,
        DLBLai__NDBLai__NThu__MST="0100000011",
    )
    assert _violations(root) == [
        "BLai/DLBLai/TTChung/KHMSBLai: '1' is not a receipt template like 01BLP0-001",
        "BLai/DLBLai/TTChung/KHBLai: 'C26TAA' is not a receipt series like AA-26E",
        "BLai/DLBLai/NDBLai/NThu/MST: '0100000011' fails the tax code checksum",
        "BLai/DLBLai/NDBLai/DSKhoan/Khoan[1]/TKhoan: 256 characters, at most 255",
    ]


def test_foreign_currency_needs_its_rate_and_vnd_has_no_conversion() -> None:
    foreign = _built(DLBLai__TTChung__DVTTe="USD")
    general = foreign.find("DLBLai/TTChung")
    assert general is not None
    general.remove(general.find("TGia"))
    assert _violations(foreign) == [
        "BLai/DLBLai/TTChung/TGia: missing (required when DVTTe is not VND)",
        "BLai/DLBLai/NDBLai/TToan/TgTienVND: missing (required when DVTTe is not VND)",
    ]
    vnd = build_receipt_xml(DOCUMENT)
    totals = vnd.find("DLBLai/NDBLai/TToan")
    assert totals is not None
    etree.SubElement(totals, "TgTienVND").text = "50000"
    assert _violations(vnd) == [
        "BLai/DLBLai/NDBLai/TToan/TgTienVND: out of order, must come before TgTChu",
        "BLai/DLBLai/NDBLai/TToan/TgTienVND: allowed only when DVTTe is not VND",
    ]


def test_totals_must_add_up() -> None:
    assert _violations(_built(DLBLai__NDBLai__TToan__TgTien="50001")) == [
        "BLai/DLBLai/NDBLai/TToan/TgTien: 50001 is not the sum of the STien amounts"
    ]
    document = replace(DOCUMENT, currency="USD", exchange_rate=Decimal(25000))
    root = build_receipt_xml(document)
    converted = root.find("DLBLai/NDBLai/TToan/TgTienVND")
    assert converted is not None
    converted.text = "1"
    assert _violations(root) == ["BLai/DLBLai/NDBLai/TToan/TgTienVND: 1 is not TgTien × TGia = 1250000000"]


def test_the_series_year_is_the_year_of_issue() -> None:
    assert _violations(_built(DLBLai__TTChung__NLap="2025-12-31")) == [
        "BLai/DLBLai/TTChung/KHBLai: series year 26 is not the year of NLap 2025-12-31"
    ]


def test_decomposed_text_is_refused() -> None:
    root = _built(DLBLai__NDBLai__NNop__Ten=unicodedata.normalize("NFD", "Nguyễn Văn Nộp"))
    assert _violations(root) == ["BLai/DLBLai/NDBLai/NNop/Ten: text is not in Unicode NFC (decision 15)"]


def test_only_blai_is_a_receipt() -> None:
    assert _violations(etree.Element("HDon")) == ["HDon: the root element must be BLai"]
