"""`GET /suggest`: suggestions while typing (practices, themes, programmes, territories)."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.deps import EngineDep, SettingsDep
from api.engine_calls import EngineCalls
from api.http.plain_json import PlainJson
from api.http.query_model import QueryModelRoute
from api.settings import practice_url
from indexer.suggest import MAX_LIMIT, suggest_query, suggestions_from
from schemas.api import ApiSuggestion, SuggestResponse, error_responses

router = APIRouter(route_class=QueryModelRoute, tags=["search"], responses=error_responses(400, 422, 429, 503))


class SuggestParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = Field(
        description="What has been typed so far; its last word may be unfinished.", examples=["covoit"]
    )
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = 8


SUGGEST_JSON = PlainJson(SuggestResponse)


@router.get("/suggest", response_model=SuggestResponse, summary="Suggestions pendant la saisie")
async def suggestions(
    params: Annotated[SuggestParams, Query()], engine: EngineDep, settings: SettingsDep, request: Request
) -> Response:
    """Themes, programmes and territories that complete the words typed (the most frequent among the
    matching practices first), then the best matching practices with their page. One small search,
    whatever the size of the store, bounded like any search by `IMPACT_SEARCH_DEADLINE` (else 503)."""
    started = time.perf_counter()
    calls: EngineCalls = request.app.state.engine_calls
    query = suggest_query(params.q, deadline=time.monotonic() + settings.search_deadline)
    found = suggestions_from(params.q, await calls.search(engine, query), params.limit) if query is not None else []
    request.app.state.metrics.searched(engine.backend, time.perf_counter() - started)
    body = SuggestResponse(
        q=params.q,
        suggestions=[
            ApiSuggestion(**s.model_dump(), url=practice_url(settings, s.id) if s.id else None) for s in found
        ],
    )
    return Response(SUGGEST_JSON.dumps(body), media_type="application/json")
