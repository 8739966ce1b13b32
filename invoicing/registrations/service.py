from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from invoicing.adoption import service as adoption
from invoicing.audit.service import record_event
from invoicing.auth.principals import OfficialPrincipal
from invoicing.auth.tokens import TokenKind, issue_token, token_matches
from invoicing.businesses import service as businesses
from invoicing.certificates import service as certificates
from invoicing.errors import Conflict, NotFound, Unauthenticated, ValidationFailed
from invoicing.keyring import Keyring
from invoicing.localities import service as localities
from invoicing.models import Registration, RegistrationStatus
from invoicing.models.base import utcnow
from invoicing.pagination import Cursor
from invoicing.registrations import repository
from invoicing.registrations.schemas import RegistrationCreate
from invoicing.registrations.xml import FormCertificate, RegistrationForm, build_registration_xml

PUBLIC_ACTOR: tuple[str, str | None] = ("public", None)


class RegistrationAlreadyOpen(Conflict):
    type_slug = "registration-already-open"
    title = "The tax code already has an open or accepted registration"


class RegistrationNotSubmitted(Conflict):
    type_slug = "registration-already-decided"
    title = "The registration was already decided"


class CredentialsAlreadyClaimed(Conflict):
    type_slug = "credentials-already-claimed"
    title = "The credentials were already claimed"


class RegistrationNotAccepted(Conflict):
    type_slug = "registration-not-accepted"
    title = "The registration is not accepted"


@dataclass(frozen=True)
class SubmittedRegistration:
    registration: Registration
    claim_token: str


def _conflict_with(existing: Registration) -> RegistrationAlreadyOpen:
    return RegistrationAlreadyOpen(
        f"Tax code {existing.tax_code} already has a registration that is {existing.status.value}",
        field="tax_code",
        extra={"existing": {"id": str(existing.id), "href": f"/v1/registrations/{existing.id}"}},
    )


def submit_registration(session: Session, *, form: RegistrationCreate) -> SubmittedRegistration:
    localities.check_locality(province_code=form.province_code, ward_code=form.ward_code)
    certificate = (
        certificates.certificate_on_form(pem=form.certificate_pem, tax_code=form.tax_code)
        if form.certificate_pem
        else None
    )
    existing = repository.get_open_for_tax_code(session, form.tax_code)
    if existing is not None:
        raise _conflict_with(existing)

    claim = issue_token(TokenKind.CLAIM)
    registration_id = uuid.uuid4()
    province = localities.get_province(form.province_code)
    kinds = [kind.value for kind in form.invoice_kinds]
    xml = build_registration_xml(
        RegistrationForm(
            data_id=f"DLTKhai-{registration_id}",
            tax_code=form.tax_code,
            taxpayer_name=form.name,
            contact_name=form.representative,
            contact_address=form.address,
            email=str(form.email),
            phone=form.phone,
            place=province.name,
            form_date=utcnow().date(),
            with_authority_code=form.with_authority_code,
            invoice_kinds=tuple(kinds),
            certificates=(
                (
                    FormCertificate(
                        issuer=certificate.issuer,
                        serial=certificate.serial_hex,
                        valid_from=certificate.not_before,
                        valid_to=certificate.not_after,
                    ),
                )
                if certificate
                else ()
            ),
        )
    )
    registration = Registration(
        id=registration_id,
        tax_code=form.tax_code,
        name=form.name,
        address=form.address,
        province_code=form.province_code,
        ward_code=form.ward_code,
        representative=form.representative,
        email=str(form.email),
        phone=form.phone,
        invoice_kinds=kinds,
        with_authority_code=form.with_authority_code,
        certificate_pem=form.certificate_pem if certificate else None,
        certificate_serial=certificate.serial_hex if certificate else None,
        claim_token_hash=claim.hash,
        form_xml=xml.decode(),
    )
    session.add(registration)
    try:
        # The partial unique index settles a race between two simultaneous submissions.
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        existing = repository.get_open_for_tax_code(session, form.tax_code)
        if existing is None:
            raise
        raise _conflict_with(existing) from None
    adoption.record_registration_submitted(session, registration=registration)
    record_event(
        session,
        actor=PUBLIC_ACTOR,
        action="registration.submitted",
        subject_type="registration",
        subject_id=registration.id,
        data={"tax_code": form.tax_code, "province_code": form.province_code},
    )
    return SubmittedRegistration(registration=registration, claim_token=claim.token)


def get_with_claim_token(
    session: Session, *, registration_id: uuid.UUID, claim_token: str | None, lock: bool = False
) -> Registration:
    if not claim_token:
        raise Unauthenticated("Send the registration's claim token in the X-Claim-Token header")
    registration = (
        repository.get_for_update(session, registration_id)
        if lock
        else repository.get(session, registration_id)
    )
    # A wrong token and an unknown id look the same, so ids cannot be probed.
    if registration is None or not token_matches(claim_token, registration.claim_token_hash):
        raise NotFound("No registration with this id for this claim token")
    return registration


def claim_credentials(
    session: Session, *, registration_id: uuid.UUID, claim_token: str | None
) -> businesses.IssuedApiKey:
    registration = get_with_claim_token(
        session, registration_id=registration_id, claim_token=claim_token, lock=True
    )
    if registration.status is not RegistrationStatus.ACCEPTED or registration.business_id is None:
        raise RegistrationNotAccepted(
            f"Credentials are issued once the registration is accepted; it is {registration.status.value}"
        )
    if registration.credentials_claimed_at is not None:
        raise CredentialsAlreadyClaimed(
            "The API key of this registration was already handed out; rotate it with "
            "POST /v1/business/api-keys if it was lost"
        )
    business = businesses.get_business_by_id(session, registration.business_id)
    registration.credentials_claimed_at = utcnow()
    session.add(registration)
    actor = ("business", str(business.id))
    issued = businesses.issue_api_key(session, business=business, actor=actor)
    adoption.record_credentials_claimed(session, registration=registration)
    record_event(
        session,
        actor=actor,
        action="registration.credentials_claimed",
        subject_type="registration",
        subject_id=registration.id,
    )
    return issued


def list_registrations(
    session: Session,
    official: OfficialPrincipal,
    *,
    status: RegistrationStatus | None,
    limit: int,
    cursor: Cursor | None,
) -> tuple[list[Registration], bool]:
    rows = repository.list_for_official(session, official, status=status, limit=limit, cursor=cursor)
    return rows[:limit], len(rows) > limit


def get_for_official(
    session: Session, official: OfficialPrincipal, registration_id: uuid.UUID, *, lock: bool = False
) -> Registration:
    registration = repository.get_for_official(session, official, registration_id, lock=lock)
    if registration is None:
        raise NotFound("No registration with this id in your jurisdiction")
    return registration


def _decidable(session: Session, official: OfficialPrincipal, registration_id: uuid.UUID) -> Registration:
    registration = get_for_official(session, official, registration_id, lock=True)
    if registration.status is not RegistrationStatus.SUBMITTED:
        raise RegistrationNotSubmitted(
            f"The registration is already {registration.status.value}; a decision is final"
        )
    return registration


def accept_registration(
    session: Session,
    official: OfficialPrincipal,
    *,
    keyring: Keyring,
    sandbox: bool,
    registration_id: uuid.UUID,
) -> Registration:
    registration = _decidable(session, official, registration_id)
    business = businesses.register_business(session, registration=registration)
    if sandbox and registration.certificate_pem is None:
        # So a new user can issue right after registering; production businesses upload their own.
        certificates.issue_sandbox_certificate(session, keyring=keyring, business=business)
    registration.status = RegistrationStatus.ACCEPTED
    registration.decided_at = utcnow()
    registration.decided_by = official.official_id
    registration.business_id = business.id
    session.add(registration)
    adoption.record_registration_decided(session, registration=registration)
    record_event(
        session,
        actor=official.actor,
        action="registration.accepted",
        subject_type="registration",
        subject_id=registration.id,
        data={"business_id": str(business.id)},
    )
    return registration


def reject_registration(
    session: Session, official: OfficialPrincipal, *, registration_id: uuid.UUID, reasons: list[str]
) -> Registration:
    if not reasons:
        raise ValidationFailed("give at least one reason", field="reasons")
    registration = _decidable(session, official, registration_id)
    registration.status = RegistrationStatus.REJECTED
    registration.reasons = list(reasons)
    registration.decided_at = utcnow()
    registration.decided_by = official.official_id
    session.add(registration)
    adoption.record_registration_decided(session, registration=registration)
    record_event(
        session,
        actor=official.actor,
        action="registration.rejected",
        subject_type="registration",
        subject_id=registration.id,
        data={"reasons": reasons},
    )
    return registration
