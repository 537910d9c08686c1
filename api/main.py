"""Builds the FastAPI app: lifespan (store, engine, outbox worker), middleware, routers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import anyio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api.http_errors import install_error_handlers
from api.indexing import IndexSync
from api.metrics import Metrics
from api.middleware import MetricsMiddleware, RequestGuard
from api.public_http import install_public_http
from api.routes import assets, embed, export, feeds, health, keys, monographs, presets, referentials, search
from api.settings import Settings, get_settings
from api.store import Store
from indexer.factory import create_engine

DESCRIPTION = """
Base ouverte des pratiques d'innovation territoriale (IMPACT-Pratiques).

Reads are public. Writes need an API key (`X-API-Key` or `Authorization: Bearer`), created by an
administrator with `impact keys create`. Errors are JSON: `{"error": {"code", "message", "details"}}`.
"""


async def _outbox_worker(sync: IndexSync, settings: Settings, reconciled: bool) -> None:
    """Applies pending index work forever, backing off while the engine is down."""
    delay = settings.outbox_interval
    while True:
        if not reconciled:
            reconciled = await anyio.to_thread.run_sync(sync.try_reconcile)
        ok = reconciled and await anyio.to_thread.run_sync(sync.try_drain)
        delay = settings.outbox_interval if ok else min(delay * 2, settings.outbox_max_backoff)
        await asyncio.sleep(delay)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = Store(settings.store_url)
        engine = create_engine(settings.engine_config())
        sync = IndexSync(store, engine)
        app.state.settings, app.state.store, app.state.engine, app.state.sync = settings, store, engine, sync
        app.state.search_limiter = anyio.CapacityLimiter(settings.search_concurrency)
        reconciled = await anyio.to_thread.run_sync(sync.try_reconcile)
        if reconciled:
            await anyio.to_thread.run_sync(sync.try_drain)
        worker = asyncio.create_task(_outbox_worker(sync, settings, reconciled))
        try:
            yield
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            engine.close()
            store.close()

    app = FastAPI(
        title="IMPACT-Pratiques API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.metrics = Metrics()
    install_error_handlers(app)
    for module in (search, monographs, referentials, export, health, keys):
        app.include_router(module.router)
    # Partner embeds: presets API, iframe pages and builder, feeds, widget.js and page assets.
    for module in (presets, embed, feeds, assets):
        app.include_router(module.router)
    app.add_middleware(RequestGuard, max_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET"], allow_headers=["*"]
        )
    # Added last, so outermost: conditional GET, rate limit, public-read CORS, security headers.
    install_public_http(app, settings)
    return app


def __getattr__(name: str) -> FastAPI:
    # `uvicorn api.main:app` builds the app on first access, so importing this module has no side effect.
    if name == "app":
        return create_app()
    raise AttributeError(name)
