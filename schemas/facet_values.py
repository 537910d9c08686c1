"""A search among one facet's values (`GET /facets/{facet}/values`): its query string and its answer."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from schemas.search import MAX_QUERY_LENGTH, FacetValue, SearchFilters

MAX_VALUE_TEXT = 100
MAX_VALUES = 100


class FacetValuesParams(SearchFilters):
    """The text to find among the values, the current search (its words and filters) and a limit."""

    q: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_VALUE_TEXT)] = Field(
        "",
        description="Text to find in a value's label or code: every word typed begins a word of it, accents and "
        "case aside (`dro` → Drôme, `diois` → CC du Diois, `26` → Drôme and the EPCI of the Drôme). "
        "Empty: every value with practices.",
        examples=["diois"],
    )
    search: Annotated[str, StringConstraints(max_length=MAX_QUERY_LENGTH)] = Field(
        "", description="The words of the current search (the `q` of `/search`): counts follow them."
    )
    limit: Annotated[int, Field(ge=1, le=MAX_VALUES)] = Field(20, description="Values answered at most.")


class FacetValues(BaseModel):
    """The matching values with practices under the current search (and the selected ones, even at 0),
    most practices first, then by label."""

    facet: str
    values: list[FacetValue]
    more: bool = Field(description="More values match than `limit`: type more of the name.")
