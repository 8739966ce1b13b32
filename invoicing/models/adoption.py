"""Adoption tracking: the imported business registry and the aggregates statistics are read from.

How the aggregate tables fit together is explained in ``invoicing/adoption/aggregates.py``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Index, SmallInteger
from sqlmodel import Field, SQLModel

from invoicing.models.base import enum_field, id_field, timestamp_field


def _locality_indexes(table: str) -> tuple[Index, Index]:
    """Reads take one period key at a time either for every province (the ``"*"`` rows) or for
    the wards of one province; each has its index, so a read touches only the rows it returns
    however many wards and days the table holds."""
    return (
        Index(f"ix_{table}_province_wide", "ward_code", "grain", "period_start"),
        Index(f"ix_{table}_wards", "province_code", "grain", "period_start"),
    )


def _counter() -> Any:
    # Per-province yearly invoice counts pass 2^31 in the largest provinces.
    return Field(default=0, sa_type=BigInteger)


class RegistryStatus(StrEnum):
    OPERATING = "operating"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class RegistryImport(SQLModel, table=True):
    """One upload of the business registry: who, when, which file, and what it changed."""

    __tablename__ = "registry_imports"

    id: uuid.UUID = id_field()
    imported_at: datetime = timestamp_field(index=True)
    actor_type: str = Field(max_length=16)
    actor_id: str | None = Field(default=None, max_length=64)
    province_scope: str | None = Field(default=None, max_length=2)
    source: str = Field(max_length=8)
    filename: str | None = Field(default=None, max_length=255)
    sha256: str = Field(max_length=64)
    size_bytes: int = Field(sa_type=BigInteger)
    rows: int = _counter()
    inserted: int = _counter()
    updated: int = _counter()
    unchanged: int = _counter()
    rejected: int = _counter()
    legacy_mapped: int = _counter()


class RegistryEntry(SQLModel, table=True):
    """A business as the registry knows it; *operating* ones are the denominator of adoption."""

    __tablename__ = "business_registry"

    tax_code: str = Field(max_length=14, primary_key=True)
    name: str = Field(max_length=400)
    province_code: str = Field(max_length=2)
    # Empty when the row came with a pre-2025 ward code that cannot be mapped (see legacy.py).
    ward_code: str = Field(max_length=5)
    status: RegistryStatus = enum_field(RegistryStatus)
    legacy_province_code: str | None = Field(default=None, max_length=2)
    legacy_ward_code: str | None = Field(default=None, max_length=5)
    # The import that last saw this row, and on which line: a second sight in the same import
    # is a duplicate, found without holding the file's tax codes in memory.
    import_id: uuid.UUID = Field(foreign_key="registry_imports.id")
    import_line: int
    updated_at: datetime = timestamp_field()


class DocumentCounter(SQLModel, table=True):
    """Documents per locality and calendar period, split over a few slots.

    ``ward_code`` ``"*"`` is the whole province. Each committing transaction adds to one randomly
    chosen slot, so two issuers in one province rarely wait on the same row; readers sum the slots.
    """

    __tablename__ = "adoption_document_counters"
    __table_args__ = _locality_indexes("adoption_document_counters")

    province_code: str = Field(max_length=2, primary_key=True)
    ward_code: str = Field(max_length=5, primary_key=True)
    grain: str = Field(max_length=1, primary_key=True)
    period_start: date = Field(primary_key=True)
    slot: int = Field(primary_key=True, sa_type=SmallInteger)
    invoices_issued: int = _counter()
    invoices_cancelled: int = _counter()
    invoices_amount: int = _counter()
    receipts_issued: int = _counter()
    receipts_cancelled: int = _counter()
    receipts_amount: int = _counter()
    issuers: int = _counter()


class BusinessCounter(SQLModel, table=True):
    """Registration events and registry changes per locality and calendar period.

    ``active`` and ``unlisted`` are deltas: a locality's value on a date is their sum up to it.
    """

    __tablename__ = "adoption_business_counters"
    __table_args__ = _locality_indexes("adoption_business_counters")

    province_code: str = Field(max_length=2, primary_key=True)
    ward_code: str = Field(max_length=5, primary_key=True)
    grain: str = Field(max_length=1, primary_key=True)
    period_start: date = Field(primary_key=True)
    submitted: int = _counter()
    accepted: int = _counter()
    rejected: int = _counter()
    claimed: int = _counter()
    first_documents: int = _counter()
    active: int = _counter()
    unlisted: int = _counter()


class ActivityMarker(SQLModel, table=True):
    """A business issued at least one document dated in this day, month or year."""

    __tablename__ = "adoption_activity"
    __table_args__ = (
        Index(
            "ix_adoption_activity_grain_period_start_province_code", "grain", "period_start", "province_code"
        ),
    )

    tax_code: str = Field(max_length=14, primary_key=True)
    grain: str = Field(max_length=1, primary_key=True)
    period_start: date = Field(primary_key=True)
    province_code: str = Field(max_length=2)
    ward_code: str = Field(max_length=5)


class FirstDocument(SQLModel, table=True):
    """The date of a business's earliest document, for the funnel and the time to adopt."""

    __tablename__ = "adoption_first_documents"

    tax_code: str = Field(max_length=14, primary_key=True)
    province_code: str = Field(max_length=2)
    ward_code: str = Field(max_length=5)
    accepted_on: date
    issued_on: date
    # What ``issued_on`` was before a back-dated document moved it earlier: the fold reads it
    # back to move the counters with it.
    previous_on: date | None = None


class LagBucket(SQLModel, table=True):
    """How many businesses issued their first document ``days`` after acceptance (a histogram)."""

    __tablename__ = "adoption_lags"
    __table_args__ = _locality_indexes("adoption_lags")

    province_code: str = Field(max_length=2, primary_key=True)
    ward_code: str = Field(max_length=5, primary_key=True)
    grain: str = Field(max_length=1, primary_key=True)
    period_start: date = Field(primary_key=True)
    days: int = Field(primary_key=True)
    businesses: int = _counter()
