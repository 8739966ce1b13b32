"""hoadon's printed documents: page view-models → HTML → PDF/A-3b with the signed XML attached.

A library: it knows nothing of the application, the database or the web. The caller builds an
:class:`InvoicePage` or :class:`ReceiptPage` (every figure and word already decided), makes the QR
code with :func:`qr_svg`, and calls :func:`render_invoice` or :func:`render_receipt`. Every failure
to produce a document is a :class:`RenderError`.
"""

from pdf.documents import (
    InvoiceLine,
    InvoicePage,
    Party,
    RateSummary,
    ReceiptLine,
    ReceiptPage,
    Signature,
)
from pdf.errors import RenderError
from pdf.qr import qr_svg
from pdf.render import render_invoice, render_receipt

__all__ = [
    "InvoiceLine",
    "InvoicePage",
    "Party",
    "RateSummary",
    "ReceiptLine",
    "ReceiptPage",
    "RenderError",
    "Signature",
    "qr_svg",
    "render_invoice",
    "render_receipt",
]
