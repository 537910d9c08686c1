"""Search requests and answers, shared by both engines and the API."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from schemas.monograph import Monograph, Territory
from schemas.referentials import FACET_NAMES, REGION_NAMES, REGIONS, ActorCategory, TerritoryType, allowed_facet_values

MAX_RESULT_WINDOW = 10_000
MAX_QUERY_LENGTH = 500
# A facet list never holds more values than its referential has: a longer one is refused before its
# values are even read (a request repeating `odd=3` 9,000 times costs nothing), a shorter one is
# de-duplicated, so no answer ever repeats an unbounded list.
LIST_CAPS: dict[str, int] = {facet: len(allowed_facet_values(facet)) for facet in FACET_NAMES}


def capped_list(value: Any, info: ValidationInfo) -> Any:
    """A facet list longer than its referential is refused (422 naming the field), unread."""
    cap = LIST_CAPS[str(info.field_name)]
    if isinstance(value, list | tuple | set | frozenset) and len(value) > cap:
        raise PydanticCustomError(
            "too_many_values",
            "at most {cap} values (the size of its referential), got {count}; send each value once",
            {"cap": cap, "count": len(value)},
        )
    return value


def unique(values: list[Any]) -> list[Any]:
    """The values in their first order, each once."""
    return list(dict.fromkeys(values))


class Sort(StrEnum):
    RELEVANCE = "relevance"
    RECENT = "recent"
    OLDEST = "oldest"
    # Most recently published first (feeds): the publication date, not the practice's start year.
    PUBLISHED = "published"


class SearchFilters(BaseModel):
    """Facet selections: OR within one facet, AND across facets."""

    model_config = ConfigDict(extra="forbid")

    territory_type: list[TerritoryType] = Field(default_factory=list)
    actor_category: list[ActorCategory] = Field(default_factory=list)
    odd: list[Annotated[int, Field(ge=1, le=17)]] = Field(default_factory=list)
    region: list[str] = Field(default_factory=list)
    year_from: Annotated[int, Field(ge=1950, le=2100)] | None = None
    year_to: Annotated[int, Field(ge=1950, le=2100)] | None = None

    _capped = field_validator(*FACET_NAMES, mode="before")(capped_list)
    _unique = field_validator(*FACET_NAMES, mode="after")(unique)

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

    q: Annotated[str, StringConstraints(max_length=MAX_QUERY_LENGTH)] = ""
    filters: SearchFilters = Field(default_factory=SearchFilters)
    sort: Sort = Sort.RELEVANCE
    page: Annotated[int, Field(ge=1)] = 1
    size: Annotated[int, Field(ge=0, le=100)] = 20
    facets: bool = True
    highlight: bool = True
    # Count practices per start year too (`facets["year"]`, oldest year first), under every filter.
    year_counts: bool = False
    # `time.monotonic()` by which the engine must have answered, all its calls together; past it the
    # engine raises `SearchTimeout` (an `EngineUnavailable`) instead of starting or waiting on a call.
    deadline: float | None = Field(None, exclude=True)

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

    q: Annotated[str, StringConstraints(max_length=MAX_QUERY_LENGTH)] = Field(
        "", description="Words to find; quotes for an exact phrase.", examples=["tiers-lieux en milieu rural"]
    )
    territory_type: list[TerritoryType] = Field(
        default_factory=list,
        description=f"Territory types (OR); at most {LIST_CAPS['territory_type']} values, each kept once.",
    )
    actor_category: list[ActorCategory] = Field(
        default_factory=list,
        description=f"Actor categories (OR); at most {LIST_CAPS['actor_category']} values, each kept once.",
    )
    odd: list[Annotated[int, Field(ge=1, le=17)]] = Field(
        default_factory=list, description=f"ODD numbers (OR); at most {LIST_CAPS['odd']} values, each kept once."
    )
    region: list[str] = Field(
        default_factory=list,
        description=f"Official region names (OR); at most {LIST_CAPS['region']} values, each kept once.",
    )
    year_from: Annotated[int, Field(ge=1950, le=2100)] | None = Field(None, description="Started in or after.")
    year_to: Annotated[int, Field(ge=1950, le=2100)] | None = Field(None, description="Started in or before.")
    sort: Sort = Field(
        Sort.RELEVANCE,
        description="relevance, recent or oldest (start year), or published (most recently published first).",
    )
    page: Annotated[int, Field(ge=1, le=10_000)] = 1
    size: Annotated[int, Field(ge=1, le=100)] = 20

    _capped = field_validator(*FACET_NAMES, mode="before")(capped_list)
    _unique = field_validator(*FACET_NAMES, mode="after")(unique)

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

    def to_query(self, facets: bool = True, deadline: float | None = None) -> SearchQuery:
        return SearchQuery(
            q=self.q,
            filters=self.filters(),
            sort=self.sort,
            page=self.page,
            size=self.size,
            facets=facets,
            deadline=deadline,
        )
