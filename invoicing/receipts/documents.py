"""Stored signed receipt XML → the PDF view-model. Pure, and read back from exactly what was signed,
as for invoices (`invoicing.invoices.documents`, whose readers it shares)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lxml import etree

import pdf
import signing
from invoicing.invoices.documents import PageExtras, _decimal, _signature, _text

__all__ = ["PageExtras", "receipt_page"]


def _party(element: etree._Element | None) -> pdf.Party:
    return pdf.Party(
        name=_text(element, "Ten") or "",
        tax_code=_text(element, "MST"),
        address=_text(element, "DChi"),
        phone=None,
        email=None,
        bank_account=None,
        buyer_person=None,
    )


def _line(item: etree._Element) -> pdf.ReceiptLine:
    number = _text(item, "STT")
    return pdf.ReceiptLine(
        number=int(number) if number else None,
        fee_name=_text(item, "TKhoan") or "",
        amount=_decimal(item, "STien") or Decimal(0),
    )


def receipt_page(*, signed_xml: bytes, extras: PageExtras) -> pdf.ReceiptPage:
    root = signing.parse_xml(signed_xml)
    general = root.find("DLBLai/TTChung")
    totals = root.find("DLBLai/NDBLai/TToan")
    currency = _text(general, "DVTTe") or "VND"
    return pdf.ReceiptPage(
        title=(_text(general, "TBLai") or "Biên lai").upper(),
        template=_text(general, "KHMSBLai") or "",
        series=_text(general, "KHBLai") or "",
        number=int(_text(general, "SBLai") or "0"),
        issue_date=date.fromisoformat(_text(general, "NLap") or ""),
        collector=_party(root.find("DLBLai/NDBLai/NThu")),
        payer=_party(root.find("DLBLai/NDBLai/NNop")),
        lines=tuple(_line(item) for item in root.iterfind("DLBLai/NDBLai/DSKhoan/Khoan")),
        currency=currency,
        exchange_rate=_decimal(general, "TGia") if currency != "VND" else None,
        total=_decimal(totals, "TgTien") or Decimal(0),
        total_in_words=_text(totals, "TgTChu") or "",
        seller_signature=_signature(root.find("DSCKS/NBan")),
        qr_svg=pdf.qr_svg(data=extras.qr_payload_url),
        qr_caption="Quét mã để tra cứu và xác thực biên lai",
        lookup_url=extras.lookup_url,
    )
