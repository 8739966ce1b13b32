from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

import signing
from invoicing.db import SessionDep
from invoicing.errors import PayloadTooLarge, ValidationFailed
from invoicing.keyring import KeyringDep
from invoicing.problems import problem_responses
from invoicing.verification import service
from invoicing.verification.schemas import VerificationReport

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
