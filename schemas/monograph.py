"""The monograph (fiche pratique): content fields, submission and update payloads, stored form."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from schemas.referentials import ActorCategory, TerritoryType
from schemas.territory import EpciNature, TerritoryKind, Zone, place_name
from schemas.text import kept_value


class Status(StrEnum):
    SUBMITTED = "submitted"
    PUBLISHED = "published"
    REJECTED = "rejected"
    ARCHIVED = "archived"


# Which status may follow which: moderation publishes or rejects a submission, an
# edit sends a rejected sheet back to moderation, deletion archives, an editor restores.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.SUBMITTED: frozenset({Status.PUBLISHED, Status.REJECTED, Status.ARCHIVED}),
    Status.PUBLISHED: frozenset({Status.ARCHIVED, Status.SUBMITTED}),
    Status.REJECTED: frozenset({Status.SUBMITTED, Status.PUBLISHED, Status.ARCHIVED}),
    Status.ARCHIVED: frozenset({Status.PUBLISHED, Status.SUBMITTED}),
}


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an absolute http:// or https:// URL")
    return value


def _email(value: str) -> str:
    if not re.fullmatch(r"[^@\s<>\"']+@[^@\s<>\"']+\.[A-Za-z]{2,}", value):
        raise ValueError("must be an e-mail address such as contact@exemple.fr")
    return value


def _readable(value: str) -> str:
    """A title or summary says something: at least one letter or digit (three zero-width spaces passed the length)."""
    if not any(character.isalnum() for character in value):
        raise ValueError("must contain words (letters or digits)")
    return value


# Strings are stripped first (model config), then measured: messages speak of characters.
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
Summary = Annotated[str, StringConstraints(strip_whitespace=True, min_length=20, max_length=2000)]
Section = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Url = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_http_url)]
Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(_email)]


class _Input(BaseModel):
    # Unknown fields are errors, so a misspelt field name is reported instead of dropped.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    # Texts composed (NFC) and without invisible control characters before they are checked, when written and when
    # read back (`schemas/text.py`): « école » typed decomposed is found by « école », a bidirectional override cannot
    # disguise a title, and a practice stored before with either is mended when read (indexed again, saved again).
    _kept = field_validator("*", mode="before")(kept_value)


# INSEE codes: commune or arrondissement (`26113`, `2A004`), département (`26`, `2A`, `974`), région (`84`);
# SIREN of an EPCI (`242600534`).
TerritoryCode = Annotated[str, StringConstraints(pattern=r"^(\d[0-9ABab]\d{0,3}|\d{9})$")]
# A département by code (`26`, `2A`, `974`, `987`) or by name (`Drôme`, `drome`): digits alone must make a code.
DepartmentRef = Annotated[
    str, StringConstraints(min_length=1, max_length=60, pattern=r"^(\d{2}|2[ABab]|9[78]\d|.*[A-Za-zÀ-ÿ].*)$")
]


class Territory(_Input):
    """Where a practice happens: an official territory (`code`, resolved by the API) or a name alone.

    With a known `code` the API fills the official name, département, région, EPCI, population and
    zone (`resolved`); a retired commune code resolves to its successor and `resolution_note` says so.
    Without a code the territory is a name (a valley, a "pays", a PETR): `resolved` stays false.
    """

    name: ShortText = Field(
        description="Commune, intercommunality, valley, island… (replaced by the official name of a known code; "
        "a more precise place given here is kept as `place`).",
        examples=["Die"],
    )
    place: ShortText | None = Field(
        default=None,
        description="The place as the contributor names it when it lies within the official territory of `code` "
        "(a cirque, a hamlet, a district, a former commune): kept, shown and searched beside the official name. "
        "With a known code and no `place`, a `name` that is not the official one is kept here.",
        examples=["Mafate"],
    )
    code: TerritoryCode | None = Field(
        default=None,
        description="INSEE code of a commune, municipal arrondissement, département or région, or SIREN of an EPCI.",
        examples=["26113"],
    )
    kind: TerritoryKind | None = Field(
        default=None,
        description="What `code` designates; needed only when a code is both a département's and a région's (`84`).",
    )
    insee_code: Annotated[str, StringConstraints(pattern=r"^(\d[0-9ABab]\d{3})$")] | None = Field(
        default=None, description="Commune code (5 characters): the same as `code` for a commune.", examples=["26113"]
    )
    department: DepartmentRef | None = Field(
        default=None, description="Département code or name (stored as its code).", examples=["26"]
    )
    region: Annotated[str, StringConstraints(min_length=1, max_length=60)] | None = Field(
        default=None,
        description="Région (or overseas collectivity) code or name (stored as its official name).",
        examples=["Auvergne-Rhône-Alpes"],
    )
    # Filled by the API from the referential; what a client sends here is replaced.
    epci: Annotated[str, StringConstraints(pattern=r"^\d{9}$")] | None = Field(
        default=None, description="SIREN of the EPCI (set by the API).", examples=["242600534"]
    )
    epci_nature: EpciNature | None = Field(
        default=None, description="Nature of the EPCI: CC, CA, CU or ME (set by the API).", examples=["CC"]
    )
    population: Annotated[int, Field(ge=0)] | None = Field(default=None, description="Set by the API.")
    zone: Zone | None = Field(default=None, description="metro, drom or com (set by the API).")
    resolved: bool = Field(
        default=False, description="Whether `code` designates an official territory (set by the API)."
    )
    resolution_note: Annotated[str, StringConstraints(max_length=300)] | None = Field(
        default=None, description="What the API changed while resolving `code`, e.g. a retired code (set by the API)."
    )

    def where(self) -> str:
        """Where, as a list of results says it: « Mafate (Saint-Paul), La Réunion »."""
        return ", ".join(p for p in (place_name(self.name, self.place), self.region) if p)


class Actor(_Input):
    name: ShortText = Field(examples=["Communauté de communes du Diois"])
    category: ActorCategory
    role: Annotated[str, StringConstraints(max_length=200)] | None = Field(default=None, examples=["porteur du projet"])


class Contact(_Input):
    name: Annotated[str, StringConstraints(max_length=200)] | None = None
    organisation: Annotated[str, StringConstraints(max_length=200)] | None = None
    email: Email | None = None
    url: Url | None = None


class MonographContent(_Input):
    """Everything an author writes: the sheet itself, without system fields."""

    title: Title = Field(examples=["Un tiers-lieu nourricier dans l'ancienne gare du Diois"])
    summary: Summary = Field(
        examples=["Une communauté de communes, une SCIC et des habitants transforment une gare en tiers-lieu."]
    )
    context: Section | None = Field(default=None, description="Contexte: the need being met.")
    approach: Section | None = Field(default=None, description="Démarche: who allied with whom, and how.")
    results: Section | None = Field(default=None, description="Résultats et impacts, with figures.")
    success_factors: Section | None = Field(default=None, description="Facteurs clés de succès.")
    outlook: Section | None = Field(default=None, description="Perspectives: scaling up or transfer.")
    territory: Territory
    territory_types: list[TerritoryType] = Field(min_length=1, max_length=7)
    actor_categories: list[ActorCategory] = Field(min_length=1, max_length=8)
    actors: list[Actor] = Field(default_factory=list, max_length=50)
    # Numbers as JSON writes them: `true`, `2.0` or `"2"` are refused, not read as 1 or 2.
    odd: list[Annotated[int, Strict(), Field(ge=1, le=17)]] = Field(min_length=1, max_length=17)
    year: Annotated[int, Strict(), Field(ge=1950, le=2100)] | None = Field(
        default=None, description="The year the practice started: from 1950, and not after next year in a submission."
    )
    programmes: list[ShortText] = Field(default_factory=list, max_length=20)
    tags: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]] = Field(
        default_factory=list, max_length=30
    )
    contact: Contact | None = None
    sources: list[Url] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _deduplicate(self) -> MonographContent:
        # Sets in meaning, lists on the wire: keep first-seen order, drop repeats.
        self.territory_types = list(dict.fromkeys(self.territory_types))
        self.actor_categories = list(dict.fromkeys(self.actor_categories))
        self.odd = sorted(set(self.odd))
        # Tags and programmes too, whatever their case (« Mobilité » and « mobilité » are one tag): the first kept.
        self.tags = _distinct(self.tags)
        self.programmes = _distinct(self.programmes)
        return self


def _distinct(texts: list[str]) -> list[str]:
    """`texts` without repeats, compared without case, in first-seen order."""
    kept: dict[str, str] = {}
    for text in texts:
        kept.setdefault(text.casefold(), text)
    return list(kept.values())


# A practice submitted as starting after next year is a typo (2099 for 2009): a sheet documents what was done.
YEARS_AHEAD = 1


def latest_start_year() -> int:
    """The latest start year a submission may give."""
    return datetime.now(UTC).year + YEARS_AHEAD


def _not_after_next_year(year: int | None) -> int | None:
    latest = latest_start_year()
    if year is not None and year > latest:
        raise PydanticCustomError("year_too_late", "the start year must not be after {latest}", {"latest": latest})
    return year


SECTION_FIELDS: tuple[str, ...] = ("context", "approach", "results", "success_factors", "outlook")


class MonographCreate(MonographContent):
    """A submission. `status` is honoured for editors only; contributors always submit."""

    # On what is submitted only: a stored practice stays readable whatever the rule was when it was written.
    _year = field_validator("year")(_not_after_next_year)
    _words = field_validator("title", "summary")(_readable)

    external_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        default=None, description="The submitter's own identifier: resubmitting it never creates a duplicate."
    )
    status: Status | None = None


class MonographUpdate(MonographContent):
    """A full replacement of the content, guarded by the version the client last read."""

    _year = field_validator("year")(_not_after_next_year)
    _words = field_validator("title", "summary")(_readable)

    version: int | None = Field(default=None, ge=1, description="Current version (or send If-Match).")


class Monograph(MonographContent):
    """A stored monograph: content plus system fields."""

    model_config = ConfigDict(extra="ignore")

    id: str
    status: Status
    version: int
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None = None
    external_id: str | None = None
    rejection_reason: str | None = None

    def content(self) -> MonographContent:
        """The author's part alone, comparable with a submission."""
        return MonographContent.model_validate(self.model_dump(include=set(MonographContent.model_fields)))


class ProposalStatus(StrEnum):
    PENDING = "pending"
    DECLINED = "declined"


class Proposal(BaseModel):
    """A contributor's proposed change to their published practice. Search shows the published content until an
    editor accepts it; then the fields it changes are applied to the practice's current content, its next version."""

    monograph_id: str
    title: str = Field(description="The published practice's title (the proposal may change it).")
    status: ProposalStatus
    revision: int = Field(
        description="Which proposal this is (it changes whenever it is proposed again): send it as If-Match to accept "
        "or decline what you reviewed."
    )
    content: MonographContent = Field(description="The practice as accepting the proposal would publish it.")
    changed_fields: list[str] = Field(
        description="The content fields the proposal changes in the published practice, in the sheet's order."
    )
    published_values: dict[str, Any] = Field(description="The published values of those fields, to compare.")
    conflicting_fields: list[str] = Field(
        default_factory=list,
        description="Those of `changed_fields` an editor also changed since the proposal: accepting replaces their "
        "edit with the proposed value.",
    )
    base_version: int = Field(description="The practice's version the change was proposed on.")
    current_version: int = Field(
        description="The practice's version now: when an editor edited it since, the proposal's fields still apply "
        "to the current content (`changed_fields` compares with it)."
    )
    practice_status: Status
    author: str | None = Field(None, description="The name of the API key that proposed it.")
    author_revoked: bool = Field(False, description="Whether that key was revoked since.")
    proposed_at: datetime
    reason: str | None = Field(None, description="Why it was declined (declined proposals only).")
    decided_at: datetime | None = None

    @staticmethod
    def changes(published: MonographContent, proposed: MonographContent) -> dict[str, Any]:
        """The content fields whose values differ, with their proposed values (as JSON), in the sheet's order."""
        before, after = published.model_dump(mode="json"), proposed.model_dump(mode="json")
        return {name: after.get(name) for name in MonographContent.model_fields if before.get(name) != after.get(name)}
