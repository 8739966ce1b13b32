"""A small populated world for the fuzzer and the isolation matrix: business A in Hà Nội (01)
with a series, an invoice and a receipt; business B; officials national, of 01 and of 79."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi.testclient import TestClient

from invoicing.db import Database
from tests.helpers import (
    AcceptedBusiness,
    SubmittedRegistration,
    accepted_business,
    bearer,
    invoice_payload,
    official_token,
    register_series,
    submit,
    this_year_symbol,
)
from tests.receipts import receipt_payload, register_receipt_series


@dataclass(frozen=True)
class World:
    business: AcceptedBusiness
    name: str
    email: str
    series: str
    invoice_id: str
    invoice_sha256: str
    receipt_series: str
    receipt_id: str
    pending: SubmittedRegistration
    other_business: AcceptedBusiness
    other_pending: SubmittedRegistration
    national: str
    provincial: str
    other_provincial: str

    def identifiers(self) -> dict[str, str]:
        """What would identify business A to someone who was not told it."""
        return {
            "tax code": self.business.tax_code,
            "name": self.name,
            "email": self.email,
            "business id": self.business.business_id,
            "registration id": self.business.registration_id,
            "invoice id": self.invoice_id,
            "invoice sha256": self.invoice_sha256,
            "receipt id": self.receipt_id,
            "pending registration id": self.pending.id,
            "pending tax code": self.pending.tax_code,
        }


def build_world(client: TestClient, database: Database) -> World:
    marker = uuid.uuid4().hex[:8]
    name = f"Công ty TNHH Hà Nội {marker}"
    email = f"ketoan-{marker}@vidu.vn"
    # Without the authority's code, so one business holds both an invoice (K series) and a receipt.
    business = accepted_business(
        client,
        database,
        name=name,
        email=email,
        province_code="01",
        ward_code="00004",
        with_authority_code=False,
    )
    series = register_series(client, business.api_key, symbol=this_year_symbol("K"))
    issued = client.post("/v1/invoices", json=invoice_payload(series), headers=bearer(business.api_key))
    assert issued.status_code == 201, issued.text
    receipt_series = register_receipt_series(client, business.api_key)
    receipt = client.post(
        "/v1/receipts", json=receipt_payload(receipt_series), headers=bearer(business.api_key)
    )
    assert receipt.status_code == 201, receipt.text
    pending = submit(client, name=f"{name} chi nhánh", email=email, province_code="01", ward_code="00004")
    other = accepted_business(client, database, province_code="79", ward_code="25747")
    other_pending = submit(client, province_code="79", ward_code="25747")
    return World(
        business=business,
        name=name,
        email=email,
        series=series,
        invoice_id=issued.json()["id"],
        invoice_sha256=issued.json()["sha256"],
        receipt_series=receipt_series,
        receipt_id=receipt.json()["id"],
        pending=pending,
        other_business=other,
        other_pending=other_pending,
        national=official_token(database),
        provincial=official_token(database, province_code="01"),
        other_provincial=official_token(database, province_code="79"),
    )
