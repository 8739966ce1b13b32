from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import etree

import signing
from invoicing.db import Database
from invoicing.models.base import utcnow
from tests.helpers import (
    AcceptedBusiness,
    accepted_business,
    bearer,
    invoice_payload,
    register_series,
    this_year_symbol,
)

DS = "{http://www.w3.org/2000/09/xmldsig#}"


@pytest.fixture
def business(client: TestClient, database: Database) -> AcceptedBusiness:
    return accepted_business(client, database)


@pytest.fixture
def issued_xml(client: TestClient, business: AcceptedBusiness) -> bytes:
    series = register_series(client, business.api_key)
    issued = client.post(
        "/v1/invoices", json=invoice_payload(series), headers=bearer(business.api_key)
    ).json()
    return client.get(issued["links"]["xml"], headers=bearer(business.api_key)).content


def _verify(client: TestClient, data: bytes) -> dict[str, Any]:
    response = client.post("/v1/verify", content=data, headers={"content-type": "application/xml"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _results(report: dict[str, Any]) -> dict[str, str]:
    return {check["name"]: check["result"] for check in report["checks"]}


def test_an_issued_invoice_verifies(
    client: TestClient, issued_xml: bytes, business: AcceptedBusiness
) -> None:
    report = _verify(client, issued_xml)
    assert report["valid"] is True
    assert _results(report) == {
        "format": "passed",
        "seller_signature": "passed",
        "authority": "passed",
        "registration": "passed",
        "seller_certificate": "passed",
        "stored_copy": "passed",
        "status": "passed",
    }
    assert report["document"]["seller_tax_code"] == business.tax_code
    assert report["document"]["number"] == 1
    assert report["document"]["total"] == "4350000"
    assert report["document"]["status"] == "issued"


def test_uncoded_invoice_has_no_authority_check(client: TestClient, database: Database) -> None:
    business = accepted_business(client, database, with_authority_code=False)
    series = register_series(client, business.api_key, symbol=this_year_symbol("K"))
    issued = client.post(
        "/v1/invoices", json=invoice_payload(series), headers=bearer(business.api_key)
    ).json()
    xml = client.get(issued["links"]["xml"], headers=bearer(business.api_key)).content
    report = _verify(client, xml)
    assert report["valid"] is True
    assert _results(report)["authority"] == "not_applicable"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"<SHDon>1</SHDon>", b"<SHDon>2</SHDon>"),
        (b"4350000", b"4350001"),
        ("Máy in".encode(), "Máy In".encode()),
    ],
)
def test_one_character_changed_in_the_data_fails(
    client: TestClient, issued_xml: bytes, old: bytes, new: bytes
) -> None:
    assert old in issued_xml
    report = _verify(client, issued_xml.replace(old, new, 1))
    assert report["valid"] is False
    results = _results(report)
    assert results["seller_signature"] == "failed"
    assert results["authority"] == "failed"


def test_a_changed_authority_code_fails(client: TestClient, issued_xml: bytes) -> None:
    root = signing.parse_xml(issued_xml)
    code = root.find("MCCQT")
    code.text = "00" + "A" * 32
    report = _verify(client, signing.serialize(root))
    assert _results(report)["authority"] == "failed"
    assert _results(report)["seller_signature"] == "passed"
    assert report["valid"] is False


def test_signature_wrapping_is_refused(client: TestClient, issued_xml: bytes) -> None:
    # The attacker keeps the signed DLHDon hidden elsewhere and puts a forged one in its place.
    root = signing.parse_xml(issued_xml)
    original = root.find("DLHDon")
    forged = etree.fromstring(etree.tostring(original))
    forged.find("NDHDon/TToan/TgTTTBSo").text = "1"
    hidden = etree.SubElement(root.find("DSCKS/CCKSKhac"), "Wrapper")
    hidden.append(original)
    root.insert(0, forged)
    report = _verify(client, signing.serialize(root))
    assert report["valid"] is False
    assert _results(report)["seller_signature"] == "failed"


def test_signed_by_a_certificate_not_on_file(
    client: TestClient, issued_xml: bytes, business: AcceptedBusiness
) -> None:
    now = utcnow()
    ca = signing.issue_certificate(
        common_name="Rogue CA",
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=30),
        is_ca=True,
    )
    rogue = signing.issue_certificate(
        common_name="Rogue",
        tax_code=business.tax_code,
        issuer=ca,
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=30),
    )
    root = signing.parse_xml(issued_xml)
    slot = root.find("DSCKS/NBan")
    slot.remove(slot.find(f"{DS}Signature"))
    data_id = root.find("DLHDon").get("Id")
    signing.sign(
        root=root,
        signer=rogue,
        reference_ids=[data_id],
        into=slot,
        signing_time=now,
        signature_id="NBan-rogue",
    )
    report = _verify(client, signing.serialize(root))
    results = _results(report)
    assert results["seller_signature"] == "passed"
    assert results["seller_certificate"] == "failed"
    assert results["stored_copy"] == "failed"
    assert report["valid"] is False


def test_an_invoice_hoadon_never_issued(client: TestClient, issued_xml: bytes) -> None:
    report = _verify(client, issued_xml.replace(b"<SHDon>1</SHDon>", b"<SHDon>9</SHDon>"))
    assert _results(report)["stored_copy"] == "failed"


def test_not_an_invoice(client: TestClient) -> None:
    report = _verify(client, b"<TKhai><DLTKhai/></TKhai>")
    assert report["valid"] is False
    assert _results(report)["format"] == "failed"
    assert _results(report)["seller_signature"] == "not_run"


HOSTILE = {
    "xxe": b'<?xml version="1.0"?><!DOCTYPE HDon [<!ENTITY x SYSTEM "file:///etc/passwd">]><HDon>&x;</HDon>',
    "billion_laughs": (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><HDon>&lol3;</HDon>'
    ),
    "external_dtd": b'<?xml version="1.0"?><!DOCTYPE HDon SYSTEM "http://127.0.0.1:9/evil.dtd"><HDon/>',
    "parameter_entity": b'<?xml version="1.0"?><!DOCTYPE HDon [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><HDon/>',
    "malformed": b"<HDon><DLHDon></HDon>",
    "not_xml": b"%PDF-1.7 binary \x00\x01\x02",
    "latin1_declared": '<?xml version="1.0" encoding="ISO-8859-1"?><HDon>\xe9</HDon>'.encode("latin-1"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_xml_is_refused_with_a_problem(client: TestClient, name: str) -> None:
    response = client.post("/v1/verify", content=HOSTILE[name], headers={"content-type": "application/xml"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "body"
    assert "root:" not in response.text  # nothing of /etc/passwd


def test_oversize_upload(client: TestClient) -> None:
    response = client.post("/v1/verify", content=b"<HDon>" + b" " * 2_100_000 + b"</HDon>")
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_empty_upload(client: TestClient) -> None:
    response = client.post("/v1/verify", content=b"")
    assert response.status_code == 422
