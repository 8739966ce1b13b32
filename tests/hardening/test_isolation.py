"""Tenant isolation, for every operation of the OpenAPI document (new endpoints join automatically).

Against resources of business A (Hà Nội, province 01), each other principal — another business, an
official of another province, nobody — gets 401/403/404 as the operation documents, and no answer
carries what identifies A (tax code, name, e-mail, ids) unless the caller sent it. The public
endpoints are the named exception; the claim-token endpoints are tried with another
registration's token.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from invoicing.config import Settings
from invoicing.db import Database
from invoicing.main import create_app
from tests.hardening.world import World, build_world
from tests.helpers import bearer, invoice_payload, today
from tests.receipts import receipt_payload

PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/v1/localities/provinces"),
    ("GET", "/v1/localities/provinces/{code}/wards"),
    ("POST", "/v1/registrations"),
    ("POST", "/v1/verify"),
    ("POST", "/v1/verify/qr"),
    ("GET", "/v1/authority/certificate"),
    ("GET", "/v1/authority/sandbox-ca"),
    ("GET", "/verify/{code}"),
}
CLAIM_TOKEN = {
    ("GET", "/v1/registrations/{registration_id}"),
    ("POST", "/v1/registrations/{registration_id}/credentials"),
}
DENIED = {401, 403, 404}


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    url: str
    operation: dict[str, Any]
    bound: bool  # the path names one of A's resources
    body: bytes | None
    content_type: str | None


@pytest.fixture
def isolated(settings: Settings, database: Database) -> Iterator[tuple[TestClient, World]]:
    app = create_app(settings.model_copy(update={"rate_limits_enabled": False}), database=database)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, build_world(client, database)


def _path_values(world: World) -> dict[str, str]:
    return {
        "invoice_id": world.invoice_id,
        "receipt_id": world.receipt_id,
        "registration_id": world.pending.id,
        "series": world.series,
        "code": "01",  # adoption: A's province
    }


def _body(world: World, method: str, path: str, operation: dict[str, Any]) -> tuple[bytes | None, str | None]:
    content = operation.get("requestBody", {}).get("content", {})
    if not content:
        return None, None
    if "text/csv" in content:
        csv = f"tax_code,name,province_code,ward_code,status\n{world.business.tax_code},{world.name},01,00004,operating\n"
        return csv.encode(), "text/csv"
    correction = {
        "issue_date": today(),
        "note": "Sai số lượng",
        "buyer": invoice_payload(world.series)["buyer"],
        "lines": invoice_payload(world.series)["lines"],
    }
    bodies: dict[tuple[str, str], Any] = {
        ("POST", "/v1/invoices"): invoice_payload(world.series),
        ("POST", "/v1/invoices/batch"): {"invoices": [invoice_payload(world.series)]},
        ("POST", "/v1/receipts"): receipt_payload(world.receipt_series),
        ("POST", "/v1/invoices/{invoice_id}/adjust"): correction,
        ("POST", "/v1/invoices/{invoice_id}/replace"): correction,
        ("POST", "/v1/invoices/{invoice_id}/cancel"): {"reason": "Lập sai"},
        ("POST", "/v1/registrations/{registration_id}/reject"): {"reasons": ["Thiếu hồ sơ"]},
    }
    return json.dumps(bodies.get((method, path), {}), ensure_ascii=False).encode(), "application/json"


def _calls(client: TestClient, world: World) -> list[Call]:
    values = _path_values(world)
    calls = []
    for path, operations in client.app.openapi()["paths"].items():  # type: ignore[attr-defined]
        for method, operation in operations.items():
            method = method.upper()
            url = path
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "path":
                    continue
                name = parameter["name"]
                assert name in values or (method, path) in PUBLIC, (
                    f"teach the isolation matrix which of A's resources {{{name}}} names ({method} {path})"
                )
                url = url.replace(f"{{{name}}}", values.get(name, "x"))
            query = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
            if "province" in query:
                url += "?province=01"
            body, content_type = _body(world, method, path, operation)
            bound = url != path or "province=01" in url
            calls.append(Call(method, path, url, operation, bound, body, content_type))
    return calls


def _send(client: TestClient, call: Call, headers: dict[str, str]) -> Response:
    if call.content_type:
        headers = {**headers, "Content-Type": call.content_type}
    return client.request(call.method, call.url, content=call.body, headers=headers)


def _leaks(world: World, call: Call, response: Response) -> list[str]:
    sent = call.url + (call.body or b"").decode()
    return [
        what for what, value in world.identifiers().items() if value not in sent and value in response.text
    ]


def _principals(world: World, call: Call) -> dict[str, dict[str, str]]:
    if (call.method, call.path) in CLAIM_TOKEN:
        return {
            "nobody": {},
            "another registration's claim token": {"X-Claim-Token": world.other_pending.claim_token},
            "another business": bearer(world.other_business.api_key),
            "an official of another province": bearer(world.other_provincial),
        }
    return {
        "nobody": {},
        "another business": bearer(world.other_business.api_key),
        "an official of another province": bearer(world.other_provincial),
    }


def test_every_operation_keeps_a_tenant_apart(isolated: tuple[TestClient, World]) -> None:
    client, world = isolated
    calls = _calls(client, world)
    unsecured = {(c.method, c.path) for c in calls if "security" not in c.operation}
    assert unsecured <= PUBLIC | CLAIM_TOKEN, (
        f"unauthenticated operations not named public: {unsecured - PUBLIC}"
    )
    assert {(c.method, c.path) for c in calls} >= PUBLIC - {("GET", "/v1/authority/sandbox-ca")}

    failures: list[str] = []
    checked = 0
    for call in calls:
        if (call.method, call.path) in PUBLIC:
            continue
        documented = {int(status) for status in call.operation["responses"] if status.isdigit()}
        for who, headers in _principals(world, call).items():
            response = _send(client, call, headers)
            checked += 1
            status = response.status_code
            label = f"{call.method} {call.url} as {who}: {status}"
            if status >= 500:
                failures.append(f"{label} (server error) {response.text[:200]}")
            elif who == "nobody" and status != 401:
                failures.append(f"{label}, expected 401")
            elif call.bound and status not in DENIED:
                failures.append(f"{label}, expected 401/403/404: {response.text[:200]}")
            elif status in DENIED and status not in documented:
                failures.append(f"{label}, not among the documented {sorted(documented)}")
            if leaked := _leaks(world, call, response):
                failures.append(f"{label} leaks A's {', '.join(leaked)}: {response.text[:300]}")
    assert checked > 100
    assert not failures, "\n".join(failures)


def test_the_matrix_is_not_vacuous(isolated: tuple[TestClient, World]) -> None:
    """A and the officials of its province do reach the same resources the others are denied."""
    client, world = isolated
    owners = {
        "business": bearer(world.business.api_key),
        "official of 01": bearer(world.provincial),
    }
    reached = set()
    for call in _calls(client, world):
        if call.method != "GET" or not call.bound or (call.method, call.path) in PUBLIC | CLAIM_TOKEN:
            continue
        if call.path.endswith("/cancellation"):
            continue  # A's invoice is not cancelled: 404 for A too
        statuses = {who: _send(client, call, headers).status_code for who, headers in owners.items()}
        assert any(status < 300 for status in statuses.values()), (call.url, statuses)
        reached.add(call.path)
    assert {
        "/v1/invoices/{invoice_id}",
        "/v1/receipts/{receipt_id}",
        "/v1/registrations/{registration_id}/xml",
    } <= reached
