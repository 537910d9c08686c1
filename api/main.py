"""Builds the FastAPI app: lifespan (store, engine, outbox and embedding workers), HTTP hygiene, routers.

`create_app` is the factory servers call: `uvicorn --factory api.main:create_app`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import anyio
from fastapi import FastAPI

from api import docs, v1
from api.collector import freeze_startup_objects, unfreeze
from api.embed import assets, feeds, pages
from api.embedding import attach_embedder, run_embedding_worker
from api.engine_calls import EngineCalls
from api.http.stack import install_http
from api.indexing import run_worker
from api.memory import limit_malloc_arenas
from api.recent import Recent
from api.settings import Settings, get_settings
from api.store import Store
from indexer.engine import IndexLocked
from indexer.factory import create_engine
from territories.autocomplete import territory_index

log = logging.getLogger(__name__)

DESCRIPTION = """
Base ouverte des pratiques d'innovation territoriale (IMPACT-Pratiques).

Reads are public. Writes need an API key (`X-API-Key` or `Authorization: Bearer`), created by an
administrator with `impact keys create`. Errors are JSON: `{"error": {"code", "message", "details"}}`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    limit_malloc_arenas(settings.malloc_arenas)  # before the worker and engine threads start

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        store = Store(settings.store_url)
        engine = create_engine(settings.engine_config())
        try:
            engine.claim_writer()  # the embedded index has one writer: a second API process stops here
        except IndexLocked as exc:
            log.error("%s", exc)
            engine.close()
            store.close()
            raise
        # Before the engine indexes anything: hybrid search when the embedder loads (about 0.3 s, once).
        embedder = await anyio.to_thread.run_sync(attach_embedder, engine, store, settings.embedder)
        sync = settings.index_sync(store, engine)
        app.state.settings, app.state.store, app.state.engine, app.state.sync = settings, store, engine, sync
        embedding = settings.embedding_sync(store, embedder, sync.wake.set) if embedder else None
        app.state.embedding = embedding
        app.state.engine_calls = EngineCalls(settings.search_concurrency, app.state.metrics.engine_calls)
        app.state.store_counts = Recent(store.counts_by_status, settings.health_counts_max_age)
        # The territories referential and its autocomplete index (about 1 s), before the first request needs them.
        await anyio.to_thread.run_sync(territory_index)
        reconciled = await anyio.to_thread.run_sync(sync.try_reconcile)
        await anyio.to_thread.run_sync(sync.try_drain)
        worker = asyncio.create_task(
            run_worker(
                sync, settings.outbox_interval, settings.outbox_max_backoff, settings.reconcile_interval, reconciled
            )
        )
        workers = [worker]
        if embedding is not None:
            interval, backoff = settings.embedding_interval, settings.embedding_max_backoff
            workers.append(asyncio.create_task(run_embedding_worker(embedding, interval, backoff)))
        freeze_startup_objects()
        try:
            yield
        finally:
            unfreeze()
            for task in workers:
                task.cancel()
            sync.wake.set()
            for task in workers:  # an embedding batch in progress finishes first (a few seconds at most)
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if embedding is not None:
                try:
                    embedding.release()  # otherwise it expires within a minute
                except Exception as exc:  # the store may be down: closing must go on
                    log.warning("embedding lease not released: %s", exc)
            aclose = getattr(engine, "aclose", None)  # the asynchronous client's connections, if any
            if aclose is not None:
                try:
                    await aclose()
                except Exception as exc:  # the engine may be down: closing must go on
                    log.warning("search engine connections not closed: %s", exc)
            engine.close()
            store.close()

    app = FastAPI(
        title="IMPACT-Pratiques API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # /docs is served from the installed Swagger UI files (api/docs.py), never from a CDN.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        # No OpenTelemetry: the API's metrics are Prometheus's (`/metrics`). Left on, FastAPI looks for a configured
        # provider on every request (three environment reads, about 4 µs).
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    for area in v1.AREAS:
        app.include_router(area, prefix=v1.API_PREFIX)
    app.include_router(docs.router)
    # Partner embeds: iframe pages and builder, feeds, widget.js and the pages' static files.
    for router in (pages.router, feeds.router, assets.router):
        app.include_router(router)
    for files in (docs.files, assets.static_files):
        app.mount(files.prefix, files)
    install_http(app, settings)
    return app
