"""Builders for dashboard tests: seeded statistics, signing in, reading the page's table back."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

from fastapi.testclient import TestClient

from invoicing.db import Database
from invoicing.localities import service as localities
from tests.adoption import operating, register_quickly, registry_csv, tax_codes, upload
from tests.helpers import accepted_business, bearer, invoice_payload, official_token, register_series

HANOI, NGOC_HA, GIANG_VO = "01", "00008", "00025"
DA_NANG = "48"


@dataclass(frozen=True)
class Seeded:
    token: str
    """A national official's token."""
    invoices: int


def first_ward(province_code: str) -> str:
    return localities.list_wards(province_code)[0].code


def seed(
    client: TestClient,
    database: Database,
    *,
    provinces: dict[str, tuple[int, int]] | None = None,
    invoices: int = 1,
) -> Seeded:
    """Per province, (operating in the registry, of them registered); Hà Nội also gets a business
    that registered outside the registry (Giảng Võ) and issues ``invoices`` invoices.

    The default: Hà Nội 8 operating in Ngọc Hà, 3 of them registered, plus the issuer: 4 of 8.
    """
    token = official_token(database)
    wanted = provinces or {HANOI: (8, 3)}
    rows = []
    for code, (active, registered) in wanted.items():
        ward = NGOC_HA if code == HANOI else first_ward(code)
        codes = tax_codes(active)
        rows.extend(operating(codes, code, ward))
        if registered:
            register_quickly(
                database,
                client.app.state.keyring,  # type: ignore[attr-defined]
                codes[:registered],
                province_code=code,
                ward_code=ward,
            )
    assert upload(client, token, registry_csv(rows)).status_code == 201
    business = accepted_business(client, database, province_code=HANOI, ward_code=GIANG_VO)
    series = register_series(client, business.api_key)
    for _ in range(invoices):
        issued = client.post("/v1/invoices", json=invoice_payload(series), headers=bearer(business.api_key))
        assert issued.status_code == 201, issued.text
    return Seeded(token=token, invoices=invoices)


class _Table(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, list[list[str]]] = {"thead": [], "tbody": [], "tfoot": []}
        self._section: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.sections:
            self._section = tag
        elif tag == "tr" and self._section:
            self.sections[self._section].append([])
        elif tag in ("td", "th") and self._section:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._section:
            self.sections[self._section][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag in self.sections:
            self._section = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table(html: str) -> dict[str, list[list[str]]]:
    """The statistics table's cell texts: ``thead``, ``tbody`` and ``tfoot`` rows."""
    parser = _Table()
    parser.feed(html)
    return parser.sections


def row_named(html: str, name: str) -> list[str]:
    return next(row for row in table(html)["tbody"] if row[0] == name)


def sign_in(client: TestClient, token: str) -> str:
    """Signs the client in; the session cookie's value."""
    response = client.post("/dashboard/sign-in", data={"token": token}, follow_redirects=False)
    assert response.status_code == 303, response.text
    cookie = response.cookies.get("hoadon_dashboard")
    assert cookie
    return cookie
