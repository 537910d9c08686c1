"""Search requests and answers, shared by both engines and the API."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from schemas.facets import FACET_BY_NAME, FACET_NAMES, FACETS, Facet
from schemas.like_territory import TerritoryProfile
from schemas.monograph import Monograph, Territory
from schemas.referentials import ActorCategory, TerritoryType
from schemas.text import searchable
from schemas.trusted import trusted
from schemas.understood import Understood, understood

MAX_RESULT_WINDOW = 10_000
MAX_PAGE_SIZE = 100
MAX_QUERY_LENGTH = 500
# A facet list never holds more values than its referential has (or `Facet.max_selected`): a longer one is
# refused before its values are even read (a request repeating `odd=3` 9,000 times costs nothing), a shorter one is
# de-duplicated, so no answer ever repeats an unbounded list.
LIST_CAPS: dict[str, int] = {facet.name: facet.cap for facet in FACET_BY_NAME.values()}
KNOWN_VALUES: dict[str, frozenset[str]] = {facet.name: frozenset(facet.values) for facet in FACET_BY_NAME.values()}
# Open-text facets whose values are names a visitor or a partner types loosely (`region=Reunion`).
LOOSELY_TYPED = ("region",)
_ARTICLES = frozenset({"la", "le", "les", "l"})


def loose_name(value: str) -> str:
    """A name as typed loosely: accents, case, hyphens, apostrophes and a leading article aside (`La Réunion`,
    `reunion` and `Réunion` are one)."""
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", plain)
    return " ".join(words[1:] if len(words) > 1 and words[0] in _ARTICLES else words)


LOOSE_VALUES: dict[str, dict[str, str]] = {
    name: {loose_name(value): value for value in FACET_BY_NAME[name].values} for name in LOOSELY_TYPED
}
# A refused value's message lists the allowed ones when there are at most this many.
SHORT_LIST = 30
# `like_territory`: a commune's INSEE code (`26113`, `2A004`) or an EPCI's SIREN (`242600534`).
LIKE_TERRITORY_CODE = re.compile(r"^(\d{5}|2[AB]\d{3}|\d{9})$")


def capped_list(value: Any, info: ValidationInfo) -> Any:
    """A facet list longer than its referential is refused (422 naming the field), unread."""
    cap = LIST_CAPS[str(info.field_name)]
    if isinstance(value, list | tuple | set | frozenset) and len(value) > cap:
        raise PydanticCustomError(
            "too_many_values",
            "at most {cap} values, got {count}; send each value once",
            {"cap": cap, "count": len(value)},
        )
    return value


def unique(values: list[Any]) -> list[Any]:
    """The values in their first order, each once."""
    return list(dict.fromkeys(values))


class Combine(StrEnum):
    """How the selected values of a facet with a mode combine (`Facet.mode_field`)."""

    ANY = "any"  # practices with at least one of them
    ALL = "all"  # practices with every one of them: an alliance of actor categories


class Sort(StrEnum):
    RELEVANCE = "relevance"
    RECENT = "recent"
    OLDEST = "oldest"
    # Most recently published first (feeds): the publication date, not the practice's start year.
    PUBLISHED = "published"


# How the UI and the embeds name the sorts a reader chooses among (feeds sort by publication themselves).
SORT_LABELS: dict[Sort, str] = {
    Sort.RELEVANCE: "Pertinence",
    Sort.RECENT: "Plus récentes",
    Sort.OLDEST: "Plus anciennes",
}


def within_result_window(page: int, size: int) -> None:
    if page * size > MAX_RESULT_WINDOW:
        raise ValueError(f"page × size must not exceed {MAX_RESULT_WINDOW}; narrow the search instead")


def _facet_field(name: str) -> Any:
    """A facet's list: its cap published as `maxItems` (`capped_list` refuses longer ones, naming the field)."""
    return Field(
        default_factory=list,
        description=FACET_BY_NAME[name].description(),
        json_schema_extra={"maxItems": LIST_CAPS[name]},
    )


class SearchFilters(BaseModel):
    """Facet selections: OR within one facet, AND across facets (see `schemas/facets.py`)."""

    model_config = ConfigDict(extra="forbid")

    territory_type: list[TerritoryType] = _facet_field("territory_type")
    actor_category: list[ActorCategory] = _facet_field("actor_category")
    odd: list[Annotated[int, Field(ge=1, le=17)]] = _facet_field("odd")
    region: list[str] = _facet_field("region")
    department: list[str] = _facet_field("department")
    epci: list[str] = _facet_field("epci")
    actor_mode: Combine = Field(
        Combine.ANY,
        description="`any`: practices with at least one of the selected actor categories; `all`: practices "
        "bringing all of them together (an alliance). In `all` mode each actor category's count is the number "
        "of practices if it were added.",
    )
    year_from: Annotated[int, Field(ge=1950, le=2100)] | None = Field(None, description="Started in or after.")
    year_to: Annotated[int, Field(ge=1950, le=2100)] | None = Field(None, description="Started in or before.")

    _capped = field_validator(*FACET_NAMES, mode="before")(capped_list)
    _unique = field_validator(*FACET_NAMES, mode="after")(unique)

    @field_validator("region", "department", "epci", mode="after")
    @classmethod
    def _known_values(cls, values: list[str], info: ValidationInfo) -> list[str]:
        """Open-text facets (names, codes) accept only their referential's values."""
        facet = FACET_BY_NAME[str(info.field_name)]
        loose = LOOSE_VALUES.get(facet.name)
        if loose:
            known = KNOWN_VALUES[facet.name]
            values = unique([v if v in known else loose.get(loose_name(v), v) for v in values])
        unknown = [v for v in values if v not in KNOWN_VALUES[facet.name]]
        if unknown:
            expected = ", ".join(facet.values) if len(facet.values) <= SHORT_LIST else facet.noun
            raise ValueError(f"unknown {facet.name} {unknown[0]!r}; allowed: {expected}")
        return values

    @field_validator("year_to")
    @classmethod
    def _year_range(cls, year_to: int | None, info: ValidationInfo) -> int | None:
        """On `year_to`, so an error names a field (a rule of the whole model is located nowhere)."""
        year_from = info.data.get("year_from")
        if year_to is not None and year_from is not None and year_from > year_to:
            raise ValueError(f"year_to must not be before year_from ({year_from})")
        return year_to

    def matches(self, monograph: Monograph) -> bool:
        """Whether a monograph passes these filters (for exports straight from the store)."""
        for facet in FACETS:
            selected = set(self.selected(facet.name))
            values = {str(v) for v in facet.of(monograph)}
            if selected and not (selected <= values if self.requires_all(facet) else selected & values):
                return False
        year = monograph.year
        return (self.year_from is None or (year is not None and year >= self.year_from)) and (
            self.year_to is None or (year is not None and year <= self.year_to)
        )

    def requires_all(self, facet: Facet) -> bool:
        """Whether a practice must have every selected value of this facet (else any of them)."""
        return facet.mode_field is not None and getattr(self, facet.mode_field) == Combine.ALL

    def selected(self, facet: str) -> list[str]:
        """The selected values of one facet, as strings."""
        return [str(v) for v in getattr(self, facet)]

    def filters(self) -> SearchFilters:
        """The filters alone, without a subclass's other fields (words, sort, paging…): validated already, each field
        given (`trusted`, a tenth of `model_construct`'s cost)."""
        return trusted(SearchFilters, {name: getattr(self, name) for name in _FILTER_FIELDS})

    def without(self, facet: str) -> SearchFilters:
        """These filters with one facet's own selection removed: what its disjunctive counts apply."""
        return self.model_copy(update={facet: []})


_FILTER_FIELDS = tuple(SearchFilters.model_fields)


class SearchMode(StrEnum):
    """How words are matched: by the words (and their French forms) only, or by meaning too."""

    LEXICAL = "lexical"
    HYBRID = "hybrid"


class SearchQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: Annotated[str, StringConstraints(max_length=MAX_QUERY_LENGTH)] = ""
    filters: SearchFilters = Field(default_factory=SearchFilters)
    sort: Sort = Sort.RELEVANCE
    page: Annotated[int, Field(ge=1)] = 1
    size: Annotated[int, Field(ge=0, le=MAX_PAGE_SIZE)] = 20
    facets: bool = True
    highlight: bool = True
    # Count practices per start year too (`facets["year"]`, oldest year first), under every filter.
    year_counts: bool = False
    # "Practices from territories like mine": ranks practices by likeness to this territory (no filter).
    like: TerritoryProfile | None = None
    # Hybrid: the words' meaning too (`indexer/pipeline.py`), when the engine has vectors and the query words.
    mode: SearchMode = SearchMode.LEXICAL
    # `time.monotonic()` by which the engine must have answered, all its calls together; past it the
    # engine raises `SearchTimeout` (an `EngineUnavailable`) instead of starting or waiting on a call.
    deadline: float | None = Field(None, exclude=True)
    # Words of the query the user typed that were read as filters (`schemas/understood.py`), said in the answer.
    understood: Understood | None = None
    # For `/search`, which only writes its answer: the facets and the page's hits written as its JSON
    # (`SearchResult.facets_json`, `hits_json`) instead of `facets` and `hits`, each hit with its `url`: this (the
    # practice pages' address) followed by its id.
    as_json_for: str | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _window(self) -> SearchQuery:
        within_result_window(self.page, self.size)
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
    tags: list[str] = Field(default_factory=list)
    programmes: list[str] = Field(default_factory=list)
    score: float | None = None
    highlight: Highlight = Field(default_factory=Highlight)
    similarity_reasons: list[str] = Field(
        default_factory=list,
        description="With `like_territory`: what this practice's territory shares with it, in French "
        "(« même zone (France métropolitaine) », « taille comparable (≈ 4 800 hab.) », « même département »).",
    )


class FacetValue(BaseModel):
    value: str
    label: str
    count: int
    selected: bool = False


class SearchResult(BaseModel):
    total: int
    hits: list[SearchHit]
    facets: dict[str, list[FacetValue]] = Field(default_factory=dict)
    # `facets` and `hits` as the answer's JSON, when the query asked so (`SearchQuery.as_json_for`; `facets` and
    # `hits` are then empty).
    facets_json: str | None = Field(None, exclude=True)
    hits_json: bytes | None = Field(None, exclude=True)
    relaxed: bool = Field(
        default=False,
        description="True when the results need not contain every word: for one or two words, no practice "
        "had them all; for longer queries, practices are ranked by how many of the words they contain.",
    )
    truncated_facets: list[str] = Field(
        default_factory=list,
        description="Facets that have more values than their list shows (each lists its most frequent ones).",
    )
    corrected_query: str | None = Field(
        default=None,
        description="The words as typo tolerance understood them, when a typed word was matched only by a "
        "close word of the practices (`mobilte` → `mobilité`). The hits are the typed words' (found despite the "
        "typo), so say « Vouliez-vous dire … ? » and offer the search for these words, which may find more.",
    )
    understood: Understood | None = Field(
        default=None,
        description="Words of `q` read as filters (« ODD 13 » → `odd=13`): the words searched instead, the ODD "
        "added to the filters, and the text typed. Say it, and offer the literal search (`literal_query`: the "
        "mentions quoted).",
    )
    total_without_filters: int | None = Field(
        default=None,
        description="When nothing matched with the active filters: how many practices the words alone match.",
    )
    like_territory: TerritoryProfile | None = Field(
        default=None, description="The territory `like_territory` designates, as practices were compared to it."
    )
    mode: SearchMode = Field(
        default=SearchMode.LEXICAL,
        description="How this answer was found: `hybrid` (words and meaning; sorted otherwise than by relevance, the "
        "same practices in that order) or `lexical` (words only: asked for, words holding a quoted phrase, no words, "
        "or no practice embedded yet).",
    )


class Suggestion(BaseModel):
    """One suggestion while typing: a practice (with its id), or a theme, programme or territory to search."""

    kind: Literal["practice", "tag", "programme", "territory"]
    text: str
    id: str | None = None


class Words(BaseModel):
    """The words of a search, first in every query string."""

    model_config = ConfigDict(extra="forbid")

    q: Annotated[str, StringConstraints(max_length=MAX_QUERY_LENGTH)] = Field(
        "", description="Words to find; quotes for an exact phrase.", examples=["tiers-lieux en milieu rural"]
    )

    # Composed (NFC), control characters read as spaces (`schemas/text.py`): « école » typed decomposed finds « école ».
    @field_validator("q", mode="before")
    @classmethod
    def _searchable(cls, value: Any) -> Any:
        return searchable(value) if isinstance(value, str) else value


class SearchParams(SearchFilters, Words):
    """The query string of `/search`, `/export` and the embeds: words, the filters, sort and paging
    (fields in that order: pydantic puts the last base's fields first)."""

    sort: Sort = Field(
        Sort.RELEVANCE,
        description="relevance, recent or oldest (start year), or published (most recently published first).",
    )
    page: Annotated[int, Field(ge=1, le=10_000)] = 1
    size: Annotated[int, Field(ge=1, le=100)] = 20
    mode: SearchMode = Field(
        SearchMode.HYBRID,
        description='hybrid: practices matching the words or close to their meaning ("describe your need"), '
        "ranked by a blend of both scores (sorted otherwise, the same practices in that order); lexical: the words "
        "only. Hybrid answers lexically while no practice is embedded (see `/health`), and for words holding a "
        "quoted phrase, looked for as written.",
    )

    @model_validator(mode="after")
    def _window(self) -> SearchParams:
        within_result_window(self.page, self.size)
        return self

    def to_query(
        self,
        facets: bool = True,
        deadline: float | None = None,
        like: TerritoryProfile | None = None,
        as_json_for: str | None = None,
    ) -> SearchQuery:
        """The engine's query: these parameters, validated already, their words read (`understood`), each field
        given (`trusted`: `SearchQuery(...)` validated them all again, about 10 µs of each search). Its paging is
        checked again: a copy (`model_copy(update=...)`) is not validated.

        :raises ValueError: `page` or `size` outside what a query takes."""
        if self.page < 1 or not 0 <= self.size <= MAX_PAGE_SIZE:
            raise ValueError(f"page {self.page} or size {self.size} outside 1… and 0–{MAX_PAGE_SIZE}")
        within_result_window(self.page, self.size)
        filters, read = self.filters(), understood(self.q)
        if read is not None:
            filters = filters.model_copy(update={"odd": unique([*filters.odd, *read.odd])})
        return trusted(
            SearchQuery,
            {
                "q": self.q if read is None else read.q,
                "filters": filters,
                "sort": self.sort,
                "page": self.page,
                "size": self.size,
                "facets": facets,
                "highlight": True,
                "year_counts": False,
                "like": like,
                "mode": self.mode,
                "deadline": deadline,
                "understood": read,
                "as_json_for": as_json_for,
            },
        )


class SearchRequestParams(SearchParams):
    """The query string of `/search`: `SearchParams` and the territory to rank practices by likeness to."""

    like_territory: str | None = Field(
        None,
        description="Practices from territories like this one first: a commune's INSEE code (5 characters) or an "
        "EPCI's SIREN (9 digits). Every practice still matches; those sharing its zone, population band, EPCI "
        "nature, territory types, département or région rank higher, each hit saying why (`similarity_reasons`).",
        examples=["26113"],
    )

    @field_validator("like_territory", mode="before")
    @classmethod
    def _territory_code(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().upper() or None
            if value is not None and not LIKE_TERRITORY_CODE.match(value):
                raise ValueError(
                    "must be a commune's INSEE code (5 characters, such as 26113 or 2A004) or an EPCI's SIREN "
                    "(9 digits, such as 242600534)"
                )
        return value
