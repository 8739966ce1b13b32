"""Shared fixtures: real SQLite and PostgreSQL databases, migrated once per run.

Every database test runs on both backends. PostgreSQL comes from HOADON_TEST_POSTGRES_URL
(the Makefile points it at the local server); when it does not answer the PostgreSQL half is
skipped with a reason, unless HOADON_TEST_REQUIRE_SERVICES=1 (CI), where that is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from invoicing.config import Environment, Settings
from invoicing.db import Database, create_db_engine
from invoicing.main import create_app
from invoicing.migrations import upgrade_to_head

REQUIRE_SERVICES = os.environ.get("HOADON_TEST_REQUIRE_SERVICES") == "1"
POSTGRES_URL = os.environ.get("HOADON_TEST_POSTGRES_URL")


def unavailable(what: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} (HOADON_TEST_REQUIRE_SERVICES=1: services must answer)")
    pytest.skip(what)


def _create_postgres_database() -> tuple[str, Engine]:
    if not POSTGRES_URL:
        unavailable("PostgreSQL not configured: set HOADON_TEST_POSTGRES_URL")
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")  # type: ignore[arg-type]
    name = f"hoadon_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        unavailable(f"PostgreSQL at {POSTGRES_URL} does not answer: {error.orig}")
    finally:
        admin.dispose()
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)  # type: ignore[arg-type]
    return url, admin


def _drop_postgres_database(url: str) -> None:
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")  # type: ignore[arg-type]
    name = make_url(url).database
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@dataclass(frozen=True)
class Backend:
    name: str
    url: str
    engine: Engine


@pytest.fixture(scope="session")
def sqlite_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    path = tmp_path_factory.mktemp("sqlite") / "hoadon.db"
    url = f"sqlite:///{path}"
    upgrade_to_head(url)
    engine = create_db_engine(url)
    yield Backend("sqlite", url, engine)
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_backend() -> Iterator[Backend]:
    url, _ = _create_postgres_database()
    upgrade_to_head(url)
    engine = create_db_engine(url)
    yield Backend("postgresql", url, engine)
    engine.dispose()
    _drop_postgres_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> Backend:
    fixture = "sqlite_backend" if request.param == "sqlite" else "postgres_backend"
    backend: Backend = request.getfixturevalue(fixture)
    return backend


@pytest.fixture
def database(backend: Backend) -> Iterator[Database]:
    """A Database whose every session lives inside one transaction rolled back after the test."""
    connection = backend.engine.connect()
    outer = connection.begin()
    try:
        yield Database(backend.engine, connection=connection)
    finally:
        outer.rollback()
        connection.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(env=Environment.TEST, data_dir=tmp_path / "data", secret_key="test-secret-" + "x" * 40)


@pytest.fixture
def client(settings: Settings, database: Database) -> Iterator[TestClient]:
    app = create_app(settings, database=database)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _database_of_this_worker(url: str) -> str:
    """Each pytest-xdist worker flushes a Redis database of its own: gw0 the configured one, gw1
    the one below it, and so on."""
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    parts = urlsplit(url)
    base = int(parts.path.lstrip("/") or 0)
    if worker > base:
        pytest.fail(f"{url}: too few Redis databases below {base} for pytest-xdist worker gw{worker}")
    return urlunsplit(parts._replace(path=f"/{base - worker}"))


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A real Redis database of its own (HOADON_TEST_REDIS_URL), flushed before and after."""
    import redis

    url = os.environ.get("HOADON_TEST_REDIS_URL")
    if not url:
        unavailable("Redis not configured: set HOADON_TEST_REDIS_URL")
    url = _database_of_this_worker(url)  # type: ignore[arg-type]
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError as error:
        unavailable(f"Redis at {url} does not answer: {error}")
    client.flushdb()
    yield url  # type: ignore[misc]
    client.flushdb()
    client.close()


@pytest.fixture
def redis_client(settings: Settings, database: Database, redis_url: str) -> Iterator[TestClient]:
    """The API with Redis configured: jobs go to the queue instead of running inline."""
    app = create_app(settings.model_copy(update={"redis_url": redis_url}), database=database)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
