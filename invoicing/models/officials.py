from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from invoicing.models.base import id_field, timestamp_field


class Official(SQLModel, table=True):
    """A tax official; ``province_code`` None means national scope."""

    __tablename__ = "officials"

    id: uuid.UUID = id_field()
    name: str = Field(max_length=200)
    province_code: str | None = Field(default=None, max_length=2, index=True)
    token_prefix: str = Field(max_length=32, unique=True)
    token_hash: str = Field(max_length=64)
    created_at: datetime = timestamp_field()
    revoked_at: datetime | None = timestamp_field(nullable=True)
