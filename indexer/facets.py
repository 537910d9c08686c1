"""Facet answers, in one place for every engine: raw bucket counts to labelled, ordered facet lists."""

from __future__ import annotations

from collections.abc import Mapping

from schemas.facets import FACETS, YEAR, Facet, FacetKind
from schemas.search import FacetValue, SearchFilters
from schemas.trusted import trusted

Buckets = Mapping[str | int | float, int]

# Each facet's values with their label and tie order, worked out once: the same values come back in
# every search. Bounded: a facet's values are its referential's (or years), or at most this many.
_labels: dict[str, dict[str, tuple[str, tuple[int, str]]]] = {}
MAX_KNOWN_LABELS = 50_000


def bucket_value(facet: Facet, key: str | int | float) -> str:
    """An engine's bucket key as the facet's value: numbers may come back as floats (`3.0`)."""
    return str(int(float(key))) if facet.kind != FacetKind.KEYWORD else str(key)


def facet_values(facet: Facet, buckets: Buckets, selected: list[str]) -> list[FacetValue]:
    """Count desc then value, the selected values always present (count 0 when nothing has them)."""
    counts: dict[str, int] = {}
    keyword = facet.kind == FacetKind.KEYWORD
    for key, count in buckets.items():
        if count > 0:
            value = key if keyword and isinstance(key, str) else bucket_value(facet, key)
            counts[value] = counts.get(value, 0) + int(count)
    for value in selected:
        counts.setdefault(value, 0)
    known = _labels.setdefault(facet.name, {})
    if len(known) > MAX_KNOWN_LABELS:
        known.clear()
    shown = [
        (value, count, *(known.get(value) or known.setdefault(value, (facet.label(value), facet.order(value)))))
        for value, count in counts.items()
    ]
    shown.sort(key=lambda item: (-item[1], item[3]))
    chosen = set(selected)
    # Built from the engine's counts and the registry's labels: not validated again (about a hundred a search).
    return [
        trusted(FacetValue, {"value": value, "label": label, "count": count, "selected": value in chosen})
        for value, count, label, _ in shown
    ]


def build_facets(counts: Mapping[str, Buckets], filters: SearchFilters) -> dict[str, list[FacetValue]]:
    """Every registered facet's list from the raw counts an engine returned."""
    return {
        facet.name: facet_values(facet, counts.get(facet.name, {}), filters.selected(facet.name)) for facet in FACETS
    }


def year_counts(buckets: Buckets) -> list[FacetValue]:
    """Start-year buckets to `FacetValue`s, oldest year first."""
    values = facet_values(YEAR, buckets, [])
    return sorted(values, key=lambda value: int(value.value))
