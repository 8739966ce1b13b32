from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from invoicing.models import Rendition, RenditionStatus


def get(
    session: Session, *, document_type: str, document_id: uuid.UUID, lock: bool = False
) -> Rendition | None:
    statement = select(Rendition).where(
        Rendition.document_type == document_type, Rendition.document_id == document_id
    )
    if lock:
        statement = statement.with_for_update()
    return session.exec(statement).first()


def statuses(
    session: Session, *, document_type: str, document_ids: list[uuid.UUID]
) -> dict[uuid.UUID, RenditionStatus]:
    if not document_ids:
        return {}
    rows = session.exec(
        select(Rendition.document_id, Rendition.status).where(
            Rendition.document_type == document_type, col(Rendition.document_id).in_(document_ids)
        )
    )
    return {document_id: RenditionStatus(status) for document_id, status in rows}


def with_status(
    session: Session, status: RenditionStatus, *, created_before: datetime | None = None
) -> list[Rendition]:
    statement = select(Rendition).where(Rendition.status == status)
    if created_before is not None:
        statement = statement.where(col(Rendition.created_at) < created_before)
    return list(session.exec(statement.order_by(col(Rendition.created_at)).limit(1000)))
