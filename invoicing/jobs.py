"""Background jobs: queued during a request, sent only after commit, dropped on rollback.

With Redis configured, jobs go to an RQ queue served by ``hoadon worker``. Without it (the
embedded default) they run inline right after the commit. Jobs are idempotent by their
arguments, so a job sent twice, or re-sent by the sweeper, does its work once.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from redis.exceptions import RedisError
from sqlmodel import Session

from invoicing.config import Settings
from invoicing.db import Database, after_commit
from invoicing.keyring import Keyring

logger = logging.getLogger("hoadon.jobs")
QUEUE_NAME = "hoadon"
JOB_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class JobContext:
    database: Database
    keyring: Keyring
    settings: Settings


JobFunction = Callable[..., None]
_REGISTRY: dict[str, JobFunction] = {}


def job(name: str) -> Callable[[JobFunction], JobFunction]:
    """Register ``function(context, **kwargs)`` under ``name`` (``"invoices.render_pdf"``)."""

    def register(function: JobFunction) -> JobFunction:
        _REGISTRY[name] = function
        return function

    return register


def _function(name: str) -> JobFunction:
    import invoicing.tasks  # noqa: F401 - registers every domain's jobs

    return _REGISTRY[name]


class Dispatcher(Protocol):
    def send(self, name: str, kwargs: dict[str, Any]) -> bool:
        """Hand the job over; False when it could not be (Redis down), never an exception."""
        ...


class InlineDispatcher:
    """No Redis: run the job in the calling process, after the commit that queued it."""

    def __init__(self, context: JobContext) -> None:
        self._context = context

    def send(self, name: str, kwargs: dict[str, Any]) -> bool:
        try:
            _function(name)(self._context, **kwargs)
        except Exception:
            # The job records its own failure; what is missing is re-queued when asked for.
            logger.exception("inline job %s failed", name, extra={"job": name, "kwargs": kwargs})
        return True


class DeferredDispatcher:
    """Sends nothing: the work stays marked owed in the database, for the first read or the
    worker's sweeper to do. For bulk loads (``hoadon demo``) that must not render every PDF now."""

    def send(self, name: str, kwargs: dict[str, Any]) -> bool:
        return False


class RedisDispatcher:
    """Sends to the RQ queue. If Redis is down the job is not lost: its work is still marked
    pending in the database, and the worker's sweeper (or the first read) picks it up."""

    def __init__(self, redis: Any) -> None:
        from rq import Queue

        self._queue = Queue(QUEUE_NAME, connection=redis, default_timeout=JOB_TIMEOUT_SECONDS)

    def send(self, name: str, kwargs: dict[str, Any]) -> bool:
        # Same job, same arguments, same id: RQ keeps one job however often it is sent.
        arguments = json.dumps(kwargs, sort_keys=True, default=str).encode()
        job_id = name.replace(".", "_") + "_" + hashlib.sha256(arguments).hexdigest()[:32]
        try:
            self._queue.enqueue("invoicing.jobs.run_queued", name, kwargs, job_id=job_id)
        except RedisError as error:
            # Redis down must not fail a request whose work is committed: the sweeper re-sends.
            logger.warning("could not queue %s (%s); the sweeper will retry", name, type(error).__name__)
            return False
        return True


def dispatcher_for(
    database: Database, *, keyring: Keyring, settings: Settings, redis: Any | None
) -> Dispatcher:
    if redis is not None:
        return RedisDispatcher(redis)
    return InlineDispatcher(JobContext(database=database, keyring=keyring, settings=settings))


def attach(database: Database, dispatcher: Dispatcher) -> None:
    database.session_info["jobs"] = dispatcher


def runs_inline(session: Session) -> bool:
    return isinstance(session.info.get("jobs"), InlineDispatcher)


def _dispatcher(session: Session) -> Dispatcher:
    dispatcher: Dispatcher | None = session.info.get("jobs")
    if dispatcher is None:
        raise RuntimeError("this session has no job dispatcher attached")
    return dispatcher


def send_now(session: Session, name: str, **kwargs: Any) -> bool:
    """Send a job for work that is already committed (e.g. a PDF owed since issuance)."""
    return _dispatcher(session).send(name, kwargs)


def enqueue(session: Session, name: str, **kwargs: Any) -> None:
    """Queue ``name`` to run once this session's transaction commits."""
    dispatcher = _dispatcher(session)

    def send() -> None:
        dispatcher.send(name, kwargs)

    after_commit(session, send)


_worker_context: JobContext | None = None


def set_worker_context(context: JobContext) -> None:
    global _worker_context
    _worker_context = context


def run_queued(name: str, kwargs: dict[str, Any]) -> None:
    """What RQ calls in ``hoadon worker``."""
    if _worker_context is None:
        raise RuntimeError("run_queued called outside `hoadon worker`")
    _function(name)(_worker_context, **kwargs)
