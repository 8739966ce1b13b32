"""``hoadon demo``: a synthetic country that is counted, signed and chained like live traffic.

The tests share their database with others, so each compares what is there after the demo with
what was there before it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select
from typer.testing import CliRunner

from invoicing import demo
from invoicing.adoption import service as adoption
from invoicing.cli import app as cli
from invoicing.config import Environment, Settings
from invoicing.db import Database
from invoicing.invoices import service as invoices
from invoicing.models import Business, Invoice, Receipt, Registration, RegistrationStatus, Rendition
from tests.helpers import bearer, official_token

PLAN = demo.DemoPlan(businesses=200, invoices=60, seed=11)


def _run(client: TestClient, database: Database) -> demo.DemoReport:
    return demo.run_demo(
        database,
        keyring=client.app.state.keyring,  # type: ignore[attr-defined]
        plan=PLAN,
        provider_tax_code=None,
    )


def _ids(database: Database, model: Any) -> set[Any]:
    with database.transaction() as session:
        return set(session.exec(select(model.id)).all())


def _national(client: TestClient, token: str) -> dict[str, Any]:
    total: dict[str, Any] = client.get("/v1/adoption/provinces", headers=bearer(token)).json()["total"]
    return total


def test_the_demo_fills_every_stage_of_the_funnel(client: TestClient, database: Database) -> None:
    registrations_before = _ids(database, Registration)
    renditions_before = _ids(database, Rendition)
    invoices_before, receipts_before = _ids(database, Invoice), _ids(database, Receipt)

    report = _run(client, database)

    assert report.registry_rows > 0.95 * PLAN.businesses
    assert report.submitted > report.accepted > report.claimed > report.issuers > 0
    assert report.rejected > 0
    assert report.invoices + report.receipts == PLAN.invoices
    with database.transaction() as session:
        made = session.exec(
            select(Registration).where(col(Registration.id).not_in(registrations_before))
        ).all()
        owed = session.exec(select(Rendition).where(col(Rendition.id).not_in(renditions_before))).all()
        provinces = {
            business.province_code
            for business in session.exec(
                select(Business).where(col(Business.registration_id).in_([r.id for r in made]))
            )
        }
    statuses = Counter(registration.status for registration in made)
    assert len(made) == report.submitted
    assert statuses[RegistrationStatus.ACCEPTED] == report.accepted
    assert statuses[RegistrationStatus.REJECTED] == report.rejected
    assert len(provinces) > 10
    assert len(_ids(database, Invoice) - invoices_before) == report.invoices
    assert len(_ids(database, Receipt) - receipts_before) == report.receipts
    # PDFs are owed, not rendered: they come on first read.
    assert len(owed) == PLAN.invoices
    assert {rendition.status.value for rendition in owed} == {"pending"}


def test_the_statistics_count_what_the_demo_made(client: TestClient, database: Database) -> None:
    token = official_token(database)
    before = _national(client, token)

    report = _run(client, database)

    after = _national(client, token)
    for field, made in (
        ("registered_businesses", report.accepted),
        ("invoices_issued", report.invoices),
        ("receipts_issued", report.receipts),
        ("invoices_cancelled", report.cancelled),
    ):
        assert after[field] - before[field] == made, field
    assert after["funnel"]["rejected"] - before["funnel"]["rejected"] == report.rejected
    assert after["median_days_to_first_document"] is not None
    # Registrations are spread over time, so the monthly series has more than one month of them.
    series = client.get("/v1/adoption/timeseries", headers=bearer(token)).json()["data"]
    assert sum(1 for point in series if point["registrations_accepted"]) > 1
    with database.transaction() as session:
        assert adoption.rebuild_aggregates(session, apply=False).clean


def test_demo_documents_are_really_signed_and_chained(client: TestClient, database: Database) -> None:
    before = _ids(database, Invoice)
    _run(client, database)
    with database.transaction() as session:
        made = session.exec(select(Invoice).where(col(Invoice.id).not_in(before))).all()
        sellers = {invoice.seller_tax_code for invoice in made}
        audits = [
            audit for seller in sellers for audit in invoices.audit_chains(session, seller_tax_code=seller)
        ]
    assert audits
    assert all(audit.problems == [] for audit in audits)

    for invoice in made[:3]:
        report = client.post(
            "/v1/verify", content=invoice.signed_xml, headers={"Content-Type": "application/xml"}
        ).json()
        assert report["valid"] is True, report


def test_a_second_run_adds_a_new_country_beside_the_first(client: TestClient, database: Database) -> None:
    before = _ids(database, Registration)
    first = _run(client, database)
    second = _run(client, database)
    assert len(_ids(database, Registration) - before) == first.submitted + second.submitted


def test_the_cli_fills_the_database_and_prints_what_it_made(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("invoicing.cli._database", lambda: database)
    monkeypatch.setattr("invoicing.cli.get_settings", lambda: settings)
    before = _ids(database, Registration)

    result = CliRunner().invoke(cli, ["demo", "--businesses", "40", "--invoices", "10", "--seed", "3"])

    assert result.exit_code == 0, result.output
    assert "registrations submitted" in result.output
    assert "/dashboard" in result.output
    assert len(_ids(database, Registration) - before) > 0


def test_the_cli_refuses_to_make_up_data_in_production(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("invoicing.cli._database", lambda: database)
    production = settings.model_copy(update={"env": Environment.PRODUCTION})
    monkeypatch.setattr("invoicing.cli.get_settings", lambda: production)
    before = _ids(database, Registration)

    result = CliRunner().invoke(cli, ["demo", "--businesses", "40", "--invoices", "10"])

    assert result.exit_code == 2
    assert "refused in production" in result.output
    assert _ids(database, Registration) == before
