"""The public page a QR code opens: the invoice's status and face facts, in Vietnamese and English.

Self-contained HTML (inline CSS, no script, nothing fetched), so the strict policy in
SECURITY_HEADERS holds and the page works on a phone with a poor connection.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import jinja2

from invoicing.models import Invoice, InvoiceStatus
from invoicing.verification.qr import QR_FIELDS, PublicInvoice, QrOnPage
from pdf.formatting import format_date, format_number

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # A page per invoice, with a seller's totals: not for search engines, nor for shared caches,
    # and never stale once the invoice is cancelled or replaced.
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class StatusLabel:
    vi: str
    en: str
    tone: str
    note_vi: str
    note_en: str


STATUS_LABELS = {
    InvoiceStatus.ISSUED: StatusLabel(
        "Đã phát hành", "Issued", "ok", "Hóa đơn đang có hiệu lực.", "The invoice is in force."
    ),
    InvoiceStatus.ADJUSTED: StatusLabel(
        "Đã bị điều chỉnh",
        "Adjusted",
        "warn",
        "Hóa đơn có hiệu lực, kèm hóa đơn điều chỉnh.",
        "The invoice is in force, with an adjusting invoice.",
    ),
    InvoiceStatus.REPLACED: StatusLabel(
        "Đã bị thay thế",
        "Replaced",
        "bad",
        "Hóa đơn đã được thay thế bằng hóa đơn khác và không còn giá trị.",
        "The invoice was replaced by another and is no longer valid.",
    ),
    InvoiceStatus.CANCELLED: StatusLabel(
        "Đã hủy", "Cancelled", "bad", "Hóa đơn đã bị hủy và không còn giá trị.", "The invoice was cancelled."
    ),
}

QR_LABELS = {
    "seller_tax_code": ("Mã số thuế người bán", "Seller tax code"),
    "series": ("Ký hiệu", "Template and series"),
    "number": ("Số hóa đơn", "Number"),
    "issue_date": ("Ngày lập", "Date"),
    "total": ("Tổng tiền thanh toán", "Total"),
    "authority_code": ("Mã của cơ quan thuế", "Tax authority code"),
    "document_sha256": ("Mã băm hóa đơn", "Document hash (SHA-256)"),
}


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("invoicing.verification", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


RELATION_LABELS = {
    "adjusts": ("Điều chỉnh cho hóa đơn", "Adjusts invoice"),
    "replaces": ("Thay thế cho hóa đơn", "Replaces invoice"),
    "adjusted_by": ("Được điều chỉnh bởi hóa đơn", "Adjusted by invoice"),
    "replaced_by": ("Được thay thế bởi hóa đơn", "Replaced by invoice"),
}


def _amount(value: Decimal, currency: str) -> str:
    return format_number(value, min_places=0 if currency == "VND" else 2)


def _qr_value(name: str, value: str | int | None, currency: str) -> str:
    if value is None:
        return "—"
    if name == "total":
        return _amount(Decimal(str(value)), currency)
    if name == "issue_date":
        return format_date(date.fromisoformat(str(value)))
    return str(value)


def _qr_context(qr: QrOnPage, invoice: Invoice) -> dict[str, Any]:
    if qr.problem is not None or qr.facts is None:
        reason = qr.problem.reason if qr.problem is not None else "unreadable"
        field = qr.problem.field if qr.problem is not None else "payload"
        return {"readable": False, "problem": f"{field}: {reason}"}
    rows = [
        {
            "vi": QR_LABELS[name][0],
            "en": QR_LABELS[name][1],
            "value": _qr_value(name, getattr(qr.facts, name), invoice.currency),
            "matches": qr.matches[name],
        }
        for name in QR_FIELDS
    ]
    return {"readable": True, "signature_valid": qr.signature_valid, "valid": qr.valid, "rows": rows}


def render_invoice_page(found: PublicInvoice) -> str:
    invoice = found.invoice
    context = {
        "status": STATUS_LABELS[invoice.status],
        "seller_name": found.seller_name or "—",
        "seller_tax_code": invoice.seller_tax_code,
        "series": f"{invoice.template}{invoice.symbol}",
        "number": invoice.number,
        "issue_date": format_date(invoice.issue_date),
        "total": _amount(invoice.total, invoice.currency),
        "currency": invoice.currency,
        "authority_code": invoice.authority_code,
        "qr": _qr_context(found.qr, invoice) if found.qr is not None else None,
        "related": [
            {
                "vi": RELATION_LABELS[item.role][0],
                "en": RELATION_LABELS[item.role][1],
                "series": item.series,
                "number": item.number,
                "issue_date": format_date(item.issue_date),
                "href": f"/verify/{item.lookup_code}",
            }
            for item in found.related
        ],
    }
    return _environment().get_template("invoice.html").render(context)


def render_not_found_page() -> str:
    return _environment().get_template("not_found.html").render()
