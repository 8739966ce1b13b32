from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from invoicing.models.base import timestamp_field


class DashboardSession(SQLModel, table=True):
    """An official signed in to the web dashboard.

    The browser's cookie holds a random session id; only its SHA-256 is kept, so a copy of this
    table signs nobody in.
    """

    __tablename__ = "dashboard_sessions"

    id_hash: str = Field(max_length=64, primary_key=True)
    official_id: uuid.UUID = Field(foreign_key="officials.id", index=True)
    created_at: datetime = timestamp_field()
    expires_at: datetime = timestamp_field(index=True)
