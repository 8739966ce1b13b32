from __future__ import annotations

import hashlib
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

import signing
from invoicing.db import Database
from invoicing.invoices import service as invoices
from invoicing.models import AuditEvent
from tests.conftest import unavailable
from tests.helpers import (
    AcceptedBusiness,
    accepted_business,
    bearer,
    invoice_payload,
    register_series,
    this_year_symbol,
)
from tests.receipts import (
    TEMPLATE,
    issue,
    receipt_business,
    receipt_payload,
    receipt_symbol,
    register_receipt_series,
)


@pytest.fixture
def business(client: TestClient, database: Database) -> AcceptedBusiness:
    return receipt_business(client, database)


@pytest.fixture
def series(client: TestClient, business: AcceptedBusiness) -> str:
    return register_receipt_series(client, business.api_key)


def _children(element: object) -> list[str]:
    return [child.tag for child in element]  # type: ignore[attr-defined]


def test_issue_a_receipt(
    client: TestClient, database: Database, business: AcceptedBusiness, series: str
) -> None:
    response = client.post("/v1/receipts", json=receipt_payload(series), headers=bearer(business.api_key))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["series"] == series == receipt_symbol()
    assert body["template"] == TEMPLATE
    assert body["number"] == 1
    assert body["total"] == "50000"
    assert body["total_in_words"] == "Năm mươi nghìn đồng"
    assert body["currency"] == "VND"
    assert body["exchange_rate"] is None
    assert body["total_vnd"] is None
    assert body["status"] == "issued"
    assert body["payer"] == {
        "name": "Nguyễn Văn Nộp",
        "address": "Số 5 Phố Ví Dụ, Phường Hoàn Kiếm, Thành phố Hà Nội",
        "tax_code": None,
    }
    assert body["lines"] == [
        {"fee_name": "Lệ phí cấp giấy phép xây dựng", "amount": "30000"},
        {"fee_name": "Phí thẩm định hồ sơ", "amount": "20000"},
    ]
    assert response.headers["location"] == body["links"]["self"] == f"/v1/receipts/{body['id']}"
    assert body["links"]["verify"] == f"/verify/{body['id']}"

    shown = client.get(body["links"]["self"], headers=bearer(business.api_key)).json()
    assert shown == {**body, "pdf_status": "rendered"}
    with database.transaction() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.subject_id == body["id"])).all()
    assert [(e.action, e.data["number"]) for e in events] == [("receipt.issued", 1)]


def test_the_xml_is_a_signed_blai_in_order(
    client: TestClient, business: AcceptedBusiness, series: str
) -> None:
    payer = {"name": "Công ty Nộp Phí", "tax_code": "0100233488", "address": "Hà Nội"}
    body = issue(client, business.api_key, receipt_payload(series, payer=payer))
    xml = client.get(body["links"]["xml"], headers=bearer(business.api_key))
    assert xml.status_code == 200
    assert xml.headers["content-type"] == "application/xml"
    assert xml.headers["etag"] == f'"{body["sha256"]}"'
    assert hashlib.sha256(xml.content).hexdigest() == body["sha256"]

    root = signing.parse_xml(xml.content)
    assert root.tag == "BLai"
    assert _children(root) == ["DLBLai", "DSCKS"]
    data = root.find("DLBLai")
    assert data is not None
    assert data.get("Id") == f"DLBLai-{body['id']}"
    assert _children(data) == ["TTChung", "NDBLai"]
    assert _children(data.find("TTChung")) == [
        "PBan", "TBLai", "KHMSBLai", "KHBLai", "SBLai", "NLap", "DVTTe", "TGia",
    ]  # fmt: skip
    assert root.findtext("DLBLai/TTChung/TBLai") == "Biên lai thu phí, lệ phí"
    assert root.findtext("DLBLai/TTChung/KHMSBLai") == TEMPLATE
    assert root.findtext("DLBLai/TTChung/KHBLai") == series
    assert root.findtext("DLBLai/TTChung/SBLai") == "1"
    assert _children(data.find("NDBLai")) == ["NThu", "NNop", "DSKhoan", "TToan"]
    assert _children(data.find("NDBLai/NThu")) == ["Ten", "MST", "DChi"]
    assert root.findtext("DLBLai/NDBLai/NThu/MST") == business.tax_code
    assert _children(data.find("NDBLai/NNop")) == ["Ten", "MST", "DChi"]
    assert root.findtext("DLBLai/NDBLai/NNop/MST") == "0100233488"
    fees = data.findall("NDBLai/DSKhoan/Khoan")
    assert [_children(fee) for fee in fees] == [["STT", "TKhoan", "STien"]] * 2
    assert [(f.findtext("STT"), f.findtext("TKhoan"), f.findtext("STien")) for f in fees] == [
        ("1", "Lệ phí cấp giấy phép xây dựng", "30000"),
        ("2", "Phí thẩm định hồ sơ", "20000"),
    ]
    assert _children(data.find("NDBLai/TToan")) == ["TgTien", "TgTChu"]
    assert root.findtext("DLBLai/NDBLai/TToan/TgTChu") == "Năm mươi nghìn đồng"
    assert _children(root.find("DSCKS")) == ["NBan"]

    signature = root.find("DSCKS/NBan/{*}Signature")
    verified = signing.verify(root=root, signature=signature)
    assert signing.certificate_tax_code(verified.certificate) == business.tax_code
    assert data.get("Id") in verified.signed_ids

    tampered = signing.parse_xml(xml.content.replace(b"<STien>30000</STien>", b"<STien>30001</STien>"))
    with pytest.raises(signing.InvalidSignature):
        signing.verify(root=tampered, signature=tampered.find("DSCKS/NBan/{*}Signature"))


def test_the_signature_verifies_with_xmlsec1(
    client: TestClient, business: AcceptedBusiness, series: str, tmp_path: Path
) -> None:
    if shutil.which("xmlsec1") is None:
        unavailable("xmlsec1 (Debian package xmlsec1) is not installed")
    body = issue(client, business.api_key, receipt_payload(series))
    document = tmp_path / "receipt.xml"
    document.write_bytes(client.get(body["links"]["xml"], headers=bearer(business.api_key)).content)
    anchor = tmp_path / "sandbox-ca.pem"
    anchor.write_bytes(client.get("/v1/authority/sandbox-ca").content)

    def xmlsec1(path: Path) -> subprocess.CompletedProcess[str]:
        command = [
            "xmlsec1", "--verify",
            "--id-attr:Id", "DLBLai",
            "--id-attr:Id", "http://www.w3.org/2000/09/xmldsig#:Object",
            "--node-xpath", "/BLai/DSCKS/NBan/*[local-name()='Signature']",
            "--enabled-key-data", "x509", "--trusted-pem", str(anchor), str(path),
        ]  # fmt: skip
        return subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)

    verified = xmlsec1(document)
    assert verified.returncode == 0, verified.stderr
    assert "OK" in verified.stdout + verified.stderr

    # One character of the payer's name changed.
    tampered = tmp_path / "tampered.xml"
    original = document.read_bytes()
    tampered.write_bytes(original.replace("Văn Nộp".encode(), "Văn Nốp".encode()))
    assert tampered.read_bytes() != original
    assert xmlsec1(tampered).returncode != 0


def test_numbers_are_consecutive_and_the_chain_recomputes(
    client: TestClient, business: AcceptedBusiness, series: str
) -> None:
    bodies = [issue(client, business.api_key, receipt_payload(series)) for _ in range(3)]
    assert [body["number"] for body in bodies] == [1, 2, 3]
    chain = client.get(f"/v1/series/{series}/chain", headers=bearer(business.api_key)).json()
    assert chain["series"] == series
    previous = bytes.fromhex(chain["genesis"])
    for entry, body in zip(chain["data"], bodies, strict=True):
        assert entry["document_id"] == body["id"]
        assert entry["document_sha256"] == body["sha256"]
        previous = hashlib.sha256(previous + bytes.fromhex(entry["document_sha256"])).digest()
        assert previous.hex() == entry["link"] == body["chain_link"]
    assert previous.hex() == chain["head"]
    assert [e["number"] for e in chain["data"]] == [1, 2, 3]
    assert client.get(f"/v1/series/{series}", headers=bearer(business.api_key)).json()["next_number"] == 4


def test_a_fee_set_in_foreign_currency_is_converted(
    client: TestClient, business: AcceptedBusiness, series: str
) -> None:
    payload = receipt_payload(
        series,
        currency="USD",
        exchange_rate="25000.50",
        lines=[{"fee_name": "Phí thị thực", "amount": "25.25"}, {"fee_name": "Phí dịch vụ", "amount": "10"}],
    )
    body = issue(client, business.api_key, payload)
    assert body["total"] == "35.25"
    assert body["exchange_rate"] == "25000.5"
    # 35.25 × 25,000.50 = 881,267.625, half-up to whole đồng.
    assert body["total_vnd"] == "881268"
    assert body["total_in_words"] == "Ba mươi lăm phẩy hai mươi lăm đô la Mỹ"
    root = signing.parse_xml(client.get(body["links"]["xml"], headers=bearer(business.api_key)).content)
    assert root.findtext("DLBLai/TTChung/DVTTe") == "USD"
    assert root.findtext("DLBLai/TTChung/TGia") == "25000.5"
    assert root.findtext("DLBLai/NDBLai/TToan/TgTien") == "35.25"
    assert root.findtext("DLBLai/NDBLai/TToan/TgTienVND") == "881268"


def test_text_is_stored_in_nfc(client: TestClient, business: AcceptedBusiness, series: str) -> None:
    decomposed = unicodedata.normalize("NFD", "Phí thẩm định")  # as some systems send Vietnamese
    assert decomposed != "Phí thẩm định"
    payload = receipt_payload(series, lines=[{"fee_name": f"  {decomposed} ", "amount": "1000"}])
    body = issue(client, business.api_key, payload)
    assert body["lines"][0]["fee_name"] == "Phí thẩm định"
    xml = client.get(body["links"]["xml"], headers=bearer(business.api_key)).content
    assert "<TKhoan>Phí thẩm định</TKhoan>".encode() in xml


def test_idempotent_replay(client: TestClient, business: AcceptedBusiness, series: str) -> None:
    headers = {**bearer(business.api_key), "Idempotency-Key": "fee-42"}
    first = client.post("/v1/receipts", json=receipt_payload(series), headers=headers)
    second = client.post("/v1/receipts", json=receipt_payload(series), headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    listed = client.get("/v1/receipts", headers=bearer(business.api_key)).json()["data"]
    assert [row["number"] for row in listed] == [1]
    changed = receipt_payload(series, payer={"name": "Người khác"})
    conflict = client.post("/v1/receipts", json=changed, headers=headers)
    assert conflict.status_code == 409
    assert conflict.json()["type"].endswith("idempotency-key-reused")


def test_external_id_is_unique_and_searchable(
    client: TestClient, business: AcceptedBusiness, series: str
) -> None:
    first = issue(client, business.api_key, receipt_payload(series, external_id="HS-2026-1"))
    duplicate = client.post(
        "/v1/receipts",
        json=receipt_payload(series, external_id="HS-2026-1"),
        headers=bearer(business.api_key),
    )
    assert duplicate.status_code == 409
    problem = duplicate.json()
    assert problem["type"].endswith("external-id-already-used")
    assert problem["errors"][0]["field"] == "external_id"
    assert problem["existing"] == {"id": first["id"], "href": f"/v1/receipts/{first['id']}"}
    found = client.get("/v1/receipts?external_id=HS-2026-1", headers=bearer(business.api_key)).json()
    assert [row["id"] for row in found["data"]] == [first["id"]]
    assert client.get(f"/v1/series/{series}", headers=bearer(business.api_key)).json()["next_number"] == 2


def test_list_filters_and_pagination(client: TestClient, business: AcceptedBusiness, series: str) -> None:
    other_series = register_receipt_series(client, business.api_key, letters="BT")
    for target in (series, other_series, series):
        issue(client, business.api_key, receipt_payload(target))
    auth = bearer(business.api_key)
    page = client.get("/v1/receipts?limit=2", headers=auth).json()
    assert [(row["series"], row["number"]) for row in page["data"]] == [(series, 2), (other_series, 1)]
    rest = client.get(f"/v1/receipts?limit=2&cursor={page['next_cursor']}", headers=auth).json()
    assert [(row["series"], row["number"]) for row in rest["data"]] == [(series, 1)]
    assert rest["next_cursor"] is None
    by_series = client.get(f"/v1/receipts?series={other_series}", headers=auth).json()["data"]
    assert [row["series"] for row in by_series] == [other_series]
    today = page["data"][0]["issue_date"]
    dated = client.get(f"/v1/receipts?issued_from={today}&issued_to={today}", headers=auth).json()["data"]
    assert len(dated) == 3
    assert client.get("/v1/receipts?issued_to=2000-12-31", headers=auth).json()["data"] == []
    assert client.get("/v1/receipts?series=1C26TAA", headers=auth).status_code == 422


def test_receipts_and_invoices_keep_to_their_own_series(
    client: TestClient, database: Database, series: str, business: AcceptedBusiness
) -> None:
    invoice_series = register_series(client, business.api_key, symbol=this_year_symbol("K"))
    refused = client.post(
        "/v1/receipts", json=receipt_payload(invoice_series), headers=bearer(business.api_key)
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "series"
    assert "not receipt" in refused.json()["errors"][0]["reason"]
    as_invoice = client.post("/v1/invoices", json=invoice_payload(series), headers=bearer(business.api_key))
    assert as_invoice.status_code == 422
    assert client.get("/v1/invoices", headers=bearer(business.api_key)).json()["data"] == []


def test_another_business_gets_404(
    client: TestClient, database: Database, business: AcceptedBusiness, series: str
) -> None:
    body = issue(client, business.api_key, receipt_payload(series))
    other = receipt_business(client, database)
    for link in ("self", "xml", "pdf"):
        response = client.get(body["links"][link], headers=bearer(other.api_key))
        assert response.status_code == 404, link
        assert response.json()["type"].endswith("receipt-not-found")
    assert client.get("/v1/receipts", headers=bearer(other.api_key)).json()["data"] == []
    assert client.get(f"/v1/series/{series}/chain", headers=bearer(other.api_key)).status_code == 404
    unknown = client.post("/v1/receipts", json=receipt_payload(series), headers=bearer(other.api_key))
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["field"] == "series"


def test_a_business_not_registered_for_receipts_cannot_register_a_receipt_series(
    client: TestClient, database: Database
) -> None:
    business = receipt_business(client, database, invoice_kinds=["sales_invoice"])
    response = client.post(
        "/v1/series",
        json={"template": TEMPLATE, "symbol": receipt_symbol()},
        headers=bearer(business.api_key),
    )
    assert response.status_code == 422
    assert "not registered for receipt" in response.json()["errors"][0]["reason"]


def test_a_business_with_the_authority_code_also_issues_receipts(
    client: TestClient, database: Database
) -> None:
    business = accepted_business(client, database, with_authority_code=True)
    series = register_receipt_series(client, business.api_key)
    assert issue(client, business.api_key, receipt_payload(series))["number"] == 1


def test_the_chain_audit_finds_the_receipts(
    client: TestClient, database: Database, business: AcceptedBusiness, series: str
) -> None:
    issue(client, business.api_key, receipt_payload(series))
    with database.transaction() as session:
        (audit,) = invoices.audit_chains(session, seller_tax_code=business.tax_code)
    assert audit.problems == []


def test_openapi_documents_the_receipt_routes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in (
        "/v1/receipts",
        "/v1/receipts/{receipt_id}",
        "/v1/receipts/{receipt_id}/xml",
        "/v1/receipts/{receipt_id}/pdf",
    ):
        assert path in spec["paths"], path
    fields = spec["components"]["schemas"]["ReceiptCreate"]["properties"]
    assert {"series", "issue_date", "payer", "lines"} <= set(fields)
    assert set(spec["components"]["schemas"]["PayerIn"]["properties"]) == {"name", "address", "tax_code"}
    assert set(spec["components"]["schemas"]["FeeLineIn"]["properties"]) == {"fee_name", "amount"}
