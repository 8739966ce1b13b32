from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from invoicing.models.base import enum_field, id_field, timestamp_field

MONEY = Numeric(23, 6)


class Relation(StrEnum):
    """TTHDLQuan/TCHDon: what a correcting invoice does to the one it references."""

    REPLACEMENT = "replacement"
    ADJUSTMENT = "adjustment"


class InvoiceStatus(StrEnum):
    ISSUED = "issued"
    ADJUSTED = "adjusted"
    REPLACED = "replaced"
    CANCELLED = "cancelled"


class Invoice(SQLModel, table=True):
    """An issued invoice. ``signed_xml`` and ``sha256`` are written once and never updated."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("series_id", "number"),
        UniqueConstraint("seller_tax_code", "external_id"),
        Index("ix_invoices_seller_issue_date", "seller_tax_code", "issue_date"),
        Index("ix_invoices_seller_created", "seller_tax_code", "created_at", "id"),
    )

    id: uuid.UUID = id_field()
    business_id: uuid.UUID = Field(foreign_key="businesses.id", index=True)
    seller_tax_code: str = Field(max_length=14)
    series_id: uuid.UUID = Field(foreign_key="series.id")
    template: str = Field(max_length=1)
    symbol: str = Field(max_length=6)
    number: int
    issue_date: date
    currency: str = Field(max_length=3)
    exchange_rate: Decimal | None = Field(default=None, sa_column=Column(Numeric(9, 2), nullable=True))
    buyer_tax_code: str | None = Field(default=None, max_length=14, index=True)
    buyer_name: str | None = Field(default=None, max_length=400)
    subtotal: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    discount_total: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    vat_total: Decimal | None = Field(default=None, sa_column=Column(MONEY, nullable=True))
    total: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    total_in_words: str = Field(max_length=255)
    rates: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: InvoiceStatus = enum_field(InvoiceStatus, default=InvoiceStatus.ISSUED, index=True)
    authority_code: str | None = Field(default=None, max_length=34, unique=True)
    external_id: str | None = Field(default=None, max_length=100)
    related_invoice_id: uuid.UUID | None = Field(default=None, foreign_key="invoices.id", index=True)
    relation: Relation | None = enum_field(Relation, nullable=True)
    replaced_by_id: uuid.UUID | None = Field(default=None, foreign_key="invoices.id")
    correction_note: str | None = Field(default=None, max_length=255)
    signed_xml: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str = Field(max_length=64)
    chain_link: str = Field(max_length=64)
    signed_at: datetime = timestamp_field()
    created_at: datetime = timestamp_field()
