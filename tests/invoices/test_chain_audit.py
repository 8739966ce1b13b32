from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, update
from typer.testing import CliRunner

from invoicing.cli import app as cli
from invoicing.db import Database
from invoicing.invoices import service as invoices
from invoicing.models import ErrorNotice, Invoice
from tests.helpers import AcceptedBusiness, accepted_business, bearer, invoice_payload, register_series


@pytest.fixture
def issued(client: TestClient, database: Database) -> tuple[AcceptedBusiness, list[dict[str, object]]]:
    business = accepted_business(client, database)
    series = register_series(client, business.api_key)
    bodies = [
        client.post("/v1/invoices", json=invoice_payload(series), headers=bearer(business.api_key)).json()
        for _ in range(3)
    ]
    return business, bodies


def _problems(database: Database, tax_code: str) -> list[str]:
    with database.transaction() as session:
        (audit,) = invoices.audit_chains(session, seller_tax_code=tax_code)
    return [problem.reason for problem in audit.problems]


def test_an_intact_chain(
    database: Database, issued: tuple[AcceptedBusiness, list[dict[str, object]]]
) -> None:
    business, _ = issued
    assert _problems(database, business.tax_code) == []


def test_a_deleted_document_is_detected(
    database: Database, issued: tuple[AcceptedBusiness, list[dict[str, object]]]
) -> None:
    business, bodies = issued
    with database.transaction() as session:
        session.execute(delete(Invoice).where(Invoice.id == uuid.UUID(str(bodies[1]["id"]))))
    assert _problems(database, business.tax_code) == ["document of number 2 is missing"]


def test_an_altered_document_is_detected(
    database: Database, issued: tuple[AcceptedBusiness, list[dict[str, object]]]
) -> None:
    business, bodies = issued
    with database.transaction() as session:
        stored = session.get(Invoice, uuid.UUID(str(bodies[0]["id"])))
        assert stored is not None
        altered = stored.signed_xml.replace(b"4350000", b"4350001")
        session.execute(update(Invoice).where(Invoice.id == stored.id).values(signed_xml=altered))
    assert _problems(database, business.tax_code) == ["document of number 1 was altered"]


def _cancel(client: TestClient, business: AcceptedBusiness, invoice_id: object) -> None:
    response = client.post(
        f"/v1/invoices/{invoice_id}/cancel",
        json={"reason": "Lập sai người mua"},
        headers=bearer(business.api_key),
    )
    assert response.status_code == 200, response.text


def test_a_cancellation_is_checked_against_its_signed_notice(
    client: TestClient, database: Database, issued: tuple[AcceptedBusiness, list[dict[str, object]]]
) -> None:
    business, bodies = issued
    _cancel(client, business, bodies[1]["id"])
    assert _problems(database, business.tax_code) == []

    with database.transaction() as session:
        session.execute(
            update(ErrorNotice)
            .where(ErrorNotice.invoice_id == uuid.UUID(str(bodies[1]["id"])))
            .values(signed_xml=b"<TBao/>")
        )
    assert _problems(database, business.tax_code) == ["document of number 2 was altered"]


def test_a_deleted_cancellation_notice_is_detected(
    client: TestClient, database: Database, issued: tuple[AcceptedBusiness, list[dict[str, object]]]
) -> None:
    business, bodies = issued
    _cancel(client, business, bodies[0]["id"])
    with database.transaction() as session:
        session.execute(delete(ErrorNotice).where(ErrorNotice.invoice_id == uuid.UUID(str(bodies[0]["id"]))))
    assert _problems(database, business.tax_code) == ["document of number 1 is missing"]


def test_cli_reports_and_fails_on_a_broken_chain(
    database: Database,
    issued: tuple[AcceptedBusiness, list[dict[str, object]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    business, bodies = issued
    monkeypatch.setattr("invoicing.cli._database", lambda: database)
    runner = CliRunner()
    intact = runner.invoke(cli, ["chain", "verify", "--seller", business.tax_code])
    assert intact.exit_code == 0, intact.output
    assert "intact" in intact.output
    with database.transaction() as session:
        session.execute(delete(Invoice).where(Invoice.id == uuid.UUID(str(bodies[2]["id"]))))
    broken = runner.invoke(cli, ["chain", "verify", "--seller", business.tax_code])
    assert broken.exit_code == 1
    assert "number 3 is missing" in broken.output
