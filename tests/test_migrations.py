from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import inspect

from invoicing.config import Settings
from invoicing.db import create_db_engine
from invoicing.main import create_app
from invoicing.migrations import DatabaseNotMigrated, ensure_migrated, upgrade_to_head
from invoicing.models import metadata
from tests.conftest import Backend


def test_upgrade_head_leaves_no_drift_from_the_models(backend: Backend) -> None:
    # The session fixture migrated this database from empty with `alembic upgrade head`.
    with backend.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
        tables = set(inspect(connection).get_table_names())
    assert differences == []
    assert set(metadata.tables) <= tables


def test_app_refuses_an_unmigrated_database(tmp_path: Path, settings: Settings) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    engine = create_db_engine(url)
    with pytest.raises(DatabaseNotMigrated, match="hoadon migrate"):
        ensure_migrated(engine)
    app = create_app(settings.model_copy(update={"database_url": url}))
    with pytest.raises(DatabaseNotMigrated), TestClient(app):
        pass
    upgrade_to_head(url)
    ensure_migrated(engine)
    engine.dispose()
