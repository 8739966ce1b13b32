"""Builders for receipt tests: a business registered for receipts, its receipt series, a payload."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from invoicing.db import Database
from invoicing.models.base import utcnow
from tests.helpers import AcceptedBusiness, accepted_business, bearer, register_series, today

TEMPLATE = "01BLP0-001"


def receipt_business(client: TestClient, database: Database, **overrides: Any) -> AcceptedBusiness:
    overrides.setdefault("with_authority_code", False)
    return accepted_business(client, database, **overrides)


def receipt_symbol(letters: str = "AA") -> str:
    return f"{letters}-{utcnow().year % 100:02d}E"


def register_receipt_series(client: TestClient, api_key: str, *, letters: str = "AA") -> str:
    return register_series(client, api_key, template=TEMPLATE, symbol=receipt_symbol(letters))


def receipt_payload(series: str, **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "series": series,
        "issue_date": today(),
        "payer": {
            "name": "Nguyễn Văn Nộp",
            "address": "Số 5 Phố Ví Dụ, Phường Hoàn Kiếm, Thành phố Hà Nội",
        },
        "lines": [
            {"fee_name": "Lệ phí cấp giấy phép xây dựng", "amount": "30000"},
            {"fee_name": "Phí thẩm định hồ sơ", "amount": "20000"},
        ],
    }
    payload.update(overrides)
    return payload


def issue(client: TestClient, api_key: str, payload: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/receipts", json=payload, headers=bearer(api_key))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
