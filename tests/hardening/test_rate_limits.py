"""Rate limits per credential and per client address, in process and on a real Redis."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from httpx import Response
from pydantic import ValidationError

from invoicing.config import Environment, Settings
from invoicing.db import Database
from invoicing.main import create_app
from invoicing.problems import Problem
from tests.helpers import accepted_business, bearer, official_token

PUBLIC = "/v1/localities/provinces"
HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy")


def _limited(settings: Settings, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "rate_limit_public": "3/minute",
        "rate_limit_business": "3/minute",
        "rate_limit_official": "2/minute",
        **overrides,
    }
    return settings.model_copy(update=values)


@contextmanager
def _app(settings: Settings, database: Database) -> Iterator[TestClient]:
    with TestClient(create_app(settings, database=database), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def limited(settings: Settings, database: Database) -> Iterator[TestClient]:
    with _app(_limited(settings), database) as client:
        yield client


def _assert_refused(response: Response, *, limit: int) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = Problem.model_validate(response.json())
    assert problem.status == 429
    assert problem.type.endswith("/rate-limited")
    assert int(response.headers["Retry-After"]) >= 1
    assert response.headers["RateLimit-Limit"] == str(limit)
    assert response.headers["RateLimit-Remaining"] == "0"
    assert 0 < int(response.headers["RateLimit-Reset"]) <= 60
    assert response.headers["RateLimit-Policy"] == f"{limit};w=60"


def test_public_calls_are_limited_per_address_with_headers_on_every_answer(limited: TestClient) -> None:
    remaining = []
    for _ in range(3):
        response = limited.get(PUBLIC)
        assert response.status_code == 200
        assert all(name in response.headers for name in HEADERS)
        assert response.headers["RateLimit-Limit"] == "3"
        remaining.append(int(response.headers["RateLimit-Remaining"]))
    assert remaining == [2, 1, 0]
    _assert_refused(limited.get(PUBLIC), limit=3)
    # another public endpoint shares the address's allowance
    _assert_refused(limited.post("/v1/verify", content=b"<HDon/>"), limit=3)


def test_errors_carry_the_headers_too(limited: TestClient) -> None:
    response = limited.get("/v1/business")
    assert response.status_code == 401
    assert response.headers["RateLimit-Remaining"] == "2"


def test_health_is_not_limited(limited: TestClient) -> None:
    for _ in range(5):
        response = limited.get("/healthz")
        assert response.status_code == 200
        assert "RateLimit-Limit" not in response.headers


def test_each_credential_has_its_own_allowance(
    client: TestClient, database: Database, settings: Settings
) -> None:
    first = accepted_business(client, database)
    second = accepted_business(client, database)
    official = official_token(database)
    with _app(_limited(settings), database) as limited:
        for expected in (2, 1, 0):
            response = limited.get("/v1/business", headers=bearer(first.api_key))
            assert response.status_code == 200, response.text
            assert response.headers["RateLimit-Remaining"] == str(expected)
        _assert_refused(limited.get("/v1/business", headers=bearer(first.api_key)), limit=3)
        # neither the other business, the official nor an anonymous caller is affected
        assert limited.get("/v1/business", headers=bearer(second.api_key)).status_code == 200
        assert limited.get("/v1/registrations", headers=bearer(official)).status_code == 200
        assert limited.get("/v1/registrations", headers=bearer(official)).status_code == 200
        _assert_refused(limited.get("/v1/registrations", headers=bearer(official)), limit=2)
        assert limited.get(PUBLIC).status_code == 200


def test_made_up_tokens_spend_the_address_allowance(limited: TestClient) -> None:
    for index in range(3):
        token = f"hd_sk_{index:012x}_not-a-real-secret-{index}"
        assert limited.get("/v1/business", headers=bearer(token)).status_code == 401
    refused = limited.get("/v1/business", headers=bearer("hd_sk_0000000000ff_another-fresh-token"))
    _assert_refused(refused, limit=3)
    assert "failed authentications" in refused.json()["detail"]


def test_a_refused_request_does_no_work(limited: TestClient) -> None:
    for _ in range(3):
        limited.get(PUBLIC)
    response = limited.post("/v1/registrations", json={"tax_code": "x"})
    assert response.status_code == 429  # not 422: the body was never looked at


def test_several_limits_report_the_tightest(settings: Settings, database: Database) -> None:
    with _app(_limited(settings, rate_limit_public="100/hour;2/minute"), database) as client:
        response = client.get(PUBLIC)
        assert response.headers["RateLimit-Limit"] == "2"
        assert response.headers["RateLimit-Remaining"] == "1"
        client.get(PUBLIC)
        _assert_refused(client.get(PUBLIC), limit=2)


def test_limits_can_be_turned_off(settings: Settings, database: Database) -> None:
    with _app(_limited(settings, rate_limits_enabled=False), database) as client:
        for _ in range(5):
            response = client.get(PUBLIC)
            assert response.status_code == 200
            assert "RateLimit-Limit" not in response.headers


@pytest.mark.parametrize("value", ["lots", "10 per fortnight", ""])
def test_a_malformed_limit_is_refused_at_startup(value: str) -> None:
    with pytest.raises(ValidationError, match="rate limit"):
        Settings(env=Environment.TEST, rate_limit_public=value)


@pytest.mark.redis
def test_redis_shares_the_count_between_processes(
    client: TestClient, settings: Settings, database: Database, redis_url: str
) -> None:
    business = accepted_business(client, database)
    shared = _limited(settings, redis_url=redis_url)
    with _app(shared, database) as first, _app(shared, database) as second:
        assert first.get("/v1/business", headers=bearer(business.api_key)).status_code == 200
        assert second.get("/v1/business", headers=bearer(business.api_key)).status_code == 200
        third = first.get("/v1/business", headers=bearer(business.api_key))
        assert third.headers["RateLimit-Remaining"] == "0"
        _assert_refused(second.get("/v1/business", headers=bearer(business.api_key)), limit=3)
        _assert_refused(first.get("/v1/business", headers=bearer(business.api_key)), limit=3)

    keys = [key.decode() for key in redis.Redis.from_url(redis_url).keys("hoadon:ratelimit:*")]
    assert keys, "the counts live in Redis"
    secret = business.api_key.split("_", 3)[3]
    assert not any(secret in key or business.api_key in key for key in keys)


@pytest.mark.redis
def test_redis_public_limit(settings: Settings, database: Database, redis_url: str) -> None:
    with _app(_limited(settings, redis_url=redis_url), database) as client:
        assert [client.get(PUBLIC).status_code for _ in range(3)] == [200, 200, 200]
        _assert_refused(client.get(PUBLIC), limit=3)


def test_redis_down_serves_and_limits_in_process(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    unreachable = _limited(settings, redis_url="redis://127.0.0.1:1/0")
    with caplog.at_level(logging.WARNING, logger="hoadon.ratelimits"), _app(unreachable, database) as client:
        statuses = [client.get(PUBLIC).status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        _assert_refused(client.get(PUBLIC), limit=3)
    warnings = [r for r in caplog.records if r.name == "hoadon.ratelimits"]
    assert warnings, "the fallback is logged"
    assert "Redis unavailable" in warnings[0].getMessage()


def test_the_openapi_document_declares_429_on_every_limited_operation(limited: TestClient) -> None:
    spec = limited.get("/openapi.json").json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            declared = "429" in operation["responses"]
            assert declared is (path not in ("/healthz", "/readyz")), (method, path)
            if declared:
                assert {"Retry-After", "RateLimit-Remaining"} <= set(operation["responses"]["429"]["headers"])


def test_a_refusal_carries_the_request_id(limited: TestClient) -> None:
    for _ in range(3):
        limited.get(PUBLIC)
    refused = limited.get(PUBLIC, headers={"X-Request-ID": "req-429"})
    assert refused.status_code == 429
    assert refused.headers["X-Request-ID"] == "req-429"
