from __future__ import annotations

from fastapi.testclient import TestClient
from lxml import etree

from invoicing.db import Database
from tests.helpers import HCMC, accepted_business, bearer, official_token, registration_payload, submit


def test_submit_accept_claim_then_business_profile(client: TestClient, database: Database) -> None:
    submitted = submit(client)
    claim = {"X-Claim-Token": submitted.claim_token}

    followed = client.get(f"/v1/registrations/{submitted.id}", headers=claim)
    assert followed.status_code == 200
    assert followed.json()["status"] == "submitted"

    early_claim = client.post(f"/v1/registrations/{submitted.id}/credentials", headers=claim)
    assert early_claim.status_code == 409
    assert early_claim.json()["type"].endswith("registration-not-accepted")

    official = bearer(official_token(database))
    accepted = client.post(f"/v1/registrations/{submitted.id}/accept", headers=official)
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted"

    claimed = client.post(f"/v1/registrations/{submitted.id}/credentials", headers=claim)
    assert claimed.status_code == 201
    api_key = claimed.json()["api_key"]
    assert api_key.startswith("hd_sk_")

    again = client.post(f"/v1/registrations/{submitted.id}/credentials", headers=claim)
    assert again.status_code == 409
    assert again.json()["type"].endswith("credentials-already-claimed")

    profile = client.get("/v1/business", headers=bearer(api_key))
    assert profile.status_code == 200
    body = profile.json()
    assert body["tax_code"] == submitted.tax_code
    assert body["registration_id"] == submitted.id
    assert body["name"] == "Công ty TNHH Ví Dụ Bán"
    assert [key["prefix"] for key in body["api_keys"]] == [claimed.json()["key_prefix"]]


def test_reject_with_reasons_then_resubmit(client: TestClient, database: Database) -> None:
    submitted = submit(client)
    official = bearer(official_token(database))
    rejected = client.post(
        f"/v1/registrations/{submitted.id}/reject",
        headers=official,
        json={"reasons": ["Địa chỉ không khớp với đăng ký thuế"]},
    )
    assert rejected.status_code == 200
    assert rejected.json()["reasons"] == ["Địa chỉ không khớp với đăng ký thuế"]

    followed = client.get(
        f"/v1/registrations/{submitted.id}", headers={"X-Claim-Token": submitted.claim_token}
    )
    assert followed.json()["status"] == "rejected"
    assert followed.json()["reasons"] == ["Địa chỉ không khớp với đăng ký thuế"]

    decided_twice = client.post(f"/v1/registrations/{submitted.id}/accept", headers=official)
    assert decided_twice.status_code == 409

    again = submit(client, tax_code=submitted.tax_code)
    assert again.id != submitted.id


def test_second_open_registration_conflicts_with_link(client: TestClient) -> None:
    first = submit(client)
    response = client.post(
        "/v1/registrations",
        json={
            "tax_code": first.tax_code,
            "name": "Công ty khác",
            "address": "Hà Nội",
            "province_code": "01",
            "ward_code": "00004",
            "representative": "B",
            "email": "b@vidu.vn",
            "phone": "0912345679",
            "invoice_kinds": ["vat_invoice"],
            "with_authority_code": False,
        },
    )
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["existing"]["href"] == f"/v1/registrations/{first.id}"


def test_accepted_registration_blocks_a_new_one(client: TestClient, database: Database) -> None:
    business = accepted_business(client, database)
    response = client.post("/v1/registrations", json=registration_payload(tax_code=business.tax_code))
    assert response.status_code == 409


def test_claim_token_is_required_and_checked(client: TestClient) -> None:
    submitted = submit(client)
    assert client.get(f"/v1/registrations/{submitted.id}").status_code == 401
    wrong = client.get(f"/v1/registrations/{submitted.id}", headers={"X-Claim-Token": "hd_ct_x_y"})
    assert wrong.status_code == 404


def test_provincial_official_sees_only_own_province(client: TestClient, database: Database) -> None:
    hanoi = submit(client)
    saigon = submit(client, **HCMC, address="Số 2 Đường Ví Dụ, TP Hồ Chí Minh")
    hanoi_official = bearer(official_token(database, province_code="01"))

    listed = client.get("/v1/registrations?status=submitted", headers=hanoi_official)
    assert listed.status_code == 200
    ids = {row["id"] for row in listed.json()["data"]}
    assert hanoi.id in ids
    assert saigon.id not in ids

    assert client.get(f"/v1/registrations/{saigon.id}", headers=hanoi_official).status_code == 404
    assert client.post(f"/v1/registrations/{saigon.id}/accept", headers=hanoi_official).status_code == 404
    assert client.get(f"/v1/registrations/{saigon.id}/xml", headers=hanoi_official).status_code == 404
    assert client.get(f"/v1/registrations/{hanoi.id}", headers=hanoi_official).status_code == 200


def test_list_paginates_newest_first(client: TestClient, database: Database) -> None:
    created = [submit(client).id for _ in range(3)]
    official = bearer(official_token(database))
    first = client.get("/v1/registrations?limit=2", headers=official).json()
    assert [row["id"] for row in first["data"]] == created[::-1][:2]
    second = client.get(f"/v1/registrations?limit=2&cursor={first['next_cursor']}", headers=official).json()
    assert created[0] in [row["id"] for row in second["data"]]


def test_business_key_cannot_call_official_endpoints(client: TestClient, database: Database) -> None:
    business = accepted_business(client, database)
    response = client.get("/v1/registrations", headers=bearer(business.api_key))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


def test_wrong_or_missing_key_is_401(client: TestClient, database: Database) -> None:
    business = accepted_business(client, database)
    tampered = business.api_key[:-4] + "AAAA"
    assert client.get("/v1/business", headers=bearer(tampered)).status_code == 401
    assert client.get("/v1/business").status_code == 401
    assert client.get("/v1/business", headers=bearer("nonsense")).status_code == 401
    official = official_token(database)
    assert client.get("/v1/business", headers=bearer(official)).status_code == 403


def test_registration_form_xml_for_officials(client: TestClient, database: Database) -> None:
    submitted = submit(client)
    response = client.get(f"/v1/registrations/{submitted.id}/xml", headers=bearer(official_token(database)))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    root = etree.fromstring(response.content)
    assert root.tag == "TKhai"
    assert root.findtext("DLTKhai/TTChung/MSo") == "01/ĐKTĐ-HĐĐT"
    assert root.findtext("DLTKhai/TTChung/MST") == submitted.tax_code
    assert root.findtext("DLTKhai/NDTKhai/HTHDon/CMa") == "1"
    assert root.findtext("DLTKhai/NDTKhai/LHDSDung/HDGTGT") == "1"
    assert root.findtext("DLTKhai/NDTKhai/LHDSDung/HDBTSCong") == "0"
