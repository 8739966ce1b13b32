"""Hostile input gets a precise 4xx problem, never a 500: sizes, nesting, encodings, NUL, XML, CSV."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import bindparam, select

from invoicing.config import Settings
from invoicing.db import Database
from invoicing.errors import ValidationFailed
from invoicing.guards import MAX_JSON_DEPTH
from invoicing.main import create_app
from invoicing.models import AuditEvent
from invoicing.problems import Problem
from invoicing.text import Str100
from tests.helpers import (
    AcceptedBusiness,
    accepted_business,
    bearer,
    invoice_payload,
    official_token,
    register_series,
    registration_payload,
)
from tests.verification.test_verify import HOSTILE as HOSTILE_XML

JSON = {"content-type": "application/json"}


def _problem(response: Response, status: int, field: str | None = None) -> Problem:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = Problem.model_validate(response.json())
    if field is not None:
        assert problem.errors is not None
        assert problem.errors[0].field == field, problem
    return problem


@pytest.fixture
def business(client: TestClient, database: Database) -> AcceptedBusiness:
    return accepted_business(client, database)


# --- sizes -------------------------------------------------------------------------------------


@pytest.fixture
def small(settings: Settings, database: Database) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"max_body_bytes": 4096}), database=database)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_a_declared_oversize_body_is_refused_before_it_is_read(small: TestClient) -> None:
    problem = _problem(small.post("/v1/registrations", content=b" " * 5000, headers=JSON), 413)
    assert "4096" in problem.detail


def test_a_streamed_oversize_body_is_refused_while_it_streams(small: TestClient) -> None:
    sent = []

    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            sent.append(1)
            yield b" " * 1024

    response = small.post("/v1/registrations", content=chunks(), headers=JSON)
    assert response.request.headers.get("transfer-encoding") == "chunked"
    _problem(response, 413)


def test_the_default_limit_is_ten_mebibytes(client: TestClient) -> None:
    body = json.dumps({"name": "x" * (10 * 1024 * 1024)}).encode()
    _problem(client.post("/v1/registrations", content=body, headers=JSON), 413)
    assert Settings.model_fields["max_body_bytes"].default == 10 * 1024 * 1024


def test_a_body_within_the_limit_still_reaches_validation(small: TestClient) -> None:
    _problem(small.post("/v1/registrations", json={"name": "x" * 3000}), 422, "tax_code")


def test_a_malformed_content_length_is_a_problem(small: TestClient) -> None:
    response = small.post("/v1/registrations", content=b"{}", headers={**JSON, "content-length": "two"})
    _problem(response, 400, "Content-Length")


def test_file_uploads_keep_their_own_cap(small: TestClient) -> None:
    """POST /v1/verify takes up to 2 MB of XML whatever HOADON_MAX_BODY_BYTES says."""
    response = small.post("/v1/verify", content=b"<HDon>" + b" " * 10_000 + b"</HDon>")
    assert response.status_code == 200, response.text  # read and reported on, not refused for size
    assert response.json()["valid"] is False


# --- JSON that cannot be valid ------------------------------------------------------------------


def _nested(depth: int, *, kind: str) -> bytes:
    if kind == "array":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 10_000, 1_000_000])
@pytest.mark.parametrize("kind", ["array", "object"])
def test_deeply_nested_json_is_refused_quickly(
    client: TestClient, business: AcceptedBusiness, depth: int, kind: str
) -> None:
    body = _nested(depth, kind=kind)
    for path, headers in (
        ("/v1/registrations", JSON),
        ("/v1/invoices", {**JSON, **bearer(business.api_key)}),
        ("/v1/verify/qr", JSON),
    ):
        started = time.perf_counter()
        response = client.post(path, content=body, headers=headers)
        elapsed = time.perf_counter() - started
        problem = _problem(response, 422, "body")
        assert "nested deeper" in problem.detail
        print(f"{kind} depth {depth:>9,} ({len(body):>9,} bytes) {path}: {elapsed * 1000:.1f} ms")


def test_nesting_within_the_limit_is_ordinary_validation(client: TestClient) -> None:
    response = client.post("/v1/registrations", content=_nested(MAX_JSON_DEPTH, kind="array"), headers=JSON)
    problem = _problem(response, 422, "body")
    assert "nested" not in problem.detail


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": "\xff\xfe"}',
        b'{"name": "\xc3\x28"}',  # a truncated two-byte sequence
        b'{"name": "\xed\xa0\x80"}',  # a surrogate encoded in UTF-8 (CESU)
        b'{"name": "\xc0\xaf"}',  # an overlong "/"
        '{"name": "é"}'.encode("latin-1"),
        '{"name": "x"}'.encode("utf-16"),
    ],
)
def test_a_body_that_is_not_utf8_is_a_problem(client: TestClient, body: bytes) -> None:
    problem = _problem(client.post("/v1/registrations", content=body, headers=JSON), 422, "body")
    assert "UTF-8" in problem.detail


def test_malformed_json_is_a_problem(client: TestClient) -> None:
    for body in (b'{"name": ', b'"unterminated', b"\x00\x01", b"NaN", b"{'a': 1}"):
        _problem(client.post("/v1/registrations", content=body, headers=JSON), 422)


# --- NUL and other characters no text column or XML document can hold ---------------------------


def test_nul_in_a_field_names_the_field(client: TestClient) -> None:
    response = client.post("/v1/registrations", json=registration_payload(name="Công ty\u0000 X"))
    problem = _problem(response, 422, "name")
    assert "NUL" in problem.errors[0].reason  # type: ignore[index]


def test_nul_deep_in_an_invoice_names_the_path(client: TestClient, business: AcceptedBusiness) -> None:
    series = register_series(client, business.api_key)
    payload = invoice_payload(series)
    payload["lines"][1]["name"] = "Sách\u0000"
    response = client.post("/v1/invoices", json=payload, headers=bearer(business.api_key))
    _problem(response, 422, "lines[1].name")
    payload = invoice_payload(series, buyer={**invoice_payload(series)["buyer"], "address": "\u0000"})
    _problem(
        client.post("/v1/invoices", json=payload, headers=bearer(business.api_key)), 422, "buyer.address"
    )
    listed = client.get("/v1/invoices", headers=bearer(business.api_key)).json()["data"]
    assert listed == []


def test_nul_in_a_field_the_schema_does_not_know_is_refused_as_unknown(client: TestClient) -> None:
    payload: dict[str, Any] = {**registration_payload(), "note\u0000": "a\u0000"}
    _problem(client.post("/v1/registrations", json=payload), 422)


def test_an_escaped_backslash_before_u0000_is_not_a_nul(client: TestClient) -> None:
    payload = registration_payload(name="C:\\u0000 Công ty")
    response = client.post("/v1/registrations", json=payload)
    assert response.status_code == 201, response.text


def test_a_lone_surrogate_is_refused(client: TestClient) -> None:
    body = json.dumps(registration_payload(name="Công ty \ud800"), ensure_ascii=True)
    problem = _problem(client.post("/v1/registrations", content=body, headers=JSON), 422, "name")
    assert "surrogate" in problem.detail


@pytest.mark.parametrize("char", ["\u0001", "\u0007", "\u001b", "\ufffe"])
def test_characters_xml_cannot_carry_are_refused_by_field(client: TestClient, char: str) -> None:
    response = client.post("/v1/registrations", json=registration_payload(representative=f"Nguyễn{char}A"))
    _problem(response, 422, "representative")


def test_tabs_and_newlines_are_still_text(client: TestClient) -> None:
    response = client.post("/v1/registrations", json=registration_payload(address="Số 1\nPhố\tVí Dụ"))
    assert response.status_code == 201, response.text


def test_normalize_text_refuses_nul() -> None:
    with pytest.raises(ValidationError, match="U\\+0000"):
        TypeAdapter(Str100).validate_python("a\x00b")


def test_nul_in_a_query_parameter_never_reaches_the_database(
    client: TestClient, business: AcceptedBusiness
) -> None:
    response = client.get("/v1/invoices?external_id=ERP%00-1", headers=bearer(business.api_key))
    _problem(response, 422, "external_id")


def test_nul_in_the_path_is_a_precise_4xx(client: TestClient, business: AcceptedBusiness) -> None:
    for path in ("/v1/series/1C26%00AA", "/v1/series/1C26%00AA/chain", "/v1/adoption/provinces/0%001/wards"):
        response = client.get(path, headers=bearer(business.api_key))
        assert 400 <= response.status_code < 500, (path, response.text)
        if response.status_code == 422:
            _problem(response, 422, "path")
    _problem(client.get("/v1/localities/provinces/0%001/wards"), 404)
    assert client.get("/verify/%00%00").status_code == 404  # the HTML page's own answer


def test_nul_in_a_header_never_reaches_the_database(client: TestClient, business: AcceptedBusiness) -> None:
    series = register_series(client, business.api_key)
    response = client.post(
        "/v1/invoices",
        json=invoice_payload(series),
        headers={**bearer(business.api_key), "Idempotency-Key": "order\x001"},
    )
    _problem(response, 422, "idempotency-key")
    assert client.get("/v1/invoices", headers=bearer(business.api_key)).json()["data"] == []
    response = client.get(
        "/v1/registrations/00000000-0000-0000-0000-000000000000", headers={"X-Claim-Token": "\x00"}
    )
    assert response.status_code in (401, 404)


@pytest.mark.parametrize("value", ["a\x00b", "\ud800"])
def test_the_database_backstop_refuses_a_parameter_it_cannot_store(
    client: TestClient, database: Database, value: str
) -> None:
    """Whatever route a NUL takes, no statement carrying one is sent: a 422, not a driver error."""
    statement = select(AuditEvent.id).where(AuditEvent.action == bindparam("action"))
    with database.new_session() as session, pytest.raises(ValidationFailed):
        session.execute(statement, {"action": value})


def test_the_database_backstop_looks_inside_json(client: TestClient, database: Database) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps JSON as text, where the escaped NUL is harmless")
    event = AuditEvent(action="t", actor_type="t", subject_type="t", subject_id="x", data={"a": ["x\x00"]})
    with database.new_session() as session:
        session.add(event)
        with pytest.raises(ValidationFailed):
            session.flush()


# --- every endpoint that takes a file --------------------------------------------------------------


def _file_operations(client: TestClient, media: tuple[str, ...]) -> list[tuple[str, str, str]]:
    found = []
    for path, operations in client.app.openapi()["paths"].items():  # type: ignore[attr-defined]
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            found.extend((method.upper(), path, media_type) for media_type in content if media_type in media)
    return found


def _send_with_each_credential(
    client: TestClient, database: Database, method: str, path: str, media_type: str, body: bytes
) -> Response:
    """Anonymous first; then a business key, then a national official, until one is let in."""
    business = accepted_business(client, database)
    attempts = [{}, bearer(business.api_key), bearer(official_token(database))]
    response = None
    for credentials in attempts:
        response = client.request(
            method, path, content=body, headers={"content-type": media_type, **credentials}
        )
        if response.status_code not in (401, 403):
            break
    assert response is not None
    return response


def test_the_xml_endpoints_are_known(client: TestClient) -> None:
    assert ("POST", "/v1/verify", "application/xml") in _file_operations(client, ("application/xml",))


@pytest.mark.parametrize("name", sorted(HOSTILE_XML))
def test_hostile_xml_on_every_xml_endpoint(client: TestClient, database: Database, name: str) -> None:
    operations = _file_operations(client, ("application/xml", "text/xml"))
    for method, path, media_type in operations:
        response = _send_with_each_credential(client, database, method, path, media_type, HOSTILE_XML[name])
        assert response.status_code in (400, 413, 422), (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert "root:" not in response.text  # nothing of /etc/passwd


HOSTILE_CSV = {
    "nul": b"tax_code,name,province_code,ward_code,status\n0100233488,A\x00B,01,00004,operating\n",
    "not_utf8": b"tax_code,name,province_code,ward_code,status\n0100233488,C\xf4ng ty,01,00004,operating\n",
    "binary": b"%PDF-1.7\x00\x01\x02\xff\xfe",
    "unterminated_quote": b'tax_code,name,province_code,ward_code,status\n0100233488,"A,01,00004,operating\n',
    "huge_field": b"tax_code,name,province_code,ward_code,status\n0100233488,"
    + b"x" * 300_000
    + b",01,00004,operating\n",
    "formula": b"tax_code,name,province_code,ward_code,status\n=cmd|' /C calc'!A0,=1+1,01,00004,operating\n",
    "no_header": b"0100233488,A,01,00004,operating\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_CSV))
def test_hostile_csv_on_every_csv_endpoint(client: TestClient, database: Database, name: str) -> None:
    for method, path, media_type in _file_operations(client, ("text/csv",)):
        response = _send_with_each_credential(client, database, method, path, media_type, HOSTILE_CSV[name])
        assert response.status_code < 500, (method, path, response.text)
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json"
            Problem.model_validate(response.json())


def test_a_body_without_a_content_type_is_checked_as_json(client: TestClient) -> None:
    response = client.post("/v1/registrations", content=_nested(10_000, kind="array"))
    assert "content-type" not in response.request.headers
    _problem(response, 422, "body")
