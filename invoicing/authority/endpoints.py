from __future__ import annotations

from cryptography import x509
from fastapi import APIRouter, Response

import signing
from invoicing.errors import NotFound
from invoicing.keyring import KeyringDep
from invoicing.problems import problem_responses

router = APIRouter(prefix="/v1/authority", tags=["authority"])


@router.get(
    "/certificate",
    response_class=Response,
    responses={200: {"content": {"application/x-pem-file": {}}}},
    summary="The tax authority's signing certificate (PEM), for offline verification",
)
def get_authority_certificate(keyring: KeyringDep) -> Response:
    return _pem(keyring.authority.certificate)


@router.get(
    "/sandbox-ca",
    response_class=Response,
    responses={200: {"content": {"application/x-pem-file": {}}}, **problem_responses(404)},
    summary="The sandbox CA that issues sandbox signing certificates (when HOADON_SANDBOX is on)",
)
def get_sandbox_ca(keyring: KeyringDep) -> Response:
    if keyring.sandbox_ca is None:
        raise NotFound("this deployment runs no sandbox CA")
    return _pem(keyring.sandbox_ca.certificate)


def _pem(certificate: x509.Certificate) -> Response:
    return Response(
        content=signing.certificate_pem(certificate),
        media_type="application/x-pem-file",
        headers={"Cache-Control": "public, max-age=3600"},
    )
