"""Builds the FastAPI app: lifespan (store, engine, outbox worker), middleware, routers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import anyio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api.auth_throttle import install_auth_throttle_handler
from api.http_errors import install_error_handlers
from api.indexing import run_worker
from api.metrics import Metrics
from api.middleware import MetricsMiddleware, RequestGuard
from api.public_http import install_public_http
from api.routes import assets, docs, embed, export, feeds, health, keys, monographs, presets, referentials, search
from api.settings import Settings, get_settings
from api.store import Store
from indexer.engine import IndexLocked
from indexer.factory import create_engine

log = logging.getLogger(__name__)

CORS_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
CORS_HEADERS = ["X-API-Key", "Authorization", "If-Match", "If-None-Match", "Idempotency-Key", "Content-Type"]

DESCRIPTION = """
Base ouverte des pratiques d'innovation territoriale (IMPACT-Pratiques).

Reads are public. Writes need an API key (`X-API-Key` or `Authorization: Bearer`), created by an
administrator with `impact keys create`. Errors are JSON: `{"error": {"code", "message", "details"}}`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = Store(settings.store_url)
        engine = create_engine(settings.engine_config())
        try:
            engine.claim_writer()  # the embedded index has one writer: a second API process stops here
        except IndexLocked as exc:
            log.error("%s", exc)
            engine.close()
            store.close()
            raise
        sync = settings.index_sync(store, engine)
        app.state.settings, app.state.store, app.state.engine, app.state.sync = settings, store, engine, sync
        app.state.search_limiter = anyio.CapacityLimiter(settings.search_concurrency)
        reconciled = await anyio.to_thread.run_sync(sync.try_reconcile)
        await anyio.to_thread.run_sync(sync.try_drain)
        worker = asyncio.create_task(
            run_worker(
                sync, settings.outbox_interval, settings.outbox_max_backoff, settings.reconcile_interval, reconciled
            )
        )
        try:
            yield
        finally:
            worker.cancel()
            sync.wake.set()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            engine.close()
            store.close()

    app = FastAPI(
        title="IMPACT-Pratiques API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # /docs is served from the installed Swagger UI files (api/routes/docs.py), never from a CDN.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.metrics = Metrics()
    install_error_handlers(app)
    install_auth_throttle_handler(app)
    app.include_router(docs.router)
    for module in (search, monographs, referentials, export, health, keys):
        app.include_router(module.router)
    # Partner embeds: presets API, iframe pages and builder, feeds, widget.js and page assets.
    for module in (presets, embed, feeds, assets):
        app.include_router(module.router)
    app.add_middleware(RequestGuard, max_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    if settings.cors_origins:
        # The configured origins (partners' back offices) may read and write with a key; any other origin
        # only gets the public reads (api/public_http.py).
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=CORS_METHODS,
            allow_headers=CORS_HEADERS,
            expose_headers=["ETag", "Location", "Retry-After"],
            max_age=600,
        )
    # Added last, so outermost: conditional GET, rate limit, public-read CORS, security headers.
    install_public_http(app, settings)
    return app


def __getattr__(name: str) -> FastAPI:
    # `uvicorn api.main:app` builds the app on first access, so importing this module has no side effect.
    if name == "app":
        return create_app()
    raise AttributeError(name)
