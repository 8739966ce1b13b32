from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from invoicing.models.base import enum_field, id_field, timestamp_field


class CertificateSource(StrEnum):
    UPLOADED = "uploaded"
    SANDBOX = "sandbox"


class SigningCertificate(SQLModel, table=True):
    """A business's signing key and certificate; the key is sealed with HOADON_SECRET_KEY."""

    __tablename__ = "signing_certificates"

    id: uuid.UUID = id_field()
    business_id: uuid.UUID = Field(foreign_key="businesses.id", index=True)
    source: CertificateSource = enum_field(CertificateSource)
    certificate_pem: str = Field(sa_column=Column(Text, nullable=False))
    sealed_private_key: str = Field(sa_column=Column(Text, nullable=False))
    serial_hex: str = Field(max_length=64)
    fingerprint_sha256: str = Field(max_length=64, unique=True)
    subject: str = Field(max_length=1000)
    issuer: str = Field(max_length=1000)
    not_before: datetime = timestamp_field()
    not_after: datetime = timestamp_field()
    created_at: datetime = timestamp_field()
    retired_at: datetime | None = timestamp_field(nullable=True)
