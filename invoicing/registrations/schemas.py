from __future__ import annotations

import re
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, field_validator

from invoicing.models import RegistrationStatus
from invoicing.taxcodes import normalize_tax_code
from invoicing.text import Str50, Str255, Str400

_PHONE = re.compile(r"^(\+84|0)\d{8,10}$")


class InvoiceKind(StrEnum):
    VAT_INVOICE = "vat_invoice"
    SALES_INVOICE = "sales_invoice"
    RECEIPT = "receipt"


def _phone(value: str) -> str:
    compact = re.sub(r"[\s.\-()]", "", value)
    if not _PHONE.match(compact):
        raise ValueError("a Vietnamese phone number: 0 or +84 followed by 8 to 10 digits")
    return compact


TaxCode = Annotated[str, AfterValidator(normalize_tax_code)]
Phone = Annotated[str, AfterValidator(_phone)]


class RegistrationCreate(BaseModel):
    """Form 01/ĐKTĐ-HĐĐT (registration for e-invoice use), Decree 123 Art. 15."""

    model_config = ConfigDict(extra="forbid")

    tax_code: TaxCode = Field(description="MST (`TKhai/.../MST`): 10 digits or `NNNNNNNNNN-NNN`")
    name: Str400 = Field(description="Taxpayer name as registered (`TNNT`)")
    address: Str400 = Field(description="Registered address (`DCLHe`)")
    province_code: str = Field(pattern=r"^\d{2}$", description="Current province code", examples=["01"])
    ward_code: str = Field(pattern=r"^\d{5}$", description="Current ward code", examples=["00070"])
    representative: Str50 = Field(description="Contact person (`NLHe`)")
    email: EmailStr = Field(max_length=50, description="Contact e-mail (`DCTDTu`)")
    phone: Phone = Field(max_length=20, description="Contact phone (`DTLHe`)")
    invoice_kinds: list[InvoiceKind] = Field(
        min_length=1, description="Kinds the business will issue (`LHDSDung`)"
    )
    with_authority_code: bool = Field(
        description="Invoices with the tax authority's code (`HTHDon/CMa`) or without (`KCMa`)"
    )
    certificate_pem: str | None = Field(
        default=None,
        max_length=20_000,
        description="The X.509 signing certificate (PEM) listed on the form (`DSCTSSDung/CTS`)",
    )

    @field_validator("invoice_kinds")
    @classmethod
    def _distinct_kinds(cls, kinds: list[InvoiceKind]) -> list[InvoiceKind]:
        if len(set(kinds)) != len(kinds):
            raise ValueError("each invoice kind may appear once")
        return kinds


class RegistrationCreated(BaseModel):
    id: uuid.UUID
    status: RegistrationStatus
    claim_token: str = Field(
        description="Shown once: send it as `X-Claim-Token` to follow the registration and claim credentials"
    )
    links: dict[str, str]


class RegistrationRead(BaseModel):
    id: uuid.UUID
    status: RegistrationStatus
    tax_code: str
    name: str
    address: str
    province_code: str
    ward_code: str
    representative: str
    email: str
    phone: str
    invoice_kinds: list[InvoiceKind]
    with_authority_code: bool
    certificate_serial: str | None
    reasons: list[str]
    submitted_at: datetime
    decided_at: datetime | None
    credentials_claimed: bool
    business_id: uuid.UUID | None
    links: dict[str, str]


class RegistrationList(BaseModel):
    data: list[RegistrationRead]
    next_cursor: str | None


class RegistrationReject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reasons: list[Str255] = Field(min_length=1, max_length=20, description="Reasons (`DSLDKCNhan/LDo/MTa`)")


class CredentialsRead(BaseModel):
    business_id: uuid.UUID
    api_key: str = Field(description="Shown once; send as `Authorization: Bearer <api_key>`")
    key_prefix: str
