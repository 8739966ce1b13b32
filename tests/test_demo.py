"""``hoadon demo``: a synthetic country that is counted, signed and chained like live traffic."""

from __future__ import annotations

from collections import Counter

from fastapi.testclient import TestClient
from sqlmodel import select

from invoicing import demo
from invoicing.adoption import service as adoption
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


def test_the_demo_fills_every_stage_of_the_funnel(client: TestClient, database: Database) -> None:
    report = _run(client, database)

    assert report.registry_rows > 0.95 * PLAN.businesses
    assert report.submitted > report.accepted > report.claimed > report.issuers > 0
    assert report.rejected > 0
    assert report.invoices + report.receipts == PLAN.invoices
    with database.transaction() as session:
        statuses = Counter(r.status for r in session.exec(select(Registration)).all())
        documents = len(session.exec(select(Invoice)).all()) + len(session.exec(select(Receipt)).all())
        provinces = {b.province_code for b in session.exec(select(Business)).all()}
        owed = session.exec(select(Rendition)).all()
    assert statuses[RegistrationStatus.ACCEPTED] == report.accepted
    assert statuses[RegistrationStatus.SUBMITTED] == report.submitted - report.accepted - report.rejected
    assert documents == PLAN.invoices
    assert len(provinces) > 10
    # PDFs are owed, not rendered: they come on first read.
    assert len(owed) == PLAN.invoices
    assert {r.status.value for r in owed} == {"pending"}


def test_the_dashboard_figures_match_what_the_demo_made(client: TestClient, database: Database) -> None:
    report = _run(client, database)
    token = official_token(database)

    body = client.get("/v1/adoption/provinces", headers=bearer(token)).json()
    total = body["total"]
    assert total["registered_businesses"] == report.accepted
    assert total["invoices_issued"] == report.invoices
    assert total["receipts_issued"] == report.receipts
    assert total["invoices_cancelled"] == report.cancelled
    assert total["funnel"]["rejected"] == report.rejected
    assert total["issuing_businesses"] == report.issuers
    assert total["median_days_to_first_document"] is not None
    # Registrations are spread over time, so the monthly series has more than one month of them.
    series = client.get("/v1/adoption/timeseries", headers=bearer(token)).json()["data"]
    assert sum(1 for point in series if point["registrations_accepted"]) > 1
    with database.transaction() as session:
        assert adoption.rebuild_aggregates(session, apply=False).clean


def test_demo_documents_are_really_signed_and_chained(client: TestClient, database: Database) -> None:
    _run(client, database)
    with database.transaction() as session:
        invoice = session.exec(select(Invoice).limit(1)).one()
        xml = invoice.signed_xml
        audits = invoices.audit_chains(session)
    assert audits
    assert all(audit.problems == [] for audit in audits)

    report = client.post("/v1/verify", content=xml, headers={"Content-Type": "application/xml"}).json()
    assert report["valid"] is True, report


def test_a_second_run_adds_a_new_country_beside_the_first(client: TestClient, database: Database) -> None:
    first = _run(client, database)
    second = _run(client, database)
    with database.transaction() as session:
        registrations = len(session.exec(select(Registration)).all())
    assert registrations == first.submitted + second.submitted
