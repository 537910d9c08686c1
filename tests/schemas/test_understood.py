"""ODD typed as words, read as filters (`schemas/understood.py`)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.search import SearchMode, SearchParams, SearchQuery, Sort
from schemas.understood import understood


@pytest.mark.parametrize(
    ("q", "words", "odd"),
    [
        ("ODD 13", "", [13]),
        ("odd13 climat", "climat", [13]),
        ("agriculture ODD n°2", "agriculture", [2]),
        ("eau ODD-6", "eau", [6]),
        ("ODD 6 et 14 littoral", "littoral", [6, 14]),
        ("ODD 6, 11 & 14", "", [6, 11, 14]),
        ("ODD 6/14", "", [6, 14]),
        ("SDG 7 énergie", "énergie", [7]),
        ("ODD 13 et ODD 13", "", [13]),
    ],
)
def test_odd_mentions_become_filters(q: str, words: str, odd: list[int]) -> None:
    read = understood(q)
    assert read is not None and (read.q, read.odd) == (words, odd)


@pytest.mark.parametrize(
    "q", ["ODD 18", "ODD 0", "odd 1990", "ODD 13.2", "les ODD", "godd 3", '"ODD 13"', "« ODD 13 »", "covoiturage"]
)
def test_other_words_are_left_as_words(q: str) -> None:
    assert understood(q) is None


def test_the_literal_search_quotes_what_was_read() -> None:
    read = understood("climat ODD 13")
    assert read is not None and read.literal_query() == 'climat "ODD 13"'
    assert understood(read.literal_query()) is None
    assert read.labels() == ["ODD 13 : Mesures relatives à la lutte contre les changements climatiques"]


def test_the_query_adds_them_to_the_odd_already_chosen() -> None:
    query = SearchParams(q="ODD 13 vélo", odd=[11, 13]).to_query()
    assert query.q == "vélo" and query.filters.odd == [11, 13]
    assert query.understood is not None and query.understood.mentions == ["ODD 13"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    q=st.sampled_from(["", "covoiturage", "ODD 13 vélo", "eau ODD-6 littoral", "« tiers-lieu »", "ODD 6/14"]),
    odd=st.lists(st.integers(1, 17), max_size=3),
    region=st.lists(st.sampled_from(["Bretagne", "Occitanie"]), max_size=2),
    sort=st.sampled_from(list(Sort)),
    mode=st.sampled_from(list(SearchMode)),
    page=st.integers(1, 20),
    size=st.integers(1, 100),
    facets=st.booleans(),
    deadline=st.none() | st.floats(0, 1e6),
    as_json_for=st.none() | st.just("https://exemple.fr/pratiques/"),
)
def test_the_engine_query_is_the_one_validation_would_build(
    q: str,
    odd: list[int],
    region: list[str],
    sort: Sort,
    mode: SearchMode,
    page: int,
    size: int,
    facets: bool,
    deadline: float | None,
    as_json_for: str | None,
) -> None:
    """`to_query` builds its query without validating it again: the same query, field by field, as validating its
    fields builds, and one that passes validation."""
    params = SearchParams(q=q, odd=odd, region=region, sort=sort, mode=mode, page=page, size=min(size, 10_000 // page))
    built = params.to_query(facets=facets, deadline=deadline, as_json_for=as_json_for)
    read = understood(q)
    validated = SearchQuery(
        q=q if read is None else read.q,
        understood=read,
        filters=params.filters().model_copy(update={"odd": list(dict.fromkeys([*odd, *(read.odd if read else [])]))}),
        sort=sort,
        mode=mode,
        page=params.page,
        size=params.size,
        facets=facets,
        deadline=deadline,
        as_json_for=as_json_for,
    )
    assert built.__dict__ == validated.__dict__
    assert list(built.__dict__) == list(SearchQuery.model_fields)


@pytest.mark.parametrize(("page", "size"), [(1, 101), (0, 20), (101, 100)])
def test_a_copy_with_paging_out_of_bounds_makes_no_query(page: int, size: int) -> None:
    """`model_copy(update=...)` does not validate: `to_query` checks the paging it builds a query of."""
    with pytest.raises(ValueError, match=r"page|size|exceed"):
        SearchParams(q="eau").model_copy(update={"page": page, "size": size}).to_query()
