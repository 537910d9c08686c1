"""ODD typed as words, read as filters (`schemas/understood.py`)."""

from __future__ import annotations

import pytest

from schemas.search import SearchParams
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
