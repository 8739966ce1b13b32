"""Idempotency-Key: a repeat with the same key and body returns the first response.

The record is inserted before the work and committed with it, so the database's unique
constraint is the backstop: a concurrent duplicate waits on the first request's row and then
replays it, across processes and without Redis. Redis, when configured, only answers repeats
sooner. Only successful responses are kept; a refused request may be retried with its key.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from redis.exceptions import RedisError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from invoicing.db import after_commit
from invoicing.errors import Conflict
from invoicing.models import IdempotencyRecord

logger = logging.getLogger("hoadon.idempotency")
CACHE_TTL_SECONDS = 24 * 3600

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Repeat a request safely: the same key and body return the first response",
    ),
]


class IdempotencyKeyReused(Conflict):
    type_slug = "idempotency-key-reused"
    title = "The Idempotency-Key was used with a different request"


@dataclass(frozen=True)
class Stored:
    request_hash: str
    method: str
    path: str
    status_code: int
    response: dict[str, Any]


class IdempotencyCache:
    """Redis fast path; a Redis failure falls back to the database, logged."""

    def __init__(self, redis: Any) -> None:
        self._redis = redis

    @staticmethod
    def _name(principal: str, key: str) -> str:
        return f"hoadon:idem:{principal}:{hashlib.sha256(key.encode()).hexdigest()}"

    def get(self, principal: str, key: str) -> Stored | None:
        try:
            raw = self._redis.get(self._name(principal, key))
        except RedisError as error:
            logger.warning("idempotency cache unavailable: %s", type(error).__name__)
            return None
        return Stored(**json.loads(raw)) if raw else None

    def put(self, principal: str, key: str, stored: Stored) -> None:
        try:
            self._redis.set(self._name(principal, key), json.dumps(stored.__dict__), ex=CACHE_TTL_SECONDS)
        except RedisError as error:
            logger.warning("idempotency cache unavailable: %s", type(error).__name__)


def get_idempotency_cache(request: Request) -> IdempotencyCache | None:
    redis = getattr(request.app.state, "redis", None)
    return IdempotencyCache(redis) if redis is not None else None


def request_fingerprint(body: BaseModel | dict[str, Any] | None) -> str:
    if body is None:
        payload: Any = None
    elif isinstance(body, BaseModel):
        payload = body.model_dump(mode="json")
    else:
        payload = body
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(stored: Stored, *, request_hash: str, method: str, path: str, key: str) -> JSONResponse:
    if stored.request_hash != request_hash or stored.method != method or stored.path != path:
        raise IdempotencyKeyReused(
            f"Idempotency-Key {key!r} was first used for {stored.method} {stored.path} with another body",
            field="Idempotency-Key",
        )
    return JSONResponse(
        stored.response,
        status_code=stored.status_code,
        headers={"Idempotency-Key": key, "Idempotent-Replayed": "true"},
    )


def run_idempotent(
    session: Session,
    *,
    request: Request,
    key: str | None,
    principal: str,
    body: BaseModel | dict[str, Any] | None,
    status_code: int,
    action: Callable[[], BaseModel],
    headers: Callable[[BaseModel], dict[str, str]] | None = None,
) -> JSONResponse:
    method, path = request.method, request.url.path
    if key is None:
        result = action()
        return JSONResponse(
            result.model_dump(mode="json"),
            status_code=status_code,
            headers=headers(result) if headers else None,
        )
    request_hash = request_fingerprint(body)
    cache = get_idempotency_cache(request)
    cached = cache.get(principal, key) if cache else None
    if cached is not None:
        return _replay(cached, request_hash=request_hash, method=method, path=path, key=key)

    record = IdempotencyRecord(
        principal=principal,
        key=key,
        method=method,
        path=path,
        request_hash=request_hash,
        status_code=0,
        response={},
    )
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError:
        existing = session.exec(
            select(IdempotencyRecord).where(
                IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
            )
        ).one()
        stored = Stored(
            existing.request_hash, existing.method, existing.path, existing.status_code, existing.response
        )
        return _replay(stored, request_hash=request_hash, method=method, path=path, key=key)

    result = action()
    response_body = result.model_dump(mode="json")
    record.status_code = status_code
    record.response = response_body
    session.add(record)
    if cache is not None:
        stored = Stored(request_hash, method, path, status_code, response_body)
        after_commit(session, lambda: cache.put(principal, key, stored))
    extra = headers(result) if headers else {}
    return JSONResponse(response_body, status_code=status_code, headers={"Idempotency-Key": key, **extra})
