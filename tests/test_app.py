from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from invoicing.config import ConfigurationError, Environment, Settings
from invoicing.db import Database
from invoicing.main import create_app


def test_unexpected_error_is_a_generic_problem_with_request_id(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings, database=database)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom", headers={"X-Request-ID": "req-123"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["request_id"] == "req-123"
    assert "hunter2" not in response.text
    assert any(
        getattr(r, "request_id", None) == "req-123" for r in caplog.records if r.levelno >= logging.ERROR
    )


def test_unknown_route_is_a_problem(client: TestClient) -> None:
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"


@pytest.mark.parametrize("secret", [None, "change-me", "short"])
def test_production_refuses_a_placeholder_secret(secret: str | None) -> None:
    with pytest.raises(ConfigurationError, match="HOADON_SECRET_KEY"):
        Settings(env=Environment.PRODUCTION, secret_key=secret)


def test_production_accepts_a_real_secret(tmp_path: Path) -> None:
    settings = Settings(
        env=Environment.PRODUCTION, secret_key="k" * 48, authority_key_path=tmp_path / "cqt.p12"
    )
    assert settings.resolved_secret_key() == "k" * 48
    assert settings.sandbox_enabled is False


def test_production_needs_the_authority_key() -> None:
    with pytest.raises(ConfigurationError, match="HOADON_AUTHORITY_KEY_PATH"):
        Settings(env=Environment.PRODUCTION, secret_key="k" * 48)


def test_embedded_default_generates_the_secret_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    first = Settings(data_dir=data_dir).resolved_secret_key()
    second = Settings(data_dir=data_dir).resolved_secret_key()
    assert first == second
    assert len(first) >= 48
    assert (data_dir / "secret.key").stat().st_mode & 0o077 == 0


def test_readiness_reports_an_unreachable_redis(settings: Settings, database: Database) -> None:
    app = create_app(settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"}), database=database)
    with TestClient(app) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "ok"
    assert response.json()["checks"]["redis"].startswith("unavailable")


def test_openapi_documents_the_contract(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in (
        "/v1/registrations",
        "/v1/registrations/{registration_id}/credentials",
        "/v1/business",
        "/v1/series",
        "/v1/invoices",
        "/v1/invoices/batch",
        "/v1/invoices/{invoice_id}/xml",
        "/v1/invoices/{invoice_id}/pdf",
        "/v1/verify",
        "/v1/authority/certificate",
        "/v1/localities/provinces",
    ):
        assert path in spec["paths"], path
