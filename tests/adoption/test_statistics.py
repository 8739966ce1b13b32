"""Adoption statistics per province and ward: the worked example, drill-down, CSV, scope, periods."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from invoicing.adoption.csvfiles import csv_cell
from invoicing.adoption.periods import today_vn
from invoicing.db import Database
from invoicing.models import Business
from invoicing.models.base import utcnow
from tests.adoption import (
    by_code,
    operating,
    province_stats,
    register_quickly,
    registry_csv,
    tax_codes,
    upload,
)
from tests.helpers import accepted_business, bearer, invoice_payload, official_token, register_series

# Hà Nội's Phường Ngọc Hà: the helpers register businesses in Ba Đình (00004), never here.
HANOI, NGOC_HA, GIANG_VO = "01", "00008", "00025"
NUMERIC = (
    "active_businesses",
    "registered_businesses",
    "registered_not_in_registry",
    "issuing_businesses",
    "invoices_issued",
    "invoices_cancelled",
    "receipts_issued",
)


@pytest.fixture
def token(database: Database) -> str:
    return official_token(database)


def _wards(client: TestClient, token: str, code: str, **params: str) -> dict[str, Any]:
    response = client.get(f"/v1/adoption/provinces/{code}/wards", params=params, headers=bearer(token))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_876_of_1000_operating_businesses_registered_is_87_6_percent(
    client: TestClient, database: Database, token: str
) -> None:
    before = province_stats(client, token, HANOI)
    codes = tax_codes(1000)
    imported = upload(client, token, registry_csv(operating(codes, HANOI, NGOC_HA)))
    assert imported.json()["inserted"] == 1000
    register_quickly(
        database,
        client.app.state.keyring,
        codes[:876],
        province_code=HANOI,
        ward_code=NGOC_HA,  # type: ignore[attr-defined]
    )

    ngoc_ha = by_code(_wards(client, token, HANOI))[NGOC_HA]
    assert (ngoc_ha["active_businesses"], ngoc_ha["registered_businesses"]) == (1000, 876)
    assert (ngoc_ha["adoption_rate"], ngoc_ha["adoption_rate_percent"]) == ("0.8760", "87.6")
    assert ngoc_ha["registered_not_in_registry"] == 0
    assert ngoc_ha["funnel"]["submitted"] == ngoc_ha["funnel"]["accepted"] == 876

    hanoi = province_stats(client, token, HANOI)
    assert hanoi["active_businesses"] == before["active_businesses"] + 1000
    assert hanoi["registered_businesses"] == before["registered_businesses"] + 876


def test_wards_add_up_to_their_province(client: TestClient, database: Database, token: str) -> None:
    codes = tax_codes(6)
    upload(
        client,
        token,
        registry_csv(
            [
                *operating(codes[:3], HANOI, NGOC_HA),
                *operating(codes[3:5], HANOI, GIANG_VO),
                (codes[5], "Công ty Hà Tây cũ", "01", "09999", "operating"),
                (tax_codes(1)[0], "Công ty Hà Tây", "28", "", "operating"),
            ]
        ),
    )
    register_quickly(database, client.app.state.keyring, codes[:2], province_code=HANOI, ward_code=NGOC_HA)  # type: ignore[attr-defined]
    business = accepted_business(client, database, province_code=HANOI, ward_code=GIANG_VO)
    series = register_series(client, business.api_key)
    for _ in range(2):
        assert (
            client.post(
                "/v1/invoices", json=invoice_payload(series), headers=bearer(business.api_key)
            ).status_code
            == 201
        )

    body = _wards(client, token, HANOI)
    assert len(body["data"]) == 126
    parts = [*body["data"], body["unassigned"]]
    for name in NUMERIC:
        assert sum(row[name] for row in parts) == body["total"][name], name
    assert sum(int(row["amount_total"]) for row in parts) == int(body["total"]["amount_total"])
    assert body["total"] == province_stats(client, token, HANOI) | {"name": body["total"]["name"]}
    assert by_code(body)[GIANG_VO]["invoices_issued"] == 2
    assert by_code(body)[GIANG_VO]["issuing_businesses"] == 1
    assert by_code(body)[GIANG_VO]["registered_not_in_registry"] == 1


def test_a_registered_business_missing_from_the_registry_still_counts(
    client: TestClient, database: Database, token: str
) -> None:
    code = tax_codes(1)[0]
    register_quickly(database, client.app.state.keyring, [code], province_code=HANOI, ward_code=GIANG_VO)  # type: ignore[attr-defined]
    ward = by_code(_wards(client, token, HANOI))[GIANG_VO]
    assert (ward["registered_businesses"], ward["registered_not_in_registry"], ward["active_businesses"]) == (
        1,
        1,
        0,
    )
    assert ward["adoption_rate"] is None

    # The registry lists it later (in another province): it is no longer unlisted, and it is
    # still counted as registered where it registered.
    upload(client, token, registry_csv([(code, "Công ty Đà Nẵng", "48", "20195", "operating")]))
    ward = by_code(_wards(client, token, HANOI))[GIANG_VO]
    assert (ward["registered_businesses"], ward["registered_not_in_registry"]) == (1, 0)
    assert province_stats(client, token, "48")["active_businesses"] >= 1


def test_csv_when_asked_parses_back_to_the_same_figures(
    client: TestClient, database: Database, token: str
) -> None:
    upload(client, token, registry_csv(operating(tax_codes(4), HANOI, NGOC_HA)))
    as_json = client.get("/v1/adoption/provinces", headers=bearer(token)).json()
    response = client.get("/v1/adoption/provinces", headers={**bearer(token), "Accept": "text/csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 35  # 34 provinces and the national total
    hanoi = next(row for row in rows if row["code"] == HANOI)
    expected = by_code(as_json)[HANOI]
    assert int(hanoi["active_businesses"]) == expected["active_businesses"]
    assert hanoi["adoption_rate"] == (expected["adoption_rate"] or "")
    assert hanoi["funnel_accepted"] == str(expected["funnel"]["accepted"])
    assert rows[-1]["name"] == "Toàn quốc"
    assert int(rows[-1]["active_businesses"]) == as_json["total"]["active_businesses"]

    wards = client.get(
        f"/v1/adoption/provinces/{HANOI}/wards", headers={**bearer(token), "Accept": "text/csv"}
    )
    assert len(list(csv.DictReader(io.StringIO(wards.text)))) == 126 + 2
    series = client.get(
        "/v1/adoption/timeseries", headers={**bearer(token), "Accept": "text/csv;q=0.9, */*;q=0.1"}
    )
    assert series.headers["content-type"].startswith("text/csv")
    assert "registrations_accepted" in series.text.splitlines()[0]
    json_preferred = client.get(
        "/v1/adoption/provinces", headers={**bearer(token), "Accept": "application/json, text/csv;q=0.5"}
    )
    assert json_preferred.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-1500000", "-1500000"),
        ("Phường Ba Đình", "Phường Ba Đình"),
        (None, ""),
    ],
)
def test_csv_cells_are_never_formulas(value: str | None, written: str) -> None:
    assert csv_cell(value) == written


def test_a_provincial_official_sees_only_its_province(client: TestClient, database: Database) -> None:
    da_nang = official_token(database, province_code="48")
    listed = client.get("/v1/adoption/provinces", headers=bearer(da_nang)).json()
    assert [row["code"] for row in listed["data"]] == ["48"]
    assert listed["total"]["code"] == "48"
    assert listed["total"]["active_businesses"] == listed["data"][0]["active_businesses"]

    for path in ("/v1/adoption/provinces/01/wards", "/v1/adoption/timeseries?province=01"):
        hidden = client.get(path, headers=bearer(da_nang))
        assert hidden.status_code == 404, path
        assert hidden.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/adoption/provinces/48/wards", headers=bearer(da_nang)).status_code == 200
    own = client.get("/v1/adoption/timeseries", headers=bearer(da_nang)).json()
    assert own["province"]["code"] == "48"
    assert (
        client.get("/v1/adoption/provinces/99/wards", headers=bearer(official_token(database))).status_code
        == 404
    )

    business = accepted_business(client, database)
    assert client.get("/v1/adoption/provinces", headers=bearer(business.api_key)).status_code == 403
    assert client.get("/v1/adoption/provinces").status_code == 401


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("period=2026-13", "period"),
        ("period=november", "period"),
        ("period=2026-11-31", "period"),
        ("period=26-11", "period"),
        ("from=2026-02-30", "from"),
        ("from=yesterday", "from"),
        ("to=2026/11/01", "to"),
        ("from=2026-11-02&to=2026-11-01", "from"),
        ("period=2026-11&from=2026-11-01", "period"),
        ("as_of=28-11-2026", "as_of"),
    ],
)
def test_a_malformed_period_is_a_422_naming_the_field(
    client: TestClient, token: str, query: str, field: str
) -> None:
    response = client.get(f"/v1/adoption/provinces?{query}", headers=bearer(token))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["errors"][0]["field"] == field
    assert response.headers["content-type"] == "application/problem+json"


def test_timeseries_limits_and_granularity_are_validated(client: TestClient, token: str) -> None:
    too_long = client.get(
        "/v1/adoption/timeseries?granularity=day&from=2024-01-01&to=2026-01-01", headers=bearer(token)
    )
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "from"
    unknown = client.get("/v1/adoption/timeseries?granularity=week", headers=bearer(token))
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "granularity"


def test_stocks_as_of_a_date_and_flows_in_a_period(
    client: TestClient, database: Database, token: str
) -> None:
    codes = tax_codes(3)
    upload(client, token, registry_csv(operating(codes, HANOI, NGOC_HA)))
    register_quickly(database, client.app.state.keyring, codes[:2], province_code=HANOI, ward_code=NGOC_HA)  # type: ignore[attr-defined]
    today = today_vn()
    yesterday = (today - timedelta(days=1)).isoformat()
    earlier = by_code(_wards(client, token, HANOI, as_of=yesterday))[NGOC_HA]
    now = by_code(_wards(client, token, HANOI, as_of=today.isoformat()))[NGOC_HA]
    assert (earlier["active_businesses"], earlier["registered_businesses"]) == (0, 0)
    assert (now["active_businesses"], now["registered_businesses"]) == (3, 2)

    this_month = by_code(_wards(client, token, HANOI, period=today.isoformat()[:7]))[NGOC_HA]
    assert this_month["funnel"]["accepted"] == 2
    last_year = by_code(_wards(client, token, HANOI, period=str(today.year - 1)))[NGOC_HA]
    assert last_year["funnel"]["accepted"] == 0
    assert last_year["active_businesses"] == 0  # as of the end of last year
    range_today = by_code(_wards(client, token, HANOI, **{"from": yesterday, "to": today.isoformat()}))[
        NGOC_HA
    ]
    assert range_today["funnel"]["submitted"] == 2

    series = client.get(
        "/v1/adoption/timeseries",
        params={"granularity": "day", "province": HANOI, "from": yesterday},
        headers=bearer(token),
    ).json()
    assert [point["start"] for point in series["data"]] == [yesterday, today.isoformat()]
    assert series["data"][1]["registrations_accepted"] >= 2
    assert (
        series["data"][1]["registered_businesses"] - series["data"][0]["registered_businesses"]
        == series["data"][1]["registrations_accepted"]
    )


def test_median_days_from_acceptance_to_the_first_document(
    client: TestClient, database: Database, token: str
) -> None:
    waited = []
    for days in (10, 4, 3):
        business = accepted_business(client, database, province_code=HANOI, ward_code=NGOC_HA)
        with database.transaction() as session:
            session.execute(
                update(Business)
                .where(Business.tax_code == business.tax_code)  # type: ignore[arg-type]
                .values(registered_at=utcnow() - timedelta(days=days))
            )
        series = register_series(client, business.api_key)
        for _ in range(2):
            assert (
                client.post(
                    "/v1/invoices", json=invoice_payload(series), headers=bearer(business.api_key)
                ).status_code
                == 201
            )
        waited.append(days)
    ward = by_code(_wards(client, token, HANOI, period=today_vn().isoformat()[:7]))[NGOC_HA]
    assert ward["median_days_to_first_document"] == 4.0
    assert ward["funnel"]["first_document"] == 3
    assert ward["issuing_businesses"] == 3
    assert ward["invoices_issued"] == 6
