"""The public page a QR code opens: status and face facts, no buyer data, HTML even when not found."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from invoicing.db import Database
from invoicing.invoices import service as invoices
from invoicing.models import Invoice, InvoiceStatus
from tests.helpers import accepted_business, bearer, invoice_payload, register_series, this_year_symbol, today

SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def issue(
    client: TestClient, database: Database, *, symbol: str | None = None, **registration: Any
) -> dict[str, Any]:
    business = accepted_business(client, database, **registration)
    series = register_series(client, business.api_key, symbol=symbol)
    response = client.post("/v1/invoices", json=invoice_payload(series), headers=bearer(business.api_key))
    assert response.status_code == 201, response.text
    return {**response.json(), "tax_code": business.tax_code}


@pytest.fixture
def issued(client: TestClient, database: Database) -> dict[str, Any]:
    return issue(client, database)


def qr_payload(client: TestClient, database: Database, invoice_id: str) -> str:
    with database.transaction() as session:
        stored = session.get(Invoice, uuid.UUID(invoice_id))
        assert stored is not None
        url = invoices.qr_url(stored, keyring=client.app.state.keyring, base_url="https://hoadon.example")
    return url.split("?q=", 1)[1]


def set_status(database: Database, invoice_id: str, status: InvoiceStatus) -> None:
    with database.transaction() as session:
        stored = session.get(Invoice, uuid.UUID(invoice_id))
        assert stored is not None
        stored.status = status
        session.add(stored)


def page(client: TestClient, path: str, *, status: int = 200, **params: str) -> str:
    response: Response = client.get(path, params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    return response.text


def vn_date(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


def test_an_issued_invoice(client: TestClient, issued: dict[str, Any]) -> None:
    html = page(client, f"/verify/{issued['authority_code']}")
    assert "Đã phát hành" in html
    assert "Issued" in html
    assert "Công ty TNHH Ví Dụ Bán" in html
    assert issued["tax_code"] in html
    assert f"<dd>{issued['series']}</dd>" in html
    assert f"<dd>{issued['number']}</dd>" in html
    assert f"<dd>{vn_date(today())}</dd>" in html
    assert "4.350.000 VND" in html
    assert issued["authority_code"] in html
    # The buyer is on the invoice, not on a page anyone holding the code can open.
    assert "Ví Dụ Mua" not in html
    assert "0100233488" not in html
    assert "Trần Thị B" not in html
    assert "Mã QR" not in html


def test_the_lookup_code_is_read_in_either_case(client: TestClient, issued: dict[str, Any]) -> None:
    assert "Đã phát hành" in page(client, f"/verify/{issued['authority_code'].lower()}")


def test_an_uncoded_invoice_is_found_by_its_id(client: TestClient, database: Database) -> None:
    issued = issue(client, database, symbol=this_year_symbol("K"), with_authority_code=False)
    assert issued["authority_code"] is None
    html = page(client, f"/verify/{issued['id']}")
    assert "Đã phát hành" in html
    assert "Uncoded invoice" in html


@pytest.mark.parametrize(
    ("status", "vietnamese", "english"),
    [
        (InvoiceStatus.CANCELLED, "Đã hủy", "Cancelled"),
        (InvoiceStatus.REPLACED, "Đã bị thay thế", "Replaced"),
        (InvoiceStatus.ADJUSTED, "Đã bị điều chỉnh", "Adjusted"),
    ],
)
def test_a_later_status_is_shown(
    client: TestClient,
    database: Database,
    issued: dict[str, Any],
    status: InvoiceStatus,
    vietnamese: str,
    english: str,
) -> None:
    set_status(database, issued["id"], status)
    html = page(client, f"/verify/{issued['authority_code']}")
    assert vietnamese in html
    assert english in html
    assert "Đã phát hành" not in html


@pytest.mark.parametrize(
    "code",
    [f"00{'F' * 32}", str(uuid.UUID(int=7)), "nonsense", f"00{'%00' * 32}", "%3Cscript%3E", "00" + "A" * 500],
)
def test_an_unknown_code_is_an_html_404(client: TestClient, issued: dict[str, Any], code: str) -> None:
    html = page(client, f"/verify/{code}", status=404)
    assert html.startswith("<!doctype html>")
    assert "Không tìm thấy hóa đơn" in html
    assert "Invoice not found" in html
    assert "<script>" not in html


def test_a_valid_qr_is_confirmed(client: TestClient, database: Database, issued: dict[str, Any]) -> None:
    html = page(client, f"/verify/{issued['authority_code']}", q=qr_payload(client, database, issued["id"]))
    assert "Signature valid" in html
    assert "The QR code is authentic and matches this invoice" in html
    assert html.count("✓ khớp") == 7
    assert "không khớp" not in html


def test_an_altered_qr_is_shown_as_such(
    client: TestClient, database: Database, issued: dict[str, Any]
) -> None:
    parts = qr_payload(client, database, issued["id"]).split("~")
    parts[5] = "4350001"
    html = page(client, f"/verify/{issued['authority_code']}", q="~".join(parts))
    assert "Signature invalid" in html
    assert "does not match this invoice, or was altered" in html
    assert html.count("✗ không khớp") == 1
    assert "4.350.001" in html


def test_a_qr_of_another_invoice_does_not_match_this_page(
    client: TestClient, database: Database, issued: dict[str, Any]
) -> None:
    other = issue(client, database)
    html = page(client, f"/verify/{issued['authority_code']}", q=qr_payload(client, database, other["id"]))
    assert "Signature valid" in html
    assert "does not match this invoice" in html


def test_an_unreadable_qr(client: TestClient, issued: dict[str, Any]) -> None:
    html = page(client, f"/verify/{issued['authority_code']}", q="HD1~<script>alert(1)</script>")
    assert "The QR code cannot be read" in html
    assert "<script>" not in html
    assert "Đã phát hành" in html


def test_the_page_escapes_what_the_seller_wrote(client: TestClient, database: Database) -> None:
    issued = issue(client, database, name='Công ty <b onmouseover="x">Ví Dụ</b> & Co')
    html = page(client, f"/verify/{issued['authority_code']}")
    assert "Công ty &lt;b onmouseover=&#34;x&#34;&gt;Ví Dụ&lt;/b&gt; &amp; Co" in html
    assert "<b " not in html
