from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from invoicing.models import ApiKey, Business


def get_business(session: Session, business_id: uuid.UUID) -> Business | None:
    return session.get(Business, business_id)


def get_by_tax_code(session: Session, tax_code: str) -> Business | None:
    return session.exec(select(Business).where(Business.tax_code == tax_code)).first()


def get_key_by_prefix(session: Session, prefix: str) -> tuple[ApiKey, Business] | None:
    row = session.exec(select(ApiKey, Business).join(Business).where(ApiKey.prefix == prefix)).first()
    return (row[0], row[1]) if row else None


def active_keys(session: Session, business_id: uuid.UUID, *, now: datetime) -> list[ApiKey]:
    statement = (
        select(ApiKey)
        .where(ApiKey.business_id == business_id)
        .where((col(ApiKey.expires_at).is_(None)) | (col(ApiKey.expires_at) > now))
        .order_by(col(ApiKey.created_at).desc())
    )
    return list(session.exec(statement))
