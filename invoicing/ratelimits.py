"""Rate limits per credential and per client address (API.md: ``429``, ``Retry-After``, ``RateLimit-*``).

A request with a business API key or an official token counts against that credential; any other
request counts against its client address. The credential's bucket is named by a hash of the
token, never the token, and is picked before authentication (no database work for a refused
call). Because a made-up token would otherwise get a fresh bucket of its own, every ``401``
answered to a bearer token also counts against the caller's address, and an address that has
spent its public allowance on failed authentications is refused before its tokens are looked up.
The dashboard's sign-in form (a token in a form body) is counted and refused the same way.

Windows are moving windows (``limits``' MovingWindowRateLimiter): no burst of twice the limit
across a window boundary. With Redis configured the counts are shared by every API process; when
Redis does not answer, each process counts in its own memory for a few seconds and then tries Redis
again, with a warning logged: the API keeps serving, and a caller still meets a limit, per process.

Every limited response, success or not, carries ``RateLimit-Limit``, ``RateLimit-Remaining``,
``RateLimit-Reset`` (seconds) and ``RateLimit-Policy`` (draft-ietf-httpapi-ratelimit-headers);
a refused one is a ``429`` problem with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
from dataclasses import dataclass
from typing import Any

import redis.asyncio
from fastapi import FastAPI
from limits import RateLimitItem, WindowStats, parse_many
from limits.aio.storage import RedisStorage as AsyncRedisStorage
from limits.aio.strategies import MovingWindowRateLimiter as AsyncMovingWindow
from limits.errors import StorageError
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from invoicing.auth.tokens import TokenKind, parse_token
from invoicing.config import Settings
from invoicing.errors import PROBLEM_BASE
from invoicing.problems import problem_response

logger = logging.getLogger("hoadon.ratelimits")

EXEMPT_PATHS = frozenset({"/healthz", "/readyz"})
# Forms that carry a token in their body: the dashboard's sign-in is refused, and its failures
# counted, like a bearer token's.
SIGN_IN_PATHS = frozenset({"/dashboard/sign-in"})
REDIS_RETRY_SECONDS = 5.0
KEY_PREFIX = "hoadon:ratelimit"


@dataclass(frozen=True)
class Policy:
    name: str
    items: tuple[RateLimitItem, ...]

    @classmethod
    def parse(cls, name: str, text: str) -> Policy:
        return cls(name, tuple(parse_many(text)))


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    item: RateLimitItem
    remaining: int
    reset_after: int

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.item.amount),
            "RateLimit-Remaining": str(max(0, self.remaining)),
            "RateLimit-Reset": str(self.reset_after),
            "RateLimit-Policy": f"{self.item.amount};w={self.item.get_expiry()}",
        }


class Limiter:
    """Moving windows in Redis when configured, in process memory otherwise or while Redis is down."""

    def __init__(self, redis_url: str | None) -> None:
        self._redis_url = redis_url
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        # redis.asyncio connections belong to one event loop: one client per loop.
        self._redis: tuple[asyncio.AbstractEventLoop, AsyncMovingWindow, Any] | None = None
        self._redis_down_until = 0.0

    def _redis_limiter(self) -> AsyncMovingWindow | None:
        if self._redis_url is None or time.monotonic() < self._redis_down_until:
            return None
        loop = asyncio.get_running_loop()
        if self._redis is None or self._redis[0] is not loop:
            pool = redis.asyncio.ConnectionPool.from_url(
                self._redis_url, socket_timeout=0.5, socket_connect_timeout=0.5
            )
            storage = AsyncRedisStorage(
                f"async+{self._redis_url}",
                implementation="redispy",
                connection_pool=pool,  # type: ignore[arg-type]  # documented; the stub says otherwise
                key_prefix=KEY_PREFIX,
                wrap_exceptions=True,
            )
            self._redis = (loop, AsyncMovingWindow(storage), pool)
        return self._redis[1]

    async def aclose(self) -> None:
        if self._redis is not None:
            pool, self._redis = self._redis[2], None
            await pool.disconnect()

    def _down(self, error: Exception) -> None:
        self._redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
        logger.warning(
            "rate limits: Redis unavailable (%s); counting in this process for %.0f s",
            type(error).__name__,
            REDIS_RETRY_SECONDS,
        )

    async def _spend(self, item: RateLimitItem, *identifiers: str) -> bool:
        shared = self._redis_limiter()
        if shared is not None:
            try:
                return await shared.hit(item, *identifiers)
            except (StorageError, RedisError) as error:
                self._down(error)
        return self._memory.hit(item, *identifiers)

    async def _available(self, item: RateLimitItem, *identifiers: str) -> bool:
        shared = self._redis_limiter()
        if shared is not None:
            try:
                return await shared.test(item, *identifiers)
            except (StorageError, RedisError) as error:
                self._down(error)
        return self._memory.test(item, *identifiers)

    async def _stats(self, item: RateLimitItem, *identifiers: str) -> WindowStats:
        shared = self._redis_limiter()
        if shared is not None:
            try:
                return await shared.get_window_stats(item, *identifiers)
            except (StorageError, RedisError) as error:
                self._down(error)
        return self._memory.get_window_stats(item, *identifiers)

    async def _verdict(self, policy: Policy, key: str, item: RateLimitItem, *, allowed: bool) -> Verdict:
        stats = await self._stats(item, policy.name, key)
        reset_after = max(0, math.ceil(stats.reset_time - time.time()))
        return Verdict(allowed=allowed, item=item, remaining=stats.remaining, reset_after=reset_after)

    async def hit(self, policy: Policy, key: str) -> Verdict:
        """Spend one request of every limit of the policy; the verdict names the tightest."""
        tightest: Verdict | None = None
        for item in policy.items:
            allowed = await self._spend(item, policy.name, key)
            verdict = await self._verdict(policy, key, item, allowed=allowed)
            if not allowed:
                return verdict
            if tightest is None or verdict.remaining < tightest.remaining:
                tightest = verdict
        assert tightest is not None
        return tightest

    async def exhausted(self, policy: Policy, key: str) -> Verdict | None:
        """The verdict of the first limit already spent, without spending anything."""
        for item in policy.items:
            if not await self._available(item, policy.name, key):
                return await self._verdict(policy, key, item, allowed=False)
        return None


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return None


def _client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class RateLimitMiddleware:
    """Pure ASGI, so a refused request costs no routing, no body and no database session."""

    def __init__(self, app: ASGIApp, *, settings: Settings, limiter: Limiter | None = None) -> None:
        self.app = app
        self.limiter = limiter or Limiter(settings.redis_url)
        self.business = Policy.parse("business", settings.rate_limit_business)
        self.official = Policy.parse("official", settings.rate_limit_official)
        self.public = Policy.parse("public", settings.rate_limit_public)
        self.failures = Policy.parse("auth-failures", settings.rate_limit_public)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, self._closing(receive), send)
            return
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return

        address = _client_address(scope)
        token = _bearer(scope)
        parsed = parse_token(token) if token else None
        policy = {TokenKind.BUSINESS_KEY: self.business, TokenKind.OFFICIAL: self.official}.get(
            parsed.kind if parsed else None  # type: ignore[arg-type]
        )
        signing_in = scope["method"] == "POST" and scope["path"] in SIGN_IN_PATHS
        if (policy is not None and token is not None) or signing_in:
            refused = await self.limiter.exhausted(self.failures, address)
            if refused is not None:
                await self._refuse(scope, receive, send, refused, "failed authentications from this address")
                return
        if policy is not None and token is not None:
            digest = hashlib.sha256(token.encode()).hexdigest()[:32]
            verdict = await self.limiter.hit(policy, digest)
            what = "this credential"
        else:
            verdict = await self.limiter.hit(self.public, address)
            what = "requests without a credential from this address"
        if not verdict.allowed:
            await self._refuse(scope, receive, send, verdict, what)
            return

        headers = [(k.lower().encode(), v.encode()) for k, v in verdict.headers().items()]
        status = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)
        if status == 401 and (policy is not None or signing_in):
            await self.limiter.hit(self.failures, address)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, verdict: Verdict, what: str) -> None:
        retry_after = max(1, verdict.reset_after)
        response = problem_response(
            {
                "type": PROBLEM_BASE + "rate-limited",
                "title": "Too many requests",
                "status": 429,
                "detail": f"The limit of {verdict.item.amount} per {verdict.item.get_expiry()} s for {what} "
                f"is spent; retry after {retry_after} s",
                "instance": scope["path"],
            },
            headers={**verdict.headers(), "Retry-After": str(retry_after)},
        )
        await response(scope, receive, send)

    def _closing(self, receive: Receive) -> Receive:
        async def wrapped() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                await self.limiter.aclose()
            return message

        return wrapped


_HEADER_DOCS = {
    "RateLimit-Limit": "Requests allowed in the window",
    "RateLimit-Remaining": "Requests left in the window",
    "RateLimit-Reset": "Seconds until a request is allowed again",
    "RateLimit-Policy": "The limit and its window in seconds, e.g. 600;w=60",
}


def _document_429(schema: dict[str, Any]) -> dict[str, Any]:
    headers = {
        name: {"description": text, "schema": {"type": "string"}} for name, text in _HEADER_DOCS.items()
    }
    too_many = {
        "description": "Rate limited: retry after Retry-After seconds",
        "headers": {
            **headers,
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}},
        },
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for path, operations in schema.get("paths", {}).items():
        if path in EXEMPT_PATHS:
            continue
        for operation in operations.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault("429", too_many)
    return schema


def install_rate_limits(app: FastAPI, settings: Settings) -> None:
    if not settings.rate_limits_enabled:
        return
    app.add_middleware(RateLimitMiddleware, settings=settings)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        return _document_429(generate())

    app.openapi = openapi  # type: ignore[method-assign]
