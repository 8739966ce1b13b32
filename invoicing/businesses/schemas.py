from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class ApiKeyRead(BaseModel):
    prefix: str
    created_at: datetime
    expires_at: datetime | None = Field(description="Set when a rotation retires the key")


class BusinessRead(BaseModel):
    id: uuid.UUID
    tax_code: str
    name: str
    address: str
    province_code: str
    ward_code: str
    email: str
    phone: str
    invoice_kinds: list[str]
    with_authority_code: bool
    registered_at: datetime
    registration_id: uuid.UUID | None
    api_keys: list[ApiKeyRead]


class ApiKeyRotated(BaseModel):
    api_key: str = Field(description="Shown once")
    key_prefix: str
    retiring: list[ApiKeyRead] = Field(description="Keys that keep working until their expires_at")
