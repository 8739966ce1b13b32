from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, Text, text
from sqlmodel import Field, SQLModel

from invoicing.models.base import enum_field, id_field, timestamp_field


class RegistrationStatus(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


OPEN_STATUSES = (RegistrationStatus.SUBMITTED, RegistrationStatus.ACCEPTED)
_OPEN_PREDICATE = text("status IN ('submitted', 'accepted')")


class Registration(SQLModel, table=True):
    """A 01/ĐKTĐ-HĐĐT registration form (Decree 123 Art. 15) and the authority's decision on it."""

    __tablename__ = "registrations"
    __table_args__ = (
        # The database, not only the service, guarantees one open registration per tax code,
        # so two simultaneous submissions cannot both pass.
        Index(
            "uq_registrations_open_tax_code",
            "tax_code",
            unique=True,
            postgresql_where=_OPEN_PREDICATE,
            sqlite_where=_OPEN_PREDICATE,
        ),
    )

    id: uuid.UUID = id_field()
    tax_code: str = Field(max_length=14, index=True)
    name: str = Field(max_length=400)
    address: str = Field(max_length=400)
    province_code: str = Field(max_length=2, index=True)
    ward_code: str = Field(max_length=5)
    representative: str = Field(max_length=100)
    email: str = Field(max_length=50)
    phone: str = Field(max_length=20)
    invoice_kinds: list[str] = Field(sa_column=Column(JSON, nullable=False))
    with_authority_code: bool
    certificate_pem: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    certificate_serial: str | None = Field(default=None, max_length=40)
    status: RegistrationStatus = enum_field(
        RegistrationStatus, default=RegistrationStatus.SUBMITTED, index=True
    )
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    claim_token_hash: str = Field(max_length=64)
    form_xml: str = Field(sa_column=Column(Text, nullable=False))
    submitted_at: datetime = timestamp_field(index=True)
    decided_at: datetime | None = timestamp_field(nullable=True)
    decided_by: uuid.UUID | None = Field(default=None, foreign_key="officials.id")
    credentials_claimed_at: datetime | None = timestamp_field(nullable=True)
    business_id: uuid.UUID | None = Field(default=None, foreign_key="businesses.id")
