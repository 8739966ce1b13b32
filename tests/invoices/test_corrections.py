"""Adjust, replace, cancel (Decree 123 Art. 19; decision 10): each transition and each refusal."""

from __future__ import annotations

import io
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from pypdf import PdfReader

import signing
from invoicing.config import Settings
from invoicing.db import Database
from invoicing.main import create_app
from invoicing.models import Invoice
from tests.conftest import Backend
from tests.helpers import AcceptedBusiness, accepted_business, bearer, invoice_payload, register_series, today
from tests.receipts import issue, receipt_payload, register_receipt_series


@pytest.fixture
def business(client: TestClient, database: Database) -> AcceptedBusiness:
    return accepted_business(client, database)


@pytest.fixture
def original(client: TestClient, business: AcceptedBusiness) -> dict[str, Any]:
    series = register_series(client, business.api_key)
    response = client.post("/v1/invoices", json=invoice_payload(series), headers=bearer(business.api_key))
    assert response.status_code == 201
    body: dict[str, Any] = response.json()
    return body


def _post(client: TestClient, business: AcceptedBusiness, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json=body, headers=bearer(business.api_key))


def _decrease() -> dict[str, Any]:
    return {
        "issue_date": today(),
        "lines": [
            {
                "name": "Giảm giá máy in laser",
                "unit": "Cái",
                "quantity": "2",
                "unit_price": "-50000",
                "vat_rate": "10%",
            }
        ],
        "note": "Giảm giá theo biên bản ngày hôm nay",
    }


def _replacement() -> dict[str, Any]:
    payload = invoice_payload("ignored")
    return {
        "issue_date": today(),
        "buyer": payload["buyer"],
        "lines": payload["lines"][:1],
        "note": "Sai số lượng",
    }


def _xml(client: TestClient, business: AcceptedBusiness, invoice: dict[str, Any]) -> etree._Element:
    return signing.parse_xml(client.get(invoice["links"]["xml"], headers=bearer(business.api_key)).content)


def _status(client: TestClient, business: AcceptedBusiness, invoice_id: str) -> str:
    status: str = client.get(f"/v1/invoices/{invoice_id}", headers=bearer(business.api_key)).json()["status"]
    return status


def test_adjustment_carries_the_differences_and_references_the_original(
    client: TestClient, business: AcceptedBusiness, original: dict[str, Any]
) -> None:
    response = _post(client, business, f"/v1/invoices/{original['id']}/adjust", _decrease())
    assert response.status_code == 201, response.text
    adjustment = response.json()
    assert adjustment["number"] == 2
    assert adjustment["relation"] == "adjustment"
    assert adjustment["corrects"] == original["id"]
    assert adjustment["subtotal"] == "-100000"
    assert adjustment["vat_total"] == "-10000"
    assert adjustment["total"] == "-110000"
    assert adjustment["total_in_words"] == "Âm một trăm mười nghìn đồng"
    assert adjustment["authority_code"] is not None
    assert _status(client, business, original["id"]) == "adjusted"

    related = _xml(client, business, adjustment).find("DLHDon/TTChung/TTHDLQuan")
    assert [child.tag for child in related] == [
        "TCHDon", "LHDCLQuan", "KHMSHDCLQuan", "KHHDCLQuan", "SHDCLQuan", "NLHDCLQuan", "GChu",
    ]  # fmt: skip
    assert related.findtext("TCHDon") == "2"
    assert related.findtext("KHMSHDCLQuan") == "1"
    assert related.findtext("KHHDCLQuan") == original["symbol"]
    assert related.findtext("SHDCLQuan") == "1"
    assert related.findtext("NLHDCLQuan") == original["issue_date"]

    second = _post(client, business, f"/v1/invoices/{original['id']}/adjust", _decrease())
    assert second.status_code == 201
    assert second.json()["number"] == 3


def test_adjustment_pdf_carries_the_wording(
    client: TestClient, business: AcceptedBusiness, original: dict[str, Any]
) -> None:
    adjustment = _post(client, business, f"/v1/invoices/{original['id']}/adjust", _decrease()).json()
    pdf = client.get(adjustment["links"]["pdf"], headers=bearer(business.api_key))
    assert pdf.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    day = original["issue_date"]
    assert f"Điều chỉnh cho hóa đơn Mẫu số 1 ký hiệu {original['symbol']} số 1" in " ".join(text.split())
    assert f"năm {day[:4]}" in text


def test_replacement_replaces_once_and_can_itself_be_adjusted(
    client: TestClient, business: AcceptedBusiness, original: dict[str, Any]
) -> None:
    response = _post(client, business, f"/v1/invoices/{original['id']}/replace", _replacement())
    assert response.status_code == 201, response.text
    replacement = response.json()
    assert replacement["relation"] == "replacement"
    assert _xml(client, business, replacement).findtext("DLHDon/TTChung/TTHDLQuan/TCHDon") == "1"
    assert _status(client, business, original["id"]) == "replaced"

    twice = _post(client, business, f"/v1/invoices/{original['id']}/replace", _replacement())
    assert twice.status_code == 409
    assert twice.json()["type"].endswith("invoice-already-replaced")
    assert twice.json()["replaced_by"]["id"] == replacement["id"]

    cancel_after = _post(client, business, f"/v1/invoices/{original['id']}/cancel", {"reason": "Nhầm"})
    assert cancel_after.status_code == 409

    adjusted = _post(client, business, f"/v1/invoices/{replacement['id']}/adjust", _decrease())
    assert adjusted.status_code == 201
    assert adjusted.json()["corrects"] == replacement["id"]


def test_cancellation_records_a_signed_notice_and_keeps_the_number(
    client: TestClient, business: AcceptedBusiness, original: dict[str, Any]
) -> None:
    reason = "Hóa đơn lập sai, chưa gửi cho người mua"
    response = _post(client, business, f"/v1/invoices/{original['id']}/cancel", {"reason": reason})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"

    notice_bytes = client.get(
        f"/v1/invoices/{original['id']}/cancellation", headers=bearer(business.api_key)
    ).content
    notice = signing.parse_xml(notice_bytes)
    assert notice.tag == "TBao"
    assert notice.findtext("DLTBao/MSo") == "04/SS-HĐĐT"
    assert notice.findtext("DLTBao/DSHDon/HDon/TCTBao") == "1"
    assert notice.findtext("DLTBao/DSHDon/HDon/LDo") == reason
    assert notice.findtext("DLTBao/DSHDon/HDon/MCQTCap") == original["authority_code"]
    verified = signing.verify(
        root=notice, signature=notice.find("DSCKS/NNT/{http://www.w3.org/2000/09/xmldsig#}Signature")
    )
    assert signing.certificate_tax_code(verified.certificate) == business.tax_code
    assert notice.find("DLTBao") in verified.signed_elements

    again = _post(client, business, f"/v1/invoices/{original['id']}/cancel", {"reason": reason})
    assert again.status_code == 409
    assert again.json()["type"].endswith("invoice-already-cancelled")
    assert _post(client, business, f"/v1/invoices/{original['id']}/adjust", _decrease()).status_code == 409

    series = original["series"]
    chain = client.get(f"/v1/series/{series}/chain", headers=bearer(business.api_key)).json()
    assert [(e["event"], e["number"]) for e in chain["data"]] == [("issued", 1), ("cancelled", 1)]
    nxt = client.post("/v1/invoices", json=invoice_payload(series), headers=bearer(business.api_key)).json()
    assert nxt["number"] == 2

    report = client.post(
        "/v1/verify", content=client.get(original["links"]["xml"], headers=bearer(business.api_key)).content
    )
    assert report.json()["document"]["status"] == "cancelled"
    assert report.json()["valid"] is False


def test_an_adjusted_invoice_cannot_be_cancelled_or_replaced(
    client: TestClient, business: AcceptedBusiness, original: dict[str, Any]
) -> None:
    assert _post(client, business, f"/v1/invoices/{original['id']}/adjust", _decrease()).status_code == 201
    assert (
        _post(client, business, f"/v1/invoices/{original['id']}/cancel", {"reason": "x"}).status_code == 409
    )
    assert (
        _post(client, business, f"/v1/invoices/{original['id']}/replace", _replacement()).status_code == 409
    )


def test_history_shows_the_whole_graph(
    client: TestClient, business: AcceptedBusiness, original: dict[str, Any]
) -> None:
    replacement = _post(client, business, f"/v1/invoices/{original['id']}/replace", _replacement()).json()
    adjustment = _post(client, business, f"/v1/invoices/{replacement['id']}/adjust", _decrease()).json()
    history = client.get(f"/v1/invoices/{adjustment['id']}/history", headers=bearer(business.api_key)).json()
    assert [(e["number"], e["relation"], e["corrects"], e["status"]) for e in history["lineage"]] == [
        (1, None, None, "replaced"),
        (2, "replacement", original["id"], "adjusted"),
        (3, "adjustment", replacement["id"], "issued"),
    ]
    actions = [event["action"] for event in history["events"]]
    assert actions.count("invoice.issued") == 3
    assert "invoice.replaced" in actions
    assert "invoice.adjusted" in actions
    assert all(event["actor"].startswith("business:") for event in history["events"])


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("adjust", {**_decrease(), "seller": {"tax_code": "0106324653"}}, 422, "seller"),
        ("cancel", {"reason": "x" * 256}, 422, "reason"),
        ("cancel", {}, 422, "reason"),
        ("adjust", {**_decrease(), "lines": []}, 422, "lines"),
        ("adjust", {**_decrease(), "issue_date": "2020-01-01"}, 422, "issue_date"),
    ],
)
def test_refused_corrections_write_nothing(
    client: TestClient,
    business: AcceptedBusiness,
    original: dict[str, Any],
    path: str,
    body: dict[str, Any],
    status: int,
    field: str,
) -> None:
    response = _post(client, business, f"/v1/invoices/{original['id']}/{path}", body)
    assert response.status_code == status, response.text
    assert response.json()["errors"][0]["field"] == field
    assert _status(client, business, original["id"]) == "issued"
    listed = client.get("/v1/invoices", headers=bearer(business.api_key)).json()["data"]
    assert [row["number"] for row in listed] == [1]


def test_a_receipt_is_not_the_target_of_an_invoice_correction(
    client: TestClient, business: AcceptedBusiness, original: dict[str, Any]
) -> None:
    receipt = issue(
        client, business.api_key, receipt_payload(register_receipt_series(client, business.api_key))
    )
    for path, body in (("adjust", _decrease()), ("replace", _replacement()), ("cancel", {"reason": "Nhầm"})):
        response = _post(client, business, f"/v1/invoices/{receipt['id']}/{path}", body)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "invoice_id"
        assert "receipt" in response.json()["errors"][0]["reason"]
    listed = client.get("/v1/invoices", headers=bearer(business.api_key)).json()["data"]
    assert [row["number"] for row in listed] == [1]


def test_another_business_cannot_correct_my_invoice(
    client: TestClient, database: Database, original: dict[str, Any]
) -> None:
    other = accepted_business(client, database)
    register_series(client, other.api_key)
    for path, body in (("adjust", _decrease()), ("replace", _replacement()), ("cancel", {"reason": "x"})):
        assert _post(client, other, f"/v1/invoices/{original['id']}/{path}", body).status_code == 404
    assert (
        client.get(f"/v1/invoices/{original['id']}/history", headers=bearer(other.api_key)).status_code == 404
    )


def test_adjusting_and_cancelling_at_once_leaves_one_outcome(backend: Backend, settings: Settings) -> None:
    database = Database(backend.engine)
    with TestClient(create_app(settings, database=database), raise_server_exceptions=False) as client:
        business = accepted_business(client, database)
        series = register_series(client, business.api_key)
        target = client.post(
            "/v1/invoices", json=invoice_payload(series), headers=bearer(business.api_key)
        ).json()
        app = client.app

        def attempt(kind: str) -> int:
            with TestClient(app) as own:
                if kind == "adjust":
                    return own.post(
                        f"/v1/invoices/{target['id']}/adjust",
                        json=_decrease(),
                        headers=bearer(business.api_key),
                    ).status_code
                return own.post(
                    f"/v1/invoices/{target['id']}/cancel",
                    json={"reason": "x"},
                    headers=bearer(business.api_key),
                ).status_code

        with ThreadPoolExecutor(2) as pool:
            outcomes = sorted(pool.map(attempt, ["adjust", "cancel"] * 3))
        with database.transaction() as session:
            stored = session.get(Invoice, uuid.UUID(target["id"]))
            assert stored is not None
            final = stored.status.value
    if final == "cancelled":
        assert outcomes == [200, 409, 409, 409, 409, 409]
    else:
        assert final == "adjusted"
        assert outcomes.count(201) == 3
        assert outcomes.count(409) == 3


def test_verification_points_to_the_corrections(
    client: TestClient, business: AcceptedBusiness, original: dict[str, Any]
) -> None:
    replacement = _post(client, business, f"/v1/invoices/{original['id']}/replace", _replacement()).json()
    xml = client.get(original["links"]["xml"], headers=bearer(business.api_key)).content
    report = client.post("/v1/verify", content=xml).json()
    assert report["document"]["status"] == "replaced"
    assert report["document"]["related"] == [
        {
            "role": "replaced_by",
            "series": replacement["series"],
            "number": replacement["number"],
            "issue_date": replacement["issue_date"],
            "verify_url": f"/verify/{replacement['authority_code']}",
        }
    ]
    page = client.get(f"/verify/{original['authority_code']}")
    assert page.status_code == 200
    assert "Được thay thế bởi hóa đơn" in page.text
    assert f"/verify/{replacement['authority_code']}" in page.text
    back = client.get(f"/verify/{replacement['authority_code']}")
    assert "Thay thế cho hóa đơn" in back.text
