from __future__ import annotations

from typing import Any

from sqlmodel import Session

from invoicing.models import AuditEvent


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
