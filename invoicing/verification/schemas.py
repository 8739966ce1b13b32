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


class VerifiedDocument(BaseModel):
    kind: str = Field(description="vat_invoice, sales_invoice")
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


class VerificationReport(BaseModel):
    valid: bool = Field(description="True only when every check ran and passed (or does not apply)")
    checks: list[Check]
    document: VerifiedDocument
