"""parse_xml refuses hostile and malformed input with InvalidXML only; serialize writes one way."""

from __future__ import annotations

import pytest

from signing import InvalidXML, SigningError, parse_xml, serialize
from tests.signing.helpers import INVOICE_XML

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE HDon [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<HDon><DLHDon Id="x">&secret;</DLHDon></HDon>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<lolz>&lol9;</lolz>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE HDon SYSTEM "http://127.0.0.1:9/hoadon.dtd">
<HDon/>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE HDon [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<HDon/>"""


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        pytest.param(XXE, "DOCTYPE", id="xxe-file"),
        pytest.param(BILLION_LAUGHS, "DOCTYPE", id="billion-laughs"),
        pytest.param(EXTERNAL_DTD, "DOCTYPE", id="external-dtd"),
        pytest.param(PARAMETER_ENTITY, "DOCTYPE", id="parameter-entity"),
        pytest.param(b'<HDon><!ENTITY x "y"></HDon>', "ENTITY", id="stray-entity-declaration"),
        pytest.param(b"<HDon>&undefined;</HDon>", "not well-formed", id="undefined-entity"),
        pytest.param(b"<HDon><DLHDon></HDon>", "not well-formed", id="mismatched-tags"),
        pytest.param(b"<HDon>", "not well-formed", id="truncated"),
        pytest.param(b"not xml at all", "not well-formed", id="text"),
        pytest.param(b"<a/><b/>", "not well-formed", id="two-roots"),
        pytest.param(b"", "empty", id="empty"),
        pytest.param(b" \n\t ", "empty", id="whitespace"),
        pytest.param("<HDon>Hóa đơn</HDon>".encode("latin-1", "replace"), "UTF-8", id="latin-1-bytes"),
        pytest.param("<HDon>Hóa đơn</HDon>".encode("utf-16"), "UTF-8", id="utf-16"),
        pytest.param(
            b'<?xml version="1.0" encoding="ISO-8859-1"?><HDon>plain</HDon>',
            "encoding",
            id="declares-latin-1",
        ),
    ],
)
def test_hostile_or_malformed_input_is_invalid_xml(data: bytes, fragment: str) -> None:
    with pytest.raises(InvalidXML, match=fragment):
        parse_xml(data)


def test_size_cap_is_checked_before_parsing() -> None:
    document = b"<HDon>" + b"a" * 100 + b"</HDon>"
    assert parse_xml(document, max_bytes=len(document)).text == "a" * 100
    with pytest.raises(InvalidXML, match="larger than"):
        parse_xml(document, max_bytes=len(document) - 1)


def test_default_size_cap_is_two_megabytes() -> None:
    oversize = b"<HDon>" + b"a" * 2_000_000 + b"</HDon>"
    with pytest.raises(InvalidXML, match="2000000-byte limit"):
        parse_xml(oversize)


def test_not_bytes_is_invalid_xml() -> None:
    with pytest.raises(InvalidXML, match="bytes"):
        parse_xml("<HDon/>")  # type: ignore[arg-type]


def test_invalid_xml_belongs_to_the_one_tree() -> None:
    with pytest.raises(SigningError):
        parse_xml(b"<")


def test_vietnamese_text_is_read_exactly() -> None:
    root = parse_xml(INVOICE_XML)
    assert root.findtext("DLHDon/TTChung/THDon") == "Hóa đơn giá trị gia tăng"
    assert root.findtext("DLHDon/NDHDon/NBan/DChi") == "Số 1 Phố Ví Dụ, Phường Ba Đình, Thành phố Hà Nội"


def test_utf8_byte_order_mark_and_declared_utf8_are_accepted() -> None:
    root = parse_xml(b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?><HDon>\xc4\x91</HDon>')
    assert root.text == "đ"


def test_serialize_writes_utf8_with_declaration_and_no_reformatting() -> None:
    root = parse_xml(INVOICE_XML)
    written = serialize(root)
    assert written.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<HDon>')
    assert "Hóa đơn giá trị gia tăng".encode() in written
    assert written == INVOICE_XML.rstrip(b"\n")
    assert serialize(parse_xml(written)) == written


def test_serialize_refuses_non_elements() -> None:
    with pytest.raises(InvalidXML):
        serialize(b"<HDon/>")  # type: ignore[arg-type]
