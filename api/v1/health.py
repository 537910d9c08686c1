"""`GET /health` and `GET /metrics`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import EngineDep, SettingsDep, StoreDep, SyncDep
from indexer.engine import EngineError
from schemas.api import error_responses

router = APIRouter(tags=["operations"], responses=error_responses(400, 429))


@router.get("/health", summary="État du service")
def health(
    engine: EngineDep, store: StoreDep, sync: SyncDep, settings: SettingsDep, response: Response
) -> dict[str, Any]:
    """Engine, store and index status: `ok`, or `degraded` when the engine cannot be reached (503),
    entries wait longer than `IMPACT_OUTBOX_STALE_AFTER`, or dead letters need an operator
    (`impact outbox list`)."""
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
    counts = store.counts_by_status()
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
