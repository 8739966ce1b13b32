"""The maintained aggregates equal a recomputation from the sources, whatever the workload."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, update
from typer.testing import CliRunner

from invoicing.adoption import service as adoption
from invoicing.adoption.periods import today_vn
from invoicing.auth.principals import OfficialPrincipal
from invoicing.cli import app as cli
from invoicing.db import Database
from invoicing.errors import HoadonError
from invoicing.models import ActivityMarker, BusinessCounter, DocumentCounter
from invoicing.officials import service as officials
from invoicing.registrations import service as registrations
from invoicing.registrations.schemas import RegistrationCreate
from tests.adoption import by_code, registry_csv, tax_codes, upload
from tests.helpers import (
    AcceptedBusiness,
    accepted_business,
    bearer,
    invoice_payload,
    official_token,
    register_series,
    registration_payload,
)

PLACES = (("01", "00070"), ("01", "00008"), ("79", "25747"))
LEGACY = ("74", "")
STATUSES = ("operating", "suspended", "closed")


@dataclass
class World:
    client: TestClient
    database: Database
    token: str
    official: OfficialPrincipal
    businesses: list[tuple[AcceptedBusiness, str]]
    pool: list[str]
    invoices: list[str] = field(default_factory=list)


@pytest.fixture
def world(client: TestClient, database: Database) -> World:
    # Other test modules may have committed rows to this database; start from aggregates that
    # agree with whatever is there.
    with database.transaction() as session:
        adoption.rebuild_aggregates(session, apply=True)
        created = officials.create_official(session, name="Cán bộ", province_code=None).official
    official = OfficialPrincipal(official_id=created.id, name=created.name, province_code=None)
    businesses = []
    for province, ward in PLACES[:2]:
        business = accepted_business(client, database, province_code=province, ward_code=ward)
        businesses.append((business, register_series(client, business.api_key)))
    return World(client, database, official_token(database), official, businesses, tax_codes(6))


def _issue_date(days_back: int) -> str:
    today = today_vn()
    return max(today - timedelta(days=days_back), date(today.year, 1, 1)).isoformat()


def _register(world: World, place: tuple[str, str], outcome: str, code: int) -> None:
    form = RegistrationCreate.model_validate(
        registration_payload(tax_code=world.pool[code], province_code=place[0], ward_code=place[1])
    )
    try:
        with world.database.transaction() as session:
            submitted = registrations.submit_registration(session, form=form)
            registration = submitted.registration
            if outcome == "reject":
                registrations.reject_registration(
                    session, world.official, registration_id=registration.id, reasons=["Sai địa chỉ"]
                )
            elif outcome in ("accept", "claim"):
                registrations.accept_registration(
                    session,
                    world.official,
                    keyring=world.client.app.state.keyring,  # type: ignore[attr-defined]
                    sandbox=False,
                    registration_id=registration.id,
                )
                if outcome == "claim":
                    registrations.claim_credentials(
                        session, registration_id=registration.id, claim_token=submitted.claim_token
                    )
    except HoadonError:
        pass  # the tax code already has an open or accepted registration


def _correct(world: World, kind: str, pick: int) -> None:
    if not world.invoices:
        return
    invoice_id = world.invoices[pick % len(world.invoices)]
    business, series = world.businesses[0]
    for candidate, candidate_series in world.businesses:
        shown = world.client.get(f"/v1/invoices/{invoice_id}", headers=bearer(candidate.api_key))
        if shown.status_code == 200:
            business, series = candidate, candidate_series
            issue_date = shown.json()["issue_date"]
            break
    else:
        return
    payload = invoice_payload(series)
    body: dict[str, Any] = {"reason": "Sai sót"}
    if kind == "replace":
        body = {"issue_date": issue_date, "buyer": payload["buyer"], "lines": payload["lines"][:1]}
    elif kind == "adjust":
        body = {
            "issue_date": issue_date,
            "lines": [
                {"name": "Giảm", "unit": "Cái", "quantity": "1", "unit_price": "-1000", "vat_rate": "10%"}
            ],
        }
    response = world.client.post(
        f"/v1/invoices/{invoice_id}/{kind}", json=body, headers=bearer(business.api_key)
    )
    assert response.status_code in (200, 201, 409), response.text
    if response.status_code == 201:
        world.invoices.append(response.json()["id"])


def _run(world: World, operation: tuple[Any, ...]) -> None:
    kind = operation[0]
    if kind == "register":
        _register(world, operation[1], operation[2], operation[3])
    elif kind == "issue":
        business, series = world.businesses[operation[1]]
        response = world.client.post(
            "/v1/invoices",
            json=invoice_payload(series, issue_date=_issue_date(operation[2])),
            headers=bearer(business.api_key),
        )
        assert response.status_code == 201, response.text
        world.invoices.append(response.json()["id"])
    elif kind == "batch":
        business, series = world.businesses[operation[1]]
        items = [invoice_payload(series, issue_date=_issue_date(operation[3]))]
        if operation[2]:
            items.append(invoice_payload(series, lines=[]))
        items.append(invoice_payload(series))
        response = world.client.post(
            "/v1/invoices/batch",
            json={"invoices": items, "atomic": operation[4]},
            headers=bearer(business.api_key),
        )
        assert response.status_code in (200, 422), response.text
        if response.status_code == 200:
            world.invoices.extend(
                item["invoice"]["id"] for item in response.json()["data"] if item["invoice"]
            )
    elif kind in ("cancel", "replace", "adjust"):
        _correct(world, kind, operation[1])
    elif kind == "registry":
        rows = [
            (world.pool[code], f"Công ty {code}", place[0], place[1], status)
            for code, place, status in operation[1]
        ]
        assert upload(world.client, world.token, registry_csv(rows)).status_code == 201


OPERATIONS = st.one_of(
    st.tuples(
        st.just("register"),
        st.sampled_from(PLACES),
        st.sampled_from(("submit", "reject", "accept", "claim")),
        st.integers(0, 5),
    ),
    st.tuples(st.just("issue"), st.integers(0, 1), st.integers(0, 400)),
    st.tuples(st.just("batch"), st.integers(0, 1), st.booleans(), st.integers(0, 40), st.booleans()),
    st.tuples(st.sampled_from(("cancel", "replace", "adjust")), st.integers(0, 100)),
    st.tuples(
        st.just("registry"),
        st.lists(
            st.tuples(st.integers(0, 5), st.sampled_from((*PLACES, LEGACY)), st.sampled_from(STATUSES)),
            min_size=1,
            max_size=4,
            unique_by=lambda row: row[0],
        ),
    ),
)


@settings(
    max_examples=6,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(OPERATIONS, min_size=1, max_size=6))
def test_rebuild_equals_the_maintained_aggregates_after_any_workload(
    world: World, operations: list[tuple[Any, ...]]
) -> None:
    for operation in operations:
        _run(world, operation)
    with world.database.transaction() as session:
        report = adoption.rebuild_aggregates(session, apply=False)
    assert report.clean, (operations, report.differences[:10], report.markers_missing, report.markers_extra)


def test_the_cli_reports_damage_and_repairs_it(
    client: TestClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("invoicing.cli._database", lambda: database)
    runner = CliRunner()
    with database.transaction() as session:
        adoption.rebuild_aggregates(session, apply=True)
    token = official_token(database)
    business = accepted_business(client, database, province_code="01", ward_code="00070")
    series = register_series(client, business.api_key)
    assert (
        client.post(
            "/v1/invoices", json=invoice_payload(series), headers=bearer(business.api_key)
        ).status_code
        == 201
    )
    codes = tax_codes(2)
    upload(client, token, registry_csv([(code, "Công ty", "01", "00070", "operating") for code in codes]))
    clean = runner.invoke(cli, ["adoption", "rebuild"])
    assert clean.exit_code == 0, clean.output
    assert "match" in clean.output

    with database.transaction() as session:
        session.execute(delete(DocumentCounter).where(DocumentCounter.ward_code == "00070"))  # type: ignore[arg-type]
        session.execute(delete(ActivityMarker).where(ActivityMarker.tax_code == business.tax_code))  # type: ignore[arg-type]
        session.execute(
            update(BusinessCounter)
            .where(BusinessCounter.ward_code == "00070", BusinessCounter.grain == "D")  # type: ignore[arg-type]
            .values(active=BusinessCounter.active + 5)
        )
    damaged = runner.invoke(cli, ["adoption", "rebuild"])
    assert damaged.exit_code == 1
    assert "invoices_issued" in damaged.output
    assert "(sum to date)" in damaged.output
    assert "activity markers: 3 missing" in damaged.output

    repaired = runner.invoke(cli, ["adoption", "rebuild", "--apply"])
    assert repaired.exit_code == 0, repaired.output
    assert "fixed" in repaired.output
    assert runner.invoke(cli, ["adoption", "rebuild"]).exit_code == 0
    ward = by_code(client.get("/v1/adoption/provinces/01/wards", headers=bearer(token)).json())["00070"]
    assert (ward["invoices_issued"], ward["issuing_businesses"], ward["active_businesses"]) == (1, 1, 2)
