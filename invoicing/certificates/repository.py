from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from invoicing.models import SigningCertificate


def list_for_business(session: Session, business_id: uuid.UUID) -> list[SigningCertificate]:
    statement = (
        select(SigningCertificate)
        .where(SigningCertificate.business_id == business_id)
        .order_by(col(SigningCertificate.created_at).desc())
    )
    return list(session.exec(statement))


def usable_for_business(
    session: Session, business_id: uuid.UUID, *, at: datetime
) -> SigningCertificate | None:
    statement = (
        select(SigningCertificate)
        .where(
            SigningCertificate.business_id == business_id,
            col(SigningCertificate.retired_at).is_(None),
            SigningCertificate.not_before <= at,
            SigningCertificate.not_after > at,
        )
        .order_by(col(SigningCertificate.created_at).desc())
        .limit(1)
    )
    return session.exec(statement).first()


def get_by_fingerprint(session: Session, fingerprint: str) -> SigningCertificate | None:
    return session.exec(
        select(SigningCertificate).where(SigningCertificate.fingerprint_sha256 == fingerprint)
    ).first()
