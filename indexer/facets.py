"""Facet answers, in one place for every engine: raw bucket counts to labelled, ordered facet lists."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping

import orjson

from indexer.compiled import is_panic, native
from schemas.facets import FACETS, YEAR, Facet, FacetKind
from schemas.search import FacetValue, SearchFilters
from schemas.trusted import trusted

log = logging.getLogger(__name__)

Buckets = Mapping[str | int | float, int]

# Each facet's values with their label and tie order, worked out once: the same values come back in
# every search. Bounded: a facet's values are its referential's (or years), or at most this many.
_labels: dict[str, dict[str, tuple[str, tuple[int, str]]]] = {}
MAX_KNOWN_LABELS = 50_000


def bucket_value(facet: Facet, key: str | int | float) -> str:
    """An engine's bucket key as the facet's value: numbers may come back as floats (`3.0`)."""
    return str(int(float(key))) if facet.kind != FacetKind.KEYWORD else str(key)


def _counted(facet: Facet, buckets: Buckets, selected: list[str]) -> dict[str, int]:
    """Each value counted above 0 (keys that are the same value added up), then the selected ones (0 if absent)."""
    counts: dict[str, int] = {}
    keyword = facet.kind == FacetKind.KEYWORD
    for key, count in buckets.items():
        if count > 0:
            value = key if keyword and isinstance(key, str) else bucket_value(facet, key)
            counts[value] = counts.get(value, 0) + int(count)
    for value in selected:
        counts.setdefault(value, 0)
    return counts


def facet_values(facet: Facet, buckets: Buckets, selected: list[str]) -> list[FacetValue]:
    """Count desc then value, the selected values always present (count 0 when nothing has them)."""
    counts = _counted(facet, buckets, selected)
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


# The facet lists as the answer's JSON (`written_facets`), for the API's `/search`, which only writes them:
# about a hundred values a search, without a `FacetValue` each (0.13 ms a search in Python objects, then their
# JSON; on real calls, where the engine's answer arrives in caches its work has left cold, 0.38 ms:
# benchmarks/results/perf-20261204-session30.md).

Entry = tuple[tuple[int, str], str]

# Each facet value's tie order and JSON up to its count (`{"value":…,"label":…,"count":`), worked out once.
_written: dict[str, dict[str, Entry]] = {}


def _entry(facet: Facet, value: str) -> Entry:
    head = orjson.dumps({"value": value, "label": facet.label(value), "count": 0})
    return facet.order(value), head[: -len(b"0}")].decode()


def facet_values_json(facet: Facet, buckets: Buckets, selected: list[str], by_value: bool = False) -> str:
    """`facet_values` written as its JSON array (`by_value`: in tie order alone, as `year_counts`). The reference of
    the compiled writer (`FacetWriter`, `_compiled_writer`), which writes the same."""
    counts = _counted(facet, buckets, selected)
    known = _written.setdefault(facet.name, {})
    if len(known) > MAX_KNOWN_LABELS:
        known.clear()
    rows = [
        (-count, *(known.get(value) or known.setdefault(value, _entry(facet, value))), count, value)
        for value, count in counts.items()
    ]
    rows.sort(key=(lambda row: row[1]) if by_value else (lambda row: (row[0], row[1])))
    chosen = set(selected)
    values = (
        f'{head}{count},"selected":{"true" if value in chosen else "false"}}}' for _, _, head, count, value in rows
    )
    return "[" + ",".join(values) + "]"


def _compiled_writer(facet: Facet) -> Callable[[Buckets, list[str], bool], str] | None:
    """The compiled `facet_values_json` of `facet` (indexer/native), None where the module is not built."""
    made = getattr(native, "FacetWriter", None)
    if made is None:  # not built, or built before it had one (`make install` rebuilds it)
        return None
    writer = made(
        facet.kind == FacetKind.KEYWORD,
        functools.partial(_entry, facet),
        functools.partial(bucket_value, facet),
        MAX_KNOWN_LABELS,
    )
    return lambda buckets, selected, by_value: writer.write(
        buckets if type(buckets) is dict else dict(buckets), selected, by_value
    )


_writers = {facet.name: _compiled_writer(facet) for facet in (*FACETS, YEAR)}


def _values_json(facet: Facet, buckets: Buckets, selected: list[str], by_value: bool, compiled: bool) -> str:
    writer = _writers[facet.name] if compiled else None
    if writer is not None:
        try:
            return writer(buckets, selected, by_value)
        except BaseException as error:  # a Rust panic is a BaseException: logged, and the Python writes the list
            if not is_panic(error):
                raise
            log.error("compiled facet writer failed, writing facet lists in Python", exc_info=error)
    return facet_values_json(facet, buckets, selected, by_value)


def written_facets(
    counts: Mapping[str, Buckets], filters: SearchFilters, facets: bool, years: bool, compiled: bool = True
) -> str:
    """The answer's `facets` as JSON, from an engine's raw counts: every registered facet's list when `facets`
    (`build_facets`), the start years when `years` (`year_counts`). Compiled where the module is built, unless
    `compiled` is False."""
    lists = [
        (facet.name, _values_json(facet, counts.get(facet.name, {}), filters.selected(facet.name), False, compiled))
        for facet in (FACETS if facets else ())
    ]
    if years:
        lists.append((YEAR.name, _values_json(YEAR, counts.get(YEAR.name, {}), [], True, compiled)))
    return "{" + ",".join(f'"{name}":{values}' for name, values in lists) + "}"
