"""Opaque keyset cursors: newest first, stable under concurrent inserts."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Protocol

from fastapi import Query

from invoicing.errors import ValidationFailed

LimitQuery = Annotated[int, Query(ge=1, le=200, description="Page size")]
CursorQuery = Annotated[str | None, Query(description="`next_cursor` of the previous page")]


@dataclass(frozen=True)
class Cursor:
    at: datetime
    id: uuid.UUID


class Keyed(Protocol):
    @property
    def id(self) -> uuid.UUID: ...


def encode_cursor(at: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps({"at": at.isoformat(), "id": str(row_id)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str | None) -> Cursor | None:
    if not value:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        data = json.loads(raw)
        return Cursor(at=datetime.fromisoformat(data["at"]), id=uuid.UUID(data["id"]))
    except (ValueError, KeyError, TypeError):
        raise ValidationFailed("the cursor is not one this API returned", field="cursor") from None
