from __future__ import annotations

import base64
import binascii

from fastapi import APIRouter, status

from invoicing.auth.dependencies import BusinessDep
from invoicing.businesses import service as businesses
from invoicing.certificates import service
from invoicing.certificates.schemas import (
    CertificateFormat,
    CertificateList,
    CertificateRead,
    CertificateUpload,
)
from invoicing.db import SessionDep
from invoicing.errors import ValidationFailed
from invoicing.keyring import KeyringDep
from invoicing.models import SigningCertificate
from invoicing.problems import problem_responses

router = APIRouter(prefix="/v1/business/certificates", tags=["business"])


def certificate_read(record: SigningCertificate) -> CertificateRead:
    return CertificateRead(
        id=record.id,
        source=record.source,
        serial=record.serial_hex,
        fingerprint_sha256=record.fingerprint_sha256,
        subject=record.subject,
        issuer=record.issuer,
        not_before=record.not_before,
        not_after=record.not_after,
        retired_at=record.retired_at,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CertificateRead,
    responses=problem_responses(401, 403, 409, 422),
    summary="Upload a signing key and certificate (the key is encrypted at rest)",
)
def upload_certificate(
    body: CertificateUpload, session: SessionDep, business: BusinessDep, keyring: KeyringDep
) -> CertificateRead:
    if body.format is CertificateFormat.PKCS12:
        try:
            data = base64.b64decode(body.data, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed("a PKCS#12 file must be sent in base64", field="data") from None
    else:
        data = body.data.encode()
    record = service.upload_certificate(
        session,
        keyring=keyring,
        business=businesses.get_business(session, business),
        data=data,
        password=body.password.encode() if body.password is not None else None,
    )
    return certificate_read(record)


@router.get("", response_model=CertificateList, responses=problem_responses(401, 403))
def list_certificates(session: SessionDep, business: BusinessDep) -> CertificateList:
    return CertificateList(
        data=[
            certificate_read(r) for r in service.list_certificates(session, business_id=business.business_id)
        ]
    )
