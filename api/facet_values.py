"""Searching among a facet's values: labels and codes matched in the registry (never in the store),
counts read from one search's facet counts."""

from __future__ import annotations

from functools import cache

from schemas.facet_values import FacetValues, FacetValuesParams
from schemas.facets import FACET_BY_NAME, Facet
from schemas.search import FacetValue, SearchQuery
from territories.names import name_words


@cache
def _value_words(name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each referential value of a facet with the words it is found by: its label, itself, and more."""
    facet = FACET_BY_NAME[name]
    more = facet.also_found_by or (lambda _: "")
    return tuple((value, name_words(f"{facet.label(value)} {value} {more(value)}")) for value in facet.values)


def matches(words: tuple[str, ...], typed: tuple[str, ...]) -> bool:
    """Whether every word typed begins a word of the value."""
    return all(any(word.startswith(part) for word in words) for part in typed)


def matching_values(facet: Facet, text: str) -> set[str] | None:
    """The facet's values whose label or code matches `text` (None: no text, every value)."""
    typed = name_words(text)
    if not typed:
        return None
    return {value for value, words in _value_words(facet.name) if matches(words, typed)}


def counting_query(params: FacetValuesParams, deadline: float | None) -> SearchQuery:
    """The one search whose facet counts answer: the current words and filters, no hits."""
    return SearchQuery(q=params.search, filters=params.filters(), size=0, highlight=False, deadline=deadline)


def facet_values(facet: Facet, params: FacetValuesParams, counted: list[FacetValue]) -> FacetValues:
    """The values matching `params.q` among a search's counted values (those with practices, and the
    selected ones), most practices first, then by label, at most `params.limit`."""
    wanted = matching_values(facet, params.q)
    found = [value for value in counted if wanted is None or value.value in wanted]
    found.sort(key=lambda value: (-value.count, value.label))
    return FacetValues(facet=facet.name, values=found[: params.limit], more=len(found) > params.limit)
