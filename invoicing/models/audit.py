from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from invoicing.models.base import id_field, timestamp_field


class AuditEvent(SQLModel, table=True):
    """Append-only record of every decision: who did what to which subject, and when."""

    __tablename__ = "audit_events"

    id: uuid.UUID = id_field()
    occurred_at: datetime = timestamp_field(index=True)
    actor_type: str = Field(max_length=16)
    actor_id: str | None = Field(default=None, max_length=64)
    action: str = Field(max_length=64, index=True)
    subject_type: str = Field(max_length=32)
    subject_id: str = Field(max_length=64, index=True)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
