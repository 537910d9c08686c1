"""`GET /search`: full-text search with disjunctive facets."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.deps import EngineDep, SettingsDep
from api.routes import API_PREFIX
from api.settings import practice_url
from schemas.api import ApiHit, SearchResponse, error_responses
from schemas.search import SearchParams

router = APIRouter(prefix=API_PREFIX, tags=["search"], responses=error_responses(400, 422, 503))


@router.get("/search", response_model=SearchResponse, summary="Rechercher des pratiques")
def search(
    params: Annotated[SearchParams, Query()], engine: EngineDep, settings: SettingsDep, request: Request
) -> SearchResponse:
    """Full-text search over published practices, French-aware (accents, plurals, typos, acronyms).

    Filters combine with OR inside one facet and AND across facets; each facet's counts apply
    every other active filter but not its own, so a selection can be widened.
    """
    started = time.perf_counter()
    result = engine.search(params.to_query())
    request.app.state.metrics.search_latency.labels(engine.backend).observe(time.perf_counter() - started)
    hits = [ApiHit(**hit.model_dump(), url=practice_url(settings, hit.id)) for hit in result.hits]
    return SearchResponse(
        total=result.total, page=params.page, size=params.size, hits=hits, facets=result.facets, relaxed=result.relaxed
    )
