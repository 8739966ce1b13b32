"""The officials' dashboard over HTTP: signing in and out, scope, the table, charts, periods, CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text, update
from sqlmodel import select

from invoicing.adoption.periods import month_end, today_vn
from invoicing.auth.tokens import hash_token
from invoicing.config import Settings
from invoicing.db import Database
from invoicing.localities import service as localities
from invoicing.main import create_app
from invoicing.models import DashboardSession, Official
from invoicing.models.base import utcnow
from tests.dashboard import DA_NANG, GIANG_VO, HANOI, NGOC_HA, row_named, seed, sign_in, table
from tests.helpers import bearer, official_token

SIGN_IN_FORM = 'action="/dashboard/sign-in"'
BAD_TOKEN = "Mã truy cập không hợp lệ hoặc đã bị thu hồi"
HANOI_NAME = "Thành phố Hà Nội"


def _is_sign_in_page(html: str) -> bool:
    return SIGN_IN_FORM in html and "Đăng xuất" not in html


def _api_csv(client: TestClient, token: str, path: str, **params: str) -> str:
    response = client.get(path, params=params, headers={**bearer(token), "Accept": "text/csv"})
    assert response.status_code == 200, response.text
    return response.text


def test_without_a_session_the_sign_in_form_is_shown(client: TestClient) -> None:
    landing = client.get("/dashboard")
    assert landing.status_code == 200
    assert landing.headers["content-type"].startswith("text/html")
    assert _is_sign_in_page(landing.text)
    assert "Đăng nhập" in landing.text
    assert "set-cookie" not in landing.headers

    for path in ("/dashboard/provinces/01", "/dashboard/provinces.csv", "/dashboard/timeseries.csv"):
        hidden = client.get(path)
        assert hidden.status_code == 401, path
        assert hidden.headers["content-type"].startswith("text/html"), path
        assert _is_sign_in_page(hidden.text), path


def test_pages_allow_only_their_own_files(client: TestClient, database: Database) -> None:
    sign_in(client, official_token(database))
    for page in (
        client.get("/dashboard"),
        client.get("/dashboard/provinces/01"),
        client.get("/dashboard?period=x"),
    ):
        policy = page.headers["content-security-policy"]
        assert "default-src 'none'" in policy
        assert "script-src 'self'" in policy
        assert "style-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["referrer-policy"] == "no-referrer"
        assert page.headers["x-content-type-options"] == "nosniff"
        # The policy would block inline scripts, inline styles and anything from another origin.
        assert "style=" not in page.text
        for script in re.findall(r"<script[^>]*>", page.text):
            assert 'src="/dashboard/static/' in script, script
        assert not re.search(r"""(?:src|href)="(?:https?:)?//""", page.text)
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page.text

    for name, media_type in (
        ("dashboard.css", "text/css"),
        ("dashboard.js", "javascript"),
        ("favicon.svg", "image/svg+xml"),
    ):
        served = client.get(f"/dashboard/static/{name}")
        assert served.status_code == 200, name
        assert media_type in served.headers["content-type"], name


def test_a_bad_token_is_a_401_page_that_does_not_say_why(client: TestClient, database: Database) -> None:
    token = official_token(database)
    prefix = "_".join(token.split("_", 3)[:3])  # hd_ot_<prefix>; the secret may contain "_"
    attempts = {
        "not a token": "mật khẩu",
        "an unknown official token": "hd_ot_000000000000_" + "A" * 43,
        "a known prefix with the wrong secret": prefix + "_" + "B" * 43,
        "empty": "",
    }
    pages = {}
    for what, attempt in attempts.items():
        response = client.post("/dashboard/sign-in", data={"token": attempt}, follow_redirects=False)
        assert response.status_code == 401, what
        assert response.headers["content-type"].startswith("text/html"), what
        assert "set-cookie" not in response.headers, what
        assert BAD_TOKEN in response.text, what
        pages[what] = response.text
    assert len(set(pages.values())) == 1, "the answer must not tell a known prefix from an unknown one"
    assert client.get("/dashboard").text.count("Đăng xuất") == 0
    with database.transaction() as session:
        assert session.exec(select(DashboardSession)).all() == []


def test_a_good_token_sets_a_strict_http_only_session_cookie(client: TestClient, database: Database) -> None:
    token = official_token(database)
    response = client.post("/dashboard/sign-in", data={"token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    header = response.headers["set-cookie"]
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in header.split(";")[1:]}
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "samesite=strict"
    assert attributes["path"] == "Path=/dashboard"
    assert attributes["max-age"] == "Max-Age=28800"
    assert "secure" not in attributes  # served over http here
    cookie = response.cookies["hoadon_dashboard"]
    assert token not in header
    assert len(cookie) >= 43

    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "Đăng xuất" in page.text
    assert "Cán bộ thuế" in page.text


def test_the_cookie_is_secure_when_the_public_url_is_https(settings: Settings, database: Database) -> None:
    app = create_app(settings.model_copy(update={"public_url": "https://hoadon.example"}), database=database)
    with TestClient(app, base_url="https://testserver") as secure_client:
        response = secure_client.post(
            "/dashboard/sign-in", data={"token": official_token(database)}, follow_redirects=False
        )
    assert response.status_code == 303
    assert "secure" in [part.strip().lower() for part in response.headers["set-cookie"].split(";")]


def test_only_a_hash_of_the_session_id_is_stored(client: TestClient, database: Database) -> None:
    token = official_token(database)
    cookie = sign_in(client, token)
    with database.transaction() as session:
        rows = session.connection().execute(text("SELECT * FROM dashboard_sessions")).all()
    assert len(rows) == 1
    for row in rows:
        for value in row:
            assert cookie not in str(value)
            assert token not in str(value)
    assert rows[0].id_hash == hash_token(cookie)


def test_after_signing_in_the_browser_returns_to_the_page_it_asked_for(
    client: TestClient, database: Database
) -> None:
    asked = client.get("/dashboard/provinces/01?period=2026")
    assert asked.status_code == 401
    assert 'name="next" value="/dashboard/provinces/01?period=2026"' in asked.text
    token = official_token(database)
    back = client.post(
        "/dashboard/sign-in",
        data={"token": token, "next": "/dashboard/provinces/01?period=2026"},
        follow_redirects=False,
    )
    assert back.headers["location"] == "/dashboard/provinces/01?period=2026"
    elsewhere = client.post(
        "/dashboard/sign-in", data={"token": token, "next": "https://evil.example/"}, follow_redirects=False
    )
    assert elsewhere.headers["location"] == "/dashboard"


def test_the_national_view_lists_every_province_with_its_figures(
    client: TestClient, database: Database
) -> None:
    seeded = seed(client, database)
    expected = next(
        row
        for row in client.get("/v1/adoption/provinces", headers=bearer(seeded.token)).json()["data"]
        if row["code"] == HANOI
    )
    sign_in(client, seeded.token)
    page = client.get("/dashboard")
    assert page.status_code == 200

    found = table(page.text)
    assert found["thead"][0] == [
        "Tỉnh, thành phố",
        "Doanh nghiệp hoạt động",
        "Đã đăng ký",
        "Tỷ lệ tham gia",
        "Đang lập hóa đơn",
        "Hóa đơn",
        "Biên lai",
        "Tổng tiền (VND)",
    ]
    assert [row[0] for row in found["tbody"]] == [p.name for p in localities.list_provinces()]
    # 8 operating in Ngọc Hà, 3 of them registered, and the issuer registered in Giảng Võ: 4 of 8.
    assert (expected["active_businesses"], expected["registered_businesses"]) == (8, 4)
    assert row_named(page.text, HANOI_NAME) == [HANOI_NAME, "8", "4", "50,0 %", "1", "1", "0", "4.350.000"]
    assert row_named(page.text, "Cà Mau")[1:4] == ["0", "0", "—"]
    assert found["tfoot"][0][0] == "Tổng: Toàn quốc"
    assert f'href="/dashboard/provinces/{HANOI}"' in page.text

    assert '<svg class="chart rates"' in page.text
    assert f"<title>{HANOI_NAME}: 50,0 %</title>" in page.text
    assert '<svg class="chart series"' in page.text
    assert ": 1 hóa đơn, 0 biên lai</title>" in page.text
    assert "Chứng từ đã lập theo tháng" in page.text


def test_drilling_down_lists_the_wards_of_the_province(client: TestClient, database: Database) -> None:
    seeded = seed(client, database)
    sign_in(client, seeded.token)
    page = client.get(f"/dashboard/provinces/{HANOI}")
    assert page.status_code == 200
    found = table(page.text)
    assert len(found["tbody"]) == len(localities.list_wards(HANOI)) == 126
    assert row_named(page.text, "Phường Ngọc Hà") == [
        "Phường Ngọc Hà",
        "8",
        "3",
        "37,5 %",
        "0",
        "0",
        "0",
        "0",
    ]
    giang_vo = next(w.name for w in localities.list_wards(HANOI) if w.code == GIANG_VO)
    assert row_named(page.text, giang_vo)[1:6] == ["0", "1", "—", "1", "1"]
    assert found["tfoot"][-1][:3] == [f"Tổng: {HANOI_NAME}", "8", "4"]
    assert '<a href="/dashboard">← Toàn quốc</a>' in page.text
    assert f'href="/dashboard/provinces/{HANOI}/wards.csv"' in page.text
    assert "<title>Phường Ngọc Hà: 37,5 %</title>" in page.text


def test_the_table_sorts_on_the_server_without_a_script(client: TestClient, database: Database) -> None:
    seeded = seed(client, database, provinces={HANOI: (8, 3), DA_NANG: (10, 9)})
    sign_in(client, seeded.token)
    by_active = client.get("/dashboard?sort=active&order=desc")
    rows = table(by_active.text)["tbody"]
    assert [row[0] for row in rows[:2]] == ["Thành phố Đà Nẵng", HANOI_NAME]
    assert 'aria-sort="descending"' in by_active.text
    # Clicking the same header again asks for the other order.
    assert 'href="/dashboard?sort=active&amp;order=asc"' in by_active.text

    by_rate = table(client.get("/dashboard?sort=rate&order=desc").text)["tbody"]
    assert [row[3] for row in by_rate[:2]] == ["90,0 %", "50,0 %"]
    by_name = [row[0] for row in table(client.get("/dashboard?sort=name&order=asc").text)["tbody"]]
    # Đ files under D, tone marks do not move a name.
    assert by_name[:6] == ["An Giang", "Bắc Ninh", "Cà Mau", "Cao Bằng", "Đắk Lắk", "Điện Biên"]
    assert by_name[-1] == "Vĩnh Long"
    assert [row[0] for row in table(client.get("/dashboard?sort=bogus").text)["tbody"]] == [
        p.name for p in localities.list_provinces()
    ]


def test_a_provincial_official_sees_its_own_province_only(client: TestClient, database: Database) -> None:
    seed(client, database)
    da_nang = official_token(database, province_code=DA_NANG)
    sign_in(client, da_nang)

    own = client.get("/dashboard")
    assert own.status_code == 200
    assert "Thành phố Đà Nẵng: tham gia hóa đơn điện tử theo phường, xã" in own.text
    assert len(table(own.text)["tbody"]) == len(localities.list_wards(DA_NANG))
    assert HANOI_NAME not in own.text
    assert 'href="/dashboard/provinces.csv' not in own.text
    assert client.get(f"/dashboard/provinces/{DA_NANG}").status_code == 200

    for path in (
        f"/dashboard/provinces/{HANOI}",
        f"/dashboard/provinces/{HANOI}/wards.csv",
        f"/dashboard/timeseries.csv?province={HANOI}",
        "/dashboard/provinces/99",
    ):
        hidden = client.get(path)
        assert hidden.status_code == 404, path
        assert hidden.headers["content-type"].startswith("text/html"), path
        assert "Không tìm thấy" in hidden.text, path
        assert HANOI_NAME not in hidden.text, path
        assert table(hidden.text)["tbody"] == [], path

    listed = list(csv.DictReader(io.StringIO(client.get("/dashboard/provinces.csv").text)))
    assert [row["code"] for row in listed] == [DA_NANG, DA_NANG]  # its province, and the total


@pytest.mark.parametrize(
    "query",
    ["period=2026-13", "period=november", "from=2026-12-01&to=2026-11-01", "period=2026-11&from=2026-11-01"],
)
def test_a_bad_period_is_explained_on_the_page(client: TestClient, database: Database, query: str) -> None:
    sign_in(client, official_token(database))
    for path in ("/dashboard", f"/dashboard/provinces/{HANOI}", "/dashboard/provinces.csv"):
        page = client.get(f"{path}?{query}")
        assert page.status_code == 422, (path, query)
        assert page.headers["content-type"].startswith("text/html")
        assert "Kỳ không hợp lệ" in page.text
        assert "YYYY-MM" in page.text
        assert "Đăng xuất" in page.text  # still signed in, with the filter to correct it
    if query.startswith("period=2026-13"):
        assert 'name="period" value="2026-13"' in page.text


def test_csv_downloads_are_the_apis_csv(client: TestClient, database: Database) -> None:
    seeded = seed(client, database)
    sign_in(client, seeded.token)

    provinces = client.get("/dashboard/provinces.csv")
    assert provinces.status_code == 200
    assert provinces.headers["content-type"].startswith("text/csv")
    assert provinces.headers["content-disposition"].startswith('attachment; filename="adoption-provinces-')
    assert provinces.text == _api_csv(client, seeded.token, "/v1/adoption/provinces")
    rows = list(csv.DictReader(io.StringIO(provinces.text)))
    assert len(rows) == 35
    hanoi = next(row for row in rows if row["code"] == HANOI)
    assert (hanoi["active_businesses"], hanoi["registered_businesses"], hanoi["adoption_rate_percent"]) == (
        "8",
        "4",
        "50.0",
    )
    assert hanoi["amount_total"] == "4350000"

    month = today_vn().isoformat()[:7]
    wards = client.get(f"/dashboard/provinces/{HANOI}/wards.csv?period={month}")
    assert wards.text == _api_csv(client, seeded.token, f"/v1/adoption/provinces/{HANOI}/wards", period=month)
    ngoc_ha = next(row for row in csv.DictReader(io.StringIO(wards.text)) if row["code"] == NGOC_HA)
    assert ngoc_ha["active_businesses"] == "8"

    # The series charted: per month by default, per day for a month.
    default = client.get("/dashboard/timeseries.csv")
    api_default = _api_csv(
        client, seeded.token, "/v1/adoption/timeseries", granularity="month", to=today_vn().isoformat()
    )
    assert default.text == api_default
    points = list(csv.DictReader(io.StringIO(default.text)))
    assert len(points) == 12
    assert points[-1]["invoices_issued"] == "1"

    first = today_vn().replace(day=1)
    daily = client.get(f"/dashboard/timeseries.csv?period={month}&province={HANOI}")
    assert daily.text == _api_csv(
        client,
        seeded.token,
        "/v1/adoption/timeseries",
        granularity="day",
        province=HANOI,
        **{"from": first.isoformat(), "to": month_end(first).isoformat()},
    )
    assert len(list(csv.DictReader(io.StringIO(daily.text)))) == (month_end(first) - first).days + 1
    assert "Chứng từ đã lập theo ngày" in client.get(f"/dashboard?period={month}").text


def test_signing_out_ends_the_session(client: TestClient, database: Database) -> None:
    cookie = sign_in(client, official_token(database))
    assert "Đăng xuất" in client.get("/dashboard").text

    response = client.post("/dashboard/sign-out", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    assert 'hoadon_dashboard=""' in response.headers["set-cookie"]
    assert "Path=/dashboard" in response.headers["set-cookie"]
    with database.transaction() as session:
        assert session.exec(select(DashboardSession)).all() == []

    # The old cookie, sent again, signs nobody in.
    client.cookies.clear()
    replayed = client.get("/dashboard", headers={"Cookie": f"hoadon_dashboard={cookie}"})
    assert _is_sign_in_page(replayed.text)
    assert (
        client.get("/dashboard/provinces.csv", headers={"Cookie": f"hoadon_dashboard={cookie}"}).status_code
        == 401
    )


def test_an_expired_or_revoked_session_shows_the_sign_in_form(client: TestClient, database: Database) -> None:
    token = official_token(database)
    sign_in(client, token)
    with database.transaction() as session:
        session.exec(update(DashboardSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    expired = client.get("/dashboard")
    assert _is_sign_in_page(expired.text)
    assert 'hoadon_dashboard=""' in expired.headers["set-cookie"]  # the browser drops it

    sign_in(client, token)
    with database.transaction() as session:
        # A new sign-in cleared the expired session away.
        assert len(session.exec(select(DashboardSession)).all()) == 1
        session.exec(update(Official).values(revoked_at=utcnow()))
    assert _is_sign_in_page(client.get("/dashboard").text)
    assert client.post("/dashboard/sign-in", data={"token": token}).status_code == 401


def test_failed_sign_ins_count_against_the_address_like_bad_bearer_tokens(
    settings: Settings, database: Database
) -> None:
    token = official_token(database)
    app = create_app(settings.model_copy(update={"rate_limit_public": "3/minute"}), database=database)
    with TestClient(app) as limited:
        for _ in range(3):
            assert limited.post("/dashboard/sign-in", data={"token": "đoán thử"}).status_code == 401
        # The official's own allowance is untouched, but this address has spent its failures.
        refused = limited.get("/v1/adoption/provinces", headers=bearer(token))
        assert refused.status_code == 429
        assert "failed authentications" in refused.json()["detail"]
        assert limited.post("/dashboard/sign-in", data={"token": token}).status_code == 429
