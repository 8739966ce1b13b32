"""Builders for adoption tests: registry files, quick registrations, statistics lookups."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi.testclient import TestClient

from invoicing.auth.principals import OfficialPrincipal
from invoicing.db import Database
from invoicing.keyring import Keyring
from invoicing.models import Registration
from invoicing.officials import service as officials
from invoicing.registrations import service as registrations
from invoicing.registrations.schemas import RegistrationCreate
from tests.helpers import bearer, new_tax_code, registration_payload

HEADER = ("tax_code", "name", "province_code", "ward_code", "status")


def registry_csv(rows: Iterable[Sequence[object]], *, header: Sequence[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode()


def operating(tax_codes: Iterable[str], province: str, ward: str) -> list[tuple[str, str, str, str, str]]:
    return [(code, f"Công ty {code}", province, ward, "operating") for code in tax_codes]


def upload(client: TestClient, token: str, body: bytes, **headers: str) -> Any:
    return client.post(
        "/v1/adoption/registry",
        content=body,
        headers={**bearer(token), "Content-Type": "text/csv", **headers},
    )


def register_quickly(
    database: Database,
    keyring: Keyring,
    tax_codes: Iterable[str],
    *,
    province_code: str,
    ward_code: str,
    accept: bool = True,
) -> list[Registration]:
    """Submitted (and accepted) through the services, without HTTP or sandbox certificates."""
    done = []
    with database.transaction() as session:
        created = officials.create_official(session, name="Cán bộ duyệt", province_code=None).official
        official = OfficialPrincipal(official_id=created.id, name=created.name, province_code=None)
        for tax_code in tax_codes:
            form = RegistrationCreate.model_validate(
                registration_payload(tax_code=tax_code, province_code=province_code, ward_code=ward_code)
            )
            submitted = registrations.submit_registration(session, form=form).registration
            if accept:
                submitted = registrations.accept_registration(
                    session, official, keyring=keyring, sandbox=False, registration_id=submitted.id
                )
            done.append(submitted)
    return done


def tax_codes(count: int) -> list[str]:
    return [new_tax_code() for _ in range(count)]


def by_code(body: dict[str, Any]) -> dict[str | None, dict[str, Any]]:
    return {row["code"]: row for row in body["data"]}


def province_stats(client: TestClient, token: str, code: str, **params: str) -> dict[str, Any]:
    response = client.get("/v1/adoption/provinces", params=params, headers=bearer(token))
    assert response.status_code == 200, response.text
    found: dict[str, Any] = by_code(response.json())[code]
    return found
