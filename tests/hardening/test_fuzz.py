"""Schemathesis over the served OpenAPI document: every operation, as a business, an official and nobody.

Properties: no 5xx; every error is ``application/problem+json`` shaped as ``invoicing.problems.Problem``
(except where the document says otherwise, e.g. the HTML verification page); successful answers
match their documented schema. Cases are valid (positive) and invalid (negative) by the schema, with
the path's ids sometimes replaced by those of real resources. Generation is derandomized so CI is
reproducible; ``HOADON_FUZZ_EXAMPLES=200`` searches harder, at random. A failure lists a
reproducer (method, path, role, request) for each kind of problem found.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi.testclient import TestClient
from httpx import Response
from hypothesis import HealthCheck, Phase, strategies
from pydantic import ValidationError
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from invoicing.config import Settings
from invoicing.db import Database
from invoicing.main import create_app
from invoicing.problems import PROBLEM_JSON, Problem
from tests.hardening.world import World, build_world

# Per operation and generation mode; HOADON_FUZZ_EXAMPLES searches harder (and at random) locally.
EXAMPLES = int(os.environ.get("HOADON_FUZZ_EXAMPLES", "0")) or 15
DERANDOMIZE = "HOADON_FUZZ_EXAMPLES" not in os.environ
ROLES = ("business", "official", "anonymous")


@dataclass
class Finding:
    operation: str
    role: str
    what: str
    status: int
    request: dict[str, Any]
    response: str

    def __str__(self) -> str:
        request = json.dumps(self.request, ensure_ascii=False, default=repr)[:600]
        return f"{self.operation} as {self.role}: {self.what} ({self.status})\n  request: {request}\n  response: {self.response[:400]}"


@pytest.fixture
def fuzz_client(settings: Settings, database: Database) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"rate_limits_enabled": False}), database=database)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _real_parameters(world: World) -> dict[str, str]:
    return {
        "invoice_id": world.invoice_id,
        "receipt_id": world.receipt_id,
        "registration_id": world.pending.id,
        "series": world.series,
    }


def _credentials(world: World, role: str) -> str | None:
    return {"business": world.business.api_key, "official": world.national}.get(role)


def _send(client: TestClient, case: Any, token: str | None) -> tuple[Response, dict[str, Any]]:
    kwargs = case.as_transport_kwargs(base_url=str(client.base_url))
    headers = {k: v for k, v in kwargs.get("headers", {}).items() if k.lower() != "authorization"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request: dict[str, Any] = {
        "method": kwargs["method"],
        "url": kwargs["url"],
        "headers": headers,
        "params": kwargs.get("params") or None,
    }
    if "json" in kwargs:
        request["content"] = json.dumps(kwargs["json"], ensure_ascii=False).encode()
        headers.setdefault("Content-Type", "application/json")
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        request["content"] = data.encode() if isinstance(data, str) else data
    response = client.request(**request)
    return response, request


def _documents_other_media(operation: Any, status: int) -> bool:
    documented = operation.definition.raw.get("responses", {}).get(str(status), {})
    content = documented.get("content", {})
    return bool(content) and not any(media in content for media in (PROBLEM_JSON, "application/json"))


def _check(case: Any, response: Response) -> str | None:
    if response.status_code >= 500:
        return "server error"
    if response.status_code >= 400 and not _documents_other_media(case.operation, response.status_code):
        if response.headers.get("content-type") != PROBLEM_JSON:
            return f"error is {response.headers.get('content-type')}, not problem+json"
        try:
            problem = Problem.model_validate(response.json())
        except (ValidationError, ValueError) as error:
            return f"error is not a Problem: {error}"
        if problem.status != response.status_code:
            return f"problem status {problem.status} differs from the response's"
        return None
    if 200 <= response.status_code < 300:
        try:
            case.validate_response(response, checks=[response_schema_conformance])
        except AssertionError as error:
            return f"response does not match its schema: {str(error).splitlines()[0]}"
    return None


def _fuzz(
    operation: Any,
    client: TestClient,
    world: World,
    findings: dict[tuple[str, str, str], Finding],
    statuses: Counter[int],
) -> int:
    """Run the operation's examples as every role; record the first finding of each kind."""
    label = f"{operation.method.upper()} {operation.path}"
    real = _real_parameters(world)
    sent = 0
    strategy = strategies.one_of(
        operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
    )

    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=DERANDOMIZE,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=strategy, use_real=strategies.booleans())
    def run(case: Any, use_real: bool) -> None:
        nonlocal sent
        if use_real and case.path_parameters:
            for name in case.path_parameters:
                if name in real:
                    case.path_parameters[name] = real[name]
        for role in ROLES:
            response, request = _send(client, case, _credentials(world, role))
            sent += 1
            statuses[response.status_code] += 1
            problem = _check(case, response)
            if problem is not None:
                finding = Finding(label, role, problem, response.status_code, request, response.text)
                findings.setdefault((label, role, problem.split(":")[0]), finding)

    run()
    return sent


@pytest.mark.slow
def test_fuzz_every_operation(fuzz_client: TestClient, database: Database) -> None:
    world = build_world(fuzz_client, database)
    schema = schemathesis.openapi.from_dict(fuzz_client.get("/openapi.json").json())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40, "the whole API is fuzzed"

    findings: dict[tuple[str, str, str], Finding] = {}
    statuses: Counter[int] = Counter()
    started = time.perf_counter()
    sent = sum(_fuzz(operation, fuzz_client, world, findings, statuses) for operation in operations)
    elapsed = time.perf_counter() - started
    print(
        f"fuzzed {len(operations)} operations with {sent} requests in {elapsed:.1f} s: {sorted(statuses.items())}"
    )
    assert not findings, "\n\n".join(str(f) for f in findings.values())
