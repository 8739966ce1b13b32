"""kill -9 under load: nothing acknowledged is lost, nothing refused exists, numbers stay 1..N.

Real processes on PostgreSQL: ``hoadon serve --workers 2`` (two API processes on one port, the
kernel spreading connections between them) on a fresh database, with several clients issuing into
one series, each invoice under its own Idempotency-Key (also its ``external_id``), retried with the
same key after a connection error or a 5xx. Mid-run one API process is killed with SIGKILL (uvicorn's
supervisor starts a replacement); later the whole node, every process of it, is killed with SIGKILL
and started again by the test. Without Redis, jobs run inline: each request renders its PDF after
the commit and before answering, so a kill often lands between the commit and the response, the
case only the Idempotency-Key can resolve.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlmodel import select

from bench import _harness as harness
from bench.issuance import invoice_body, set_up_business, today_vn
from invoicing.db import Database, create_db_engine
from invoicing.invoices import service as invoices
from invoicing.models import Invoice
from tests.conftest import POSTGRES_URL, unavailable

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

CLIENTS = 6
PER_CLIENT = 12
DEADLINE_SECONDS = 120  # per key, across every retry: bounds the test if the cluster never returns


@dataclass
class Node:
    """The API node the clients talk to; replaced when the test restarts it."""

    server: harness.Server
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        with self.lock:
            return self.server.base_url


@dataclass
class Outcome:
    key: str
    status: int | None = None
    body: dict[str, Any] | None = None
    attempts: int = 0
    errors: list[str] = field(default_factory=list)
    """What the client was told before its final answer: connection errors and 5xx statuses."""
    replayed: bool = False


@dataclass
class Run:
    outcomes: list[Outcome] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    acknowledged: int = 0
    abandoned: threading.Event = field(default_factory=threading.Event)
    """Set when the test fails early, so the clients stop retrying against a dead node."""
    node_killed: threading.Event = field(default_factory=threading.Event)
    """Clients wait for it before their last quarter, so the node dies while they still issue."""

    def record(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)
            if outcome.status == 201:
                self.acknowledged += 1


@pytest.fixture
def fresh_database() -> Iterator[harness.FreshDatabase]:
    if not POSTGRES_URL:
        unavailable("PostgreSQL not configured: set HOADON_TEST_POSTGRES_URL")
    try:
        psycopg.connect(POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://", 1)).close()
    except psycopg.OperationalError as error:
        unavailable(f"PostgreSQL at {POSTGRES_URL} does not answer: {error}")
    with harness.fresh_database(prefix="hoadon_test_crash", admin_url=POSTGRES_URL) as database:
        yield database


def _issue_one(node: Node, api_key: str, body: dict[str, Any], key: str, run: Run) -> Outcome:
    outcome = Outcome(key=key)
    content = json.dumps({**body, "external_id": key}).encode()
    headers = {
        "Authorization": f"Bearer {api_key}",
        "Content-Type": "application/json",
        "Idempotency-Key": key,
    }
    give_up = time.monotonic() + DEADLINE_SECONDS
    with httpx.Client(timeout=30) as client:
        while True:
            outcome.attempts += 1
            try:
                response = client.post(f"{node.url}/v1/invoices", content=content, headers=headers)
            except httpx.TransportError as error:
                outcome.errors.append(f"{type(error).__name__}: {error}")
            else:
                if response.status_code < 500:
                    outcome.status = response.status_code
                    outcome.body = response.json()
                    outcome.replayed = response.headers.get("Idempotent-Replayed") == "true"
                    return outcome
                outcome.errors.append(f"{response.status_code}: {response.text[:300]}")
            if time.monotonic() > give_up or run.abandoned.is_set():
                return outcome
            time.sleep(0.1)


def _client(node: Node, api_key: str, series: str, index: int, run: Run) -> None:
    body = invoice_body(series, today_vn())
    for number in range(PER_CLIENT):
        if number == PER_CLIENT * 3 // 4:
            run.node_killed.wait(timeout=DEADLINE_SECONDS)
        if run.abandoned.is_set():
            return
        run.record(_issue_one(node, api_key, body, f"crash-{index}-{number}", run))


def _wait_for(condition: Any, *, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _seller_tax_code(node: Node, api_key: str) -> str:
    response = httpx.get(f"{node.url}/v1/business", headers={"Authorization": f"Bearer {api_key}"})
    assert response.status_code == 200, response.text
    return str(response.json()["tax_code"])


def test_kill_9_mid_run_loses_nothing_and_leaves_no_gap(
    fresh_database: harness.FreshDatabase, tmp_path: Path
) -> None:
    # Both incarnations of the node share what a real deployment shares: database, secret, keys.
    shared = {"HOADON_SECRET_KEY": secrets.token_urlsafe(36), "HOADON_DATA_DIR": str(tmp_path / "data")}
    total = CLIENTS * PER_CLIENT
    run = Run()
    with contextlib.ExitStack() as stack:
        node = Node(stack.enter_context(harness.serve(fresh_database.url, workers=2, extra_env=shared)))
        symbol = f"C{today_vn():%y}TAA"
        api_key = set_up_business(node.server, [symbol])
        tax_code = _seller_tax_code(node, api_key)

        with ThreadPoolExecutor(CLIENTS) as pool:
            clients = [pool.submit(_client, node, api_key, f"1{symbol}", i, run) for i in range(CLIENTS)]

            try:
                # 1. One API process dies mid-request; its sibling keeps serving, uvicorn replaces it.
                _wait_for(lambda: run.acknowledged >= total // 5, what="the first acknowledgements")
                before = node.server.worker_pids()
                os.kill(before[0], signal.SIGKILL)
                _wait_for(
                    lambda: (
                        len(node.server.worker_pids()) == 2 and before[0] not in node.server.worker_pids()
                    ),
                    what="uvicorn to replace the killed API process",
                )

                # 2. The whole node dies (every process, SIGKILL) and is started again.
                _wait_for(lambda: run.acknowledged >= total // 2, what="half of the invoices")
                os.killpg(node.server.process.pid, signal.SIGKILL)
                run.node_killed.set()
                restarted = stack.enter_context(
                    harness.serve(fresh_database.url, workers=2, extra_env=shared)
                )
                with node.lock:
                    node.server = restarted
            except BaseException:
                run.abandoned.set()
                run.node_killed.set()
                raise

            for future in clients:
                future.result(timeout=DEADLINE_SECONDS + 60)

        outcomes = {outcome.key: outcome for outcome in run.outcomes}
        acknowledged = {key: o for key, o in outcomes.items() if o.status == 201}
        refused = {key: o for key, o in outcomes.items() if o.status != 201}
        told_failed = [o for o in outcomes.values() if o.errors]
        print(
            f"\n{len(acknowledged)} acknowledged, {len(refused)} refused, {len(told_failed)} keys retried "
            f"after a connection error or 5xx, "
            f"{sum(o.replayed for o in outcomes.values())} answered by an idempotent replay"
        )
        assert len(outcomes) == total
        assert not refused, {key: (o.status, o.body, o.errors[-1:]) for key, o in refused.items()}

        # Every process of the node is gone and back: check what PostgreSQL kept.
        database = Database(create_db_engine(fresh_database.url, pool_size=2))
        try:
            with database.transaction() as session:
                stored = session.exec(select(Invoice).where(Invoice.seller_tax_code == tax_code)).all()
                audits = invoices.audit_chains(session, seller_tax_code=tax_code)
        finally:
            database.engine.dispose()

        by_key = {invoice.external_id: invoice for invoice in stored}
        # No duplicate, and nothing stored that the client was not, in the end, given.
        assert len(by_key) == len(stored)
        assert set(by_key) == set(acknowledged)
        for key, outcome in acknowledged.items():
            assert outcome.body is not None
            assert str(by_key[key].id) == outcome.body["id"], key
            assert by_key[key].number == outcome.body["number"], key
        assert sorted(invoice.number for invoice in stored) == list(range(1, total + 1))
        (audit,) = audits
        assert audit.entries == total
        assert audit.problems == []
        harness.hoadon("chain", "verify", "--seller", tax_code, env=node.server.env)

        auth = {"Authorization": f"Bearer {api_key}"}

        def verified(invoice_id: str) -> bool:
            with httpx.Client(base_url=node.url, timeout=30) as client:
                xml = client.get(f"/v1/invoices/{invoice_id}/xml", headers=auth)
                assert xml.status_code == 200, xml.text
                report = client.post(
                    "/v1/verify", content=xml.content, headers={"Content-Type": "application/xml"}
                )
                assert report.status_code == 200, report.text
                return bool(report.json()["valid"])

        ids = [str(invoice.id) for invoice in stored]
        with ThreadPoolExecutor(4) as pool:
            results = dict(zip(ids, pool.map(verified, ids), strict=True))
        assert all(results.values()), [invoice_id for invoice_id, ok in results.items() if not ok]
