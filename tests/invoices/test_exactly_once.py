from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from invoicing.db import Database
from tests.helpers import AcceptedBusiness, accepted_business, bearer, invoice_payload, register_series


@pytest.fixture
def business(client: TestClient, database: Database) -> AcceptedBusiness:
    return accepted_business(client, database)


@pytest.fixture
def series(client: TestClient, business: AcceptedBusiness) -> str:
    return register_series(client, business.api_key)


def test_replay_with_the_same_key_returns_the_first_response(
    client: TestClient, business: AcceptedBusiness, series: str
) -> None:
    headers = {**bearer(business.api_key), "Idempotency-Key": "order-42"}
    first = client.post("/v1/invoices", json=invoice_payload(series), headers=headers)
    second = client.post("/v1/invoices", json=invoice_payload(series), headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    listed = client.get("/v1/invoices", headers=bearer(business.api_key)).json()["data"]
    assert [row["number"] for row in listed] == [1]


def test_same_key_with_another_body_conflicts(
    client: TestClient, business: AcceptedBusiness, series: str
) -> None:
    headers = {**bearer(business.api_key), "Idempotency-Key": "order-43"}
    assert client.post("/v1/invoices", json=invoice_payload(series), headers=headers).status_code == 201
    changed = invoice_payload(series, payment_method="TM")
    response = client.post("/v1/invoices", json=changed, headers=headers)
    assert response.status_code == 409
    assert response.json()["type"].endswith("idempotency-key-reused")


def test_a_refused_request_can_be_retried_with_its_key(
    client: TestClient, business: AcceptedBusiness, series: str
) -> None:
    headers = {**bearer(business.api_key), "Idempotency-Key": "order-44"}
    bad = invoice_payload(
        series, lines=[{"name": "x", "quantity": "0", "unit_price": "1", "vat_rate": "10%"}]
    )
    assert client.post("/v1/invoices", json=bad, headers=headers).status_code == 422
    assert client.post("/v1/invoices", json=invoice_payload(series), headers=headers).status_code == 201


def test_keys_are_per_business(
    client: TestClient, database: Database, business: AcceptedBusiness, series: str
) -> None:
    other = accepted_business(client, database)
    other_series = register_series(client, other.api_key)
    key = {"Idempotency-Key": "shared-key"}
    mine = client.post(
        "/v1/invoices", json=invoice_payload(series), headers={**bearer(business.api_key), **key}
    )
    theirs = client.post(
        "/v1/invoices", json=invoice_payload(other_series), headers={**bearer(other.api_key), **key}
    )
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


def test_external_id_is_unique_and_searchable(
    client: TestClient, business: AcceptedBusiness, series: str
) -> None:
    first = client.post(
        "/v1/invoices", json=invoice_payload(series, external_id="ERP-1"), headers=bearer(business.api_key)
    )
    assert first.status_code == 201
    duplicate = client.post(
        "/v1/invoices", json=invoice_payload(series, external_id="ERP-1"), headers=bearer(business.api_key)
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["existing"]["id"] == first.json()["id"]
    found = client.get("/v1/invoices?external_id=ERP-1", headers=bearer(business.api_key)).json()["data"]
    assert [row["id"] for row in found] == [first.json()["id"]]
    next_number = client.get(f"/v1/series/{series}", headers=bearer(business.api_key)).json()["next_number"]
    assert next_number == 2


def test_batch_numbers_are_contiguous_and_bad_items_fail_alone(
    client: TestClient, business: AcceptedBusiness, series: str
) -> None:
    bad = invoice_payload(
        series, lines=[{"name": "x", "quantity": "1", "unit_price": "1", "vat_rate": "12%"}]
    )
    items = [
        invoice_payload(series),
        bad,
        invoice_payload(series),
        {"series": "nonsense"},
        invoice_payload(series),
    ]
    response = client.post("/v1/invoices/batch", json={"invoices": items}, headers=bearer(business.api_key))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["issued"] == 3
    assert body["failed"] == 2
    assert [item["status"] for item in body["data"]] == [201, 422, 201, 422, 201]
    assert [item["invoice"]["number"] for item in body["data"] if item["invoice"]] == [1, 2, 3]
    assert body["data"][1]["problem"]["errors"][0]["field"] == "lines[0].vat_rate"
    assert body["data"][3]["problem"]["errors"][0]["field"] == "series"


def test_atomic_batch_is_all_or_nothing(client: TestClient, business: AcceptedBusiness, series: str) -> None:
    bad = invoice_payload(series, buyer={"tax_code": "0100233488"})
    items = [invoice_payload(series), invoice_payload(series), bad]
    response = client.post(
        "/v1/invoices/batch", json={"invoices": items, "atomic": True}, headers=bearer(business.api_key)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "invoices[2].buyer"
    assert client.get("/v1/invoices", headers=bearer(business.api_key)).json()["data"] == []
    assert client.get(f"/v1/series/{series}", headers=bearer(business.api_key)).json()["next_number"] == 1


def test_batch_size_is_capped(client: TestClient, business: AcceptedBusiness, series: str) -> None:
    response = client.post(
        "/v1/invoices/batch", json={"invoices": [{}] * 1001}, headers=bearer(business.api_key)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "invoices"


def test_list_filters_and_pagination(client: TestClient, business: AcceptedBusiness, series: str) -> None:
    other_buyer = {"tax_code": "0106324653", "name": "Công ty Khác", "address": "Hà Nội"}
    for index in range(3):
        payload = invoice_payload(series, buyer=other_buyer) if index == 1 else invoice_payload(series)
        assert client.post("/v1/invoices", json=payload, headers=bearer(business.api_key)).status_code == 201
    auth = bearer(business.api_key)
    page = client.get("/v1/invoices?limit=2", headers=auth).json()
    assert [row["number"] for row in page["data"]] == [3, 2]
    rest = client.get(f"/v1/invoices?limit=2&cursor={page['next_cursor']}", headers=auth).json()
    assert [row["number"] for row in rest["data"]] == [1]
    assert rest["next_cursor"] is None
    by_buyer = client.get("/v1/invoices?buyer_tax_code=0106324653", headers=auth).json()["data"]
    assert [row["number"] for row in by_buyer] == [2]
    assert (
        client.get(f"/v1/invoices?series={series}&status=issued", headers=auth).json()["data"][0]["number"]
        == 3
    )
    assert client.get("/v1/invoices?status=cancelled", headers=auth).json()["data"] == []
    assert (
        client.get("/v1/invoices?issued_from=2000-01-01&issued_to=2000-12-31", headers=auth).json()["data"]
        == []
    )


def test_another_business_cannot_read_my_invoice(
    client: TestClient, database: Database, business: AcceptedBusiness, series: str
) -> None:
    issued = client.post(
        "/v1/invoices", json=invoice_payload(series), headers=bearer(business.api_key)
    ).json()
    other = accepted_business(client, database)
    assert client.get(f"/v1/invoices/{issued['id']}", headers=bearer(other.api_key)).status_code == 404
    assert client.get(f"/v1/invoices/{issued['id']}/xml", headers=bearer(other.api_key)).status_code == 404
    assert client.get("/v1/invoices", headers=bearer(other.api_key)).json()["data"] == []
    assert client.get(f"/v1/series/{series}/chain", headers=bearer(other.api_key)).status_code == 404
