"""`GET /referentials`: the lists clients build their filters from."""

from __future__ import annotations

from fastapi import APIRouter

from api.http.load_shedding import SheddingRoute
from schemas.api import OddValue, Referentials, ReferentialValue, RegionValue, error_responses
from schemas.referentials import ACTOR_CATEGORY_LABELS, ODD_LIST, REGIONS, TERRITORY_TYPE_LABELS

router = APIRouter(route_class=SheddingRoute, tags=["referentials"], responses=error_responses(400, 429))


@router.get("/referentials", response_model=Referentials, summary="Référentiels")
def referentials() -> Referentials:
    """Territory types, actor categories, the 17 ODD (official titles and colours) and regions."""
    return Referentials(
        territory_types=[ReferentialValue(value=k, label=v) for k, v in TERRITORY_TYPE_LABELS.items()],
        actor_categories=[ReferentialValue(value=k, label=v) for k, v in ACTOR_CATEGORY_LABELS.items()],
        odd=[OddValue(value=o.number, label=o.title, colour=o.colour, text_colour=o.text_colour) for o in ODD_LIST],
        regions=[RegionValue(value=r.name, label=r.name, code=r.code, kind=r.kind) for r in REGIONS],
    )
