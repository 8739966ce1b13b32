from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, LargeBinary, Text
from sqlmodel import Field, SQLModel

from invoicing.models.base import id_field, timestamp_field


class ErrorNotice(SQLModel, table=True):
    """A 04/SS-HĐĐT notice (Decree 123 Art. 19) the seller signed, e.g. cancelling an invoice."""

    __tablename__ = "error_notices"

    id: uuid.UUID = id_field()
    invoice_id: uuid.UUID = Field(foreign_key="invoices.id", index=True)
    seller_tax_code: str = Field(max_length=14, index=True)
    nature: int = Field(description="TCTBao: 1 cancel, 2 adjust, 3 replace, 4 explain")
    reason: str = Field(sa_column=Column(Text, nullable=False))
    signed_xml: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str = Field(max_length=64)
    created_at: datetime = timestamp_field()
