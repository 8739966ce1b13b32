"""Builders for the flows many tests walk through: officials, registrations, accepted businesses."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from stdnum.vn import mst

from invoicing.db import Database
from invoicing.officials import service as officials

_sequence = itertools.count(1000)

HANOI = {"province_code": "01", "ward_code": "00004"}
HCMC = {"province_code": "79", "ward_code": "25747"}


def new_tax_code() -> str:
    """A fresh valid 10-digit MST (checksum of DOMAIN.md §11), never 10 after the weighting."""
    while True:
        body = f"01{next(_sequence):07d}"
        check = mst.calc_check_digit(body)
        if check != "10":
            return body + check


def official_token(database: Database, *, province_code: str | None = None) -> str:
    with database.transaction() as session:
        created = officials.create_official(session, name="Cán bộ thuế", province_code=province_code)
    return created.token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def registration_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "tax_code": new_tax_code(),
        "name": "Công ty TNHH Ví Dụ Bán",
        "address": "Số 1 Phố Ví Dụ, Phường Ba Đình, Thành phố Hà Nội",
        **HANOI,
        "representative": "Nguyễn Văn A",
        "email": "ketoan@vidu.vn",
        "phone": "0912345678",
        "invoice_kinds": ["vat_invoice", "sales_invoice", "receipt"],
        "with_authority_code": True,
    }
    payload.update(overrides)
    return payload


@dataclass(frozen=True)
class SubmittedRegistration:
    id: str
    claim_token: str
    tax_code: str


@dataclass(frozen=True)
class AcceptedBusiness:
    registration_id: str
    business_id: str
    tax_code: str
    api_key: str


def submit(client: TestClient, **overrides: Any) -> SubmittedRegistration:
    payload = registration_payload(**overrides)
    response = client.post("/v1/registrations", json=payload)
    assert response.status_code == 201, response.text
    body = response.json()
    return SubmittedRegistration(id=body["id"], claim_token=body["claim_token"], tax_code=payload["tax_code"])


def accepted_business(client: TestClient, database: Database, **overrides: Any) -> AcceptedBusiness:
    submitted = submit(client, **overrides)
    token = official_token(database)
    accepted = client.post(f"/v1/registrations/{submitted.id}/accept", headers=bearer(token))
    assert accepted.status_code == 200, accepted.text
    claimed = client.post(
        f"/v1/registrations/{submitted.id}/credentials", headers={"X-Claim-Token": submitted.claim_token}
    )
    assert claimed.status_code == 201, claimed.text
    body = claimed.json()
    return AcceptedBusiness(
        registration_id=submitted.id,
        business_id=body["business_id"],
        tax_code=submitted.tax_code,
        api_key=body["api_key"],
    )


def this_year_symbol(prefix: str = "C", letters: str = "TAA") -> str:
    from invoicing.models.base import utcnow

    return f"{prefix}{utcnow().year % 100:02d}{letters}"


def today() -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) + timedelta(hours=7)).date().isoformat()


def invoice_payload(series: str, **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "series": series,
        "issue_date": today(),
        "currency": "VND",
        "payment_method": "TM/CK",
        "buyer": {
            "tax_code": "0100233488",
            "name": "Công ty Cổ phần Ví Dụ Mua",
            "address": "Số 2 Đường Ví Dụ, Phường Sài Gòn, Thành phố Hồ Chí Minh",
            "buyer_person": "Trần Thị B",
        },
        "lines": [
            {
                "name": "Máy in laser",
                "unit": "Cái",
                "quantity": "2",
                "unit_price": "1500000",
                "vat_rate": "10%",
            },
            {
                "name": "Sách hướng dẫn",
                "unit": "Quyển",
                "quantity": "1",
                "unit_price": "1000000",
                "vat_rate": "5%",
            },
        ],
    }
    payload.update(overrides)
    return payload


def register_series(
    client: TestClient, api_key: str, *, template: str = "1", symbol: str | None = None
) -> str:
    symbol = symbol or this_year_symbol()
    response = client.post(
        "/v1/series", json={"template": template, "symbol": symbol}, headers=bearer(api_key)
    )
    assert response.status_code == 201, response.text
    series: str = response.json()["series"]
    return series
