from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from invoicing.models import InvoiceStatus, Relation, RenditionStatus
from invoicing.taxcodes import normalize_tax_code
from invoicing.text import Str20, Str50, Str100, Str255, Str400, Str500

MAX_BATCH = 1000


def _at_most_six_decimals(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite number")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -6:
        raise ValueError("at most 6 decimal places (num(21,6))")
    if abs(value) >= Decimal(10) ** 15:
        raise ValueError("at most 15 digits before the decimal point")
    return value


Amount = Annotated[Decimal, AfterValidator(_at_most_six_decimals)]
TaxCode = Annotated[str, AfterValidator(normalize_tax_code)]


class BuyerIn(BaseModel):
    """The buyer (`NMua`). Name and address may be left out only for sales to consumers without a
    tax code (Decree 123 Art. 10.14)."""

    model_config = ConfigDict(extra="forbid")

    tax_code: TaxCode | None = Field(default=None, description="`NMua/MST`")
    name: Str400 | None = Field(default=None, description="`NMua/Ten`")
    address: Str400 | None = Field(default=None, description="`NMua/DChi`")
    buyer_person: Str100 | None = Field(default=None, description="`NMua/HVTNMHang`: the person buying")
    customer_code: Str50 | None = Field(default=None, description="`NMua/MKHang`")
    phone: Str20 | None = Field(default=None, description="`NMua/SDThoai`")
    email: Str50 | None = Field(default=None, description="`NMua/DCTDTu`")
    bank_account: Annotated[str, Field(max_length=30)] | None = Field(
        default=None, description="`NMua/STKNHang`"
    )
    bank_name: Str400 | None = Field(default=None, description="`NMua/TNHang`")

    @model_validator(mode="after")
    def _business_buyer_is_identified(self) -> BuyerIn:
        if self.tax_code is not None:
            missing = [name for name in ("name", "address") if getattr(self, name) is None]
            if missing:
                raise ValueError(
                    f"a buyer with a tax code needs {' and '.join(missing)} (NMua/Ten, NMua/DChi)"
                )
        return self


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nature: int = Field(
        default=1, ge=1, le=4, description="`TChat`: 1 goods/service, 2 promotion, 3 trade discount, 4 note"
    )
    item_code: Str50 | None = Field(default=None, description="`MHHDVu`")
    name: Str500 = Field(description="`THHDVu`")
    unit: Str50 | None = Field(default=None, description="`DVTinh`")
    quantity: Amount | None = Field(default=None, description="`SLuong`, decimal string")
    unit_price: Amount | None = Field(default=None, description="`DGia`, decimal string")
    discount_rate: Amount | None = Field(default=None, ge=0, le=100, description="`TLCKhau`, percent")
    vat_rate: str | None = Field(
        default=None,
        max_length=11,
        description="`TSuat`: 0%, 5%, 8%, 10%, KCT, KKKNT or KHAC:<rate>; VAT invoices only",
        examples=["10%"],
    )


class InvoiceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    series: str = Field(
        pattern=r"^[0-9][CK][0-9]{2}[A-Z]{3}$",
        description="Template and symbol (`KHMSHDon` + `KHHDon`)",
        examples=["1C26TAA"],
    )
    issue_date: date = Field(description="`NLap`")
    currency: str = Field(default="VND", pattern=r"^[A-Z]{3}$", description="`DVTTe`, ISO 4217")
    exchange_rate: Decimal | None = Field(
        default=None,
        gt=0,
        max_digits=9,
        decimal_places=2,
        validate_default=True,
        description="`TGia`; required unless VND",
    )
    payment_method: Str50 | None = Field(default="TM/CK", description="`HTTToan`: TM, CK, TM/CK, …")
    buyer: BuyerIn
    lines: list[LineIn] = Field(min_length=1, max_length=1000)
    external_id: Annotated[str, Field(min_length=1, max_length=100)] | None = Field(
        default=None, description="Your own reference; unique per business"
    )

    @field_validator("exchange_rate")
    @classmethod
    def _exchange_rate_with_foreign_currency(
        cls, value: Decimal | None, info: ValidationInfo
    ) -> Decimal | None:
        currency = info.data.get("currency")
        if currency is None:
            return value
        if currency != "VND" and value is None:
            raise ValueError(f"required for {currency} (TGia)")
        if currency == "VND" and value not in (None, Decimal(1)):
            raise ValueError("must be 1 or left out for VND")
        return value


class RateBreakdown(BaseModel):
    vat_rate: str
    taxable_amount: str
    vat_amount: str


class BuyerRead(BaseModel):
    tax_code: str | None
    name: str | None


class InvoiceRead(BaseModel):
    id: uuid.UUID
    object: str = "invoice"
    series: str
    template: str
    symbol: str
    number: int
    issue_date: date
    currency: str
    exchange_rate: str | None
    buyer: BuyerRead
    subtotal: str = Field(description="`TgTCThue`: total before VAT, after discounts")
    discount_total: str = Field(description="`TTCKTMai`: trade discounts")
    vat_total: str | None = Field(description="`TgTThue`; none on sales invoices")
    total: str = Field(description="`TgTTTBSo`: total payable")
    total_in_words: str = Field(description="`TgTTTBChu`")
    rates: list[RateBreakdown] = Field(description="`THTTLTSuat/LTSuat`: one entry per VAT rate")
    status: InvoiceStatus
    pdf_status: RenditionStatus = Field(description="pending until rendered; failed after three attempts")
    authority_code: str | None = Field(description="`MCCQT`, on C series")
    external_id: str | None
    relation: Relation | None = Field(
        description="adjustment or replacement, when this invoice corrects another"
    )
    corrects: uuid.UUID | None = Field(description="The invoice this one adjusts or replaces")
    sha256: str = Field(description="SHA-256 of the signed XML, as served at links.xml")
    chain_link: str
    signed_at: datetime
    created_at: datetime
    links: dict[str, str]


class InvoiceList(BaseModel):
    data: list[InvoiceRead]
    next_cursor: str | None


class BatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invoices: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        description="Each an InvoiceCreate. Items are validated one by one, so a bad item fails alone "
        "(unless atomic); numbers are contiguous in request order within a series.",
    )
    atomic: bool = Field(default=False, description="All or nothing")


class BatchItem(BaseModel):
    index: int
    status: int
    invoice: InvoiceRead | None = None
    problem: dict[str, Any] | None = None


class BatchResult(BaseModel):
    issued: int
    failed: int
    data: list[BatchItem]


class _CorrectionFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    series: str | None = Field(
        default=None,
        pattern=r"^[0-9][CK][0-9]{2}[A-Z]{3}$",
        description="Default: the original's series; any series of the same template may be used",
    )
    issue_date: date
    payment_method: Str50 | None = None
    lines: list[LineIn] = Field(min_length=1, max_length=1000)
    note: Str255 | None = Field(default=None, description="`TTHDLQuan/GChu`: what is corrected and why")
    external_id: Annotated[str, Field(min_length=1, max_length=100)] | None = None


class InvoiceAdjust(_CorrectionFields):
    """An adjustment invoice (TCHDon 2): its lines carry the differences; decreases are negative."""

    buyer: BuyerIn | None = Field(default=None, description="Default: the original's buyer")


class InvoiceReplace(_CorrectionFields):
    """A replacement invoice (TCHDon 1): a complete invoice that takes the original's place."""

    buyer: BuyerIn


class InvoiceCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Str255 = Field(description="`LDo` of the 04/SS-HĐĐT notice")


class LineageEntry(BaseModel):
    id: uuid.UUID
    series: str
    number: int
    issue_date: date
    status: InvoiceStatus
    relation: str | None = Field(description="adjustment or replacement, for a correcting invoice")
    corrects: uuid.UUID | None = Field(description="The invoice this one adjusts or replaces")
    note: str | None
    total: str
    links: dict[str, str]


class NoticeRead(BaseModel):
    id: uuid.UUID
    form: str = "04/SS-HĐĐT"
    nature: str
    reason: str
    sha256: str
    created_at: datetime
    links: dict[str, str]


class HistoryEvent(BaseModel):
    occurred_at: datetime
    actor: str
    action: str
    subject_id: str
    data: dict[str, Any]


class InvoiceHistory(BaseModel):
    invoice_id: uuid.UUID
    lineage: list[LineageEntry] = Field(description="The original first, then every correction in order")
    notices: list[NoticeRead]
    events: list[HistoryEvent]
