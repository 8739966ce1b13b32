from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from invoicing.models.base import enum_field, id_field, timestamp_field
from invoicing.models.invoices import MONEY


class ReceiptStatus(StrEnum):
    ISSUED = "issued"
    CANCELLED = "cancelled"


class Receipt(SQLModel, table=True):
    """An issued e-receipt for fees and charges (*biên lai*, Decree 123 Art. 30–39).

    ``signed_xml`` and ``sha256`` are written once and never updated; ``lines`` and the payer's
    address repeat what the XML says so that lists are served without parsing it.
    """

    __tablename__ = "receipts"
    __table_args__ = (
        UniqueConstraint("series_id", "number"),
        UniqueConstraint("seller_tax_code", "external_id"),
        Index("ix_receipts_seller_issue_date", "seller_tax_code", "issue_date"),
        Index("ix_receipts_seller_created", "seller_tax_code", "created_at", "id"),
    )

    id: uuid.UUID = id_field()
    business_id: uuid.UUID = Field(foreign_key="businesses.id", index=True)
    seller_tax_code: str = Field(max_length=14)
    series_id: uuid.UUID = Field(foreign_key="series.id")
    template: str = Field(max_length=11)
    symbol: str = Field(max_length=8)
    number: int
    issue_date: date
    currency: str = Field(max_length=3)
    exchange_rate: Decimal | None = Field(default=None, sa_column=Column(Numeric(9, 2), nullable=True))
    payer_name: str = Field(max_length=400)
    payer_tax_code: str | None = Field(default=None, max_length=14)
    payer_address: str | None = Field(default=None, max_length=400)
    lines: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    total: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    total_vnd: Decimal | None = Field(default=None, sa_column=Column(MONEY, nullable=True))
    total_in_words: str = Field(max_length=255)
    status: ReceiptStatus = enum_field(ReceiptStatus, default=ReceiptStatus.ISSUED, index=True)
    external_id: str | None = Field(default=None, max_length=100)
    signed_xml: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str = Field(max_length=64)
    chain_link: str = Field(max_length=64)
    signed_at: datetime = timestamp_field()
    created_at: datetime = timestamp_field()
