import unicodedata
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from invoicing.invoices.calculation import LineInput, calculate
from invoicing.invoices.vat import parse_vat_rate
from invoicing.invoices.xml import (
    InvoiceDocument,
    InvoiceXMLError,
    Party,
    RelatedInvoice,
    add_authority_code,
    authority_signature_slot,
    build_invoice_xml,
    check_invoice_xml,
)
from invoicing.words import amount_in_words

AUTHORITY_CODE = "00474597512BE94B7BAB367996EF464828"
SELLER = Party(
    name="CÔNG TY TNHH VÍ DỤ BÁN",
    tax_code="0100000010",
    address="Số 1 Phố Ví Dụ, Phường Ba Đình, Thành phố Hà Nội",
)
BUYER = Party(
    name="CÔNG TY CỔ PHẦN VÍ DỤ MUA",
    tax_code="0319999996",
    address="Số 2 Đường Ví Dụ, Phường Sài Gòn, Thành phố Hồ Chí Minh",
    buyer_person="Nguyễn Văn A",
)
PRINTER = LineInput(
    name="Máy in laser",
    unit="Cái",
    quantity=Decimal(2),
    unit_price=Decimal(1500000),
    discount_rate=None,
    vat_rate=parse_vat_rate("10%"),
    item_code="SP01",
)
BOOK = LineInput(
    name="Sách hướng dẫn",
    unit="Quyển",
    quantity=Decimal(1),
    unit_price=Decimal(1000000),
    discount_rate=None,
    vat_rate=parse_vat_rate("5%"),
    item_code="SP02",
)


def document(
    *lines: LineInput,
    template: str = "1",
    currency: str = "VND",
    allow_negative: bool = False,
    **changes: object,
) -> InvoiceDocument:
    calculation = calculate(
        lines=lines or (PRINTER, BOOK),
        currency=currency,
        with_vat=template == "1",
        allow_negative=allow_negative,
    )
    base = InvoiceDocument(
        data_id="DLHDon-0100000010-C26TAA-1",
        format_version="2.0.1",
        title="Hóa đơn giá trị gia tăng" if template == "1" else "Hóa đơn bán hàng",
        template=template,
        series="C26TAA",
        number=1,
        issue_date=date(2026, 3, 15),
        currency=currency,
        exchange_rate=None,
        payment_method="TM/CK",
        provider_tax_code="0312345673",
        seller=SELLER,
        buyer=BUYER,
        calculation=calculation,
        total_in_words=amount_in_words(calculation.total, currency=currency),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def tags(element: etree._Element | None) -> list[str]:
    assert element is not None
    return [child.tag for child in element]


def texts(element: etree._Element | None) -> dict[str, str | None]:
    assert element is not None
    return {child.tag: child.text for child in element}


def violations(root: etree._Element) -> tuple[str, ...]:
    with pytest.raises(InvoiceXMLError) as raised:
        check_invoice_xml(root)
    return raised.value.violations


def test_skeleton_blocks_follow_the_spec_order() -> None:
    root = build_invoice_xml(document())

    assert root.tag == "HDon"
    assert tags(root) == ["DLHDon", "DSCKS"]
    assert root.find("DLHDon").get("Id") == "DLHDon-0100000010-C26TAA-1"  # type: ignore[union-attr]
    assert tags(root.find("DLHDon")) == ["TTChung", "NDHDon"]
    assert tags(root.find("DLHDon/NDHDon")) == ["NBan", "NMua", "DSHHDVu", "TToan"]
    assert tags(root.find("DLHDon/NDHDon/NBan")) == ["Ten", "MST", "DChi"]
    assert tags(root.find("DLHDon/NDHDon/NMua")) == ["Ten", "MST", "DChi", "HVTNMHang"]
    assert tags(root.find("DSCKS")) == ["NBan", "NMua", "CCKSKhac"]
    assert all(len(slot) == 0 for slot in root.find("DSCKS"))  # type: ignore[union-attr]


def test_general_information_of_the_skeleton() -> None:
    general = build_invoice_xml(document()).find("DLHDon/TTChung")

    assert tags(general) == [
        "PBan",
        "THDon",
        "KHMSHDon",
        "KHHDon",
        "SHDon",
        "NLap",
        "DVTTe",
        "TGia",
        "HTTToan",
        "MSTTCGP",
    ]
    assert texts(general) == {
        "PBan": "2.0.1",
        "THDon": "Hóa đơn giá trị gia tăng",
        "KHMSHDon": "1",
        "KHHDon": "C26TAA",
        "SHDon": "1",
        "NLap": "2026-03-15",
        "DVTTe": "VND",
        "TGia": "1",
        "HTTToan": "TM/CK",
        "MSTTCGP": "0312345673",
    }


def test_lines_and_totals_of_the_skeleton() -> None:
    content = build_invoice_xml(document()).find("DLHDon/NDHDon")
    assert content is not None

    items = content.findall("DSHHDVu/HHDVu")
    assert [tags(item) for item in items] == [
        ["TChat", "STT", "MHHDVu", "THHDVu", "DVTinh", "SLuong", "DGia", "ThTien", "TSuat"]
    ] * 2
    assert texts(items[0]) == {
        "TChat": "1",
        "STT": "1",
        "MHHDVu": "SP01",
        "THHDVu": "Máy in laser",
        "DVTinh": "Cái",
        "SLuong": "2",
        "DGia": "1500000",
        "ThTien": "3000000",
        "TSuat": "10%",
    }
    assert tags(content.find("TToan")) == ["THTTLTSuat", "TgTCThue", "TgTThue", "TgTTTBSo", "TgTTTBChu"]
    assert [texts(rate) for rate in content.findall("TToan/THTTLTSuat/LTSuat")] == [
        {"TSuat": "10%", "ThTien": "3000000", "TThue": "300000"},
        {"TSuat": "5%", "ThTien": "1000000", "TThue": "50000"},
    ]
    assert [tags(rate) for rate in content.findall("TToan/THTTLTSuat/LTSuat")] == [
        ["TSuat", "ThTien", "TThue"]
    ] * 2
    assert texts(content.find("TToan")) | {"THTTLTSuat": None} == {
        "THTTLTSuat": None,
        "TgTCThue": "4000000",
        "TgTThue": "350000",
        "TgTTTBSo": "4350000",
        "TgTTTBChu": "Bốn triệu ba trăm năm mươi nghìn đồng",
    }


def test_invoice_number_is_not_zero_padded() -> None:
    root = build_invoice_xml(document(number=12345678))

    assert root.findtext("DLHDon/TTChung/SHDon") == "12345678"


def test_numbers_are_plain() -> None:
    item = replace(
        PRINTER, quantity=Decimal("2.50"), unit_price=Decimal("12445454.5455"), discount_rate=Decimal("10")
    )

    line = build_invoice_xml(document(item)).find("DLHDon/NDHDon/DSHHDVu/HHDVu")

    assert texts(line) | {"THHDVu": None, "MHHDVu": None, "DVTinh": None} == {
        "TChat": "1",
        "STT": "1",
        "MHHDVu": None,
        "THHDVu": None,
        "DVTinh": None,
        "SLuong": "2.5",
        "DGia": "12445454.5455",
        "TLCKhau": "10",
        "STCKhau": "3111364",
        "ThTien": "28002272",
        "TSuat": "10%",
    }


def test_foreign_currency_writes_its_exchange_rate() -> None:
    item = replace(PRINTER, quantity=Decimal(3), unit_price=Decimal("19.995"))

    root = build_invoice_xml(document(item, currency="USD", exchange_rate=Decimal("25450.00")))

    assert root.findtext("DLHDon/TTChung/TGia") == "25450"
    assert root.findtext("DLHDon/NDHDon/DSHHDVu/HHDVu/ThTien") == "59.99"
    assert root.findtext("DLHDon/NDHDon/TToan/TgTThue") == "6"
    assert root.findtext("DLHDon/NDHDon/TToan/TgTTTBChu") == "Sáu mươi lăm phẩy chín mươi chín đô la Mỹ"


def test_foreign_currency_needs_an_exchange_rate() -> None:
    with pytest.raises(InvoiceXMLError, match=r"TTChung/TGia: missing"):
        build_invoice_xml(document(currency="USD"))


def test_sales_invoice_has_no_vat_elements() -> None:
    item = replace(PRINTER, vat_rate=None)

    root = build_invoice_xml(document(item, template="2"))

    assert "TSuat" not in tags(root.find("DLHDon/NDHDon/DSHHDVu/HHDVu"))
    assert tags(root.find("DLHDon/NDHDon/TToan")) == ["TgTTTBSo", "TgTTTBChu"]
    assert root.findtext("DLHDon/NDHDon/TToan/TgTTTBSo") == "3000000"


def test_sales_invoice_with_a_rate_is_rejected() -> None:
    root = build_invoice_xml(document(replace(PRINTER, vat_rate=None), template="2"))
    etree.SubElement(root.find("DLHDon/NDHDon/DSHHDVu/HHDVu"), "TSuat").text = "10%"  # type: ignore[arg-type]

    assert violations(root) == (
        "HDon/DLHDon/NDHDon/DSHHDVu/HHDVu[1]/TSuat: allowed only on a VAT invoice (KHMSHDon 1)",
    )


def test_decrease_adjustment_carries_related_invoice_and_negative_amounts() -> None:
    related = RelatedInvoice(
        nature=2, template="1", series="C26TAA", number=1, issue_date=date(2026, 3, 15), note=None
    )
    decrease = replace(PRINTER, quantity=Decimal(-1))

    root = build_invoice_xml(document(decrease, allow_negative=True, number=2, related=related))

    general = root.find("DLHDon/TTChung")
    assert tags(general)[-2:] == ["MSTTCGP", "TTHDLQuan"]
    assert tags(general.find("TTHDLQuan")) == [  # type: ignore[union-attr]
        "TCHDon",
        "LHDCLQuan",
        "KHMSHDCLQuan",
        "KHHDCLQuan",
        "SHDCLQuan",
        "NLHDCLQuan",
    ]
    assert texts(general.find("TTHDLQuan")) == {  # type: ignore[union-attr]
        "TCHDon": "2",
        "LHDCLQuan": "1",
        "KHMSHDCLQuan": "1",
        "KHHDCLQuan": "C26TAA",
        "SHDCLQuan": "1",
        "NLHDCLQuan": "2026-03-15",
    }
    assert root.findtext("DLHDon/NDHDon/DSHHDVu/HHDVu/ThTien") == "-1500000"
    assert root.findtext("DLHDon/NDHDon/TToan/TgTTTBSo") == "-1650000"
    assert root.findtext("DLHDon/NDHDon/TToan/TgTTTBChu") == "Âm một triệu sáu trăm năm mươi nghìn đồng"


def test_decomposed_text_comes_out_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn Văn A")
    assert decomposed != "Nguyễn Văn A"

    root = build_invoice_xml(document(buyer=replace(BUYER, buyer_person=decomposed)))

    assert root.findtext("DLHDon/NDHDon/NMua/HVTNMHang") == "Nguyễn Văn A"


def test_missing_optional_values_leave_no_empty_elements() -> None:
    retail = Party(name="Khách lẻ", address="  ")
    note = LineInput(
        name="Giao hàng tại kho",
        unit=None,
        quantity=Decimal(0),
        unit_price=Decimal(0),
        discount_rate=None,
        vat_rate=None,
        nature=4,
    )

    root = build_invoice_xml(document(PRINTER, note, buyer=retail, payment_method=None))

    assert tags(root.find("DLHDon/NDHDon/NMua")) == ["Ten"]
    assert "HTTToan" not in tags(root.find("DLHDon/TTChung"))
    assert tags(root.findall("DLHDon/NDHDon/DSHHDVu/HHDVu")[1]) == ["TChat", "STT", "THHDVu"]
    data = root.find("DLHDon")
    assert data is not None
    assert all(len(element) or element.text for element in data.iter())


def test_authority_code_goes_between_data_and_signatures() -> None:
    root = build_invoice_xml(document())

    code = add_authority_code(root, code=AUTHORITY_CODE, element_id="MCCQT-1")
    slot = authority_signature_slot(root)

    assert tags(root) == ["DLHDon", "MCCQT", "DSCKS"]
    assert (code.get("Id"), code.text) == ("MCCQT-1", AUTHORITY_CODE)
    assert tags(root.find("DSCKS")) == ["NBan", "NMua", "CCKSKhac", "CQT"]
    assert slot is root.find("DSCKS/CQT")
    assert authority_signature_slot(root) is slot
    check_invoice_xml(root)


def test_k_series_gets_no_authority_code() -> None:
    root = build_invoice_xml(document(series="K26TAA"))

    with pytest.raises(ValueError, match="only C series"):
        add_authority_code(root, code=AUTHORITY_CODE, element_id="MCCQT-1")


def test_authority_code_shape_is_checked() -> None:
    root = build_invoice_xml(document())

    with pytest.raises(ValueError, match="32 uppercase hex"):
        add_authority_code(root, code=AUTHORITY_CODE.lower(), element_id="MCCQT-1")


def test_authority_signs_only_after_the_code() -> None:
    with pytest.raises(ValueError, match="add MCCQT first"):
        authority_signature_slot(build_invoice_xml(document()))


def test_check_catches_a_name_longer_than_400() -> None:
    with pytest.raises(InvoiceXMLError) as raised:
        build_invoice_xml(document(seller=replace(SELLER, name="A" * 401)))

    assert raised.value.violations == ("HDon/DLHDon/NDHDon/NBan/Ten: 401 characters, at most 400",)


def test_check_catches_a_wrong_order() -> None:
    root = build_invoice_xml(document())
    seller = root.find("DLHDon/NDHDon/NBan")
    assert seller is not None
    seller.append(seller[0])

    assert violations(root) == ("HDon/DLHDon/NDHDon/NBan/Ten: out of order, must come before DChi",)


def test_check_catches_a_missing_total_in_words() -> None:
    root = build_invoice_xml(document())
    totals = root.find("DLHDon/NDHDon/TToan")
    assert totals is not None
    totals.remove(totals[-1])

    assert violations(root) == ("HDon/DLHDon/NDHDon/TToan/TgTTTBChu: missing (required always)",)


@pytest.mark.parametrize("series", ["X26TAA", "C26TA1", "C26ZAA"])
def test_check_catches_a_bad_series(series: str) -> None:
    with pytest.raises(InvoiceXMLError, match=rf"TTChung/KHHDon: '{series}' is not a series"):
        build_invoice_xml(document(series=series))


def test_check_catches_a_series_of_another_year() -> None:
    with pytest.raises(InvoiceXMLError, match="series year 25 is not the year of NLap 2026-03-15"):
        build_invoice_xml(document(series="C25TAA"))


def test_check_catches_seven_decimals() -> None:
    with pytest.raises(InvoiceXMLError) as raised:
        build_invoice_xml(document(replace(PRINTER, quantity=Decimal("1.1234567"))))

    assert raised.value.violations == (
        "HDon/DLHDon/NDHDon/DSHHDVu/HHDVu[1]/SLuong: 1.1234567 has 7 decimals, at most 6",
    )


def test_check_catches_zero_padded_number_and_lists_every_violation() -> None:
    root = build_invoice_xml(document())
    general = root.find("DLHDon/TTChung")
    assert general is not None
    general.find("SHDon").text = "00000001"  # type: ignore[union-attr]
    general.find("KHMSHDon").text = "3"  # type: ignore[union-attr]
    root.find("DLHDon/NDHDon/NBan/MST").text = "0100000011"  # type: ignore[union-attr]

    assert violations(root) == (
        "HDon/DLHDon/TTChung/KHMSHDon: '3' is not one of 1, 2",
        "HDon/DLHDon/TTChung/SHDon: '00000001' is not a plain integer (no sign, no zero padding)",
        "HDon/DLHDon/NDHDon/NBan/MST: '0100000011' fails the tax code checksum",
    )


def test_check_catches_unexpected_and_empty_elements() -> None:
    root = build_invoice_xml(document())
    buyer = root.find("DLHDon/NDHDon/NMua")
    assert buyer is not None
    etree.SubElement(buyer, "TNHang")
    etree.SubElement(buyer, "Ghi")

    assert violations(root) == (
        "HDon/DLHDon/NDHDon/NMua/TNHang: empty; leave optional elements out instead",
        "HDon/DLHDon/NDHDon/NMua/Ghi: unexpected element",
    )


def test_check_catches_decomposed_text() -> None:
    root = build_invoice_xml(document())
    root.find("DLHDon/NDHDon/NMua/HVTNMHang").text = unicodedata.normalize("NFD", "Nguyễn")  # type: ignore[union-attr]

    assert violations(root) == (
        "HDon/DLHDon/NDHDon/NMua/HVTNMHang: text is not in Unicode NFC (decision 15)",
    )


def test_only_invoice_kinds_1_and_2_are_built() -> None:
    with pytest.raises(ValueError, match="decision 2"):
        build_invoice_xml(replace(document(), template="3"))


def test_template_and_calculation_must_agree() -> None:
    sales = calculate(lines=[replace(PRINTER, vat_rate=None)], currency="VND", with_vat=False)

    with pytest.raises(ValueError, match="calculation with VAT"):
        build_invoice_xml(document(calculation=sales))


def test_check_accepts_extra_fields_and_a_seller_signature() -> None:
    root = build_invoice_xml(document())
    extra = etree.SubElement(etree.SubElement(root.find("DLHDon"), "TTKhac"), "TTin")  # type: ignore[arg-type]
    for tag, value in (("TTruong", "PortalLink"), ("KDLieu", "string"), ("DLieu", "https://hoadon.example")):
        etree.SubElement(extra, tag).text = value
    etree.SubElement(root.find("DSCKS/NBan"), "{http://www.w3.org/2000/09/xmldsig#}Signature")  # type: ignore[arg-type]

    check_invoice_xml(root)
    extra.find("KDLieu").text = "text"  # type: ignore[union-attr]
    assert violations(root) == (
        "HDon/DLHDon/TTKhac/TTin[1]/KDLieu: 'text' is not one of date, dateTime, numeric, string",
    )
