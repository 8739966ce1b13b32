from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from invoicing.auth.principals import OfficialPrincipal
from invoicing.models import OPEN_STATUSES, Registration, RegistrationStatus
from invoicing.pagination import Cursor


def get(session: Session, registration_id: uuid.UUID) -> Registration | None:
    return session.get(Registration, registration_id)


def get_for_update(session: Session, registration_id: uuid.UUID) -> Registration | None:
    statement = select(Registration).where(Registration.id == registration_id).with_for_update()
    return session.exec(statement).first()


def get_open_for_tax_code(session: Session, tax_code: str) -> Registration | None:
    statement = select(Registration).where(
        Registration.tax_code == tax_code, col(Registration.status).in_(OPEN_STATUSES)
    )
    return session.exec(statement).first()


def get_for_official(
    session: Session, official: OfficialPrincipal, registration_id: uuid.UUID, *, lock: bool = False
) -> Registration | None:
    statement = select(Registration).where(Registration.id == registration_id)
    if official.province_code is not None:
        statement = statement.where(Registration.province_code == official.province_code)
    if lock:
        statement = statement.with_for_update()
    return session.exec(statement).first()


def list_for_official(
    session: Session,
    official: OfficialPrincipal,
    *,
    status: RegistrationStatus | None,
    limit: int,
    cursor: Cursor | None,
) -> list[Registration]:
    statement = select(Registration)
    if official.province_code is not None:
        statement = statement.where(Registration.province_code == official.province_code)
    if status is not None:
        statement = statement.where(Registration.status == status)
    if cursor is not None:
        submitted_at: datetime = cursor.at
        statement = statement.where(
            (col(Registration.submitted_at) < submitted_at)
            | ((col(Registration.submitted_at) == submitted_at) & (col(Registration.id) < cursor.id))
        )
    statement = statement.order_by(col(Registration.submitted_at).desc(), col(Registration.id).desc())
    return list(session.exec(statement.limit(limit + 1)))
