from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session

from invoicing.audit.service import record_event
from invoicing.auth.principals import BusinessPrincipal
from invoicing.auth.tokens import TokenKind, issue_token, parse_token, token_matches
from invoicing.businesses import repository
from invoicing.errors import NotFound
from invoicing.models import ApiKey, Business, Registration
from invoicing.models.base import utcnow


@dataclass(frozen=True)
class IssuedApiKey:
    key: ApiKey
    secret: str


def register_business(session: Session, *, registration: Registration) -> Business:
    business = Business(
        tax_code=registration.tax_code,
        name=registration.name,
        address=registration.address,
        province_code=registration.province_code,
        ward_code=registration.ward_code,
        email=registration.email,
        phone=registration.phone,
        invoice_kinds=list(registration.invoice_kinds),
        with_authority_code=registration.with_authority_code,
        registration_id=registration.id,
    )
    session.add(business)
    session.flush()
    return business


def get_business_by_id(session: Session, business_id: uuid.UUID) -> Business:
    business = repository.get_business(session, business_id)
    if business is None:
        raise NotFound("No such business")
    return business


def find_by_tax_code(session: Session, tax_code: str) -> Business | None:
    return repository.get_by_tax_code(session, tax_code)


def get_business(session: Session, principal: BusinessPrincipal) -> Business:
    return get_business_by_id(session, principal.business_id)


def issue_api_key(session: Session, *, business: Business, actor: tuple[str, str | None]) -> IssuedApiKey:
    issued = issue_token(TokenKind.BUSINESS_KEY)
    key = ApiKey(business_id=business.id, prefix=issued.prefix, key_hash=issued.hash)
    session.add(key)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="api_key.issued",
        subject_type="business",
        subject_id=business.id,
        data={"key_prefix": issued.prefix},
    )
    return IssuedApiKey(key=key, secret=issued.token)


def rotate_api_key(
    session: Session, principal: BusinessPrincipal, *, grace: timedelta
) -> tuple[IssuedApiKey, list[ApiKey]]:
    """A new key; every other key keeps working for ``grace`` so deployments can roll over."""
    business = get_business(session, principal)
    now = utcnow()
    retiring = repository.active_keys(session, business.id, now=now)
    deadline = now + grace
    for key in retiring:
        if key.expires_at is None or key.expires_at > deadline:
            key.expires_at = deadline
            session.add(key)
    new_key = issue_api_key(session, business=business, actor=principal.actor)
    record_event(
        session,
        actor=principal.actor,
        action="api_key.rotated",
        subject_type="business",
        subject_id=business.id,
        data={"new_prefix": new_key.key.prefix, "retiring": [k.prefix for k in retiring]},
    )
    return new_key, retiring


def list_api_keys(session: Session, principal: BusinessPrincipal) -> list[ApiKey]:
    return repository.active_keys(session, principal.business_id, now=utcnow())


def authenticate_api_key(session: Session, token: str) -> BusinessPrincipal | None:
    parsed = parse_token(token)
    if parsed is None or parsed.kind is not TokenKind.BUSINESS_KEY:
        return None
    found = repository.get_key_by_prefix(session, parsed.prefix)
    if found is None:
        return None
    key, business = found
    if not token_matches(token, key.key_hash):
        return None
    if key.expires_at is not None and key.expires_at <= utcnow():
        return None
    return BusinessPrincipal(business_id=business.id, tax_code=business.tax_code, api_key_id=key.id)
