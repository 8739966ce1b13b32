from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, status

from invoicing.auth.dependencies import BusinessDep
from invoicing.businesses import service
from invoicing.businesses.schemas import ApiKeyRead, ApiKeyRotated, BusinessRead
from invoicing.db import SessionDep
from invoicing.models import ApiKey
from invoicing.problems import problem_responses

router = APIRouter(prefix="/v1/business", tags=["business"])


def _key(key: ApiKey) -> ApiKeyRead:
    return ApiKeyRead(prefix=key.prefix, created_at=key.created_at, expires_at=key.expires_at)


@router.get("", response_model=BusinessRead, responses=problem_responses(401, 403))
def get_business(session: SessionDep, business: BusinessDep) -> BusinessRead:
    profile = service.get_business(session, business)
    return BusinessRead(
        id=profile.id,
        tax_code=profile.tax_code,
        name=profile.name,
        address=profile.address,
        province_code=profile.province_code,
        ward_code=profile.ward_code,
        email=profile.email,
        phone=profile.phone,
        invoice_kinds=list(profile.invoice_kinds),
        with_authority_code=profile.with_authority_code,
        registered_at=profile.registered_at,
        registration_id=profile.registration_id,
        api_keys=[_key(k) for k in service.list_api_keys(session, business)],
    )


@router.post(
    "/api-keys",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiKeyRotated,
    responses=problem_responses(401, 403),
    summary="Rotate the API key; older keys keep working for the grace period",
)
def rotate_api_key(request: Request, session: SessionDep, business: BusinessDep) -> ApiKeyRotated:
    grace = timedelta(hours=request.app.state.settings.api_key_grace_hours)
    issued, retiring = service.rotate_api_key(session, business, grace=grace)
    return ApiKeyRotated(
        api_key=issued.secret, key_prefix=issued.key.prefix, retiring=[_key(k) for k in retiring]
    )
