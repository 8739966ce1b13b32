from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import Session

from invoicing.audit.service import record_event
from invoicing.auth.principals import OfficialPrincipal
from invoicing.auth.tokens import TokenKind, issue_token, parse_token, token_matches
from invoicing.errors import ValidationFailed
from invoicing.localities import service as localities
from invoicing.models import Official
from invoicing.officials import repository


@dataclass(frozen=True)
class CreatedOfficial:
    official: Official
    token: str


def create_official(session: Session, *, name: str, province_code: str | None) -> CreatedOfficial:
    if not name.strip():
        raise ValidationFailed("name must not be empty", field="name")
    if province_code is not None:
        localities.get_province(province_code)
    issued = issue_token(TokenKind.OFFICIAL)
    official = Official(
        name=name.strip(), province_code=province_code, token_prefix=issued.prefix, token_hash=issued.hash
    )
    session.add(official)
    session.flush()
    record_event(
        session,
        actor=("system", None),
        action="official.created",
        subject_type="official",
        subject_id=official.id,
        data={"province_code": province_code},
    )
    return CreatedOfficial(official=official, token=issued.token)


def has_officials(session: Session) -> bool:
    return repository.any_official(session)


def authenticate_official(session: Session, token: str) -> OfficialPrincipal | None:
    parsed = parse_token(token)
    if parsed is None or parsed.kind is not TokenKind.OFFICIAL:
        return None
    official = repository.get_by_prefix(session, parsed.prefix)
    if official is None or official.revoked_at is not None:
        return None
    if not token_matches(token, official.token_hash):
        return None
    return _principal(official)


def official_principal(session: Session, official_id: uuid.UUID) -> OfficialPrincipal | None:
    """The official as a caller, unless revoked since (a dashboard session ends with its token)."""
    official = repository.get(session, official_id)
    if official is None or official.revoked_at is not None:
        return None
    return _principal(official)


def _principal(official: Official) -> OfficialPrincipal:
    return OfficialPrincipal(
        official_id=official.id, name=official.name, province_code=official.province_code
    )
