from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response, status

from invoicing.auth.dependencies import BearerDep, OfficialDep, require_official
from invoicing.db import SessionDep
from invoicing.keyring import KeyringDep
from invoicing.models import Registration, RegistrationStatus
from invoicing.pagination import CursorQuery, LimitQuery, decode_cursor, encode_cursor
from invoicing.problems import problem_responses
from invoicing.registrations import service
from invoicing.registrations.schemas import (
    CredentialsRead,
    InvoiceKind,
    RegistrationCreate,
    RegistrationCreated,
    RegistrationList,
    RegistrationRead,
    RegistrationReject,
)

router = APIRouter(prefix="/v1/registrations", tags=["registrations"])
ClaimTokenHeader = Annotated[
    str | None, Header(alias="X-Claim-Token", description="The claim token returned at submission")
]


def _links(registration: Registration) -> dict[str, str]:
    base = f"/v1/registrations/{registration.id}"
    return {"self": base, "credentials": f"{base}/credentials", "xml": f"{base}/xml"}


def _read(registration: Registration) -> RegistrationRead:
    return RegistrationRead(
        id=registration.id,
        status=registration.status,
        tax_code=registration.tax_code,
        name=registration.name,
        address=registration.address,
        province_code=registration.province_code,
        ward_code=registration.ward_code,
        representative=registration.representative,
        email=registration.email,
        phone=registration.phone,
        invoice_kinds=[InvoiceKind(kind) for kind in registration.invoice_kinds],
        with_authority_code=registration.with_authority_code,
        certificate_serial=registration.certificate_serial,
        reasons=list(registration.reasons),
        submitted_at=registration.submitted_at,
        decided_at=registration.decided_at,
        credentials_claimed=registration.credentials_claimed_at is not None,
        business_id=registration.business_id,
        links=_links(registration),
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=RegistrationCreated,
    responses=problem_responses(409, 422),
    summary="Submit a 01/ĐKTĐ-HĐĐT registration (public)",
)
def submit_registration(
    body: RegistrationCreate, session: SessionDep, response: Response
) -> RegistrationCreated:
    submitted = service.submit_registration(session, form=body)
    registration = submitted.registration
    response.headers["Location"] = f"/v1/registrations/{registration.id}"
    return RegistrationCreated(
        id=registration.id,
        status=registration.status,
        claim_token=submitted.claim_token,
        links=_links(registration),
    )


@router.get(
    "",
    response_model=RegistrationList,
    responses=problem_responses(401, 403, 422),
    summary="Registrations in the official's jurisdiction, newest first",
)
def list_registrations(
    session: SessionDep,
    official: OfficialDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    status: RegistrationStatus | None = None,
) -> RegistrationList:
    rows, more = service.list_registrations(
        session, official, status=status, limit=limit, cursor=decode_cursor(cursor)
    )
    next_cursor = encode_cursor(rows[-1].submitted_at, rows[-1].id) if more and rows else None
    return RegistrationList(data=[_read(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{registration_id}",
    response_model=RegistrationRead,
    responses=problem_responses(401, 403, 404),
    summary="Follow a registration (X-Claim-Token) or review it (official token)",
)
def get_registration(
    registration_id: uuid.UUID,
    session: SessionDep,
    credentials: BearerDep,
    claim_token: ClaimTokenHeader = None,
) -> RegistrationRead:
    if claim_token is None and credentials is not None:
        official = require_official(session, credentials)
        return _read(service.get_for_official(session, official, registration_id))
    registration = service.get_with_claim_token(
        session, registration_id=registration_id, claim_token=claim_token
    )
    return _read(registration)


@router.post(
    "/{registration_id}/credentials",
    status_code=status.HTTP_201_CREATED,
    response_model=CredentialsRead,
    responses=problem_responses(401, 404, 409),
    summary="Claim the business's API key, once, after acceptance",
)
def claim_credentials(
    registration_id: uuid.UUID, session: SessionDep, claim_token: ClaimTokenHeader = None
) -> CredentialsRead:
    issued = service.claim_credentials(session, registration_id=registration_id, claim_token=claim_token)
    return CredentialsRead(
        business_id=issued.key.business_id, api_key=issued.secret, key_prefix=issued.key.prefix
    )


@router.post(
    "/{registration_id}/accept",
    response_model=RegistrationRead,
    responses=problem_responses(401, 403, 404, 409),
    summary="Accept a submitted registration (01/TB-ĐKĐT, TTXNCQT 1)",
)
def accept_registration(
    registration_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    official: OfficialDep,
    keyring: KeyringDep,
) -> RegistrationRead:
    accepted = service.accept_registration(
        session,
        official,
        keyring=keyring,
        sandbox=request.app.state.settings.sandbox_enabled,
        registration_id=registration_id,
    )
    return _read(accepted)


@router.post(
    "/{registration_id}/reject",
    response_model=RegistrationRead,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="Reject a submitted registration with reasons (01/TB-ĐKĐT, TTXNCQT 2)",
)
def reject_registration(
    registration_id: uuid.UUID, body: RegistrationReject, session: SessionDep, official: OfficialDep
) -> RegistrationRead:
    return _read(
        service.reject_registration(session, official, registration_id=registration_id, reasons=body.reasons)
    )


@router.get(
    "/{registration_id}/xml",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}, **problem_responses(401, 403, 404)},
    summary="The registration as the form's XML (TKhai)",
)
def get_registration_xml(registration_id: uuid.UUID, session: SessionDep, official: OfficialDep) -> Response:
    registration = service.get_for_official(session, official, registration_id)
    return Response(content=registration.form_xml.encode(), media_type="application/xml")
