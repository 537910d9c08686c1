"""`GET /search`: full-text search with disjunctive facets."""

from __future__ import annotations

import time
from typing import Annotated

import anyio
from fastapi import APIRouter, Query, Request, Response

from api.deps import EngineDep, SettingsDep
from api.routes import API_PREFIX
from api.settings import practice_url
from schemas.api import ApiHit, SearchResponse, error_responses
from schemas.search import SearchParams

router = APIRouter(prefix=API_PREFIX, tags=["search"], responses=error_responses(400, 422, 429, 503))


@router.get("/search", response_model=SearchResponse, summary="Rechercher des pratiques")
async def search(
    params: Annotated[SearchParams, Query()], engine: EngineDep, settings: SettingsDep, request: Request
) -> Response:
    """Full-text search over published practices, French-aware (accents, plurals, typos, acronyms).

    Filters combine with OR inside one facet and AND across facets; each facet's counts apply
    every other active filter but not its own, so a selection can be widened.
    """
    started = time.perf_counter()
    # One hop to a worker thread for the engine call; the answer is built and serialised once
    # here, not validated again by FastAPI.
    result = await anyio.to_thread.run_sync(engine.search, params.to_query(), limiter=request.app.state.search_limiter)
    request.app.state.metrics.search_latency.labels(engine.backend).observe(time.perf_counter() - started)
    body = SearchResponse.model_construct(
        total=result.total,
        page=params.page,
        size=params.size,
        hits=[ApiHit.model_construct(**hit.__dict__, url=practice_url(settings, hit.id)) for hit in result.hits],
        facets=result.facets,
        relaxed=result.relaxed,
    )
    return Response(body.model_dump_json(), media_type="application/json")
