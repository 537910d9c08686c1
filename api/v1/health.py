"""`GET /health` and `GET /metrics`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import EmbeddingDep, EngineDep, SettingsDep, StoreDep, SyncDep
from api.embedding import EmbeddingSync
from indexer.engine import EngineError, SearchEngine
from schemas.api import error_responses

router = APIRouter(tags=["operations"], responses=error_responses(400, 429))


# Practices waiting for a vector are counted up to this many on /health (bounded work on a public request).
EMBEDDING_BACKLOG_COUNT_CAP = 1_000


def search_state(engine: SearchEngine, engine_state: dict[str, Any], embedding: EmbeddingSync | None) -> dict[str, Any]:
    """Hybrid search: the mode the engine can answer in, the embedder, vectors indexed (when the engine
    reports them) and practices waiting for one (at least that many when the cap is reached)."""
    backlog = embedding.backlog(EMBEDDING_BACKLOG_COUNT_CAP) if embedding is not None else None
    vectors = engine_state.get("vectors")
    return {
        "mode": "hybrid" if embedding is not None and engine.semantic is not None else "lexical",
        "embedder": embedding.model if embedding is not None else None,
        "vectors": vectors if isinstance(vectors, int) else None,
        "embedding_backlog": backlog,
        "embedding_backlog_at_least": backlog is not None and backlog >= EMBEDDING_BACKLOG_COUNT_CAP,
        "embedding_last_error": embedding.last_error if embedding is not None else None,
    }


@router.get("/health", summary="État du service")
def health(
    request: Request,
    engine: EngineDep,
    store: StoreDep,
    sync: SyncDep,
    embedding: EmbeddingDep,
    settings: SettingsDep,
    response: Response,
) -> dict[str, Any]:
    """Engine, store, index and hybrid-search status: `ok`, or `degraded` when the engine cannot be reached
    (503), entries wait longer than `IMPACT_OUTBOX_STALE_AFTER`, dead letters need an operator
    (`impact outbox list`), or the last index or embedding attempt failed. `search` says whether search
    can rank by meaning (`hybrid`) or by words only (`lexical`), and how many practices still wait for
    their vector (counted up to 1,000: `embedding_backlog_at_least` then says there may be more). The
    monographs per status are counted at most once every `IMPACT_HEALTH_COUNTS_MAX_AGE` seconds (5)."""
    try:
        engine_health = engine.health()
        engine_state: dict[str, Any] = {
            "backend": engine_health.backend,
            "ok": engine_health.ok,
            "documents": engine_health.documents,
            **engine_health.detail,
        }
    except EngineError as exc:
        engine_state = {"backend": engine.backend, "ok": False, "error": str(exc)}
    counts = dict(request.app.state.store_counts.get())
    outbox = store.outbox_stats()
    oldest = outbox.oldest_pending_seconds()
    ok = bool(engine_state["ok"])
    if not ok:
        response.status_code = 503
    problems = []
    if not ok:
        problems.append("search engine unreachable")
    if outbox.dead:
        problems.append(f"{outbox.dead} index entries in the dead letters (impact outbox list)")
    if oldest > settings.outbox_stale_after:
        problems.append(f"oldest pending index entry waits for {oldest:.0f} s")
    if sync.last_error:
        problems.append(f"last index attempt failed: {sync.last_error}")
    if embedding is not None and embedding.last_error:
        problems.append(f"last embedding attempt failed: {embedding.last_error}")
    return {
        "status": "degraded" if problems else "ok",
        "problems": problems,
        "engine": engine_state,
        "store": {"ok": True, "database": store.dialect, "monographs": counts},
        "index": {
            "backlog": outbox.pending,
            "dead_letters": outbox.dead,
            "oldest_pending_seconds": round(oldest, 3),
            "last_error": sync.last_error,
        },
        "search": search_state(engine, engine_state, embedding),
    }


@router.get("/metrics", summary="Métriques Prometheus", response_class=Response)
def metrics(request: Request, engine: EngineDep, store: StoreDep) -> Response:
    """Request counts and latencies per route, search latency, index backlog (Prometheus text)."""
    registry = request.app.state.metrics
    registry.backlog.set(store.backlog())
    try:
        registry.documents.set(engine.health().documents)
    except EngineError:
        registry.documents.set(float("nan"))
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)
