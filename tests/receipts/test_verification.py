"""``POST /v1/verify`` recognises receipts (``BLai``): every check runs, the authority's is not for them."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from invoicing.db import Database
from tests.helpers import AcceptedBusiness, bearer
from tests.receipts import issue, receipt_business, receipt_payload, register_receipt_series


@pytest.fixture
def business(client: TestClient, database: Database) -> AcceptedBusiness:
    return receipt_business(client, database)


@pytest.fixture
def receipt_xml(client: TestClient, business: AcceptedBusiness) -> bytes:
    receipt = issue(
        client, business.api_key, receipt_payload(register_receipt_series(client, business.api_key))
    )
    response = client.get(f"/v1/receipts/{receipt['id']}/xml", headers=bearer(business.api_key))
    assert response.status_code == 200
    return response.content


def _verify(client: TestClient, xml: bytes) -> dict[str, Any]:
    response = client.post("/v1/verify", content=xml, headers={"Content-Type": "application/xml"})
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def _results(report: dict[str, Any]) -> dict[str, str]:
    return {check["name"]: check["result"] for check in report["checks"]}


def test_an_issued_receipt_verifies(
    client: TestClient, business: AcceptedBusiness, receipt_xml: bytes
) -> None:
    report = _verify(client, receipt_xml)

    assert report["valid"] is True, report
    assert _results(report) == {
        "format": "passed",
        "seller_signature": "passed",
        "authority": "not_applicable",
        "registration": "passed",
        "seller_certificate": "passed",
        "stored_copy": "passed",
        "status": "passed",
    }
    document = report["document"]
    assert (document["kind"], document["seller_tax_code"], document["number"]) == (
        "receipt",
        business.tax_code,
        1,
    )
    assert document["total"] == "50000"
    assert document["status"] == "issued"


def test_a_changed_fee_breaks_the_collectors_signature(client: TestClient, receipt_xml: bytes) -> None:
    tampered = receipt_xml.replace(b"<STien>30000</STien>", b"<STien>3000</STien>", 1)
    assert tampered != receipt_xml

    report = _verify(client, tampered)

    assert report["valid"] is False
    assert _results(report)["seller_signature"] == "failed"
    assert _results(report)["stored_copy"] == "failed"


def test_a_receipt_without_its_data_block_is_refused_as_a_format(client: TestClient) -> None:
    report = _verify(client, b"<BLai><DSCKS><NBan/></DSCKS></BLai>")

    assert report["valid"] is False
    assert _results(report)["format"] == "failed"
    assert "BLai/DLBLai" in report["checks"][0]["detail"]
