from __future__ import annotations

import uuid

from sqlmodel import Session, select

from invoicing.models import Official


def get(session: Session, official_id: uuid.UUID) -> Official | None:
    return session.get(Official, official_id)


def get_by_prefix(session: Session, prefix: str) -> Official | None:
    return session.exec(select(Official).where(Official.token_prefix == prefix)).first()


def any_official(session: Session) -> bool:
    return session.exec(select(Official.id).limit(1)).first() is not None
