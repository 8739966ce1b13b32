from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from invoicing.localities.schemas import LocalityRead


class Funnel(BaseModel):
    """Steps to adoption counted in the period: each business passes each step once."""

    submitted: int = Field(description="Registrations (01/ĐKTĐ-HĐĐT) submitted")
    accepted: int = Field(description="Registrations accepted")
    rejected: int = Field(description="Registrations rejected")
    credentials_claimed: int = Field(description="Accepted businesses that collected their API key")
    first_document: int = Field(
        description="Businesses whose first invoice or receipt is dated in the period"
    )


class LocalityStats(BaseModel):
    code: str | None = Field(description="Province or ward code; null for a total or an unassigned bucket")
    name: str
    active_businesses: int = Field(description="Operating in the imported registry, as of `as_of`")
    registered_businesses: int = Field(
        description="Registrations accepted up to `as_of`, counted where the business registered"
    )
    registered_not_in_registry: int = Field(
        description="Registered businesses that the registry does not list (they still count as registered)"
    )
    adoption_rate: str | None = Field(
        description="registered ÷ active as a decimal (4 places); null when no business is active",
        examples=["0.8760"],
    )
    adoption_rate_percent: str | None = Field(
        description="The same as a percentage rounded to one place", examples=["87.6"]
    )
    issuing_businesses: int = Field(description="Businesses with at least one document dated in the period")
    invoices_issued: int = Field(description="Invoices dated in the period, whatever happened to them since")
    invoices_cancelled: int = Field(description="Of those, cancelled (04/SS-HĐĐT)")
    receipts_issued: int
    receipts_cancelled: int
    amount_total: str = Field(
        description="VND value in force of the period's invoices and receipts: cancelled and replaced "
        "documents are not counted, adjustments add their (possibly negative) difference",
        examples=["4350000"],
    )
    invoices_amount: str
    receipts_amount: str
    funnel: Funnel
    median_days_to_first_document: float | None = Field(
        description="Median days from acceptance to the first document, over businesses whose first "
        "document is dated in the period"
    )


class PeriodRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date | None = Field(alias="from", description="First day; null: since the beginning")
    to: date


class ProvinceStatsList(BaseModel):
    as_of: date = Field(description="Date of the stocks (active and registered businesses)")
    period: PeriodRead = Field(description="Days the flows (documents, funnel) are counted in")
    data: list[LocalityStats]
    total: LocalityStats = Field(description="The provinces listed, together")


class WardStatsList(BaseModel):
    province: LocalityRead
    as_of: date
    period: PeriodRead
    data: list[LocalityStats]
    unassigned: LocalityStats = Field(
        description="Registry rows given with a pre-2025 code, counted for the province but no ward"
    )
    total: LocalityStats = Field(description="The province: the wards and `unassigned` add up to it")


class TimeseriesPoint(BaseModel):
    period: str = Field(examples=["2026-11", "2026-11-28"])
    start: date
    registrations_submitted: int
    registrations_accepted: int
    registrations_rejected: int
    credentials_claimed: int
    first_documents: int
    issuing_businesses: int
    invoices_issued: int
    invoices_cancelled: int
    receipts_issued: int
    receipts_cancelled: int
    amount_total: str
    registered_businesses: int = Field(description="Registered at the end of the period (cumulative)")
    active_businesses: int = Field(description="Operating in the registry at the end of the period")


class TimeseriesRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    granularity: str
    province: LocalityRead | None = Field(description="Null: national")
    from_: date = Field(alias="from")
    to: date
    data: list[TimeseriesPoint]


class RowProblemRead(BaseModel):
    line: int = Field(description="Line of the file, the header being line 1")
    tax_code: str
    reason: str


class ActorRead(BaseModel):
    type: str = Field(examples=["official", "cli"])
    id: str | None


class RegistryImportRead(BaseModel):
    id: uuid.UUID
    imported_at: datetime
    by: ActorRead
    source: str = Field(examples=["api", "cli"])
    province_scope: str | None = Field(description="The importing official's province; null: national")
    filename: str | None
    sha256: str
    size_bytes: int
    rows: int = Field(description="Data rows read (the header and blank lines excluded)")
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    legacy_mapped: int = Field(description="Rows whose pre-2025 province code was mapped to the current one")


class RegistryImportResult(RegistryImportRead):
    rejects: list[RowProblemRead] = Field(description="Refused rows (the first 1,000)")
    rejects_truncated: bool
    notes: list[RowProblemRead] = Field(description="Imported rows with a remark: legacy codes mapped")
    notes_truncated: bool


class RegistryImportList(BaseModel):
    data: list[RegistryImportRead]
    next_cursor: str | None
