from __future__ import annotations

import io
import re
import subprocess
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import redis
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from pypdf import PdfReader
from rq import Queue, SimpleWorker
from sqlmodel import select

from invoicing import jobs
from invoicing.authority.qr import parse_qr_payload, signature_matches
from invoicing.config import Settings
from invoicing.db import Database
from invoicing.jobs import JobContext
from invoicing.main import create_app
from invoicing.models import Rendition, RenditionStatus
from tests.helpers import AcceptedBusiness, bearer
from tests.receipts import issue, receipt_business, receipt_payload, register_receipt_series

FEES = [
    {"fee_name": "Lệ phí đăng ký quyền sử dụng đất", "amount": "1000000"},
    {"fee_name": "Phí thẩm định hồ sơ", "amount": "234567"},
]


def _issue(
    client: TestClient, database: Database, **overrides: Any
) -> tuple[AcceptedBusiness, dict[str, Any]]:
    business = receipt_business(client, database)
    series = register_receipt_series(client, business.api_key)
    return business, issue(client, business.api_key, receipt_payload(series, lines=FEES, **overrides))


def _rendition(database: Database, receipt_id: str) -> Rendition:
    with database.transaction() as session:
        return session.exec(
            select(Rendition).where(
                Rendition.document_type == "receipt", Rendition.document_id == uuid.UUID(receipt_id)
            )
        ).one()


def test_pdf_shows_the_receipt_and_carries_its_xml(
    client: TestClient, database: Database, tmp_path: Path
) -> None:
    business, receipt = _issue(client, database)
    assert receipt["total_in_words"] == "Một triệu hai trăm ba mươi bốn nghìn năm trăm sáu mươi bảy đồng"
    response = client.get(receipt["links"]["pdf"], headers=bearer(business.api_key))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert (
        f'filename="{business.tax_code}-{receipt["series"]}-1.pdf"' in response.headers["content-disposition"]
    )

    path = tmp_path / "receipt.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in (
        "BIÊN LAI THU PHÍ, LỆ PHÍ",
        "Công ty TNHH Ví Dụ Bán",
        business.tax_code,
        "Nguyễn Văn Nộp",
        "Lệ phí đăng ký quyền sử dụng đất",
        "Phí thẩm định hồ sơ",
        "1.000.000",
        "234.567",
        "1.234.567",
        "Một triệu hai trăm ba mươi bốn nghìn năm trăm sáu mươi bảy đồng",
        receipt["series"],
        "01BLP0-001",
    ):
        assert expected in text, expected

    reader = PdfReader(io.BytesIO(response.content))
    xml = client.get(receipt["links"]["xml"], headers=bearer(business.api_key)).content
    assert list(reader.attachments.items()) == [(f"{business.tax_code}-{receipt['series']}-1.xml", [xml])]
    catalog = reader.trailer["/Root"]
    xmp = catalog["/Metadata"].get_object().get_data().decode()
    assert re.findall(r'pdfaid:part="(\d)"', xmp) == ["3"]


def test_the_qr_code_carries_the_authority_signed_facts(
    client: TestClient, database: Database, tmp_path: Path
) -> None:
    business, receipt = _issue(client, database)
    path = tmp_path / "receipt.pdf"
    path.write_bytes(client.get(receipt["links"]["pdf"], headers=bearer(business.api_key)).content)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "150",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(path),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    codes = zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"))
    (text,) = [code.text for code in codes if code.format == zxingcpp.BarcodeFormat.QRCode]
    url = urlsplit(text)
    assert url.path == f"/verify/{receipt['id']}"
    facts, signed, signature = parse_qr_payload(parse_qs(url.query)["q"][0])
    assert (facts.seller_tax_code, facts.series, facts.number) == (business.tax_code, receipt["series"], 1)
    assert (facts.total, facts.authority_code, facts.document_sha256) == ("1234567", None, receipt["sha256"])
    authority = client.app.state.keyring.authority  # type: ignore[attr-defined]
    assert signature_matches(authority.certificate, signed, signature)


def test_pdf_etag_is_stable(client: TestClient, database: Database) -> None:
    business, receipt = _issue(client, database)
    url = receipt["links"]["pdf"]
    first = client.get(url, headers=bearer(business.api_key))
    second = client.get(url, headers=bearer(business.api_key))
    assert first.headers["etag"] == second.headers["etag"]
    assert first.content == second.content
    cached = client.get(url, headers={**bearer(business.api_key), "If-None-Match": first.headers["etag"]})
    assert cached.status_code == 304
    assert cached.content == b""


def test_with_redis_the_pdf_is_pending_until_the_worker_renders_it(
    redis_client: TestClient, database: Database, redis_url: str
) -> None:
    business, receipt = _issue(redis_client, database)
    pending = redis_client.get(receipt["links"]["pdf"], headers=bearer(business.api_key))
    assert pending.status_code == 202
    assert pending.headers["retry-after"] == "2"
    shown = redis_client.get(receipt["links"]["self"], headers=bearer(business.api_key)).json()
    assert shown["pdf_status"] == "pending"

    connection = redis.Redis.from_url(redis_url)
    app = redis_client.app
    jobs.set_worker_context(
        JobContext(database=database, keyring=app.state.keyring, settings=app.state.settings)  # type: ignore[attr-defined]
    )
    SimpleWorker([Queue(jobs.QUEUE_NAME, connection=connection)], connection=connection).work(burst=True)

    assert _rendition(database, receipt["id"]).status is RenditionStatus.RENDERED
    rendered = redis_client.get(receipt["links"]["pdf"], headers=bearer(business.api_key))
    assert rendered.status_code == 200
    assert rendered.content.startswith(b"%PDF")


def test_redis_down_at_issuance_still_issues_and_renders_on_first_read(
    settings: Settings, database: Database, client: TestClient
) -> None:
    dead = create_app(settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"}), database=database)
    with TestClient(dead, raise_server_exceptions=False) as offline:
        business, receipt = _issue(offline, database)
        assert _rendition(database, receipt["id"]).status is RenditionStatus.PENDING
        response = offline.get(receipt["links"]["pdf"], headers=bearer(business.api_key))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


def test_a_pdf_that_fails_three_times_is_a_503(client: TestClient, database: Database) -> None:
    # A character no shipped font can draw makes WeasyPrint fall back, which the pdf library refuses.
    business, receipt = _issue(client, database, payer={"name": "Người nộp 漢字"})
    rendition = _rendition(database, receipt["id"])
    assert rendition.status is RenditionStatus.FAILED
    assert rendition.attempts == 3
    shown = client.get(receipt["links"]["self"], headers=bearer(business.api_key)).json()
    assert shown["pdf_status"] == "failed"
    response = client.get(receipt["links"]["pdf"], headers=bearer(business.api_key))
    assert response.status_code == 503
    assert response.json()["type"].endswith("pdf-rendering-failed")
