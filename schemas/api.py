"""Shapes of the public API's answers (what clients and partner sites read)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema, model_validator

from schemas.like_territory import TerritoryProfile
from schemas.monograph import Monograph, Proposal, Status
from schemas.search import (
    FacetValue,
    SearchHit,
    SearchMode,
    SearchParams,
    SearchRequestParams,
    SearchResult,
    Suggestion,
)
from schemas.understood import Understood

Item = TypeVar("Item", bound=BaseModel)


class ApiHit(SearchHit):
    url: str = Field(description="The practice's public page.")


class SearchResponse(BaseModel):
    total: int
    page: int
    size: int
    hits: list[ApiHit]
    facets: dict[str, list[FacetValue]]
    relaxed: bool = False
    truncated_facets: list[str] = Field(
        default_factory=list,
        description="Facets that have more values than their list shows (each lists its most frequent ones).",
    )
    corrected_query: str | None = None
    understood: Understood | None = Field(default=None, description=SearchResult.model_fields["understood"].description)
    total_without_filters: int | None = None
    like_territory: TerritoryProfile | None = Field(
        default=None, description="The territory `like_territory` designates, as practices were compared to it."
    )
    mode: SearchMode = Field(default=SearchMode.LEXICAL, description=SearchResult.model_fields["mode"].description)


class ApiSuggestion(Suggestion):
    url: str | None = Field(None, description="A practice's public page.")


class SuggestResponse(BaseModel):
    q: str
    suggestions: list[ApiSuggestion]


class SearchStats(BaseModel):
    """Counts of the practices a search matches, for charts: no practice is listed."""

    total: int
    undated: int = Field(description="Matching practices without a start year.")
    facets: dict[str, list[FacetValue]] = Field(
        description="`territory_type`, `actor_category`, `odd` and `region` counted like `/search` does "
        "(each facet without its own selection), and `year`: practices per start year under every "
        "filter, oldest year first."
    )


class MonographPublic(Monograph):
    url: str


class Page(BaseModel, Generic[Item]):
    """One page of a list: `total` items in all, `size` per page."""

    total: int
    page: int
    size: int
    items: list[Item]


MonographPage = Page[MonographPublic]
ProposalPage = Page[Proposal]


REVIEWED_VERSION = (
    "The version you reviewed (or send it as If-Match): a sheet changed since answers 409 and nothing is decided. "
    "Without it, the decision applies to the current version."
)


class ModerationDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(
        None,
        max_length=2000,
        description="Why (required to reject).",
        examples=["Merci de préciser les résultats chiffrés."],
    )
    version: int | None = Field(None, ge=1, description=REVIEWED_VERSION)


class Acceptance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(
        None,
        ge=1,
        description="The practice's version you compared the proposal with (its `current_version`): a practice "
        "edited since answers 409.",
    )


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Stripped, then measured: three spaces are no reason.
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)] = Field(
        examples=["La fiche ne décrit pas une expérimentation locale."]
    )


class SheetRejection(Rejection):
    """A submission refused (a proposal is declined with a `Rejection`, its revision as If-Match)."""

    version: int | None = Field(None, ge=1, description=REVIEWED_VERSION)


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


class HistoryEvent(BaseModel):
    """One step of a practice's life, as its history records it."""

    action: str = Field(
        examples=["published"],
        description="`create`, `update`, `submitted` (sent back to moderation), `published`, `rejected`, `archived`, "
        "`propose`, `proposal_accepted`, `proposal_declined`, `proposal_withdrawn`.",
    )
    status: Status = Field(description="The practice's status after it.")
    version: int = Field(description="The practice's version after it.")
    reason: str | None = Field(None, description="The reason given (a rejection, a declined proposal).")
    at: datetime
    by: str | None = Field(
        None,
        description="Who did it: the API key's name for editors; for the practice's submitter, their own key's name, "
        "or null for an editor or an import.",
    )


HistoryPage = Page[HistoryEvent]


class KeyInfo(BaseModel):
    id: str
    name: str
    role: str = Field(examples=["contributor"])


class PossibleDuplicate(BaseModel):
    """A published or pending practice that may describe the same one as a submission."""

    id: str
    title: str
    status: str = Field(examples=["published"])
    reason: Literal["external_id", "title"] = Field(
        description="`external_id`: the same identifier sent by another key; `title`: a title with the same words."
    )
    url: str | None = Field(None, description="The public page (published practices only).")


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
        429: "Too many requests from this address: wait `Retry-After` seconds",
        503: "Search engine unavailable, retry shortly",
    }
    return {code: {"model": ErrorResponse, "description": meaning[code]} for code in codes}


# --- Partner embeds: theme, iframe query string and presets -------------------------------------

FacetName = Literal["territory_type", "actor_category", "odd", "region"]
SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$"


def _colour(value: str) -> str:
    if not re.fullmatch(r"#?[0-9A-Fa-f]{6}", value):
        raise ValueError("must be a colour written #RRGGBB, e.g. #19486A")
    return "#" + value.removeprefix("#").upper()


# The pattern is published in the OpenAPI (clients and fuzzers know the rule); `_colour` gives the error.
Colour = Annotated[str, AfterValidator(_colour), WithJsonSchema({"type": "string", "pattern": "^#?[0-9A-Fa-f]{6}$"})]
ShortLabel = Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)]


class EmbedTheme(BaseModel):
    """How an embedded list looks; the same fields in the iframe's query string and in presets."""

    model_config = ConfigDict(extra="forbid")

    accent: Colour = Field("#19486A", description="Accent colour, #RRGGBB (the # may be left out).")
    density: Literal["comfortable", "compact"] = Field("comfortable", description="Spacing of the list.")
    logo: ShortLabel = Field("", description="Text shown as the partner's logo above the list.")
    target: Literal["blank", "self"] = Field(
        "blank", description="Open a practice in a new tab (blank) or inside the frame (self)."
    )


class EmbedParams(EmbedTheme, SearchRequestParams):
    """The query string of `/embed`: any search `/search` accepts (`like_territory` included), plus the theme."""

    size: Annotated[int, Field(ge=1, le=100)] = 10
    facets: Literal["show", "hide"] = Field("show", description="Show the facet controls beside the list.")
    title: ShortLabel = Field("", description="Heading of the list.")
    map: bool = Field(False, description="Show the map of the practices per département above the list (`map=1`).")


class PresetContent(BaseModel):
    """What an editor saves for a partner: fixed filters, the facets visitors may use, the theme."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)] = Field(
        examples=["Tiers-lieux ruraux"]
    )
    filters: SearchParams = Field(
        default_factory=SearchParams,
        description="The fixed search (`q`, facets, years, sort, size) every visitor of the embed gets.",
        examples=[{"q": "tiers-lieux", "territory_type": ["rural"], "sort": "recent", "size": 10}],
    )
    facets: list[FacetName] = Field(
        default_factory=list,
        description="Facets visitors may refine with; none means no facet controls. A facet fixed by "
        "`filters` cannot also be offered.",
        examples=[["odd", "region"]],
    )
    theme: EmbedTheme = Field(default_factory=EmbedTheme)

    @model_validator(mode="after")
    def _offered_facets_are_free(self) -> PresetContent:
        self.facets = list(dict.fromkeys(self.facets))
        fixed = [facet for facet in self.facets if getattr(self.filters, facet)]
        if fixed:
            raise ValueError(
                f"facet {fixed[0]!r} is fixed by the preset's filters; remove it from `facets` or from `filters`"
            )
        return self


class Preset(PresetContent):
    slug: str = Field(examples=["reseau-tiers-lieux"])
    version: int = Field(description="Goes up by one on each save; send it as If-Match to avoid lost updates.")
    created_at: datetime
    updated_at: datetime
    embed_path: str = Field(description="Path of the iframe page, on the API's origin.", examples=["/embed/p/x"])


PresetPage = Page[Preset]


# --- end partner embeds ------------------------------------------------------------------------
