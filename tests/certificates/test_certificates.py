"""Signing certificates: on the registration form, uploaded with their key, and sealed at rest."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
from fastapi.testclient import TestClient
from sqlalchemy import text

import signing
from invoicing.db import Database
from invoicing.models.base import utcnow
from tests.helpers import (
    accepted_business,
    bearer,
    invoice_payload,
    new_tax_code,
    register_series,
    registration_payload,
)


@pytest.fixture(scope="module")
def test_ca() -> signing.Signer:
    now = utcnow()
    return signing.issue_certificate(
        common_name="Test CA",
        not_before=now - timedelta(days=10),
        not_after=now + timedelta(days=3650),
        is_ca=True,
    )


def _certificate(
    ca: signing.Signer, tax_code: str, *, days_left: int = 365, days_old: int = 1
) -> signing.Signer:
    now = utcnow()
    return signing.issue_certificate(
        common_name="Công ty TNHH Ví Dụ",
        tax_code=tax_code,
        issuer=ca,
        not_before=now - timedelta(days=days_old),
        not_after=now + timedelta(days=days_left),
    )


def _pem(signer: signing.Signer) -> str:
    return signing.certificate_pem(signer.certificate).decode()


def _registration_problem(client: TestClient, **overrides: object) -> str:
    response = client.post("/v1/registrations", json=registration_payload(**overrides))
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["field"] == "certificate_pem"
    reason: str = error["reason"]
    return reason


def test_registration_with_a_valid_certificate(client: TestClient, test_ca: signing.Signer) -> None:
    tax_code = new_tax_code()
    certificate = _certificate(test_ca, tax_code)
    response = client.post(
        "/v1/registrations", json=registration_payload(tax_code=tax_code, certificate_pem=_pem(certificate))
    )
    assert response.status_code == 201, response.text
    followed = client.get(
        f"/v1/registrations/{response.json()['id']}",
        headers={"X-Claim-Token": response.json()["claim_token"]},
    ).json()
    assert followed["certificate_serial"] == signing.describe_certificate(certificate.certificate).serial_hex


def test_registration_certificate_for_another_tax_code(client: TestClient, test_ca: signing.Signer) -> None:
    reason = _registration_problem(client, certificate_pem=_pem(_certificate(test_ca, "0106324653")))
    assert "0106324653" in reason


def test_registration_certificate_expired(client: TestClient, test_ca: signing.Signer) -> None:
    tax_code = new_tax_code()
    expired = _certificate(test_ca, tax_code, days_left=-1, days_old=30)
    assert (
        "expired" in _registration_problem(client, tax_code=tax_code, certificate_pem=_pem(expired)).lower()
    )


def test_registration_certificate_without_digital_signature(
    client: TestClient, test_ca: signing.Signer
) -> None:
    # A CA certificate's key usage is certificate signing only.
    now = utcnow()
    ca_only = signing.issue_certificate(
        common_name="Not for signing",
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=30),
        is_ca=True,
    )
    reason = _registration_problem(client, certificate_pem=_pem(ca_only))
    assert "signature" in reason.lower()


def test_registration_certificate_not_pem(client: TestClient) -> None:
    assert "certificate" in _registration_problem(client, certificate_pem="hello").lower()


def test_upload_pkcs12_then_issue_with_it(
    client: TestClient, database: Database, test_ca: signing.Signer
) -> None:
    business = accepted_business(client, database)
    signer = _certificate(test_ca, business.tax_code)
    p12 = pkcs12.serialize_key_and_certificates(
        name=b"hoadon",
        key=signer.private_key,
        cert=signer.certificate,
        cas=None,
        encryption_algorithm=BestAvailableEncryption(b"mat-khau"),
    )
    response = client.post(
        "/v1/business/certificates",
        json={"format": "pkcs12", "data": base64.b64encode(p12).decode(), "password": "mat-khau"},
        headers=bearer(business.api_key),
    )
    assert response.status_code == 201, response.text
    assert response.json()["source"] == "uploaded"

    series = register_series(client, business.api_key)
    issued = client.post(
        "/v1/invoices", json=invoice_payload(series), headers=bearer(business.api_key)
    ).json()
    root = signing.parse_xml(client.get(issued["links"]["xml"], headers=bearer(business.api_key)).content)
    verified = signing.verify(
        root=root,
        signature=root.find("DSCKS/NBan/{http://www.w3.org/2000/09/xmldsig#}Signature"),
        expected_certificate=signer.certificate,
    )
    assert verified.certificate == signer.certificate
    listed = client.get("/v1/business/certificates", headers=bearer(business.api_key)).json()["data"]
    assert {c["source"] for c in listed} == {"sandbox", "uploaded"}


def test_upload_pem_key_and_certificate(
    client: TestClient, database: Database, test_ca: signing.Signer
) -> None:
    business = accepted_business(client, database)
    signer = _certificate(test_ca, business.tax_code)
    pem = signing.private_key_pem(signer, password=None) + signing.certificate_pem(signer.certificate)
    response = client.post(
        "/v1/business/certificates",
        json={"format": "pem", "data": pem.decode()},
        headers=bearer(business.api_key),
    )
    assert response.status_code == 201, response.text
    again = client.post(
        "/v1/business/certificates",
        json={"format": "pem", "data": pem.decode()},
        headers=bearer(business.api_key),
    )
    assert again.status_code == 409


@pytest.mark.parametrize(
    "problem", ["mismatch", "other_mst", "expired", "garbage", "bad_base64", "wrong_password"]
)
def test_upload_refusals(
    client: TestClient, database: Database, test_ca: signing.Signer, problem: str
) -> None:
    business = accepted_business(client, database)
    signer = _certificate(test_ca, business.tax_code)
    body: dict[str, object]
    if problem == "mismatch":
        other = _certificate(test_ca, business.tax_code)
        pem = signing.private_key_pem(other, password=None) + signing.certificate_pem(signer.certificate)
        body = {"format": "pem", "data": pem.decode()}
    elif problem == "other_mst":
        other = _certificate(test_ca, "0106324653")
        body = {
            "format": "pem",
            "data": (
                signing.private_key_pem(other, password=None) + signing.certificate_pem(other.certificate)
            ).decode(),
        }
    elif problem == "expired":
        old = _certificate(test_ca, business.tax_code, days_left=-1, days_old=30)
        body = {
            "format": "pem",
            "data": (
                signing.private_key_pem(old, password=None) + signing.certificate_pem(old.certificate)
            ).decode(),
        }
    elif problem == "garbage":
        body = {"format": "pem", "data": "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n"}
    elif problem == "bad_base64":
        body = {"format": "pkcs12", "data": "***"}
    else:
        p12 = pkcs12.serialize_key_and_certificates(
            name=b"x",
            key=signer.private_key,
            cert=signer.certificate,
            cas=None,
            encryption_algorithm=BestAvailableEncryption(b"right"),
        )
        body = {"format": "pkcs12", "data": base64.b64encode(p12).decode(), "password": "wrong"}
    response = client.post("/v1/business/certificates", json=body, headers=bearer(business.api_key))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "data"


def test_private_keys_are_sealed_at_rest(
    client: TestClient, database: Database, test_ca: signing.Signer
) -> None:
    business = accepted_business(client, database)
    signer = _certificate(test_ca, business.tax_code)
    key_pem = signing.private_key_pem(signer, password=None)
    pem = key_pem + signing.certificate_pem(signer.certificate)
    client.post(
        "/v1/business/certificates",
        json={"format": "pem", "data": pem.decode()},
        headers=bearer(business.api_key),
    )
    with database.transaction() as session:
        rows = [
            " ".join(map(str, row))
            for row in session.connection().execute(text("SELECT * FROM signing_certificates"))
        ]
    dumped = "\n".join(rows)
    assert "PRIVATE KEY" not in dumped
    key_body = "".join(key_pem.decode().splitlines()[1:-1])
    assert key_body[:40] not in dumped
