"""Idempotency with Redis as the fast path and the database as the backstop."""

from __future__ import annotations

import redis
from fastapi.testclient import TestClient

from invoicing.config import Settings
from invoicing.db import Database
from invoicing.main import create_app
from tests.helpers import accepted_business, bearer, invoice_payload, register_series


def test_replays_are_answered_from_redis(
    redis_client: TestClient, database: Database, redis_url: str
) -> None:
    business = accepted_business(redis_client, database)
    series = register_series(redis_client, business.api_key)
    headers = {**bearer(business.api_key), "Idempotency-Key": "fast-path"}
    first = redis_client.post("/v1/invoices", json=invoice_payload(series), headers=headers)
    assert first.status_code == 201
    cache = redis.Redis.from_url(redis_url)
    assert len(cache.keys("hoadon:idem:*")) == 1
    replay = redis_client.post("/v1/invoices", json=invoice_payload(series), headers=headers)
    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    conflict = redis_client.post(
        "/v1/invoices", json=invoice_payload(series, payment_method="CK"), headers=headers
    )
    assert conflict.status_code == 409


def test_without_redis_the_database_still_replays(
    settings: Settings, database: Database, redis_client: TestClient, redis_url: str
) -> None:
    business = accepted_business(redis_client, database)
    series = register_series(redis_client, business.api_key)
    headers = {**bearer(business.api_key), "Idempotency-Key": "redis-went-away"}
    first = redis_client.post("/v1/invoices", json=invoice_payload(series), headers=headers)
    redis.Redis.from_url(redis_url).flushdb()  # Redis lost everything (it keeps nothing on disk)
    replay = redis_client.post("/v1/invoices", json=invoice_payload(series), headers=headers)
    assert replay.json()["id"] == first.json()["id"]

    down = create_app(settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"}), database=database)
    with TestClient(down, raise_server_exceptions=False) as offline:
        again = offline.post("/v1/invoices", json=invoice_payload(series), headers=headers)
        assert again.status_code == 201
        assert again.json()["id"] == first.json()["id"]
        fresh = offline.post(
            "/v1/invoices", json=invoice_payload(series), headers={**headers, "Idempotency-Key": "new-key"}
        )
        assert fresh.status_code == 201
        assert fresh.json()["number"] == 2
