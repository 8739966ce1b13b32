"""Hostile input refused as a precise problem rather than a 500.

- A body over ``HOADON_MAX_BODY_BYTES`` is a ``413``: refused from its Content-Length when it
  declares one, and otherwise while it streams in, so it is never buffered whole. Routes that
  take a file as their raw body (their documented request body is not JSON: ``POST /v1/verify``,
  ``POST /v1/adoption/registry``) stream it themselves, after authentication, under their own cap.
- A JSON body must be UTF-8 (RFC 8259 §8.1) and nested at most ``MAX_JSON_DEPTH`` deep: the
  depth is counted on the raw text before any parser recurses into it.
- NUL (U+0000) and lone surrogates cannot be stored (PostgreSQL refuses NUL in text and jsonb; no
  UTF-8 holds a surrogate). Text fields refuse them in validation (``invoicing.text``), naming the
  field. Everything else is stopped at the database's door: a statement whose parameters carry one
  is refused with a ``422`` before it is sent, naming the field, query parameter, header or path
  where the request carried it (noted here on the way in, so a route's own, more precise
  validation still speaks first).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI
from psycopg.types.json import Json, Jsonb
from sqlalchemy import Engine, event
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from invoicing.errors import FieldProblem, HoadonError, PayloadTooLarge, ValidationFailed, field_path
from invoicing.problems import problem_response

MAX_JSON_DEPTH = 32
BODYLESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})
# A JSON string literal, matched possessively so an unterminated one costs one linear pass.
_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]++")
# Escapes that may decode to a character no text column can store: NUL, or half a surrogate pair.
_UNSTORABLE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class ClientGone(Exception):
    pass


class InvalidContentLength(HoadonError):
    status = 400
    type_slug = "bad-request"
    title = "Bad request"


def _json_depth_exceeds(text: str, limit: int) -> bool:
    brackets = _NOT_BRACKETS.sub("", _JSON_STRING.sub("", text))
    if len(brackets) <= limit:
        return False
    depth = 0
    for char in brackets:
        if char in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _unstorable(value: str) -> str | None:
    found = _UNSTORABLE.search(value)
    return found.group() if found else None


def _unstorable_location(
    value: Any, location: tuple[int | str, ...] = ()
) -> tuple[tuple[int | str, ...], str] | None:
    if isinstance(value, str):
        char = _unstorable(value)
        return (location, char) if char else None
    if isinstance(value, dict):
        for key, item in value.items():
            if char := _unstorable(key):
                return (location, char)
            found = _unstorable_location(item, (*location, key))
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _unstorable_location(item, (*location, index))
            if found is not None:
                return found
    return None


def _nul_refused(field: str, char: str = "\x00") -> ValidationFailed:
    reason = (
        "must not contain NUL characters (U+0000)"
        if char == "\x00"
        else f"must not contain a lone surrogate (U+{ord(char):04X})"
    )
    return ValidationFailed(f"{field}: {reason}", errors=[FieldProblem(field, reason)])


def check_json_body(body: bytes) -> str | None:
    """Raise ValidationFailed for a JSON body that cannot be valid; the field holding NUL, if any."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValidationFailed(
            f"the body is not valid UTF-8 (byte 0x{body[error.start]:02x} at offset {error.start})",
            field="body",
        ) from None
    if _json_depth_exceeds(text, MAX_JSON_DEPTH):
        raise ValidationFailed(f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels", field="body")
    if _UNSTORABLE_ESCAPE.search(text):
        try:
            parsed = json.loads(text)
        except ValueError:
            return None  # not JSON: the route's parser names the error
        found = _unstorable_location(parsed)
        if found is not None:
            return field_path(("body", *found[0]))
    return None


def locate_in_target(scope: Scope) -> str | None:
    """Where NUL is in the path, a query parameter or a header, if it is."""
    if "\x00" in scope["path"]:
        return "path"
    query = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if "\x00" in name or "\x00" in value:
                return name.replace("\x00", "") or "query"
    for name, value in scope["headers"]:
        if b"\x00" in value:
            header: str = name.decode("latin-1")
            return header
    return None


# Where the current request carried an unstorable character; read by the database backstop.
_unstorable_at: ContextVar[str | None] = ContextVar("hoadon_unstorable_at", default=None)


def _unstorable_parameter(value: Any) -> str | None:
    if isinstance(value, str):
        return _unstorable(value)
    if isinstance(value, Json | Jsonb):  # psycopg's wrappers of JSON and JSONB parameters
        return _unstorable_parameter(value.obj)
    if isinstance(value, dict):
        for key, item in value.items():
            found = _unstorable_parameter(key) or _unstorable_parameter(item)
            if found:
                return found
    if isinstance(value, list | tuple):
        for item in value:
            found = _unstorable_parameter(item)
            if found:
                return found
    return None


def refuse_unstorable_parameters(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    """SQLAlchemy ``before_cursor_execute``: nothing unstorable is ever sent to the database."""
    char = _unstorable_parameter(parameters)
    if char is not None:
        raise _nul_refused(_unstorable_at.get() or "body", char)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            if not value.isdigit():
                raise InvalidContentLength(
                    "Content-Length must be a non-negative integer", field="Content-Length"
                )
            return int(value)
    return None


def _media_type(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"content-type":
            media_type: str = value.decode("latin-1")
            return media_type.split(";", 1)[0].strip().lower()
    return ""


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def raw_body_operations(openapi: dict[str, Any]) -> list[tuple[str, re.Pattern[str]]]:
    """(method, path pattern) of the operations whose documented request body is not JSON."""
    found = []
    for path, operations in openapi.get("paths", {}).items():
        for method, operation in operations.items():
            content = (
                operation.get("requestBody", {}).get("content", {}) if isinstance(operation, dict) else {}
            )
            if content and not any(_is_json(media_type) for media_type in content):
                found.append((method.upper(), compile_path(path)[0]))
    return found


class RequestGuards:
    """Pure ASGI: reads the body once (bounded), checks it, and replays it to the application."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, openapi: Callable[[], dict[str, Any]]) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self._openapi = openapi
        self._raw_body: list[tuple[str, re.Pattern[str]]] | None = None

    def _streams_its_body(self, scope: Scope) -> bool:
        if self._raw_body is None:
            self._raw_body = raw_body_operations(self._openapi())
        return any(
            method == scope["method"] and pattern.match(scope["path"]) for method, pattern in self._raw_body
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            body = await self._checked_body(scope, receive)
        except HoadonError as error:
            response = problem_response(error.problem(instance=scope["path"]), headers=error.headers)
            await response(scope, receive, send)
            return
        except ClientGone:
            return
        if body is None:
            await self.app(scope, receive, send)
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _checked_body(self, scope: Scope, receive: Receive) -> bytes | None:
        """The whole body, checked; None when the request passes through unread."""
        _unstorable_at.set(locate_in_target(scope))
        declared = _content_length(scope)
        if (declared is None and scope["method"] in BODYLESS_METHODS) or self._streams_its_body(scope):
            return None
        if declared is not None and declared > self.max_body_bytes:
            raise self._too_large()
        body = await self._read(receive)
        media_type = _media_type(scope)
        if body and (_is_json(media_type) or not media_type):  # FastAPI reads an untyped body as JSON
            located = check_json_body(body)
            if located is not None and _unstorable_at.get() is None:
                _unstorable_at.set(located)
        return body

    async def _read(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientGone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise self._too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"a request body is at most {self.max_body_bytes} bytes")


def install_guards(app: FastAPI, *, max_body_bytes: int) -> None:
    app.add_middleware(RequestGuards, max_body_bytes=max_body_bytes, openapi=lambda: app.openapi())
    if not event.contains(Engine, "before_cursor_execute", refuse_unstorable_parameters):
        event.listen(Engine, "before_cursor_execute", refuse_unstorable_parameters)
