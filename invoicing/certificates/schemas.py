from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from invoicing.models import CertificateSource


class CertificateFormat(StrEnum):
    PEM = "pem"
    PKCS12 = "pkcs12"


class CertificateUpload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: CertificateFormat = Field(description="`pem` (key + certificate) or `pkcs12` (.p12/.pfx)")
    data: str = Field(
        min_length=1,
        max_length=200_000,
        description="PEM text, or the PKCS#12 file in base64",
    )
    password: str | None = Field(default=None, max_length=200, description="Of the key or the PKCS#12 file")


class CertificateRead(BaseModel):
    id: uuid.UUID
    source: CertificateSource
    serial: str
    fingerprint_sha256: str
    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime
    retired_at: datetime | None


class CertificateList(BaseModel):
    data: list[CertificateRead]
