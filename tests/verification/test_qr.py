"""The signed QR code: read back from the rendered PDF, checked online (POST /v1/verify/qr) and
offline (hoadon verify-qr), and refused when truncated, altered or re-signed."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from typer.testing import CliRunner

import signing
from invoicing.authority.qr import parse_qr_payload, sign_qr_payload
from invoicing.cli import app as cli
from invoicing.config import Settings, get_settings
from invoicing.db import Database
from invoicing.invoices import service as invoices
from invoicing.models import Invoice, InvoiceStatus
from invoicing.models.base import utcnow
from tests.helpers import accepted_business, bearer, invoice_payload, register_series

FIELDS = ("seller_tax_code", "series", "number", "issue_date", "total", "authority_code", "document_sha256")


@pytest.fixture
def issued(client: TestClient, database: Database) -> dict[str, Any]:
    business = accepted_business(client, database)
    series = register_series(client, business.api_key)
    response = client.post("/v1/invoices", json=invoice_payload(series), headers=bearer(business.api_key))
    assert response.status_code == 201, response.text
    return {**response.json(), "api_key": business.api_key}


@pytest.fixture
def qr_url(client: TestClient, database: Database, issued: dict[str, Any]) -> str:
    """The URL the invoice's QR code encodes, made the way the PDF renderer makes it."""
    with database.transaction() as session:
        stored = session.get(Invoice, uuid.UUID(issued["id"]))
        assert stored is not None
        return invoices.qr_url(
            stored, keyring=client.app.state.keyring, base_url=client.app.state.settings.base_url
        )


def payload_of(url: str) -> str:
    return url.split("?q=", 1)[1]


def with_part(payload: str, index: int, value: str) -> str:
    parts = payload.split("~")
    parts[index] = value
    return "~".join(parts)


def other_signer() -> signing.Signer:
    now = utcnow()
    return signing.issue_certificate(
        common_name="Not the tax authority",
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=30),
        private_key=signing.generate_private_key(algorithm="ec"),
    )


def verify(client: TestClient, payload: str, *, status: int = 200) -> dict[str, Any]:
    response = client.post("/v1/verify/qr", json={"payload": payload})
    assert response.status_code == status, response.text
    if status != 200:
        assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def matches(report: dict[str, Any]) -> dict[str, bool | None]:
    return {name: fact["matches"] for name, fact in report["fields"].items()}


def test_the_qr_printed_on_the_pdf_verifies(
    client: TestClient, issued: dict[str, Any], settings: Settings, tmp_path: Path
) -> None:
    response = client.get(f"/v1/invoices/{issued['id']}/pdf", headers=bearer(issued["api_key"]))
    assert response.status_code == 200, response.text
    (tmp_path / "invoice.pdf").write_bytes(response.content)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", "-singlefile", "invoice.pdf", "page"],
        cwd=tmp_path,
        check=True,
    )
    codes = zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"))
    texts = [code.text for code in codes if code.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(texts) == 1, codes
    url = texts[0]
    assert url.startswith(f"{settings.base_url}/verify/{issued['authority_code']}?q=HD1~")

    report = verify(client, url)
    assert report["valid"] is True
    assert report["signature"] == "passed"
    assert report["stored"] is True
    assert matches(report) == dict.fromkeys(FIELDS, True)
    assert report["fields"]["total"]["value"] == "4350000"
    assert report["fields"]["number"]["value"] == issued["number"]
    assert report["document"]["status"] == "issued"
    assert report["document"]["seller_name"] == "Công ty TNHH Ví Dụ Bán"
    assert report["document"]["href"] == f"/verify/{issued['authority_code']}"
    assert verify(client, payload_of(url)) == report


def test_an_altered_total_is_named(client: TestClient, qr_url: str) -> None:
    problem = verify(client, with_part(payload_of(qr_url), 5, "4350001"), status=422)
    assert [e["field"] for e in problem["errors"]] == ["total"]
    assert "4350001" in problem["errors"][0]["reason"]
    assert problem["type"].endswith("/qr-not-authentic")
    assert problem["report"]["signature"] == "failed"
    assert problem["report"]["valid"] is False
    assert matches(problem["report"]) == {name: name != "total" for name in FIELDS}


def test_a_truncated_payload_is_refused(client: TestClient, qr_url: str) -> None:
    payload = payload_of(qr_url)
    problem = verify(client, payload[: len(payload) // 2], status=422)
    assert problem["errors"][0]["field"] == "payload"


def test_a_payload_re_signed_with_another_key_is_refused(client: TestClient, qr_url: str) -> None:
    facts, _, _ = parse_qr_payload(payload_of(qr_url))
    problem = verify(client, sign_qr_payload(other_signer(), facts), status=422)
    assert [e["field"] for e in problem["errors"]] == ["signature"]
    assert matches(problem["report"]) == dict.fromkeys(FIELDS, True)


def test_an_authentic_qr_of_an_invoice_held_elsewhere(client: TestClient, qr_url: str) -> None:
    facts, _, _ = parse_qr_payload(payload_of(qr_url))
    elsewhere = replace(facts, number=facts.number + 41)
    report = verify(client, sign_qr_payload(client.app.state.keyring.authority, elsewhere))
    assert report["valid"] is False
    assert report["signature"] == "passed"
    assert report["stored"] is False
    assert matches(report) == dict.fromkeys(FIELDS)
    assert report["document"] is None


def test_without_the_document_digest_the_stored_facts_stay_private(client: TestClient, qr_url: str) -> None:
    facts, _, _ = parse_qr_payload(payload_of(qr_url))
    guess = replace(facts, total="1", document_sha256="00" * 32)
    report = verify(client, sign_qr_payload(client.app.state.keyring.authority, guess))
    assert report["valid"] is False
    assert report["stored"] is True
    assert matches(report) == {**dict.fromkeys(FIELDS), "document_sha256": False}
    assert report["document"] is None
    problem = verify(client, sign_qr_payload(other_signer(), guess), status=422)
    assert [e["field"] for e in problem["errors"]] == ["document_sha256"]
    assert "4350000" not in str(problem)


def test_a_cancelled_invoice_is_authentic_but_not_valid(
    client: TestClient, database: Database, issued: dict[str, Any], qr_url: str
) -> None:
    with database.transaction() as session:
        stored = session.get(Invoice, uuid.UUID(issued["id"]))
        assert stored is not None
        stored.status = InvoiceStatus.CANCELLED
        session.add(stored)
    report = verify(client, qr_url)
    assert report["valid"] is False
    assert report["signature"] == "passed"
    assert matches(report) == dict.fromkeys(FIELDS, True)
    assert report["document"]["status"] == "cancelled"


def test_a_url_whose_page_is_another_invoice_is_refused(client: TestClient, qr_url: str) -> None:
    _, _, query = qr_url.partition("?")
    problem = verify(client, f"https://hoadon.example/verify/00{'AB' * 16}?{query}", status=422)
    assert problem["errors"][0]["field"] == "payload"
    assert problem["report"]["signature"] == "passed"


@pytest.mark.parametrize(
    ("index", "value", "field"),
    [
        (0, "HD9", "payload"),
        (1, "01\x0002345678", "seller_tax_code"),
        (2, "1C26<b>", "series"),
        (3, "x", "number"),
        (3, "123456789012345", "number"),
        (4, "2026-02-30", "issue_date"),
        (5, "4.350.000", "total"),
        (6, "not-a-code", "authority_code"),
        (7, "AAAA", "document_sha256"),
    ],
)
def test_a_malformed_field_is_named(
    client: TestClient, qr_url: str, index: int, value: str, field: str
) -> None:
    problem = verify(client, with_part(payload_of(qr_url), index, value), status=422)
    assert problem["errors"][0]["field"] == field


@pytest.mark.parametrize(
    "payload", ["", "x" * 5000, "https://hoadon.example/verify/00AB", "https://[bad/?q=1"]
)
def test_not_a_qr_payload(client: TestClient, payload: str) -> None:
    problem = verify(client, payload, status=422)
    assert problem["errors"][0]["field"] == "payload"


def authority_pem(client: TestClient, tmp_path: Path) -> str:
    path = tmp_path / "authority.pem"
    path.write_bytes(client.get("/v1/authority/certificate").content)
    return str(path)


def test_cli_checks_a_qr_offline(client: TestClient, qr_url: str, tmp_path: Path) -> None:
    pem = authority_pem(client, tmp_path)
    runner = CliRunner()

    valid = runner.invoke(cli, ["verify-qr", qr_url, "--certificate", pem])
    assert valid.exit_code == 0, valid.output
    assert "signature valid" in valid.stdout
    assert "4350000" in valid.stdout

    tampered = runner.invoke(
        cli, ["verify-qr", with_part(payload_of(qr_url), 5, "4350001"), "--certificate", pem]
    )
    assert tampered.exit_code == 1, tampered.output
    assert "signature invalid" in tampered.stdout

    _, _, query = qr_url.partition("?")
    other_page = runner.invoke(
        cli, ["verify-qr", f"https://x.example/verify/00{'AB' * 16}?{query}", "--certificate", pem]
    )
    assert other_page.exit_code == 1, other_page.output
    assert "signature valid" in other_page.stdout
    assert "not this invoice's page" in other_page.stdout

    facts, _, _ = parse_qr_payload(payload_of(qr_url))
    re_signed = runner.invoke(
        cli, ["verify-qr", sign_qr_payload(other_signer(), facts), "--certificate", pem]
    )
    assert re_signed.exit_code == 1, re_signed.output

    truncated = runner.invoke(cli, ["verify-qr", qr_url[: len(qr_url) // 2], "--certificate", pem])
    assert truncated.exit_code == 2, truncated.output
    assert "payload" in truncated.output

    malformed = runner.invoke(
        cli, ["verify-qr", with_part(payload_of(qr_url), 4, "15/03/2026"), "--certificate", pem]
    )
    assert malformed.exit_code == 2, malformed.output
    assert "issue_date" in malformed.output

    unreadable = runner.invoke(cli, ["verify-qr", qr_url, "--certificate", str(tmp_path / "missing.pem")])
    assert unreadable.exit_code == 2, unreadable.output


@pytest.fixture
def installation_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The environment a `hoadon` command on the test installation would run in."""
    monkeypatch.setenv("HOADON_ENV", settings.env.value)
    monkeypatch.setenv("HOADON_DATA_DIR", str(settings.data_dir))
    assert settings.secret_key is not None
    monkeypatch.setenv("HOADON_SECRET_KEY", settings.secret_key.get_secret_value())
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


def test_cli_defaults_to_the_local_authority_certificate(
    client: TestClient,
    qr_url: str,
    installation_env: Settings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["verify-qr", qr_url])
    assert result.exit_code == 0, result.output
    assert "signature valid" in result.stdout

    monkeypatch.setenv("HOADON_DATA_DIR", str(tmp_path / "elsewhere"))
    get_settings.cache_clear()
    missing = runner.invoke(cli, ["verify-qr", qr_url])
    assert missing.exit_code == 2, missing.output
    assert "--certificate" in missing.output
    assert not (tmp_path / "elsewhere" / "authority.pem").exists()
