"""Facet semantics, in one place for every engine: labels, order, selected values."""

from __future__ import annotations

from collections.abc import Mapping

from schemas.referentials import FACET_NAMES, facet_label
from schemas.search import FacetValue, SearchFilters

# The start-year counts (`SearchQuery.year_counts`): years run 1950 to 2100, so every one fits.
YEAR_FACET = "year"
YEAR_BUCKETS = 200

# Multi-valued keyword fields that back each facet, in every engine.
FACET_FIELDS: dict[str, str] = {
    "territory_type": "territory_types",
    "actor_category": "actor_categories",
    "odd": "odd",
    "region": "region",
}


def _sort_key(facet: str, value: str) -> tuple[int, str]:
    # ODD numbers sort as numbers (2 before 10) when counts tie.
    return (int(value), "") if facet == "odd" and value.isdigit() else (0, value)


def build_facets(counts: Mapping[str, Mapping[str, int]], filters: SearchFilters) -> dict[str, list[FacetValue]]:
    """Raw bucket counts to facet lists: count desc then value, selected values always present."""
    facets: dict[str, list[FacetValue]] = {}
    for facet in FACET_NAMES:
        selected = set(filters.selected(facet))
        buckets = {str(k): int(v) for k, v in counts.get(facet, {}).items() if v > 0}
        for value in selected:
            buckets.setdefault(value, 0)
        ordered = sorted(buckets.items(), key=lambda kv: (-kv[1], _sort_key(facet, kv[0])))
        facets[facet] = [
            FacetValue(value=value, label=facet_label(facet, value), count=count, selected=value in selected)
            for value, count in ordered
        ]
    return facets


def other_filters(filters: SearchFilters, facet: str) -> SearchFilters:
    """The filters with one facet's own selection removed: what its counts must apply."""
    return filters.model_copy(update={facet: []})


def year_counts(buckets: Mapping[str | int | float, int]) -> list[FacetValue]:
    """Raw year buckets (keys may come back as floats) to `FacetValue`s, oldest year first."""
    counts: dict[int, int] = {}
    for key, count in buckets.items():
        if int(count) > 0:
            year = int(float(key))
            counts[year] = counts.get(year, 0) + int(count)
    return [FacetValue(value=str(year), label=str(year), count=count) for year, count in sorted(counts.items())]
