"""Shapes of the public API's answers (what clients and partner sites read)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from schemas.monograph import Monograph
from schemas.search import FacetValue, SearchHit


class ApiHit(SearchHit):
    url: str = Field(description="The practice's public page.")


class SearchResponse(BaseModel):
    total: int
    page: int
    size: int
    hits: list[ApiHit]
    facets: dict[str, list[FacetValue]]
    relaxed: bool = False


class MonographPublic(Monograph):
    url: str


class MonographPage(BaseModel):
    total: int
    page: int
    size: int
    items: list[MonographPublic]


class ModerationDecision(BaseModel):
    reason: str | None = Field(
        None,
        max_length=2000,
        description="Why (required to reject).",
        examples=["Merci de préciser les résultats chiffrés."],
    )


class Rejection(BaseModel):
    reason: str = Field(min_length=3, max_length=2000, examples=["La fiche ne décrit pas une expérimentation locale."])


class ReferentialValue(BaseModel):
    value: str
    label: str


class OddValue(BaseModel):
    value: int
    label: str
    colour: str
    text_colour: str


class RegionValue(BaseModel):
    value: str
    label: str
    code: str
    kind: str


class Referentials(BaseModel):
    territory_types: list[ReferentialValue]
    actor_categories: list[ReferentialValue]
    odd: list[OddValue]
    regions: list[RegionValue]
