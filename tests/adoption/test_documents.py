"""Documents move the aggregates in their own transaction: issue, batch, correct, cancel, receipts."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from invoicing.adoption import service as adoption
from invoicing.adoption.cache import GENERATION_KEY
from invoicing.adoption.periods import today_vn
from invoicing.db import Database
from tests.adoption import by_code
from tests.helpers import (
    AcceptedBusiness,
    accepted_business,
    bearer,
    invoice_payload,
    official_token,
    register_series,
)
from tests.receipts import issue, receipt_business, receipt_payload, register_receipt_series

# Hà Nội's Phường Hoàn Kiếm: used by no other test module, so its figures are exact.
HANOI, HOAN_KIEM = "01", "00070"
INVOICE_TOTAL = 4350000


@pytest.fixture
def token(database: Database) -> str:
    return official_token(database)


@pytest.fixture
def business(client: TestClient, database: Database) -> AcceptedBusiness:
    return accepted_business(client, database, province_code=HANOI, ward_code=HOAN_KIEM)


@pytest.fixture
def series(client: TestClient, business: AcceptedBusiness) -> str:
    return register_series(client, business.api_key)


def _ward(client: TestClient, token: str, **params: str) -> dict[str, Any]:
    response = client.get(f"/v1/adoption/provinces/{HANOI}/wards", params=params, headers=bearer(token))
    assert response.status_code == 200, response.text
    found: dict[str, Any] = by_code(response.json())[HOAN_KIEM]
    return found


def _issue(client: TestClient, business: AcceptedBusiness, series: str, **overrides: Any) -> dict[str, Any]:
    response = client.post(
        "/v1/invoices", json=invoice_payload(series, **overrides), headers=bearer(business.api_key)
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _rebuild_is_clean(database: Database) -> None:
    with database.transaction() as session:
        report = adoption.rebuild_aggregates(session, apply=False)
    assert report.clean, report.differences[:10]


def test_a_cancelled_invoice_stays_issued_and_leaves_the_amount(
    client: TestClient, database: Database, token: str, business: AcceptedBusiness, series: str
) -> None:
    first = _issue(client, business, series)
    _issue(client, business, series)
    ward = _ward(client, token)
    assert (ward["invoices_issued"], ward["invoices_cancelled"], ward["amount_total"]) == (
        2,
        0,
        str(2 * INVOICE_TOTAL),
    )
    assert (
        ward["issuing_businesses"],
        ward["funnel"]["first_document"],
        ward["funnel"]["credentials_claimed"],
    ) == (1, 1, 1)

    cancelled = client.post(
        f"/v1/invoices/{first['id']}/cancel", json={"reason": "Sai giá"}, headers=bearer(business.api_key)
    )
    assert cancelled.status_code == 200, cancelled.text
    ward = _ward(client, token)
    assert (ward["invoices_issued"], ward["invoices_cancelled"], ward["amount_total"]) == (
        2,
        1,
        str(INVOICE_TOTAL),
    )
    assert ward["issuing_businesses"] == 1
    _rebuild_is_clean(database)


def test_replacement_and_adjustment_keep_the_amount_in_force(
    client: TestClient, database: Database, token: str, business: AcceptedBusiness, series: str
) -> None:
    original = _issue(client, business, series)
    payload = invoice_payload(series)
    replaced = client.post(
        f"/v1/invoices/{original['id']}/replace",
        json={
            "issue_date": original["issue_date"],
            "buyer": payload["buyer"],
            "lines": payload["lines"][:1],
            "note": "Sai",
        },
        headers=bearer(business.api_key),
    )
    assert replaced.status_code == 201, replaced.text
    replacement_total = int(replaced.json()["total"])
    ward = _ward(client, token)
    assert (ward["invoices_issued"], ward["amount_total"]) == (2, str(replacement_total))

    adjusted = client.post(
        f"/v1/invoices/{replaced.json()['id']}/adjust",
        json={
            "issue_date": original["issue_date"],
            "lines": [
                {
                    "name": "Giảm giá",
                    "unit": "Cái",
                    "quantity": "1",
                    "unit_price": "-100000",
                    "vat_rate": "10%",
                }
            ],
        },
        headers=bearer(business.api_key),
    )
    assert adjusted.status_code == 201, adjusted.text
    ward = _ward(client, token)
    assert (ward["invoices_issued"], ward["amount_total"]) == (3, str(replacement_total - 110000))
    _rebuild_is_clean(database)


def test_a_refused_batch_item_leaves_no_trace_in_the_aggregates(
    client: TestClient, database: Database, token: str, business: AcceptedBusiness, series: str
) -> None:
    bad = invoice_payload(
        series, lines=[{"name": "x", "unit": "Cái", "quantity": "1", "unit_price": "1", "vat_rate": "7%"}]
    )
    mixed = client.post(
        "/v1/invoices/batch",
        json={"invoices": [invoice_payload(series), bad, invoice_payload(series)]},
        headers=bearer(business.api_key),
    )
    assert mixed.status_code == 200, mixed.text
    assert mixed.json()["issued"] == 2
    assert _ward(client, token)["invoices_issued"] == 2

    atomic = client.post(
        "/v1/invoices/batch",
        json={"invoices": [invoice_payload(series), bad], "atomic": True},
        headers=bearer(business.api_key),
    )
    assert atomic.status_code == 422
    ward = _ward(client, token)
    assert (ward["invoices_issued"], ward["amount_total"]) == (2, str(2 * INVOICE_TOTAL))
    _rebuild_is_clean(database)


def test_a_back_dated_document_moves_the_first_document_earlier(
    client: TestClient, database: Database, token: str, business: AcceptedBusiness, series: str
) -> None:
    today = today_vn()
    earlier = date(today.year, 1, 1) if today != date(today.year, 1, 1) else today
    _issue(client, business, series)
    _issue(client, business, series, issue_date=earlier.isoformat())
    this_month = _ward(client, token, period=today.isoformat()[:7])
    whole_year = _ward(client, token, period=str(today.year))
    if earlier.month != today.month:
        assert this_month["funnel"]["first_document"] == 0
        assert this_month["invoices_issued"] == 1
    assert whole_year["funnel"]["first_document"] == 1
    assert (whole_year["invoices_issued"], whole_year["issuing_businesses"]) == (2, 1)
    on_the_day = _ward(client, token, period=earlier.isoformat())
    assert (on_the_day["funnel"]["first_document"], on_the_day["issuing_businesses"]) == (1, 1)
    _rebuild_is_clean(database)


def test_receipts_are_counted_and_rebuilt(client: TestClient, database: Database, token: str) -> None:
    collector = receipt_business(client, database, province_code=HANOI, ward_code=HOAN_KIEM)
    receipt_series = register_receipt_series(client, collector.api_key)
    issue(client, collector.api_key, receipt_payload(receipt_series))
    ward = _ward(client, token)
    assert (ward["receipts_issued"], ward["receipts_amount"], ward["issuing_businesses"]) == (1, "50000", 1)
    assert ward["amount_total"] == "50000"
    _rebuild_is_clean(database)


def test_statistics_are_cached_in_redis_and_invalidated_by_a_commit(
    redis_client: TestClient, database: Database, redis_url: str
) -> None:
    token = official_token(database)
    business = accepted_business(redis_client, database, province_code=HANOI, ward_code=HOAN_KIEM)
    series = register_series(redis_client, business.api_key)
    store = redis.Redis.from_url(redis_url)
    generation = int(store.get(GENERATION_KEY) or 0)
    assert _ward(redis_client, token)["invoices_issued"] == 0
    assert store.keys("hoadon:adoption:*:*")
    assert _ward(redis_client, token)["invoices_issued"] == 0  # answered from Redis

    _issue(redis_client, business, series)
    assert int(store.get(GENERATION_KEY) or 0) > generation
    assert _ward(redis_client, token)["invoices_issued"] == 1
    store.close()
