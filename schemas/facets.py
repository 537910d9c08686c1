"""The facet registry: one record per facet, read by the engines, the API and its docs, the embeds,
the feeds, the exports and the UI.

A facet is a multi-valued field of a practice that searches can be filtered and counted by. Adding
one is one `Facet` entry here (plus its referential in `schemas/referentials.py` when it has one),
the field in `SearchFilters` (`schemas/search.py`) and the value in each engine's document
(`indexer/documents.py`); everything else (filters, disjunctive counts, labels, caps, titles,
OpenAPI descriptions, the embed and UI facet lists) follows from the entry.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from schemas.monograph import Monograph
from schemas.referentials import (
    ACTOR_CATEGORY_LABELS,
    ODD_BY_NUMBER,
    ODD_LIST,
    REGIONS,
    TERRITORY_TYPE_LABELS,
    ActorCategory,
    TerritoryType,
)


class FacetKind(StrEnum):
    KEYWORD = "keyword"  # string values, exact match
    INTEGER = "integer"  # integer values (sorted as numbers, indexed as integers)
    RANGE = "range"  # a numeric range filtered by bounds and counted per value (start years)


@dataclass(frozen=True)
class Facet:
    name: str  # query parameter, `SearchFilters` field and key of the facet in answers
    field: str  # index field, the same in every engine
    kind: FacetKind
    title: str  # French title shown above the facet's values (UI, embeds, descriptions)
    noun: str  # English, for the API docs: "territory types", "ODD numbers"…
    of: Callable[[Monograph], list[str] | list[int]]  # the practice's values, as indexed
    values: Sequence[str] = ()  # every accepted value in referential order (empty: open)
    labeller: Callable[[str], str] | None = None  # French label of one value (default: the value)
    buckets: int = 0  # values asked of an engine at most (0: as many as the referential has)
    # The `SearchFilters` field that may switch this facet from "any of the values" to "all of them"
    # (`actor_mode=all`: practices bringing every selected actor category together); None: always any.
    mode_field: str | None = None
    # Whether embeds list its values as links beside the results. A long list (109 départements) is
    # for the UI's searchable lists: in an embed every link repeats the whole search, so a long list
    # multiplies the page's size (it still filters, and presets may fix it).
    listed_in_embeds: bool = True
    # More text a search among the values finds a value by, besides its label and the value itself
    # (an EPCI's written-out name behind its short label).
    also_found_by: Callable[[str], str] | None = None
    # Values a client may select at most (0: as many as the referential has). Every embed link and
    # feed address repeats the selection, and a URL has a size: a selection of a thousand EPCI is a
    # département or a région.
    max_selected: int = 0
    # Whether lists offer its values by label: codes whose order means nothing to a reader (SIREN).
    by_label: bool = False
    # Whether a practice may have several of its values (territory types, actor categories, ODD), not one.
    several: bool = False

    def label(self, value: str | int) -> str:
        text = str(value)
        return self.labeller(text) if self.labeller else text

    @property
    def cap(self) -> int:
        """How many values a client may send for this facet: the size of its referential, or less."""
        return self.max_selected or len(self.values)

    @property
    def size(self) -> int:
        """How many values of this facet an engine is asked for; more are reported as `truncated`."""
        return self.buckets or max(len(self.values), 1)

    def listed(self) -> list[str]:
        """Every value in the order a list offers them: the referential's, or by label."""
        return sorted(self.values, key=self.label) if self.by_label else list(self.values)

    def index_value(self, value: str | int) -> str | int:
        """A selected value as the index holds it."""
        return int(value) if self.kind != FacetKind.KEYWORD else str(value)

    def order(self, value: str) -> tuple[int, str]:
        """Tie order of values with the same count: numbers as numbers (2 before 10), else by value."""
        return (int(value), "") if self.kind != FacetKind.KEYWORD and value.lstrip("-").isdigit() else (0, value)

    def description(self) -> str:
        limit = f"at most {self.cap} values, each kept once" if self.cap else "each value kept once"
        combine = f"OR, or AND with `{self.mode_field}=all`" if self.mode_field else "OR"
        return f"{self.noun[0].upper()}{self.noun[1:]} ({combine}); {limit}."


def _odd_label(value: str) -> str:
    odd = ODD_BY_NUMBER.get(int(value)) if value.isdigit() else None
    return f"ODD {odd.number} : {odd.title}" if odd else value


def _referential_facet(
    name: str, title: str, noun: str, values: type[StrEnum], labels: dict[str, str], mode_field: str | None = None
) -> Facet:
    """A keyword facet over a monograph's list field of the same name as its index field (`noun` with `_`)."""
    field = noun.replace(" ", "_")
    return Facet(
        name,
        field,
        FacetKind.KEYWORD,
        title,
        noun,
        lambda m: [str(v) for v in getattr(m, field)],
        tuple(v.value for v in values),
        lambda value: labels.get(value, value),
        mode_field=mode_field,
        several=True,
    )


TERRITORY_TYPE = _referential_facet(
    "territory_type", "Type de territoire", "territory types", TerritoryType, TERRITORY_TYPE_LABELS
)
ACTOR_CATEGORY = _referential_facet(
    "actor_category",
    "Catégorie d'acteurs",
    "actor categories",
    ActorCategory,
    ACTOR_CATEGORY_LABELS,
    mode_field="actor_mode",
)
ODD = Facet(
    "odd",
    "odd",
    FacetKind.INTEGER,
    "Objectifs de développement durable (ODD)",
    "ODD numbers",
    lambda m: list(m.odd),
    tuple(str(o.number) for o in ODD_LIST),
    _odd_label,
    several=True,
)
REGION = Facet(
    "region",
    "region",
    FacetKind.KEYWORD,
    "Région",
    "official region names",
    lambda m: [m.territory.region] if m.territory.region else [],
    tuple(r.name for r in REGIONS),
)

# The territories referential built by scripts/build-territories.py: régions, départements and EPCI
# come first, communes after them.
TERRITORIES_TABLE = Path(__file__).resolve().parent.parent / "seed" / "territories" / "territories.csv.gz"


def _areas(path: Path = TERRITORIES_TABLE) -> dict[str, dict[str, tuple[str, str]]]:
    """Kind → code → (name, département code) of every région, département and EPCI, in the table's
    (code) order; the read stops at the first commune."""
    areas: dict[str, dict[str, tuple[str, str]]] = {}
    with gzip.open(path, "rt", encoding="utf-8", newline="") as text:
        for row in csv.DictReader(text):
            if row["kind"] == "commune":
                break
            areas.setdefault(row["kind"], {})[row["code"]] = (row["name"], row["department"])
    return areas


_AREAS = _areas()
DEPARTMENT_NAMES: dict[str, str] = {code: name for code, (name, _) in _AREAS["departement"].items()}
DEPARTMENT = Facet(
    "department",
    "department",
    FacetKind.KEYWORD,
    "Département",
    "département INSEE codes (26, 2A, 974…)",
    lambda m: [m.territory.department] if m.territory.department else [],
    tuple(DEPARTMENT_NAMES),
    lambda code: f"{DEPARTMENT_NAMES[code]} ({code})" if code in DEPARTMENT_NAMES else code,
    listed_in_embeds=False,
)

# How EPCI names begin, and how a list shortens them ("Communauté de communes du Diois" → "CC du Diois").
EPCI_LEGAL_FORMS = {
    "Communauté de communes ": "CC ",
    "Communauté d'agglomération ": "CA ",
    "Communauté urbaine ": "CU ",
}


def _short_epci_name(name: str) -> str:
    for form, short in EPCI_LEGAL_FORMS.items():
        if name.startswith(form):
            return short + name[len(form) :]
    return name


# SIREN → official name of every EPCI; its label adds the département of its seat, as some names repeat.
EPCI_NAMES: dict[str, str] = {code: name for code, (name, _) in _AREAS["epci"].items()}
EPCI_LABELS: dict[str, str] = {
    code: f"{_short_epci_name(name)} ({department})" if department else _short_epci_name(name)
    for code, (name, department) in _AREAS["epci"].items()
}
EPCI = Facet(
    "epci",
    "epci",
    FacetKind.KEYWORD,
    "Intercommunalité (EPCI)",
    "EPCI SIREN codes (242600534…)",
    lambda m: [m.territory.epci] if m.territory.epci else [],
    tuple(EPCI_LABELS),
    lambda code: EPCI_LABELS.get(code, code),
    listed_in_embeds=False,
    also_found_by=lambda code: EPCI_NAMES.get(code, ""),
    max_selected=100,
    by_label=True,
)

# The facets a search is filtered and counted by (OR inside one, AND across), in display order.
FACETS: tuple[Facet, ...] = (TERRITORY_TYPE, ACTOR_CATEGORY, ODD, REGION, DEPARTMENT, EPCI)
FACET_BY_NAME: dict[str, Facet] = {facet.name: facet for facet in FACETS}
FACET_NAMES: tuple[str, ...] = tuple(FACET_BY_NAME)

# Start years: filtered by a range (`year_from`, `year_to`), counted per year on demand (`year_counts`).
YEAR = Facet(
    "year",
    "year",
    FacetKind.RANGE,
    "Année de lancement",
    "start years",
    lambda m: [m.year] if m.year is not None else [],
    buckets=200,  # 1950 to 2100: every year fits
)


def facet(name: str) -> Facet:
    """The registered facet called `name` (`KeyError` for any other name)."""
    return FACET_BY_NAME[name] if name != YEAR.name else YEAR
