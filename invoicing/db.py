"""Engine factory and the request-scoped session: the request is the transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlmodel import Session

AfterCommit = Callable[[], None]
logger = logging.getLogger("hoadon.db")


def create_db_engine(url: str, *, pool_size: int = 10) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Take transaction control from the sqlite3 module so SAVEPOINTs behave and
            # BEGIN can be IMMEDIATE (below).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Connection) -> None:
            # SQLite has one writer. Taking the write lock when the transaction starts serialises
            # writers in arrival order (gap-free numbering) instead of failing one of them when
            # a read lock is later upgraded.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=pool_size)


class Database:
    """Hands out sessions; tests bind it to one connection so each test rolls back."""

    def __init__(self, engine: Engine, *, connection: Connection | None = None) -> None:
        self.engine = engine
        self._connection = connection
        # Handed to every session (the job dispatcher lives here), so services reach process-wide
        # facilities through the session they already have.
        self.session_info: dict[str, Any] = {}

    def new_session(self) -> Session:
        if self._connection is not None:
            session = Session(
                bind=self._connection, join_transaction_mode="create_savepoint", expire_on_commit=False
            )
        else:
            session = Session(self.engine, expire_on_commit=False)
        session.info.update(self.session_info)
        return session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A unit of work outside a request (CLI, worker): commit on success, roll back on error."""
        session = self.new_session()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        else:
            run_after_commit(session)
        finally:
            session.close()


def after_commit(session: Session, callback: AfterCommit) -> None:
    """Run ``callback`` once the session's transaction has committed; dropped on rollback."""
    session.info.setdefault("after_commit", []).append(callback)


def run_after_commit(session: Session) -> None:
    callbacks: list[AfterCommit] = session.info.pop("after_commit", [])
    for callback in callbacks:
        try:
            callback()
        except Exception:
            # The transaction is committed: the request succeeded and must say so. What the
            # callback was for (a job) is re-driven from the database state.
            logger.exception("after-commit callback failed")


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def get_session(request: Request) -> Iterator[Session]:
    # Committing here (scope="function" below) happens before the response is sent: a commit
    # failure becomes an error response, so nothing is acknowledged that was not stored.
    with get_database(request).transaction() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
