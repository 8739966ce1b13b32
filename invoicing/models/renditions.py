from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from invoicing.models.base import enum_field, id_field, timestamp_field


class RenditionStatus(StrEnum):
    PENDING = "pending"
    RENDERED = "rendered"
    FAILED = "failed"


class Rendition(SQLModel, table=True):
    """The PDF of a document: pending from issuance, rendered by a job, failed after three tries."""

    __tablename__ = "renditions"
    __table_args__ = (UniqueConstraint("document_type", "document_id"),)

    id: uuid.UUID = id_field()
    document_type: str = Field(max_length=16)
    document_id: uuid.UUID
    seller_tax_code: str = Field(max_length=14, index=True)
    status: RenditionStatus = enum_field(RenditionStatus, default=RenditionStatus.PENDING, index=True)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    pdf: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    sha256: str | None = Field(default=None, max_length=64)
    created_at: datetime = timestamp_field()
    rendered_at: datetime | None = timestamp_field(nullable=True)
