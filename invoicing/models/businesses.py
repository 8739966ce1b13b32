from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from invoicing.models.base import id_field, timestamp_field


class Business(SQLModel, table=True):
    """A taxpayer whose registration was accepted: the tenant every document belongs to."""

    __tablename__ = "businesses"

    id: uuid.UUID = id_field()
    tax_code: str = Field(max_length=14, unique=True)
    name: str = Field(max_length=400)
    address: str = Field(max_length=400)
    province_code: str = Field(max_length=2, index=True)
    ward_code: str = Field(max_length=5, index=True)
    email: str = Field(max_length=50)
    phone: str = Field(max_length=20)
    invoice_kinds: list[str] = Field(sa_column=Column(JSON, nullable=False))
    with_authority_code: bool
    # No foreign key: registrations already point here, and a cycle of keys buys nothing.
    registration_id: uuid.UUID
    registered_at: datetime = timestamp_field()


class ApiKey(SQLModel, table=True):
    """A business credential; only a SHA-256 of the secret is kept."""

    __tablename__ = "api_keys"

    id: uuid.UUID = id_field()
    business_id: uuid.UUID = Field(foreign_key="businesses.id", index=True)
    prefix: str = Field(max_length=32, unique=True)
    key_hash: str = Field(max_length=64)
    created_at: datetime = timestamp_field()
    expires_at: datetime | None = timestamp_field(nullable=True)
