from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from invoicing.models import ReceiptStatus, RenditionStatus
from invoicing.taxcodes import normalize_tax_code
from invoicing.text import Str255, Str400


def _fee_amount(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite number")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise ValueError("at most 2 decimal places (whole đồng for VND)")
    if value >= Decimal(10) ** 15:
        raise ValueError("at most 15 digits before the decimal point")
    return value


FeeAmount = Annotated[Decimal, Field(gt=0), AfterValidator(_fee_amount)]
TaxCode = Annotated[str, AfterValidator(normalize_tax_code)]


class PayerIn(BaseModel):
    """Who pays the fee (`NNop`). Unlike an invoice buyer, a payer needs no tax code (Art. 32.2)."""

    model_config = ConfigDict(extra="forbid")

    name: Str400 = Field(description="`NNop/Ten`")
    address: Str400 | None = Field(default=None, description="`NNop/DChi`")
    tax_code: TaxCode | None = Field(default=None, description="`NNop/MST`")


class FeeLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fee_name: Str255 = Field(description="`TKhoan`: the fee or charge collected")
    amount: FeeAmount = Field(
        description="`STien`, decimal string above 0; whole đồng for VND, at most 2 decimals otherwise",
        examples=["50000"],
    )


class ReceiptCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    series: str = Field(
        min_length=1,
        max_length=20,
        description="Series symbol (`KHBLai`) of a registered receipt series",
        examples=["AA-26E"],
    )
    template: str | None = Field(
        default=None,
        pattern=r"^\d{2}BLP\d[-/]\d{3}$",
        description="Template symbol (`KHMSBLai`); checked against the series when given",
        examples=["01BLP0-001"],
    )
    issue_date: date = Field(description="`NLap`: the day the fee is collected (Art. 31)")
    payer: PayerIn
    lines: list[FeeLineIn] = Field(min_length=1, max_length=1000, description="`DSKhoan/Khoan`")
    currency: str = Field(
        default="VND",
        pattern=r"^[A-Z]{3}$",
        description="`DVTTe`, ISO 4217: VND unless the fee law sets the amount in a foreign currency "
        "(Art. 32.2k)",
    )
    exchange_rate: Decimal | None = Field(
        default=None,
        gt=0,
        max_digits=9,
        decimal_places=2,
        validate_default=True,
        description="`TGia`, the statutory rate to VND; required unless VND",
    )
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
            raise ValueError(f"required for {currency} (TGia): the statutory rate the fee is converted at")
        if currency == "VND" and value not in (None, Decimal(1)):
            raise ValueError("must be 1 or left out for VND")
        return value


class PayerRead(BaseModel):
    name: str
    address: str | None
    tax_code: str | None


class FeeLineRead(BaseModel):
    fee_name: str
    amount: str


class ReceiptRead(BaseModel):
    id: uuid.UUID
    object: str = "receipt"
    series: str = Field(description="`KHBLai`", examples=["AA-26E"])
    template: str = Field(description="`KHMSBLai`", examples=["01BLP0-001"])
    number: int = Field(description="`SBLai`: at most 7 digits, restarting each year")
    issue_date: date
    payer: PayerRead
    lines: list[FeeLineRead]
    total: str = Field(description="`TgTien`: total collected, in `currency`")
    total_in_words: str = Field(description="`TgTChu`")
    currency: str
    exchange_rate: str | None
    total_vnd: str | None = Field(description="`TgTienVND`: the total converted to whole đồng; foreign only")
    status: ReceiptStatus
    pdf_status: RenditionStatus = Field(description="pending until rendered; failed after three attempts")
    external_id: str | None
    sha256: str = Field(description="SHA-256 of the signed XML, as served at links.xml")
    chain_link: str
    signed_at: datetime
    created_at: datetime
    links: dict[str, str]


class ReceiptList(BaseModel):
    data: list[ReceiptRead]
    next_cursor: str | None
