from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from invoicing.models.base import id_field, timestamp_field


class ChainEntry(SQLModel, table=True):
    """One link of a series' hash chain: link = SHA-256(previous link ‖ document SHA-256)."""

    __tablename__ = "chain_entries"
    __table_args__ = (UniqueConstraint("series_id", "position"),)

    id: uuid.UUID = id_field()
    series_id: uuid.UUID = Field(foreign_key="series.id")
    seller_tax_code: str = Field(max_length=14)
    position: int
    event: str = Field(max_length=16)
    document_id: uuid.UUID
    number: int
    document_sha256: str = Field(max_length=64)
    link: str = Field(max_length=64)
    created_at: datetime = timestamp_field()
