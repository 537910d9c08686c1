"""`GET /health` and `GET /metrics`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import EngineDep, StoreDep, SyncDep
from api.routes import API_PREFIX
from indexer.engine import EngineError
from schemas.api import error_responses

router = APIRouter(prefix=API_PREFIX, tags=["operations"], responses=error_responses(400))


@router.get("/health", summary="État du service")
def health(engine: EngineDep, store: StoreDep, sync: SyncDep, response: Response) -> dict[str, Any]:
    """Engine, store and index status, document counts and pending index work."""
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
    backlog = store.backlog()
    ok = bool(engine_state["ok"])
    if not ok:
        response.status_code = 503
    return {
        "status": "ok" if ok and not sync.last_error else "degraded",
        "engine": engine_state,
        "store": {"ok": True, "monographs": counts},
        "index": {"backlog": backlog, "last_error": sync.last_error},
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
