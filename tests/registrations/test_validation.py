from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.helpers import registration_payload


def _problem(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/v1/registrations", json=registration_payload(**overrides))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == 422
    assert body["type"].endswith("/validation")
    return body


def _fields(body: dict[str, Any]) -> dict[str, str]:
    return {error["field"]: error["reason"] for error in body["errors"]}


@pytest.mark.parametrize(
    ("tax_code", "reason"),
    [
        ("0100233489", "checksum"),
        ("01002334", "length"),
        ("012345678901", "12-digit personal"),
        ("0314409058-000", "not a valid"),
        ("abcdefghij", "not a valid"),
    ],
)
def test_bad_tax_codes(client: TestClient, tax_code: str, reason: str) -> None:
    fields = _fields(_problem(client, tax_code=tax_code))
    assert reason in fields["tax_code"]


def test_thirteen_digit_branch_code_is_accepted_and_formatted(client: TestClient) -> None:
    response = client.post("/v1/registrations", json=registration_payload(tax_code="0314409058002"))
    assert response.status_code == 201, response.text
    claim = {"X-Claim-Token": response.json()["claim_token"]}
    followed = client.get(f"/v1/registrations/{response.json()['id']}", headers=claim)
    assert followed.json()["tax_code"] == "0314409058-002"


def test_unknown_province(client: TestClient) -> None:
    fields = _fields(_problem(client, province_code="02"))
    assert "not a current province" in fields["province_code"]


def test_unknown_ward(client: TestClient) -> None:
    fields = _fields(_problem(client, ward_code="99999"))
    assert "not a current ward" in fields["ward_code"]


def test_ward_outside_its_province(client: TestClient) -> None:
    fields = _fields(_problem(client, province_code="79", ward_code="00004"))
    assert "belongs to province 01" in fields["ward_code"]


@pytest.mark.parametrize("email", ["not-an-email", "a@", "x" * 45 + "@vidu.vn"])
def test_bad_email(client: TestClient, email: str) -> None:
    assert "email" in _fields(_problem(client, email=email))


@pytest.mark.parametrize("phone", ["12345", "0912-ABC-678", "+1 202 555 0100"])
def test_bad_phone(client: TestClient, phone: str) -> None:
    assert "phone" in _fields(_problem(client, phone=phone))


def test_phone_shapes_are_normalised(client: TestClient) -> None:
    response = client.post("/v1/registrations", json=registration_payload(phone="+84 912.345.678"))
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("kinds", "field"),
    [
        (["vat_invoice", "fuel_ticket"], "invoice_kinds[1]"),
        ([], "invoice_kinds"),
        (["receipt", "receipt"], "invoice_kinds"),
    ],
)
def test_bad_invoice_kinds(client: TestClient, kinds: list[str], field: str) -> None:
    assert field in _fields(_problem(client, invoice_kinds=kinds))


def test_name_length_is_counted_after_nfc(client: TestClient) -> None:
    decomposed = "Nguye\u0302\u0303n"  # "Nguyễn" with combining marks: 7 code points, 6 after NFC
    name = decomposed * 66 + "abcd"  # 66*6 + 4 = 400 characters once composed
    response = client.post("/v1/registrations", json=registration_payload(name=name))
    assert response.status_code == 201, response.text
    too_long = _problem(client, name=name + "x")
    assert "name" in _fields(too_long)


def test_every_bad_field_is_listed(client: TestClient) -> None:
    body = _problem(client, tax_code="1", email="nope", province_code="x")
    assert {"tax_code", "email", "province_code"} <= set(_fields(body))


def test_unknown_fields_are_refused(client: TestClient) -> None:
    assert "mst" in _fields(_problem(client, mst="0100233488"))


def test_malformed_json(client: TestClient) -> None:
    response = client.post(
        "/v1/registrations", content=b'{"tax_code": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "body"


def test_garbage_certificate(client: TestClient) -> None:
    fields = _fields(
        _problem(client, certificate_pem="-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    )
    assert "certificate_pem" in fields
