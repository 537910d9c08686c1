"""Shapes of the public API's answers (what clients and partner sites read)."""

from __future__ import annotations

from typing import Any

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


class KeyInfo(BaseModel):
    id: str
    name: str
    role: str = Field(examples=["contributor"])


class ErrorDetail(BaseModel):
    code: str = Field(examples=["validation_error"])
    message: str = Field(examples=["invalid request: query.odd.0: Input should be less than or equal to 17"])
    details: Any = None


class ErrorResponse(BaseModel):
    """Every error of the API has this shape."""

    error: ErrorDetail


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error answers a route can give."""
    meaning = {
        400: "Bad request",
        401: "Missing or wrong API key",
        403: "The key's role may not do this",
        404: "Not found",
        409: "Version conflict or forbidden status change",
        413: "Body too large",
        415: "Body must be application/json",
        422: "Invalid parameters or body: each field and rule listed",
        428: "Send the version you last read",
        503: "Search engine unavailable, retry shortly",
    }
    return {code: {"model": ErrorResponse, "description": meaning[code]} for code in codes}
