"""The broker's web app: wiring of settings, storage, @contexts, routes and error handling."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from starlette.exceptions import HTTPException as StarletteHTTPException

from .api import batch, contexts_api, discovery, entities, subscriptions, temporal
from .api.hot_path import HotPath
from .api.openapi_doc import install as install_openapi_doc
from .api.responses import JSONResponse
from .context_feed import ContextChangeFeed
from .contexts import Contexts
from .errors import (
    BadRequestData,
    InvalidRequest,
    NgsiLdError,
    ResourceNotFound,
)
from .guard import WriteGuard
from .notify.worker import start_notifier
from .settings import BrokerSettings
from .store.repository import EntityRepository, create_pool
from .store.retention import apply_history_retention
from .store.temporal import start_history_maintenance

log = logging.getLogger(__name__)


def create_app(settings: BrokerSettings | None = None) -> FastAPI:
    settings = settings or BrokerSettings()  # type: ignore[call-arg]
    if not settings.open_writes and settings.token is None:
        raise ValueError("Set BROKER_TOKEN, or BROKER_OPEN_WRITES=true to accept any writer")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await create_pool(
            settings.database_dsn, settings.pool_size, settings.synchronous_commit
        )
        query_pool = await create_pool(
            settings.database_dsn, settings.pool_size, custom_plans=True, migrate=False
        )
        await apply_history_retention(pool, settings.history_retention_tenants)
        app.state.entities = EntityRepository(pool, query_pool)
        feed = ContextChangeFeed(app.state.contexts.service.resolver)
        await feed.start(settings.database_dsn)
        app.state.context_feed = feed
        notifier = await start_notifier(settings, pool, app.state.contexts)
        maintenance = start_history_maintenance(pool, settings.history_retention_days)
        try:
            yield
        finally:
            maintenance.cancel()
            if notifier is not None:
                await notifier.stop()
            await feed.stop()
            await query_pool.close()
            await pool.close()

    app = FastAPI(
        title="Smart Region Ostfriesland NGSI-LD broker",
        version="0.1.0",
        description="NGSI-LD API (ETSI GS CIM 009 v1.8) on PostgreSQL/PostGIS.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.contexts = Contexts(settings)
    app.include_router(entities.router)
    app.include_router(batch.router)
    app.include_router(discovery.router)
    app.include_router(contexts_api.router)
    app.include_router(subscriptions.router)
    app.include_router(temporal.router)
    install_openapi_doc(app)  # full parameter/body/response docs at /openapi.json

    @app.get("/version", tags=["meta"])
    async def version() -> dict[str, str]:
        """Name and versions, like Orion-LD's ``/version``; also the health check."""
        return {"broker": "smartregion-broker", "version": app.version, "ngsiLdSpec": "1.8"}
    app.add_middleware(HotPath, fastapi=app)  # innermost: guard and CORS still apply
    app.add_middleware(WriteGuard, settings=settings)  # inside CORS: 401/413 get CORS headers
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"],
            allow_headers=["*"], expose_headers=["Location", "Link", "NGSILD-Results-Count"],
        )

    @app.exception_handler(NgsiLdError)
    async def ngsi_ld_error(request: Request, error: NgsiLdError) -> JSONResponse:
        return problem_response(error)

    @app.exception_handler(asyncpg.DataError)
    async def unstorable_value(request: Request, error: asyncpg.DataError) -> JSONResponse:
        """Values PostgreSQL cannot hold (NUL characters, out-of-range numbers) are the
        client's input, not a server failure."""
        return problem_response(BadRequestData(f"Value not accepted: {error}"))

    @app.exception_handler(StarletteHTTPException)
    async def framework_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        """Unknown paths and methods: ProblemDetails too, with the framework's status code."""
        kind = ResourceNotFound if error.status_code == 404 else InvalidRequest
        problem = kind(f"{request.method} {request.url.path}: {error.detail}").problem()
        problem["status"] = error.status_code
        return JSONResponse(problem, status_code=error.status_code, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_parameters(request: Request, error: RequestValidationError) -> JSONResponse:
        return problem_response(BadRequestData(str(error.errors())[:500]))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem_response(NgsiLdError("Unexpected error; see the broker log"))

    return app


def problem_response(error: NgsiLdError) -> JSONResponse:
    return JSONResponse(error.problem(), status_code=error.status, media_type="application/json")
