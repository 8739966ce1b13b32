"""Form 01/ĐKTĐ-HĐĐT as the authority's XML (``TKhai``), DOMAIN.md §9.2. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from lxml import etree

FORM_NUMBER = "01/ĐKTĐ-HĐĐT"
FORM_TITLE = "Tờ khai đăng ký/thay đổi thông tin sử dụng hóa đơn điện tử"
FORMAT_VERSION = "2.0.1"

# LHDSDung flags (kinds of invoice used); e-receipts are registered on their own form
# (01/ĐK-BL, Decree 123 Art. 34), so they are noted in TTKhac rather than given a flag here.
_KIND_FLAGS = {"vat_invoice": "HDGTGT", "sales_invoice": "HDBHang"}
_ALL_KIND_FLAGS = ("HDGTGT", "HDBHang", "HDBTSCong", "HDBHDTQGia", "HDKhac", "CTu")


@dataclass(frozen=True)
class FormCertificate:
    issuer: str
    serial: str
    valid_from: datetime
    valid_to: datetime


@dataclass(frozen=True)
class RegistrationForm:
    data_id: str
    tax_code: str
    taxpayer_name: str
    contact_name: str
    contact_address: str
    email: str
    phone: str
    place: str
    form_date: date
    with_authority_code: bool
    invoice_kinds: tuple[str, ...]
    certificates: tuple[FormCertificate, ...]


def _add(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, tag)
    if text is not None:
        child.text = text
    return child


def _flags(parent: etree._Element, names: Iterable[str], enabled: set[str]) -> None:
    for name in names:
        _add(parent, name, "1" if name in enabled else "0")


def build_registration_xml(form: RegistrationForm) -> bytes:
    root = etree.Element("TKhai")
    data = _add(root, "DLTKhai")
    data.set("Id", form.data_id)

    general = _add(data, "TTChung")
    _add(general, "PBan", FORMAT_VERSION)
    _add(general, "MSo", FORM_NUMBER)
    _add(general, "Ten", FORM_TITLE)
    _add(general, "HThuc", "1")
    _add(general, "TNNT", form.taxpayer_name)
    _add(general, "MST", form.tax_code)
    _add(general, "NLHe", form.contact_name)
    _add(general, "DCLHe", form.contact_address)
    _add(general, "DCTDTu", form.email)
    _add(general, "DTLHe", form.phone)
    _add(general, "DDanh", form.place)
    _add(general, "NLap", form.form_date.isoformat())

    content = _add(data, "NDTKhai")
    _flags(_add(content, "HTHDon"), ("CMa", "KCMa"), {"CMa" if form.with_authority_code else "KCMa"})
    # Uncoded invoices travel through a T-VAN here; coded ones are sent in full for coding.
    _flags(
        _add(content, "HTGDLHDDT"),
        ("NNTDBKKhan", "NNTKTDNUBND", "CDLTTDCQT", "CDLQTCTN"),
        set() if form.with_authority_code else {"CDLQTCTN"},
    )
    _flags(_add(content, "PThuc"), ("CDDu", "CBTHop"), {"CDDu"})
    _flags(
        _add(content, "LHDSDung"),
        _ALL_KIND_FLAGS,
        {_KIND_FLAGS[kind] for kind in form.invoice_kinds if kind in _KIND_FLAGS},
    )
    certificates = _add(content, "DSCTSSDung")
    for number, certificate in enumerate(form.certificates, start=1):
        entry = _add(certificates, "CTS")
        _add(entry, "STT", str(number))
        _add(entry, "TTChuc", certificate.issuer[:400])
        _add(entry, "Seri", certificate.serial[:40])
        _add(entry, "TNgay", certificate.valid_from.strftime("%Y-%m-%dT%H:%M:%S"))
        _add(entry, "DNgay", certificate.valid_to.strftime("%Y-%m-%dT%H:%M:%S"))
        _add(entry, "HThuc", "1")
    if "receipt" in form.invoice_kinds:
        extra = _add(_add(content, "TTKhac"), "TTin")
        _add(extra, "TTruong", "BLDTu")
        _add(extra, "KDLieu", "numeric")
        _add(extra, "DLieu", "1")

    signatures = _add(root, "DSCKS")
    _add(signatures, "NNT")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
