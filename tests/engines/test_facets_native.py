"""Facet lists written as the answer's JSON (`indexer/facets.py written_facets`): the compiled writer (indexer/native)
writes exactly what the Python reference writes, and both write what the `FacetValue` lists serialise to.

Without the module (no cargo when `make install` ran) the compiled side skips, loudly; with IMPACT_REQUIRE_NATIVE=1
(as in CI) it fails instead.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer import facets
from indexer.compiled import native
from indexer.facets import build_facets, facet_values, facet_values_json, written_facets, year_counts
from schemas.facets import FACETS, ODD, REGION, TERRITORY_TYPE, YEAR, Facet
from schemas.search import SearchFilters
from tests.compiled import requires_native


def listed(values: list[Any]) -> str:
    return orjson.dumps([value.__dict__ for value in values]).decode()


def compiled(facet: Facet, buckets: dict[Any, Any], selected: list[str], by_value: bool = False) -> str:
    assert native is not None, "the compiled module is required (IMPACT_REQUIRE_NATIVE=1) but not built"
    writer = facets._writers[facet.name]
    assert writer is not None
    return writer(buckets, selected, by_value)


KEYS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["13", "3", "84", "rural", "bassin_de_vie", "Île-de-France", 'a"b\\c', "é\u2028<x>", "𝒆"]),
    st.integers(-5, 2100),
    st.floats(-5, 2100, allow_nan=False).map(lambda f: round(f, 1)),
)
COUNTS = st.one_of(st.integers(-2, 10_000), st.floats(-1, 50, allow_nan=False))
FACET = st.sampled_from([*FACETS, YEAR])


@settings(max_examples=300, deadline=None)
@given(facet=FACET, buckets=st.dictionaries(KEYS, COUNTS, max_size=40), selected=st.lists(KEYS.map(str), max_size=4))
def test_the_python_writer_writes_what_the_facet_values_serialise_to(
    facet: Facet, buckets: dict[Any, Any], selected: list[str]
) -> None:
    selected = list(dict.fromkeys(selected))
    try:
        expected = listed(facet_values(facet, buckets, selected))
    except ValueError:  # a string key of a numeric facet that is not a number: both refuse it
        with pytest.raises(ValueError):
            facet_values_json(facet, buckets, selected)
        return
    assert facet_values_json(facet, buckets, selected) == expected


@requires_native
@settings(max_examples=500, deadline=None)
@given(
    facet=FACET,
    buckets=st.dictionaries(KEYS, COUNTS, max_size=40),
    selected=st.lists(KEYS.map(str), max_size=4),
    by_value=st.booleans(),
)
def test_the_compiled_writer_writes_what_the_python_one_writes(
    facet: Facet, buckets: dict[Any, Any], selected: list[str], by_value: bool
) -> None:
    selected = list(dict.fromkeys(selected))
    try:
        expected = facet_values_json(facet, buckets, selected, by_value)
    except ValueError:
        with pytest.raises(ValueError):
            compiled(facet, buckets, selected, by_value)
        return
    assert compiled(facet, buckets, selected, by_value) == expected


@requires_native
def test_a_count_that_is_not_a_number_is_refused_by_both() -> None:
    with pytest.raises(TypeError):
        facet_values_json(REGION, {"84": "3"}, [])
    with pytest.raises(TypeError):
        compiled(REGION, {"84": "3"}, [])


@requires_native
def test_values_forgotten_past_the_limit_are_worked_out_again() -> None:
    """The compiled writer keeps at most `limit` values' labels (or one list's): past it, it forgets them, and
    still writes every list whole."""
    assert native is not None
    made: list[str] = []

    def entry(value: str) -> tuple[tuple[int, str], str]:
        made.append(value)
        return facets._entry(REGION, value)

    writer = native.FacetWriter(True, entry, lambda key: facets.bucket_value(REGION, key), 2)
    buckets = {"84": 5, "11": 5, "93": 1, "44": 2}
    for _ in range(2):  # one list's values are kept whole, past the limit: the second list needs none made
        assert writer.write(buckets, ["52"], False) == listed(facet_values(REGION, buckets, ["52"]))
    assert made == ["84", "11", "93", "44", "52"]
    assert writer.write({"75": 1}, [], False) == listed(facet_values(REGION, {"75": 1}, []))  # a new one: all forgotten
    assert writer.write(buckets, ["52"], False) == listed(facet_values(REGION, buckets, ["52"]))
    assert made.count("84") == 2, made  # worked out again


@pytest.mark.parametrize("compiled_writer", [pytest.param(True, marks=requires_native), False])
@pytest.mark.parametrize("years", [False, True])
def test_the_answers_facets_are_written_as_their_lists_serialise(compiled_writer: bool, years: bool) -> None:
    counts = {
        TERRITORY_TYPE.name: {"rural": 12, "urbain": 3, "montagne": 12},
        ODD.name: {3: 4, 13: 9, 2.0: 4},
        REGION.name: {"84": 7},
        YEAR.name: {2021: 3, 1998.0: 1, 2005: 0},
    }
    filters = SearchFilters(territory_type=["littoral"], odd=[13])
    expected = build_facets(counts, filters)
    if years:
        expected[YEAR.name] = year_counts(counts[YEAR.name])
    written = written_facets(counts, filters, facets=True, years=years, compiled=compiled_writer)
    assert written == orjson.dumps({n: [v.__dict__ for v in vs] for n, vs in expected.items()}).decode()
    assert orjson.loads(written)[TERRITORY_TYPE.name][-1] == {
        "value": "littoral",
        "label": TERRITORY_TYPE.label("littoral"),
        "count": 0,
        "selected": True,
    }
    assert written_facets(counts, filters, facets=False, years=False, compiled=compiled_writer) == "{}"


def test_a_panic_of_the_compiled_writer_is_logged_and_the_python_writes_the_list(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    class PanicException(BaseException):  # what pyo3 raises for a Rust panic (not an `Exception`)
        pass

    def panicking(buckets: Any, selected: list[str], by_value: bool) -> str:
        raise PanicException("index out of bounds")

    monkeypatch.setitem(facets._writers, REGION.name, panicking)
    counts = {REGION.name: {"84": 3}}
    expected = written_facets(counts, SearchFilters(), facets=True, years=False, compiled=False)
    assert written_facets(counts, SearchFilters(), facets=True, years=False) == expected
    assert "compiled facet writer failed" in caplog.text

    def failing(buckets: Any, selected: list[str], by_value: bool) -> str:
        raise TypeError("a bucket's count is a number")

    monkeypatch.setitem(facets._writers, REGION.name, failing)
    with pytest.raises(TypeError):  # any other error is the caller's, as from the Python writer
        written_facets(counts, SearchFilters(), facets=True, years=False)


@requires_native
def test_values_forgotten_while_a_list_is_written_are_still_written() -> None:
    """Another thread may forget every kept value (past the limit) while a list's new values are worked out in
    Python: the list still has them all, and the writer goes on (it panicked, then refused every later list)."""
    assert native is not None
    nested: list[str] = []

    def entry(value: str) -> tuple[tuple[int, str], str]:
        if value == "c" and not nested:  # meanwhile, as another thread would: enough values to forget them all
            nested.append(writer.write({"x": 1, "y": 1}, [], False))
            nested.append(writer.write({"z": 1}, [], False))
        return facets._entry(REGION, value)

    writer = native.FacetWriter(True, entry, str, 2)
    assert writer.write({"a": 1}, [], False) == listed(facet_values(REGION, {"a": 1}, []))
    assert writer.write({"a": 1, "c": 2}, [], False) == listed(facet_values(REGION, {"a": 1, "c": 2}, []))
    assert nested == [listed(facet_values(REGION, {"x": 1, "y": 1}, [])), listed(facet_values(REGION, {"z": 1}, []))]
    assert writer.write({"a": 3}, ["b"], False) == listed(facet_values(REGION, {"a": 3}, ["b"]))


def test_a_compiled_module_without_the_facet_writer_leaves_the_lists_to_python(monkeypatch: pytest.MonkeyPatch) -> None:
    """A module built before the writer existed (a pull without `make install`): the API still starts."""

    class Older:
        Scanner = object

    monkeypatch.setattr(facets, "native", Older())
    assert facets._compiled_writer(REGION) is None
