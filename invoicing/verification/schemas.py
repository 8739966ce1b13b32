from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class CheckResult(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_APPLICABLE = "not_applicable"
    NOT_RUN = "not_run"


class Check(BaseModel):
    name: str = Field(
        description="format, seller_signature, seller_certificate, authority, registration, stored_copy, status"
    )
    result: CheckResult
    detail: str


class RelatedDocumentRead(BaseModel):
    role: str = Field(description="adjusts, replaces, adjusted_by or replaced_by")
    series: str
    number: int
    issue_date: date
    verify_url: str = Field(description="The public page of that invoice")


class VerifiedDocument(BaseModel):
    kind: str = Field(description="vat_invoice, sales_invoice, receipt (or unknown)")
    seller_tax_code: str | None
    seller_name: str | None
    template: str | None
    series: str | None
    number: int | None
    issue_date: date | None
    currency: str | None
    total: str | None
    authority_code: str | None
    status: str | None = Field(description="The stored document's current status, when hoadon holds it")
    signed_at: datetime | None
    related: list[RelatedDocumentRead] = Field(
        default_factory=list, description="Corrections of this invoice, and the invoice it corrects"
    )


class VerificationReport(BaseModel):
    valid: bool = Field(description="True only when every check ran and passed (or does not apply)")
    checks: list[Check]
    document: VerifiedDocument


class QrVerifyRequest(BaseModel):
    payload: str = Field(
        min_length=1,
        max_length=2048,
        description="The QR code's text: the signed payload (`HD1~…`), or the whole verification URL "
        "it encodes (`https://…/verify/<code>?q=HD1~…`)",
        examples=["HD1~0101234567~1C26TAA~1~2026-03-15~4350000~00A1B2…~…~…"],
    )


class SignatureResult(StrEnum):
    PASSED = "passed"
    FAILED = "failed"


class QrFact(BaseModel):
    value: str | int | None = Field(description="What the QR payload says")
    matches: bool | None = Field(
        description="Against the invoice hoadon holds under this seller, series and number; null when "
        "not compared: hoadon holds no such invoice, or (for every field but document_sha256) the "
        "payload's document digest is not that invoice's"
    )


class QrFields(BaseModel):
    seller_tax_code: QrFact = Field(description="`NBan/MST`")
    series: QrFact = Field(description="`KHMSHDon` + `KHHDon`, e.g. `1C26TAA`")
    number: QrFact = Field(description="`SHDon`")
    issue_date: QrFact = Field(description="`NLap`")
    total: QrFact = Field(description="`TgTTTBSo`")
    authority_code: QrFact = Field(description="`MCCQT`; null on an uncoded (K series) invoice")
    document_sha256: QrFact = Field(description="SHA-256 of the signed XML, hex")


class QrDocument(BaseModel):
    seller_tax_code: str
    seller_name: str | None = Field(description="`NBan/Ten` as signed on the invoice")
    series: str
    number: int
    issue_date: date
    currency: str
    total: str
    authority_code: str | None
    status: str = Field(description="issued, adjusted, replaced, cancelled: the status now, not at issue")
    href: str = Field(description="The public verification page of the invoice")


class QrVerificationReport(BaseModel):
    valid: bool = Field(
        description="True only when the tax authority's signature verifies, hoadon holds the invoice, "
        "every field matches it and it is in force (issued or adjusted)"
    )
    signature: SignatureResult = Field(
        description="The tax authority's signature over the payload. A 200 always says passed: a "
        "payload whose signature fails is refused (422), with this report in the problem's `report`"
    )
    stored: bool = Field(
        description="Whether hoadon holds an invoice under this seller, series and number. False with a "
        "valid signature: an authentic QR of an invoice kept elsewhere (another deployment)"
    )
    fields: QrFields
    document: QrDocument | None = Field(
        description="The stored invoice, shown only when the payload carries its document digest"
    )
    detail: str
