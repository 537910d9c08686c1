"""`GET /facets/{facet}/values`: a search among one facet's values (long lists: départements, EPCI)."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from api.deps import EngineDep, SettingsDep
from api.errors import NotFound
from api.facet_values import counting_query, facet_values
from api.http.load_shedding import SheddingRoute
from api.v1.search import run_capped
from schemas.api import error_responses
from schemas.facet_values import FacetValues, FacetValuesParams
from schemas.facets import FACET_BY_NAME, FACET_NAMES

router = APIRouter(route_class=SheddingRoute, tags=["search"], responses=error_responses(400, 404, 422, 429, 503))


@router.get("/facets/{facet}/values", response_model=FacetValues, summary="Chercher parmi les valeurs d'une facette")
async def values(
    facet: Annotated[str, Path(max_length=40, examples=["epci"], description=f"One of {', '.join(FACET_NAMES)}.")],
    params: Annotated[FacetValuesParams, Query()],
    engine: EngineDep,
    settings: SettingsDep,
    request: Request,
) -> FacetValues:
    """The values of a facet whose label or code matches `q`, with their counts under the current
    search (`search` and the filters of `/search`; the facet's own selection aside, as in `/search`).

    Only values with practices are listed (ticking another would find nothing), plus the selected
    ones (so they can be unticked), most practices first, then by label. Labels are matched in the
    referential; the counts come from one search.
    """
    found = FACET_BY_NAME.get(facet)
    if found is None:
        raise NotFound(f"no facet named {facet!r}; facets: {', '.join(FACET_NAMES)}")
    query = counting_query(params, time.monotonic() + settings.search_deadline)
    result = await run_capped(request, engine, query)
    return facet_values(found, params, result.facets.get(found.name, []))
