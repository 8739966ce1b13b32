from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from invoicing.models import AuditEvent


def events_for(session: Session, subject_ids: Sequence[str]) -> list[AuditEvent]:
    statement = (
        select(AuditEvent)
        .where(col(AuditEvent.subject_id).in_(list(subject_ids)))
        .order_by(col(AuditEvent.occurred_at), col(AuditEvent.id))
    )
    return list(session.exec(statement))


def record_event(
    session: Session,
    *,
    actor: tuple[str, str | None],
    action: str,
    subject_type: str,
    subject_id: object,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    actor_type, actor_id = actor
    event = AuditEvent(
        actor_type=actor_type,
        actor_id=actor_id,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        data=data or {},
    )
    session.add(event)
    return event
