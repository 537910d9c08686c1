"""`GET /territories`: autocomplete over the official French territories (communes, EPCI, départements, régions)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.http.load_shedding import SheddingRoute
from schemas.api import error_responses
from schemas.territory import TerritoryQuery, TerritorySuggestions
from territories.autocomplete import territory_index
from territories.referential import referential

router = APIRouter(route_class=SheddingRoute, tags=["territories"], responses=error_responses(400, 422, 429))


@router.get("/territories", response_model=TerritorySuggestions, summary="Rechercher un territoire")
def territories(params: Annotated[TerritoryQuery, Query()]) -> TerritorySuggestions:
    """Suggestions for what a user is typing: exact names first, then by population.

    Every word typed must start a word of the name (`ferte sous` finds La Ferté-sous-Jouarre);
    accents, case, hyphens and `st`/`ste` for saint/sainte do not matter (`st denis` finds both
    Saint-Denis, 93066 and 97411, each with its département), and a typo or two in longer words is
    forgiven. A code (`26113`, `2A004`, a SIREN) finds the territories whose code starts with it.
    EPCI match their written-out name or their legal form (`cc diois`). Source: Etalab's
    `@etalab/decoupage-administratif` 6.0.0 (2026 geography).
    """
    found = territory_index().search(params.q, params.kind, params.limit)
    return TerritorySuggestions(items=[referential().suggestion(record) for record in found])
