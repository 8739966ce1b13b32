"""View-models of the printed documents: exactly what a page shows, already decided.

These dataclasses carry strings, Decimals and dates ready to print. They hold no domain logic:
the caller (``invoicing``) computes totals, words, wording of adjustments and the QR code; the
templates only lay them out. Amounts are :class:`~decimal.Decimal`, never ``float``.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

__all__ = [
    "InvoiceLine",
    "InvoicePage",
    "Party",
    "RateSummary",
    "ReceiptLine",
    "ReceiptPage",
    "Signature",
]

_LINE_NATURES = frozenset({1, 2, 3, 4})


@dataclass(frozen=True, kw_only=True, slots=True)
class Party:
    """A seller, buyer, fee collector or payer as printed in the page header.

    :param name: Registered name (``NBan/Ten``, ``NMua/Ten``); may be empty for a retail buyer
        who need not be named (Decree 123 Art. 10.14).
    :param tax_code: Tax code (``MST``), 10 digits or ``NNNNNNNNNN-NNN``; ``None`` if the party has none.
    :param address: Address (``DChi``).
    :param phone: Phone number (``SDThoai``).
    :param email: E-mail address (``DCTDTu``).
    :param bank_account: Bank account as printed, e.g. ``"0011004012345 - Vietcombank"``
        (``STKNHang`` and ``TNHang``).
    :param buyer_person: Name of the person buying (``NMua/HVTNMHang``); ``None`` for other parties.
    """

    name: str
    tax_code: str | None
    address: str | None
    phone: str | None
    email: str | None
    bank_account: str | None
    buyer_person: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class InvoiceLine:
    """One row of the goods-and-services table (``DSHHDVu/HHDVu``).

    :param number: Line number (``STT``); ``None`` for a row printed without one (usually a note).
    :param nature: ``TChat``: 1 goods or service, 2 promotion, 3 trade discount, 4 note. A note is
        printed across the row with only its name.
    :param name: Description (``THHDVu``), in Vietnamese.
    :param unit: Unit of measure (``DVTinh``).
    :param quantity: Quantity (``SLuong``), printed with its significant decimals.
    :param unit_price: Unit price (``DGia``), printed with its significant decimals.
    :param discount_rate: Discount percentage (``TLCKhau``); the column appears only when a line has one.
    :param amount: Amount before VAT (``ThTien``); negative on an adjustment that decreases value.
    :param vat_rate: VAT rate as printed (``TSuat``: ``"10%"``, ``"KCT"``…); ``None`` on sales invoices.
    :raises ValueError: if ``nature`` is not 1, 2, 3 or 4.
    """

    number: int | None
    nature: int
    name: str
    unit: str | None
    quantity: Decimal | None
    unit_price: Decimal | None
    discount_rate: Decimal | None
    amount: Decimal | None
    vat_rate: str | None

    def __post_init__(self) -> None:
        if self.nature not in _LINE_NATURES:
            raise ValueError(f"line nature must be 1, 2, 3 or 4, not {self.nature!r}")


@dataclass(frozen=True, kw_only=True, slots=True)
class RateSummary:
    """One row of the per-rate summary (``THTTLTSuat/LTSuat``) of a VAT invoice.

    :param vat_rate: Rate as printed (``TSuat``).
    :param taxable_amount: Amount before VAT at this rate (``ThTien``).
    :param vat_amount: VAT at this rate (``TThue``).
    """

    vat_rate: str
    taxable_amount: Decimal
    vat_amount: Decimal


@dataclass(frozen=True, kw_only=True, slots=True)
class Signature:
    """A digital signature as shown in a signature box ("Ký bởi … Ký ngày …").

    The box states what the XML carries; it does not prove anything by itself — the signature
    that counts is the XMLDSig inside the attached XML.

    :param signer_name: Name of the signer as read from the certificate.
    :param signed_at: Signing time (``SigningTime``); printed as ``dd/mm/yyyy``.
    """

    signer_name: str
    signed_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class InvoicePage:
    """Everything printed on a VAT invoice (template ``1``) or a sales invoice (template ``2``).

    :param title: ``THDon`` as printed, e.g. ``"HÓA ĐƠN GIÁ TRỊ GIA TĂNG"`` or ``"HÓA ĐƠN BÁN HÀNG"``.
    :param template: Template symbol (``KHMSHDon``): ``"1"`` prints the VAT layout (rate column,
        per-rate summary, VAT total); ``"2"`` the sales layout.
    :param series: Series symbol (``KHHDon``), e.g. ``"C26TAA"``.
    :param number: Invoice number (``SHDon``), printed without zero padding.
    :param issue_date: Date of issue (``NLap``).
    :param currency: ISO 4217 code (``DVTTe``). With ``"VND"`` amounts print as whole numbers when
        they are; other currencies print at least two decimals.
    :param exchange_rate: Rate to VND (``TGia``), printed for foreign currencies.
    :param payment_method: Payment method as printed (``HTTToan``).
    :param seller: The seller (``NBan``).
    :param buyer: The buyer (``NMua``).
    :param lines: Table rows, in order.
    :param rate_summaries: Per-rate summary rows; empty for a sales invoice.
    :param subtotal: Total before VAT (``TgTCThue``), or total of goods on a sales invoice.
    :param vat_total: Total VAT (``TgTThue``); ``None`` on a sales invoice.
    :param total: Total payable in figures (``TgTTTBSo``).
    :param total_in_words: Total payable in words (``TgTTTBChu``).
    :param authority_code: Tax-authority code (``MCCQT``) of a coded invoice.
    :param seller_signature: The seller's signature box, if signed.
    :param authority_signature: The tax authority's signature box, if counter-signed.
    :param related_note: Wording for an adjustment or replacement, printed prominently under the
        title, e.g. ``"Điều chỉnh cho hóa đơn Mẫu số 1 ký hiệu C26TAA số 1 ngày 15 tháng 03 năm 2026"``.
    :param status_note: A state to stamp across every page, e.g. ``"ĐÃ HỦY"`` for a cancelled invoice.
    :param qr_svg: Inline SVG markup of the QR code, as made by :func:`pdf.qr_svg`.
        **Trusted markup**: it is inserted unescaped. Anything it references outside the ``pdf``
        package makes the render fail.
    :param qr_caption: Short text under the QR code.
    :param lookup_url: Where the buyer can look the invoice up.
    """

    title: str
    template: str
    series: str
    number: int
    issue_date: date
    currency: str
    exchange_rate: Decimal | None
    payment_method: str | None
    seller: Party
    buyer: Party
    lines: tuple[InvoiceLine, ...]
    rate_summaries: tuple[RateSummary, ...]
    subtotal: Decimal
    vat_total: Decimal | None
    total: Decimal
    total_in_words: str
    authority_code: str | None
    seller_signature: Signature | None
    authority_signature: Signature | None
    related_note: str | None
    status_note: str | None
    qr_svg: str
    qr_caption: str
    lookup_url: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ReceiptLine:
    """One fee or charge on a receipt (Decree 123 Art. 32.2e).

    :param number: Line number; ``None`` to print none.
    :param fee_name: Name of the fee or charge.
    :param amount: Amount collected.
    """

    number: int | None
    fee_name: str
    amount: Decimal


@dataclass(frozen=True, kw_only=True, slots=True)
class ReceiptPage:
    """Everything printed on an e-receipt for fees and charges (*biên lai*, Decree 123 Art. 32).

    :param title: Receipt kind as printed, e.g. ``"BIÊN LAI THU PHÍ, LỆ PHÍ"``.
    :param template: Template symbol, e.g. ``"01BLP0-001"``.
    :param series: Series symbol, e.g. ``"AA-26E"``.
    :param number: Receipt number (at most 7 digits), printed without zero padding.
    :param issue_date: Date of collection.
    :param collector: The organisation collecting the fee.
    :param payer: The person or organisation paying.
    :param lines: Fees and charges, in order.
    :param currency: ISO 4217 code (``"VND"`` except where the fee law sets a foreign currency).
    :param exchange_rate: Statutory rate to VND, printed for foreign currencies.
    :param total: Total collected, in figures.
    :param total_in_words: Total collected, in words.
    :param seller_signature: The collector's signature box, if signed.
    :param qr_svg: Inline SVG markup of the QR code, as made by :func:`pdf.qr_svg`. **Trusted
        markup**, inserted unescaped; see :class:`InvoicePage`.
    :param qr_caption: Short text under the QR code.
    :param lookup_url: Where the payer can look the receipt up.
    :param status_note: A state to stamp across every page, e.g. ``"ĐÃ HỦY"``.
    """

    title: str
    template: str
    series: str
    number: int
    issue_date: date
    collector: Party
    payer: Party
    lines: tuple[ReceiptLine, ...]
    currency: str
    exchange_rate: Decimal | None
    total: Decimal
    total_in_words: str
    seller_signature: Signature | None
    qr_svg: str
    qr_caption: str
    lookup_url: str
    status_note: str | None = None
