from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml import etree

import signing
from invoicing.db import Database
from tests.conftest import unavailable
from tests.helpers import (
    AcceptedBusiness,
    accepted_business,
    bearer,
    invoice_payload,
    register_series,
    this_year_symbol,
)


@pytest.fixture
def business(client: TestClient, database: Database) -> AcceptedBusiness:
    return accepted_business(client, database)


def test_issue_a_coded_vat_invoice(client: TestClient, business: AcceptedBusiness) -> None:
    series = register_series(client, business.api_key)
    response = client.post("/v1/invoices", json=invoice_payload(series), headers=bearer(business.api_key))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["series"] == series
    assert body["number"] == 1
    assert body["subtotal"] == "4000000"
    assert body["vat_total"] == "350000"
    assert body["total"] == "4350000"
    assert body["total_in_words"] == "Bốn triệu ba trăm năm mươi nghìn đồng"
    assert body["rates"] == [
        {"vat_rate": "10%", "taxable_amount": "3000000", "vat_amount": "300000"},
        {"vat_rate": "5%", "taxable_amount": "1000000", "vat_amount": "50000"},
    ]
    assert body["status"] == "issued"
    assert len(body["authority_code"]) == 34
    assert body["authority_code"].startswith("00")
    assert response.headers["location"] == f"/v1/invoices/{body['id']}"

    xml = client.get(body["links"]["xml"], headers=bearer(business.api_key))
    assert xml.status_code == 200
    assert hashlib.sha256(xml.content).hexdigest() == body["sha256"]
    root = signing.parse_xml(xml.content)
    assert root.findtext("DLHDon/TTChung/SHDon") == "1"
    assert root.findtext("DLHDon/NDHDon/NBan/MST") == business.tax_code
    assert root.findtext("MCCQT") == body["authority_code"]

    authority = signing.load_certificate(client.get("/v1/authority/certificate").content)
    seller = signing.verify(root=root, signature=root.find("DSCKS/NBan/{*}Signature"))
    assert signing.certificate_tax_code(seller.certificate) == business.tax_code
    counter = signing.verify(
        root=root, signature=root.find("DSCKS/CQT/{*}Signature"), expected_certificate=authority
    )
    assert root.find("MCCQT").get("Id") in counter.signed_ids
    assert root.find("DLHDon").get("Id") in counter.signed_ids


def test_numbers_are_consecutive_and_the_chain_recomputes(
    client: TestClient, business: AcceptedBusiness
) -> None:
    series = register_series(client, business.api_key)
    numbers = []
    for _ in range(3):
        response = client.post("/v1/invoices", json=invoice_payload(series), headers=bearer(business.api_key))
        numbers.append(response.json()["number"])
    assert numbers == [1, 2, 3]
    chain = client.get(f"/v1/series/{series}/chain", headers=bearer(business.api_key)).json()
    previous = bytes.fromhex(chain["genesis"])
    for entry in chain["data"]:
        previous = hashlib.sha256(previous + bytes.fromhex(entry["document_sha256"])).digest()
        assert previous.hex() == entry["link"]
    assert previous.hex() == chain["head"]
    assert [e["number"] for e in chain["data"]] == [1, 2, 3]


def test_uncoded_sales_invoice(client: TestClient, database: Database) -> None:
    business = accepted_business(client, database, with_authority_code=False)
    series = register_series(client, business.api_key, template="2", symbol=this_year_symbol("K"))
    payload = invoice_payload(
        series,
        lines=[{"name": "Dịch vụ tư vấn", "unit": "Giờ", "quantity": "3", "unit_price": "500000"}],
    )
    response = client.post("/v1/invoices", json=payload, headers=bearer(business.api_key))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["authority_code"] is None
    assert body["vat_total"] is None
    assert body["total"] == "1500000"
    xml = client.get(body["links"]["xml"], headers=bearer(business.api_key)).content
    root = etree.fromstring(xml)
    assert root.find("MCCQT") is None
    assert root.find("DLHDon/NDHDon/TToan/TgTThue") is None


XMLSEC_IDS = [
    "--id-attr:Id",
    "DLHDon",
    "--id-attr:Id",
    "MCCQT",
    "--id-attr:Id",
    "http://www.w3.org/2000/09/xmldsig#:Object",
]


@pytest.mark.parametrize(
    ("slot", "trust"), [("NBan", "/v1/authority/sandbox-ca"), ("CQT", "/v1/authority/certificate")]
)
def test_both_signatures_verify_with_xmlsec1(
    client: TestClient, business: AcceptedBusiness, tmp_path: Path, slot: str, trust: str
) -> None:
    if shutil.which("xmlsec1") is None:
        unavailable("xmlsec1 (Debian package xmlsec1) is not installed")
    series = register_series(client, business.api_key)
    issued = client.post(
        "/v1/invoices", json=invoice_payload(series), headers=bearer(business.api_key)
    ).json()
    document = tmp_path / "invoice.xml"
    document.write_bytes(client.get(issued["links"]["xml"], headers=bearer(business.api_key)).content)
    anchor = tmp_path / "trusted.pem"
    anchor.write_bytes(client.get(trust).content)

    def xmlsec1(path: Path) -> subprocess.CompletedProcess[str]:
        command = [
            "xmlsec1", "--verify", *XMLSEC_IDS,
            "--node-xpath", f"/HDon/DSCKS/{slot}/*[local-name()='Signature']",
            "--enabled-key-data", "x509", "--trusted-pem", str(anchor), str(path),
        ]  # fmt: skip
        return subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)

    verified = xmlsec1(document)
    assert verified.returncode == 0, verified.stderr
    assert "OK" in verified.stdout + verified.stderr

    tampered = tmp_path / "tampered.xml"
    tampered.write_bytes(document.read_bytes().replace(b"<SHDon>1</SHDon>", b"<SHDon>7</SHDon>"))
    assert xmlsec1(tampered).returncode != 0
