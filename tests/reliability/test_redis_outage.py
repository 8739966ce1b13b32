"""Redis goes away mid-run and comes back empty: issuance never stops, and nothing is lost.

A ``redis-server`` of the test's own, on its own port, without persistence (as Redis is run for
hoadon: it holds nothing that cannot be rebuilt), so stopping it loses the queued PDF jobs and the
idempotency cache for real.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from rq import Queue, SimpleWorker

from bench import _harness as harness
from invoicing import jobs
from invoicing.config import Settings
from invoicing.db import Database
from invoicing.jobs import JobContext
from invoicing.main import create_app
from invoicing.renditions import service as renditions
from tests.conftest import unavailable
from tests.helpers import accepted_business, bearer, invoice_payload, register_series

pytestmark = pytest.mark.redis


class RedisServer:
    """``redis-server --port P --save "" --appendonly no`` as a child process, stopped and started at will."""

    def __init__(self, executable: str, directory: Path) -> None:
        self.executable = executable
        self.directory = directory
        self.port = harness.free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{harness.LOCALHOST}:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.executable,
                "--port",
                str(self.port),
                "--bind",
                harness.LOCALHOST,
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1)
        try:
            for _ in range(100):
                if self.process.poll() is not None:
                    raise RuntimeError(f"redis-server exited {self.process.returncode}")
                with contextlib.suppress(redis.ConnectionError):
                    if client.ping():
                        return
                time.sleep(0.05)
            raise RuntimeError(f"redis-server on port {self.port} did not answer")
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    executable = shutil.which("redis-server")
    if executable is None:
        unavailable("redis-server is not installed")
    assert executable is not None
    server = RedisServer(executable, tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _issue(client: TestClient, api_key: str, series: str, key: str) -> dict[str, Any]:
    response = client.post(
        "/v1/invoices", json=invoice_payload(series), headers={**bearer(api_key), "Idempotency-Key": key}
    )
    assert response.status_code == 201, response.text
    # Counted against the key's limit, whether the count lives in Redis or in this process.
    assert int(response.headers["RateLimit-Remaining"]) > 0
    body: dict[str, Any] = response.json()
    return body


def test_issuance_outlives_redis_and_every_pdf_is_rendered_once_it_returns(
    settings: Settings, database: Database, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings.model_copy(update={"redis_url": redis_server.url}), database=database)
    with TestClient(app, raise_server_exceptions=False) as client:
        business = accepted_business(client, database)
        series = register_series(client, business.api_key)
        before = [_issue(client, business.api_key, series, f"before-{i}") for i in range(3)]
        direct = redis.Redis.from_url(redis_server.url)
        queue = Queue(jobs.QUEUE_NAME, connection=direct)
        assert queue.count == 3  # the PDF jobs went to Redis ...
        assert len(direct.keys("hoadon:idem:*")) == 3  # ... and so did the idempotency cache
        assert direct.keys("hoadon:ratelimit*")  # ... and the rate limits' counts
        direct.close()

        redis_server.stop()
        assert client.get("/healthz").status_code == 200
        with caplog.at_level(logging.WARNING, logger="hoadon"):
            during = [_issue(client, business.api_key, series, f"during-{i}") for i in range(3)]
            # A key answered before the outage is replayed from the database, not issued again.
            replay = client.post(
                "/v1/invoices",
                json=invoice_payload(series),
                headers={**bearer(business.api_key), "Idempotency-Key": "before-0"},
            )
        assert replay.status_code == 201, replay.text
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert replay.json()["id"] == before[0]["id"]
        warned = {
            (r.name, r.getMessage().split(":")[0]) for r in caplog.records if r.levelno >= logging.WARNING
        }
        # Each Redis use noticed the outage and fell back: idempotency to the database, the PDF job
        # to the sweeper, rate limits (fail open) to a count in this process.
        assert ("hoadon.idempotency", "idempotency cache unavailable") in warned
        assert any(name == "hoadon.jobs" for name, _ in warned)
        assert ("hoadon.ratelimits", "rate limits") in warned
        listed = client.get("/v1/invoices", headers=bearer(business.api_key)).json()["data"]
        assert [row["number"] for row in listed] == [6, 5, 4, 3, 2, 1]
        assert {row["pdf_status"] for row in listed} == {"pending"}

        # Redis returns on the same port, empty: the three queued jobs are gone, three never went.
        redis_server.start()
        connection = redis.Redis.from_url(redis_server.url)
        queue = Queue(jobs.QUEUE_NAME, connection=connection)
        assert queue.count == 0
        with database.transaction() as session:
            assert renditions.sweep_pending(session, older_than=timedelta(0)) == 6
        assert queue.count == 6
        jobs.set_worker_context(
            JobContext(database=database, keyring=app.state.keyring, settings=app.state.settings)
        )
        SimpleWorker([queue], connection=connection).work(burst=True)
        connection.close()

        listed = client.get("/v1/invoices", headers=bearer(business.api_key)).json()["data"]
        assert {row["id"] for row in listed} == {invoice["id"] for invoice in before + during}
        assert {row["pdf_status"] for row in listed} == {"rendered"}
        for invoice in before + during:
            pdf = client.get(f"/v1/invoices/{invoice['id']}/pdf", headers=bearer(business.api_key))
            assert pdf.status_code == 200
            assert pdf.content.startswith(b"%PDF")
