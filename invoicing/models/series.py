from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from invoicing.models.base import enum_field, id_field, timestamp_field


class DocumentKind(StrEnum):
    VAT_INVOICE = "vat_invoice"
    SALES_INVOICE = "sales_invoice"
    RECEIPT = "receipt"


class Series(SQLModel, table=True):
    """A (template, symbol) pair a business registered, with its gap-free counter and chain head.

    The symbol carries the year (``C26TAA``), so a calendar year's numbering is one row, and
    numbering restarts by registering next year's symbol (Decree 123 Art. 10.3).
    """

    __tablename__ = "series"
    __table_args__ = (UniqueConstraint("seller_tax_code", "template", "symbol"),)

    id: uuid.UUID = id_field()
    business_id: uuid.UUID = Field(foreign_key="businesses.id", index=True)
    seller_tax_code: str = Field(max_length=14)
    kind: DocumentKind = enum_field(DocumentKind)
    template: str = Field(max_length=11)
    symbol: str = Field(max_length=8)
    year: int
    with_authority_code: bool
    format_version: str = Field(max_length=6)
    next_number: int = Field(default=1)
    chain_length: int = Field(default=0)
    chain_head: str = Field(max_length=64)
    active: bool = Field(default=True)
    created_at: datetime = timestamp_field()
