"""The ASGI application: lifespan, middleware, problem handlers and routers."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

from invoicing import health, jobs
from invoicing.adoption import service as adoption
from invoicing.adoption.endpoints import router as adoption_router
from invoicing.authority.endpoints import router as authority_router
from invoicing.businesses.endpoints import router as business_router
from invoicing.certificates.endpoints import router as certificates_router
from invoicing.config import Settings, get_settings
from invoicing.dashboard import endpoints as dashboard
from invoicing.db import Database, create_db_engine
from invoicing.guards import install_guards
from invoicing.invoices.endpoints import router as invoices_router
from invoicing.jobs import dispatcher_for
from invoicing.keyring import load_keyring
from invoicing.localities.endpoints import router as localities_router
from invoicing.logs import install_redaction
from invoicing.migrations import ensure_migrated
from invoicing.problems import install_problem_handlers
from invoicing.ratelimits import install_rate_limits
from invoicing.receipts.endpoints import router as receipts_router
from invoicing.redis import connect_redis
from invoicing.registrations.endpoints import router as registrations_router
from invoicing.series.endpoints import router as series_router
from invoicing.verification.endpoints import router as verification_router

logger = logging.getLogger("hoadon")

DESCRIPTION = """
hoadon: e-invoices and e-receipts modelled on Vietnam's national system
(Decree 123/2020/NĐ-CP, Circular 78/2021/TT-BTC).

Errors are RFC 9457 `application/problem+json`. Authenticate with
`Authorization: Bearer <token>`: a business API key or a tax official's token.
"""


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    install_redaction()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = database is None
        db = database or Database(create_db_engine(settings.resolved_database_url))
        if owned:
            ensure_migrated(db.engine)
        app.state.database = db
        app.state.keyring = load_keyring(settings)
        app.state.redis = connect_redis(settings.redis_url) if settings.redis_url else None
        jobs.attach(
            db, dispatcher_for(db, keyring=app.state.keyring, settings=settings, redis=app.state.redis)
        )
        adoption.attach_cache(db, app.state.redis)
        try:
            yield
        finally:
            if app.state.redis is not None:
                app.state.redis.close()
            if owned:
                db.engine.dispose()

    app = FastAPI(
        title="hoadon",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        license_info={"name": "GPL-3.0-or-later", "identifier": "GPL-3.0-or-later"},
    )
    app.state.settings = settings
    if database is not None:
        app.state.database = database

    install_guards(app, max_body_bytes=settings.max_body_bytes)
    install_rate_limits(app, settings)

    @app.middleware("http")
    async def request_id(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        incoming = request.headers.get("X-Request-ID", "")
        request.state.request_id = incoming if 0 < len(incoming) <= 64 else uuid.uuid4().hex
        response = await call_next(request)
        response.headers["X-Request-ID"] = request.state.request_id
        return response

    install_problem_handlers(app)
    app.include_router(health.router)
    app.include_router(localities_router)
    app.include_router(registrations_router)
    app.include_router(business_router)
    app.include_router(certificates_router)
    app.include_router(series_router)
    app.include_router(invoices_router)
    app.include_router(receipts_router)
    app.include_router(authority_router)
    app.include_router(verification_router)
    app.include_router(adoption_router)
    app.include_router(dashboard.router)
    dashboard.mount_static(app)
    return app
