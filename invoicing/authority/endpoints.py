from __future__ import annotations

from fastapi import APIRouter, Response

from invoicing.keyring import KeyringDep

router = APIRouter(prefix="/v1/authority", tags=["authority"])


@router.get(
    "/certificate",
    response_class=Response,
    responses={200: {"content": {"application/x-pem-file": {}}}},
    summary="The tax authority's signing certificate (PEM), for offline verification",
)
def get_authority_certificate(keyring: KeyringDep) -> Response:
    return Response(
        content=keyring.authority_certificate_pem,
        media_type="application/x-pem-file",
        headers={"Cache-Control": "public, max-age=3600"},
    )
