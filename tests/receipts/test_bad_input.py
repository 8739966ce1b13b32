"""Every refused receipt is a precise problem, and leaves nothing behind: no number, no row."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import col

from invoicing.db import Database
from invoicing.models import Series
from tests.helpers import AcceptedBusiness, bearer, register_series, this_year_symbol, today
from tests.receipts import TEMPLATE, receipt_business, receipt_payload, register_receipt_series


@pytest.fixture
def business(client: TestClient, database: Database) -> AcceptedBusiness:
    return receipt_business(client, database)


@pytest.fixture
def series(client: TestClient, business: AcceptedBusiness) -> str:
    return register_receipt_series(client, business.api_key)


def _refused(
    client: TestClient, business: AcceptedBusiness, series: str, payload: dict[str, Any], status: int = 422
) -> dict[str, str]:
    def next_number() -> int:
        response = client.get(f"/v1/series/{series}", headers=bearer(business.api_key))
        number: int = response.json()["next_number"]
        return number

    before = next_number()
    response = client.post("/v1/receipts", json=payload, headers=bearer(business.api_key))
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert next_number() == before
    assert client.get("/v1/receipts", headers=bearer(business.api_key)).json()["data"] == []
    chain = client.get(f"/v1/series/{series}/chain", headers=bearer(business.api_key)).json()
    assert chain["data"] == []
    return {e["field"]: e["reason"] for e in response.json().get("errors", [])}


def _fee(**overrides: Any) -> dict[str, Any]:
    return {"fee_name": "Lệ phí trước bạ", "amount": "1000", **overrides}


@pytest.mark.parametrize(
    ("fee", "field", "reason"),
    [
        (_fee(amount="0"), "lines[1].amount", "greater than 0"),
        (_fee(amount="-5000"), "lines[1].amount", "greater than 0"),
        (_fee(amount="10.123"), "lines[1].amount", "at most 2 decimal places"),
        (_fee(amount="10.5"), "lines[1].amount", "whole đồng"),
        (_fee(amount="abc"), "lines[1].amount", "decimal"),
        (_fee(fee_name="x" * 256), "lines[1].fee_name", "at most 255"),
        (_fee(fee_name="   "), "lines[1].fee_name", "at least 1"),
        ({"amount": "1000"}, "lines[1].fee_name", "required"),
    ],
)
def test_bad_lines(
    client: TestClient, business: AcceptedBusiness, series: str, fee: dict[str, Any], field: str, reason: str
) -> None:
    fields = _refused(client, business, series, receipt_payload(series, lines=[_fee(), fee]))
    assert list(fields) == [field], fields
    assert reason in fields[field]


def test_a_fee_name_of_255_characters_is_accepted(
    client: TestClient, business: AcceptedBusiness, series: str
) -> None:
    payload = receipt_payload(series, lines=[_fee(fee_name="ệ" * 255)])
    assert client.post("/v1/receipts", json=payload, headers=bearer(business.api_key)).status_code == 201


def test_no_lines(client: TestClient, business: AcceptedBusiness, series: str) -> None:
    assert "lines" in _refused(client, business, series, receipt_payload(series, lines=[]))


def test_missing_payer_name(client: TestClient, business: AcceptedBusiness, series: str) -> None:
    fields = _refused(client, business, series, receipt_payload(series, payer={"address": "Hà Nội"}))
    assert fields == {"payer.name": "Field required"}


def test_bad_payer_tax_code(client: TestClient, business: AcceptedBusiness, series: str) -> None:
    payload = receipt_payload(series, payer={"name": "Công ty A", "tax_code": "0100233489"})
    fields = _refused(client, business, series, payload)
    assert "not a valid Vietnamese tax code" in fields["payer.tax_code"]


def test_foreign_currency_needs_an_exchange_rate(
    client: TestClient, business: AcceptedBusiness, series: str
) -> None:
    fields = _refused(client, business, series, receipt_payload(series, currency="USD"))
    assert list(fields) == ["exchange_rate"]
    assert fields["exchange_rate"].startswith("required for USD (TGia)")


def test_vnd_takes_no_other_exchange_rate(
    client: TestClient, business: AcceptedBusiness, series: str
) -> None:
    fields = _refused(client, business, series, receipt_payload(series, exchange_rate="24000"))
    assert fields == {"exchange_rate": "must be 1 or left out for VND"}


def test_an_invoice_series_is_refused(client: TestClient, business: AcceptedBusiness, series: str) -> None:
    invoice_series = register_series(
        client, business.api_key, template="2", symbol=this_year_symbol("K", "HAA")
    )
    fields = _refused(client, business, series, receipt_payload(invoice_series))
    assert list(fields) == ["series"]
    assert "sales_invoice" in fields["series"]


def test_unknown_series(client: TestClient, business: AcceptedBusiness, series: str) -> None:
    fields = _refused(client, business, series, receipt_payload(series.replace("AA", "ZZ")), status=404)
    assert "POST /v1/series" in fields["series"]


def test_a_template_that_is_not_the_series_template(
    client: TestClient, business: AcceptedBusiness, series: str
) -> None:
    fields = _refused(client, business, series, receipt_payload(series, template="01BLP0-002"))
    assert fields == {"template": f"series {series} is registered under template {TEMPLATE}, not 01BLP0-002"}
    assert (
        client.post(
            "/v1/receipts", json=receipt_payload(series, template=TEMPLATE), headers=bearer(business.api_key)
        ).json()["number"]
        == 1
    )


def test_wrong_year_date(client: TestClient, business: AcceptedBusiness, series: str) -> None:
    last_year = date(date.fromisoformat(today()).year - 1, 12, 31)
    fields = _refused(client, business, series, receipt_payload(series, issue_date=last_year.isoformat()))
    assert list(fields) == ["issue_date"]
    assert f"numbers the year {last_year.year + 1}" in fields["issue_date"]


def test_future_date(client: TestClient, business: AcceptedBusiness, series: str) -> None:
    tomorrow = date.fromisoformat(today()) + timedelta(days=1)
    if tomorrow.year != date.fromisoformat(today()).year:
        pytest.skip("on 31 December tomorrow belongs to next year's series")
    fields = _refused(client, business, series, receipt_payload(series, issue_date=tomorrow.isoformat()))
    assert "in the future" in fields["issue_date"]


def test_unknown_fields_are_refused(client: TestClient, business: AcceptedBusiness, series: str) -> None:
    fields = _refused(client, business, series, receipt_payload(series, total="50000"))
    assert "total" in fields


def test_an_exhausted_series_hands_out_no_eighth_digit(
    client: TestClient, database: Database, business: AcceptedBusiness, series: str
) -> None:
    with database.transaction() as session:
        session.execute(update(Series).where(col(Series.symbol) == series).values(next_number=10_000_000))
    response = client.post("/v1/receipts", json=receipt_payload(series), headers=bearer(business.api_key))
    assert response.status_code == 409
    assert response.json()["type"].endswith("series-exhausted")
    assert (
        client.get(f"/v1/series/{series}", headers=bearer(business.api_key)).json()["next_number"]
        == 10_000_000
    )
    assert client.get("/v1/receipts", headers=bearer(business.api_key)).json()["data"] == []
