from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col, select

from invoicing.models import DashboardSession


def add_session(session: Session, record: DashboardSession) -> None:
    session.add(record)
    session.flush()


def get_live_session(session: Session, *, id_hash: str, now: datetime) -> DashboardSession | None:
    statement = select(DashboardSession).where(
        DashboardSession.id_hash == id_hash, col(DashboardSession.expires_at) > now
    )
    return session.exec(statement).first()


def delete_session(session: Session, *, id_hash: str) -> None:
    session.exec(delete(DashboardSession).where(col(DashboardSession.id_hash) == id_hash))


def delete_expired_sessions(session: Session, *, now: datetime) -> None:
    session.exec(delete(DashboardSession).where(col(DashboardSession.expires_at) <= now))
