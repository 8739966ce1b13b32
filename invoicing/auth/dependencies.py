"""Authenticated by default: routes declare the principal they need as a typed dependency."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from invoicing.auth.principals import BusinessPrincipal, OfficialPrincipal
from invoicing.businesses import service as businesses
from invoicing.db import SessionDep
from invoicing.errors import Forbidden, Unauthenticated
from invoicing.officials import service as officials

_bearer = HTTPBearer(auto_error=False, description="Business API key or official token")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or not credentials.credentials:
        raise Unauthenticated()
    return credentials.credentials


def require_business(session: SessionDep, credentials: BearerDep) -> BusinessPrincipal:
    token = _token(credentials)
    principal = businesses.authenticate_api_key(session, token)
    if principal is not None:
        return principal
    if officials.authenticate_official(session, token) is not None:
        raise Forbidden("This endpoint needs a business API key, not an official token")
    raise Unauthenticated("The API key is not valid, expired or revoked")


def require_official(session: SessionDep, credentials: BearerDep) -> OfficialPrincipal:
    token = _token(credentials)
    principal = officials.authenticate_official(session, token)
    if principal is not None:
        return principal
    if businesses.authenticate_api_key(session, token) is not None:
        raise Forbidden("This endpoint needs a tax official's token, not a business API key")
    raise Unauthenticated("The official token is not valid or revoked")


BusinessDep = Annotated[BusinessPrincipal, Depends(require_business)]
OfficialDep = Annotated[OfficialPrincipal, Depends(require_official)]
