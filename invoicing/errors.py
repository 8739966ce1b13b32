"""The error hierarchy every domain raises, rendered as RFC 9457 ``application/problem+json``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

PROBLEM_BASE = "https://hoadon.dev/problems/"


@dataclass(frozen=True)
class FieldProblem:
    field: str
    reason: str


class HoadonError(Exception):
    """A situation the API answers with a problem document rather than a result."""

    status: ClassVar[int] = 400
    type_slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        errors: list[FieldProblem] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors or [])
        if field is not None:
            self.errors.insert(0, FieldProblem(field=field, reason=detail))
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})

    def problem(self, *, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.type_slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = [{"field": e.field, "reason": e.reason} for e in self.errors]
        body.update(self.extra)
        return body


class ValidationFailed(HoadonError):
    status = 422
    type_slug = "validation"
    title = "The request is not valid"


class Unauthenticated(HoadonError):
    status = 401
    type_slug = "unauthenticated"
    title = "Authentication required"

    def __init__(self, detail: str = "A valid bearer token is required") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="hoadon"'})


class Forbidden(HoadonError):
    status = 403
    type_slug = "forbidden"
    title = "Not allowed for this credential"


class NotFound(HoadonError):
    status = 404
    type_slug = "not-found"
    title = "Not found"


class Conflict(HoadonError):
    status = 409
    type_slug = "conflict"
    title = "Conflict with the current state"


class PayloadTooLarge(HoadonError):
    status = 413
    type_slug = "payload-too-large"
    title = "Request body too large"


class ServiceUnavailable(HoadonError):
    status = 503
    type_slug = "unavailable"
    title = "Service unavailable"


def field_path(location: Sequence[int | str]) -> str:
    """``("body", "lines", 1, "vat_rate")`` → ``lines[1].vat_rate``."""
    parts = list(location)
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"


def validation_failed(errors: Sequence[Mapping[str, Any]]) -> ValidationFailed:
    """Pydantic's error list as one ValidationFailed with an entry per field."""
    problems = []
    for error in errors:
        if error.get("type") == "json_invalid":
            problems.append(FieldProblem("body", "the body is not valid JSON"))
            continue
        reason = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        problems.append(FieldProblem(field_path(error.get("loc", ())), reason))
    return ValidationFailed("; ".join(f"{p.field}: {p.reason}" for p in problems), errors=problems)
