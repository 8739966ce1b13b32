from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse

import signing
from invoicing.db import SessionDep
from invoicing.errors import PayloadTooLarge, ValidationFailed
from invoicing.keyring import KeyringDep
from invoicing.problems import problem_responses
from invoicing.verification import pages, qr, service
from invoicing.verification.schemas import QrVerificationReport, QrVerifyRequest, VerificationReport

router = APIRouter(tags=["verification"])
MAX_XML_BYTES = 2_000_000


async def read_xml_body(request: Request) -> bytes:
    """The raw body, refused as soon as it passes the cap rather than after buffering it all."""
    data = bytearray()
    async for chunk in request.stream():
        data.extend(chunk)
        if len(data) > MAX_XML_BYTES:
            raise PayloadTooLarge(f"an invoice XML is at most {MAX_XML_BYTES} bytes")
    if not data:
        raise ValidationFailed("send the invoice XML as the request body", field="body")
    return bytes(data)


XmlBody = Annotated[bytes, Depends(read_xml_body)]


@router.post(
    "/v1/verify",
    response_model=VerificationReport,
    responses=problem_responses(413, 422),
    summary="Verify an invoice's XML: signatures, certificate, authority code, stored copy, status (public)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/xml": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def verify_document(data: XmlBody, session: SessionDep, keyring: KeyringDep) -> VerificationReport:
    try:
        return service.verify_document(session, keyring=keyring, data=data)
    except signing.InvalidXML as error:
        raise ValidationFailed(f"not a safe, well-formed XML document: {error}", field="body") from None


@router.post(
    "/v1/verify/qr",
    response_model=QrVerificationReport,
    responses=problem_responses(422),
    summary="Verify an invoice's QR code: the tax authority's signature and the stored invoice (public)",
    description="Refused with 422 when the payload is malformed (the field is named), or when the "
    "signature does not verify: each field that differs from the stored invoice is named, or "
    "`signature` when they all match (re-signed with another key). The problem's `report` member "
    "then holds the full report.",
)
def verify_qr(request: QrVerifyRequest, session: SessionDep, keyring: KeyringDep) -> QrVerificationReport:
    return qr.verify_qr(session, keyring=keyring, text=request.payload)


@router.get(
    "/verify/{code}",
    response_class=HTMLResponse,
    responses={
        200: {"content": {"text/html": {}}, "description": "The invoice's status and face facts"},
        404: {"content": {"text/html": {}}, "description": "No invoice has this code (an HTML page)"},
    },
    summary="The public page a QR code opens (HTML)",
)
def verification_page(
    session: SessionDep,
    keyring: KeyringDep,
    code: Annotated[str, Path(description="The MCCQT, or an uncoded invoice's id")],
    q: Annotated[
        str | None,
        Query(description="The QR's signed payload: the page then says whether it is authentic and matches"),
    ] = None,
) -> HTMLResponse:
    found = qr.public_invoice(session, keyring=keyring, code=code, qr_payload=q)
    if found is None:
        return HTMLResponse(pages.render_not_found_page(), status_code=404, headers=pages.SECURITY_HEADERS)
    return HTMLResponse(pages.render_invoice_page(found), headers=pages.SECURITY_HEADERS)
