"""Search requests and answers, shared by both engines and the API."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from schemas.monograph import Monograph, Territory
from schemas.referentials import REGION_NAMES, REGIONS, ActorCategory, TerritoryType

MAX_RESULT_WINDOW = 10_000


class Sort(StrEnum):
    RELEVANCE = "relevance"
    RECENT = "recent"
    OLDEST = "oldest"


class SearchFilters(BaseModel):
    """Facet selections: OR within one facet, AND across facets."""

    model_config = ConfigDict(extra="forbid")

    territory_type: list[TerritoryType] = Field(default_factory=list)
    actor_category: list[ActorCategory] = Field(default_factory=list)
    odd: list[Annotated[int, Field(ge=1, le=17)]] = Field(default_factory=list)
    region: list[str] = Field(default_factory=list)
    year_from: Annotated[int, Field(ge=1950, le=2100)] | None = None
    year_to: Annotated[int, Field(ge=1950, le=2100)] | None = None

    @model_validator(mode="after")
    def _year_range(self) -> SearchFilters:
        if self.year_from is not None and self.year_to is not None and self.year_from > self.year_to:
            raise ValueError("year_from must not be after year_to")
        return self

    def matches(self, monograph: Monograph) -> bool:
        """Whether a monograph passes these filters (for exports straight from the store)."""
        year = monograph.year
        return (
            (not self.territory_type or bool(set(self.territory_type) & set(monograph.territory_types)))
            and (not self.actor_category or bool(set(self.actor_category) & set(monograph.actor_categories)))
            and (not self.odd or bool(set(self.odd) & set(monograph.odd)))
            and (not self.region or monograph.territory.region in self.region)
            and (self.year_from is None or (year is not None and year >= self.year_from))
            and (self.year_to is None or (year is not None and year <= self.year_to))
        )

    def selected(self, facet: str) -> list[str]:
        """The selected values of one facet, as strings."""
        return [str(v) for v in getattr(self, facet)]


class SearchQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: Annotated[str, StringConstraints(max_length=500)] = ""
    filters: SearchFilters = Field(default_factory=SearchFilters)
    sort: Sort = Sort.RELEVANCE
    page: Annotated[int, Field(ge=1)] = 1
    size: Annotated[int, Field(ge=0, le=100)] = 20
    facets: bool = True
    highlight: bool = True

    @model_validator(mode="after")
    def _window(self) -> SearchQuery:
        if self.page * self.size > MAX_RESULT_WINDOW:
            raise ValueError(f"page × size must not exceed {MAX_RESULT_WINDOW}; narrow the search instead")
        return self

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


class Highlight(BaseModel):
    title: str | None = None
    summary: str | None = None
    sections: list[str] = Field(default_factory=list)


class SearchHit(BaseModel):
    """One result: what a results list shows, straight from the index (no store read)."""

    id: str
    title: str
    summary: str
    territory: Territory
    territory_types: list[str]
    actor_categories: list[str]
    odd: list[int]
    year: int | None = None
    score: float | None = None
    highlight: Highlight = Field(default_factory=Highlight)


class FacetValue(BaseModel):
    value: str
    label: str
    count: int
    selected: bool = False


class SearchResult(BaseModel):
    total: int
    hits: list[SearchHit]
    facets: dict[str, list[FacetValue]] = Field(default_factory=dict)
    relaxed: bool = Field(
        default=False,
        description="True when no practice matched every word and the results match only some of them.",
    )


class SearchParams(BaseModel):
    """The query string of `/search`, `/export` and the embeds: text, facets, sort and paging."""

    model_config = ConfigDict(extra="forbid")

    q: Annotated[str, StringConstraints(max_length=500)] = Field(
        "", description="Words to find; quotes for an exact phrase.", examples=["tiers-lieux en milieu rural"]
    )
    territory_type: list[TerritoryType] = Field(default_factory=list, description="Territory types (OR).")
    actor_category: list[ActorCategory] = Field(default_factory=list, description="Actor categories (OR).")
    odd: list[Annotated[int, Field(ge=1, le=17)]] = Field(default_factory=list, description="ODD numbers (OR).")
    region: list[str] = Field(default_factory=list, description="Official region names (OR).")
    year_from: Annotated[int, Field(ge=1950, le=2100)] | None = Field(None, description="Started in or after.")
    year_to: Annotated[int, Field(ge=1950, le=2100)] | None = Field(None, description="Started in or before.")
    sort: Sort = Field(Sort.RELEVANCE, description="relevance, recent or oldest.")
    page: Annotated[int, Field(ge=1, le=10_000)] = 1
    size: Annotated[int, Field(ge=1, le=100)] = 20

    @model_validator(mode="after")
    def _consistent(self) -> SearchParams:
        unknown = [r for r in self.region if r not in REGION_NAMES]
        if unknown:
            raise ValueError(f"unknown region {unknown[0]!r}; allowed: {', '.join(r.name for r in REGIONS)}")
        if self.year_from is not None and self.year_to is not None and self.year_from > self.year_to:
            raise ValueError("year_from must not be after year_to")
        if self.page * self.size > MAX_RESULT_WINDOW:
            raise ValueError(f"page × size must not exceed {MAX_RESULT_WINDOW}; narrow the search instead")
        return self

    def filters(self) -> SearchFilters:
        return SearchFilters(
            territory_type=self.territory_type,
            actor_category=self.actor_category,
            odd=self.odd,
            region=self.region,
            year_from=self.year_from,
            year_to=self.year_to,
        )

    def to_query(self, facets: bool = True) -> SearchQuery:
        return SearchQuery(
            q=self.q, filters=self.filters(), sort=self.sort, page=self.page, size=self.size, facets=facets
        )
