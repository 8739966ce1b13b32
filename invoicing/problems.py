"""RFC 9457 problem documents: the one shape every error of the API takes."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from invoicing.errors import PROBLEM_BASE, HoadonError, validation_failed

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger("hoadon.errors")


class FieldProblemModel(BaseModel):
    field: str = Field(examples=["lines[1].vat_rate"])
    reason: str


class Problem(BaseModel):
    type: str = Field(examples=[PROBLEM_BASE + "validation"])
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldProblemModel] | None = None


_DESCRIPTIONS = {
    400: "Bad request",
    401: "Missing or invalid credentials",
    403: "The credential may not do this",
    404: "Not found, or not visible to this credential",
    409: "Conflicts with the current state",
    413: "Body too large",
    422: "Validation failed; one entry per field",
    429: "Rate limited",
    503: "A dependency is unavailable",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the problem statuses a route declares."""
    return {
        status: {"model": Problem, "description": _DESCRIPTIONS[status], "content": {PROBLEM_JSON: {}}}
        for status in statuses
    }


def problem_response(body: dict[str, Any], *, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=body["status"], media_type=PROBLEM_JSON, headers=headers)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(HoadonError)
    async def _hoadon_error(request: Request, exc: HoadonError) -> JSONResponse:
        return problem_response(exc.problem(instance=request.url.path), headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(validation_failed(exc.errors()).problem(instance=request.url.path))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        return problem_response(
            {
                "type": PROBLEM_BASE + slug,
                "title": str(exc.detail) if exc.status_code != 404 else "Not found",
                "status": exc.status_code,
                "detail": str(exc.detail),
            },
            headers=dict(exc.headers or {}),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = getattr(request.state, "request_id", None) or uuid.uuid4().hex
        logger.exception("unhandled error", extra={"request_id": request_id, "path": request.url.path})
        return problem_response(
            {
                "type": PROBLEM_BASE + "internal",
                "title": "Internal error",
                "status": 500,
                "detail": f"An unexpected error occurred; quote request id {request_id} when reporting it",
                "request_id": request_id,
            },
            headers={"X-Request-ID": request_id},
        )
