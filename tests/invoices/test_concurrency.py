"""Many issuers at once on one series, with real commits: numbers are exactly 1..N."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from invoicing.auth.principals import BusinessPrincipal
from invoicing.chain import ChainLink, find_chain_problems
from invoicing.config import Settings
from invoicing.db import Database
from invoicing.invoices import service as invoices
from invoicing.invoices.schemas import InvoiceCreate
from invoicing.keyring import Keyring
from invoicing.main import create_app
from invoicing.models import ChainEntry, Invoice, Series
from tests.conftest import Backend
from tests.helpers import AcceptedBusiness, accepted_business, invoice_payload, register_series

THREADS = 6
PER_THREAD = 5


@pytest.fixture
def committed(backend: Backend, settings: Settings) -> Iterator[tuple[Database, TestClient]]:
    database = Database(backend.engine)
    with TestClient(create_app(settings, database=database), raise_server_exceptions=False) as client:
        yield database, client


def _principal(database: Database, business: AcceptedBusiness) -> BusinessPrincipal:
    return BusinessPrincipal(
        business_id=uuid.UUID(business.business_id), tax_code=business.tax_code, api_key_id=uuid.uuid4()
    )


def test_concurrent_issuers_get_exactly_one_to_n(committed: tuple[Database, TestClient]) -> None:
    database, client = committed
    business = accepted_business(client, database)
    series = register_series(client, business.api_key)
    keyring: Keyring = client.app.state.keyring  # type: ignore[attr-defined]
    principal = _principal(database, business)
    context = invoices.IssueContext(keyring=keyring, provider_tax_code=None)
    request = InvoiceCreate.model_validate(invoice_payload(series))

    def issue_some(_: int) -> list[int]:
        numbers = []
        for _ in range(PER_THREAD):
            with database.transaction() as session:
                numbers.append(
                    invoices.issue_invoice(session, principal, context=context, request=request).number
                )
        return numbers

    with ThreadPoolExecutor(THREADS) as pool:
        issued = [n for batch in pool.map(issue_some, range(THREADS)) for n in batch]

    total = THREADS * PER_THREAD
    assert sorted(issued) == list(range(1, total + 1))
    with database.transaction() as session:
        row = session.exec(select(Series).where(Series.seller_tax_code == business.tax_code)).one()
        entries = session.exec(
            select(ChainEntry).where(ChainEntry.series_id == row.id).order_by(col(ChainEntry.position))
        ).all()
        stored = session.exec(select(Invoice).where(Invoice.series_id == row.id)).all()
        links = [ChainLink(e.position, e.number, e.event, e.document_sha256, e.link) for e in entries]
        assert find_chain_problems(links, head=row.chain_head, length=row.chain_length) == []
        # Numbers follow signing order: the chain is in position order and so are the numbers.
        assert [e.number for e in entries] == list(range(1, total + 1))
        assert sorted(i.number for i in stored) == list(range(1, total + 1))
        assert row.next_number == total + 1


def test_concurrent_replays_of_one_key_issue_once(committed: tuple[Database, TestClient]) -> None:
    database, client = committed
    business = accepted_business(client, database)
    series = register_series(client, business.api_key)
    headers = {"Authorization": f"Bearer {business.api_key}", "Idempotency-Key": "same-order"}

    def post(_: int) -> tuple[int, str]:
        with TestClient(client.app) as own:
            response = own.post("/v1/invoices", json=invoice_payload(series), headers=headers)
            return response.status_code, response.json()["id"]

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(post, range(8)))
    assert {status for status, _ in outcomes} == {201}
    assert len({invoice_id for _, invoice_id in outcomes}) == 1
    with database.transaction() as session:
        count = len(
            session.exec(select(Invoice.id).where(Invoice.seller_tax_code == business.tax_code)).all()
        )
    assert count == 1
