from __future__ import annotations

import io
import logging
import re
import subprocess
import uuid
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from pypdf import PdfReader
from rq import Queue, SimpleWorker
from sqlmodel import select
from typer.testing import CliRunner

from invoicing import jobs
from invoicing.cli import app as cli
from invoicing.db import Database
from invoicing.jobs import JobContext
from invoicing.models import Rendition, RenditionStatus
from tests.helpers import AcceptedBusiness, accepted_business, bearer, invoice_payload, register_series


def _issue(
    client: TestClient, database: Database, **overrides: object
) -> tuple[AcceptedBusiness, dict[str, object]]:
    business = accepted_business(client, database)
    series = register_series(client, business.api_key)
    response = client.post(
        "/v1/invoices", json=invoice_payload(series, **overrides), headers=bearer(business.api_key)
    )
    assert response.status_code == 201, response.text
    return business, response.json()


def _rendition(database: Database, invoice_id: object) -> Rendition:
    with database.transaction() as session:
        return session.exec(
            select(Rendition).where(Rendition.document_id == uuid.UUID(str(invoice_id)))
        ).one()


def test_pdf_shows_the_invoice_and_carries_its_xml(
    client: TestClient, database: Database, tmp_path: Path
) -> None:
    business, invoice = _issue(client, database)
    links = invoice["links"]
    assert isinstance(links, dict)
    response = client.get(links["pdf"], headers=bearer(business.api_key))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"

    path = tmp_path / "invoice.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in (
        "Công ty TNHH Ví Dụ Bán",
        str(invoice["series"])[1:],
        "HÓA ĐƠN GIÁ TRỊ GIA TĂNG",
        "4.350.000",
        "Bốn triệu ba trăm năm mươi nghìn đồng",
        str(invoice["authority_code"]),
    ):
        assert expected in text, expected

    reader = PdfReader(io.BytesIO(response.content))
    xml = client.get(links["xml"], headers=bearer(business.api_key)).content
    attachments = reader.attachments
    assert list(attachments.values()) == [[xml]]
    catalog = reader.trailer["/Root"]
    xmp = catalog["/Metadata"].get_object().get_data().decode()
    assert re.findall(r'pdfaid:part="(\d)"', xmp) == ["3"]
    (associated,) = [reference.get_object() for reference in catalog["/AF"]]
    assert associated["/AFRelationship"] == "/Source"


def test_pdf_etag_is_stable(client: TestClient, database: Database) -> None:
    business, invoice = _issue(client, database)
    url = f"/v1/invoices/{invoice['id']}/pdf"
    first = client.get(url, headers=bearer(business.api_key))
    second = client.get(url, headers=bearer(business.api_key))
    assert first.headers["etag"] == second.headers["etag"]
    assert first.content == second.content
    cached = client.get(url, headers={**bearer(business.api_key), "If-None-Match": first.headers["etag"]})
    assert cached.status_code == 304


def test_with_redis_the_pdf_is_pending_until_the_worker_renders_it(
    redis_client: TestClient, database: Database, redis_url: str
) -> None:
    business, invoice = _issue(redis_client, database)
    url = f"/v1/invoices/{invoice['id']}/pdf"
    pending = redis_client.get(url, headers=bearer(business.api_key))
    assert pending.status_code == 202
    assert pending.headers["retry-after"] == "2"
    assert _rendition(database, invoice["id"]).status is RenditionStatus.PENDING

    connection = redis.Redis.from_url(redis_url)
    app = redis_client.app
    jobs.set_worker_context(
        JobContext(database=database, keyring=app.state.keyring, settings=app.state.settings)  # type: ignore[attr-defined]
    )
    SimpleWorker([Queue(jobs.QUEUE_NAME, connection=connection)], connection=connection).work(burst=True)

    rendered = redis_client.get(url, headers=bearer(business.api_key))
    assert rendered.status_code == 200
    assert rendered.content.startswith(b"%PDF")


def test_redis_down_at_issuance_still_issues_and_renders_on_first_read(
    settings: object, database: Database, client: TestClient
) -> None:
    from invoicing.config import Settings
    from invoicing.main import create_app

    assert isinstance(settings, Settings)
    dead = create_app(settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"}), database=database)
    with TestClient(dead, raise_server_exceptions=False) as offline:
        business, invoice = _issue(offline, database)
        assert _rendition(database, invoice["id"]).status is RenditionStatus.PENDING
        response = offline.get(f"/v1/invoices/{invoice['id']}/pdf", headers=bearer(business.api_key))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


def test_a_pdf_that_fails_three_times_is_marked_and_can_be_retried(
    client: TestClient, database: Database, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A character no shipped font can draw makes WeasyPrint fall back, which the pdf library refuses.
    buyer = {"tax_code": "0100233488", "name": "Công ty 漢字", "address": "Hà Nội"}
    with caplog.at_level(logging.ERROR, logger="hoadon.renditions"):
        business, invoice = _issue(client, database, buyer=buyer)
    rendition = _rendition(database, invoice["id"])
    assert rendition.status is RenditionStatus.FAILED
    assert rendition.attempts == 3
    assert any("failed 3 times" in record.getMessage() for record in caplog.records)
    shown = client.get(f"/v1/invoices/{invoice['id']}", headers=bearer(business.api_key)).json()
    assert shown["pdf_status"] == "failed"
    response = client.get(f"/v1/invoices/{invoice['id']}/pdf", headers=bearer(business.api_key))
    assert response.status_code == 503
    assert response.json()["type"].endswith("pdf-rendering-failed")

    monkeypatch.setattr("invoicing.cli._job_database", lambda: (database, None))
    jobs.attach(
        database,
        jobs.dispatcher_for(
            database, keyring=client.app.state.keyring, settings=client.app.state.settings, redis=None
        ),
    )  # type: ignore[attr-defined]
    result = CliRunner().invoke(cli, ["jobs", "retry"])
    assert result.exit_code == 0, result.output
    assert "queued 1" in result.output
    assert _rendition(database, invoice["id"]).attempts == 3  # retried inline, failed three more times
