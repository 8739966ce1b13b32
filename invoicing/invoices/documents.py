"""Stored signed XML → the PDF view-model. Pure: what the page shows is read back from exactly
what was signed, so the rendering can never say something the invoice does not."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from cryptography.x509.oid import NameOID
from lxml import etree

import pdf
import signing

DS = "{http://www.w3.org/2000/09/xmldsig#}"


@dataclass(frozen=True)
class PageExtras:
    """What the page carries beyond the XML: the QR and where to look the invoice up.

    The current status (cancelled, replaced) is not printed: a PDF is the document as issued, and
    its QR leads to the page that tells the status today.
    """

    qr_payload_url: str
    lookup_url: str


# Decree 123 Art. 19.2: the wording a correcting invoice must carry.
_RELATION_WORDING = {"1": "Thay thế cho", "2": "Điều chỉnh cho"}


def _related_note(general: etree._Element | None) -> str | None:
    related = general.find("TTHDLQuan") if general is not None else None
    if related is None:
        return None
    wording = _RELATION_WORDING.get(_text(related, "TCHDon") or "", "Liên quan đến")
    day = date.fromisoformat(_text(related, "NLHDCLQuan") or "")
    note = _text(related, "GChu")
    text = (
        f"{wording} hóa đơn Mẫu số {_text(related, 'KHMSHDCLQuan')} ký hiệu {_text(related, 'KHHDCLQuan')} "
        f"số {_text(related, 'SHDCLQuan')} ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"
    )
    return f"{text}. {note}" if note else text


def _text(element: etree._Element | None, path: str) -> str | None:
    if element is None:
        return None
    value = element.findtext(path)
    return value if value else None


def _decimal(element: etree._Element | None, path: str) -> Decimal | None:
    value = _text(element, path)
    return Decimal(value) if value is not None else None


def _party(element: etree._Element | None, *, buyer: bool) -> pdf.Party:
    account = _text(element, "STKNHang")
    bank = _text(element, "TNHang")
    return pdf.Party(
        name=_text(element, "Ten") or "",
        tax_code=_text(element, "MST"),
        address=_text(element, "DChi"),
        phone=_text(element, "SDThoai"),
        email=_text(element, "DCTDTu"),
        bank_account=" - ".join(part for part in (account, bank) if part) or None,
        buyer_person=_text(element, "HVTNMHang") if buyer else None,
    )


def _signature(slot: etree._Element | None) -> pdf.Signature | None:
    signature = slot.find(f"{DS}Signature") if slot is not None else None
    if signature is None:
        return None
    certificate_text = signature.findtext(f".//{DS}X509Certificate")
    signing_time = signature.findtext(f".//{DS}SigningTime")
    if not certificate_text or not signing_time:
        return None
    certificate = signing.load_certificate(base64.b64decode("".join(certificate_text.split())))
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    signer = str(names[0].value) if names else certificate.subject.rfc4514_string()
    signed_at = datetime.fromisoformat(signing_time).replace(tzinfo=signing.VN_TZ)
    return pdf.Signature(signer_name=signer, signed_at=signed_at)


def _line(item: etree._Element) -> pdf.InvoiceLine:
    number = _text(item, "STT")
    return pdf.InvoiceLine(
        number=int(number) if number else None,
        nature=int(_text(item, "TChat") or "1"),
        name=_text(item, "THHDVu") or "",
        unit=_text(item, "DVTinh"),
        quantity=_decimal(item, "SLuong"),
        unit_price=_decimal(item, "DGia"),
        discount_rate=_decimal(item, "TLCKhau"),
        amount=_decimal(item, "ThTien"),
        vat_rate=_text(item, "TSuat"),
    )


def invoice_page(*, signed_xml: bytes, extras: PageExtras) -> pdf.InvoicePage:
    root = signing.parse_xml(signed_xml)
    general = root.find("DLHDon/TTChung")
    content = root.find("DLHDon/NDHDon")
    totals = root.find("DLHDon/NDHDon/TToan")
    title = _text(general, "THDon") or "Hóa đơn"
    exchange_rate = _decimal(general, "TGia")
    currency = _text(general, "DVTTe") or "VND"
    return pdf.InvoicePage(
        title=title.upper(),
        template=_text(general, "KHMSHDon") or "",
        series=_text(general, "KHHDon") or "",
        number=int(_text(general, "SHDon") or "0"),
        issue_date=date.fromisoformat(_text(general, "NLap") or ""),
        currency=currency,
        exchange_rate=exchange_rate if currency != "VND" else None,
        payment_method=_text(general, "HTTToan"),
        seller=_party(content.find("NBan") if content is not None else None, buyer=False),
        buyer=_party(content.find("NMua") if content is not None else None, buyer=True),
        lines=tuple(_line(item) for item in root.iterfind("DLHDon/NDHDon/DSHHDVu/HHDVu")),
        rate_summaries=tuple(
            pdf.RateSummary(
                vat_rate=_text(rate, "TSuat") or "",
                taxable_amount=_decimal(rate, "ThTien") or Decimal(0),
                vat_amount=_decimal(rate, "TThue") or Decimal(0),
            )
            for rate in root.iterfind("DLHDon/NDHDon/TToan/THTTLTSuat/LTSuat")
        ),
        subtotal=_decimal(totals, "TgTCThue") or _decimal(totals, "TgTTTBSo") or Decimal(0),
        vat_total=_decimal(totals, "TgTThue"),
        total=_decimal(totals, "TgTTTBSo") or Decimal(0),
        total_in_words=_text(totals, "TgTTTBChu") or "",
        authority_code=_text(root, "MCCQT"),
        seller_signature=_signature(root.find("DSCKS/NBan")),
        authority_signature=_signature(root.find("DSCKS/CQT")),
        related_note=_related_note(general),
        status_note=None,
        qr_svg=pdf.qr_svg(data=extras.qr_payload_url),
        qr_caption="Quét mã để tra cứu và xác thực hóa đơn",
        lookup_url=extras.lookup_url,
    )
