"""A search's hits, built from the display sources an engine stored (no store read): as models (`hit_from_source`),
or written straight as the answer's JSON for `/search`, which only writes them (`written_hits`; the sources of an
Elasticsearch answer read in place by the compiled module, `JsonSource`, written by it from the answer's bytes).

Sources were validated before they were indexed: hits are built, not validated again (`trusted`), all but their
territory, validated once per distinct territory so its kind and zone are enums again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any

import orjson

from indexer.compiled import is_panic, native
from indexer.highlight import FRAGMENT_SIZE, MAX_FRAGMENTS, SCAN_BUDGET, Highlighter, NativeHighlighter
from indexer.like_territory import similarity_reasons
from schemas.like_territory import TerritoryProfile
from schemas.monograph import Territory
from schemas.search import Highlight, SearchHit
from schemas.trusted import trusted

log = logging.getLogger(__name__)

# A hit's fields as a source holds them (`sections` aside: only their excerpts are shown).
_COMPUTED = {"score", "highlight", "similarity_reasons"}
_SOURCE_FIELDS = tuple(name for name in SearchHit.model_fields if name not in _COMPUTED)
# How the compiled writer writes each of a hit's fields, in order (`indexer/native/src/answers.rs`): as the source
# holds it, a list (empty when the source has none), the territory, the score, the highlight, no reasons.
_KINDS = {"tags": 1, "programmes": 1, "territory": 2, "score": 3, "highlight": 4, "similarity_reasons": 5}
NATIVE_FIELDS = [(name, _KINDS.get(name, 0)) for name in SearchHit.model_fields]


class JsonSource(Mapping[str, Any]):
    """A display source as its JSON, a span of an engine's answer read by the compiled module (`answer`, whose
    `index`th hit it is), read into Python when a field is first asked for: a page of them is written from the
    answer, without reading them (`written_hits`)."""

    __slots__ = ("_fields", "answer", "data", "end", "index", "start")

    def __init__(self, answer: Any, index: int, data: bytes, start: int, end: int) -> None:
        self.answer, self.index = answer, index
        self.data, self.start, self.end = data, start, end
        self._fields: dict[str, Any] | None = None

    def _read(self) -> dict[str, Any]:
        if self._fields is None:
            self._fields = orjson.loads(memoryview(self.data)[self.start : self.end])
        return self._fields

    def __getitem__(self, key: str) -> Any:
        return self._read()[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self._read().get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())


@lru_cache(maxsize=4096)
def _territory(fields: tuple[tuple[str, Any], ...]) -> Territory:
    """A stored territory as a model (read-only: shared by every hit of the same territory)."""
    return Territory.model_validate(dict(fields))


def hit_fields(
    source: Mapping[str, Any],
    score: float | None,
    highlighter: Highlighter | None,
    like: TerritoryProfile | None = None,
) -> dict[str, Any]:
    """A hit's fields in the model's order (which is the answer's): its territory a model, its highlight a
    dictionary, marked when there are words, and why its territory is like `like` when a search ranks by one."""
    get = source.get
    highlight: dict[str, Any]
    if highlighter is None:
        highlight = {"title": None, "summary": None, "sections": []}
    else:
        title, summary, sections = highlighter.render_hit(
            source["title"], source["summary"], list((get("sections") or {}).values())
        )
        highlight = {"title": title, "summary": summary, "sections": sections}
    fields: dict[str, Any] = {name: get(name) for name in _SOURCE_FIELDS}
    # A source written before `tags` and `programmes` existed has none of them.
    fields["tags"] = fields["tags"] or []
    fields["programmes"] = fields["programmes"] or []
    territory = fields["territory"] = _territory(tuple(source["territory"].items()))
    fields["score"] = score
    fields["highlight"] = highlight
    fields["similarity_reasons"] = (
        similarity_reasons(like, territory, fields["territory_types"]) if like is not None else []
    )
    return fields


def hit_from_source(
    source: Mapping[str, Any],
    score: float | None,
    highlighter: Highlighter | None,
    like: TerritoryProfile | None = None,
) -> SearchHit:
    """A result from the display data an engine stored (`hit_fields`)."""
    fields = hit_fields(source, score, highlighter, like)
    fields["highlight"] = trusted(Highlight, fields["highlight"])
    return trusted(SearchHit, fields)


def written_hits(
    hits: Sequence[tuple[Mapping[str, Any], float | None]],
    highlighter: Highlighter | None,
    like: TerritoryProfile | None,
    page: str,
) -> bytes:
    """The JSON of these hits as the API answers them (`hit_from_source`'s fields, then `url`: `page` followed by
    the practice's id), written from dictionaries: no model built, and orjson never calls back into Python
    (benchmarks/results/perf-20261205-session33.md). Sources held as JSON are written from it by the compiled
    module, when it can (`_written_from_json`)."""
    from_json = _written_from_json(hits, highlighter, like, page)
    if from_json is not None:
        return from_json
    written = []
    for source, score in hits:
        fields = hit_fields(source, score, highlighter, like)
        fields["territory"] = fields["territory"].__dict__
        fields["url"] = page + fields["id"]
        written.append(fields)
    return orjson.dumps(written)


def _written_territory(stored: bytes) -> bytes:
    """A stored territory's JSON as a hit's (`_territory`, its fields in the model's order)."""
    return orjson.dumps(_territory(tuple(orjson.loads(stored).items())).__dict__)


@lru_cache(maxsize=1)
def _hit_writer() -> Any:
    """The compiled writer of pages of hits (`impact_highlight.HitWriter`), with the territories it wrote."""
    assert native is not None
    return native.HitWriter(NATIVE_FIELDS, _written_territory, SCAN_BUDGET, FRAGMENT_SIZE, MAX_FRAGMENTS)


def _written_from_json(
    hits: Sequence[tuple[Mapping[str, Any], float | None]],
    highlighter: Highlighter | None,
    like: TerritoryProfile | None,
    page: str,
) -> bytes | None:
    """`written_hits`' JSON written by the compiled module from the answer the sources are hits of (the same
    output, tests/engines/test_answers_native.py), without reading them into Python objects; None (written from
    dictionaries) when the sources are not all hits of the same answer, the search ranks by a territory, the
    highlighter is not compiled, or the module finds something it leaves to Python."""
    if native is None or like is not None or not hits or not isinstance(hits[0][0], JsonSource):
        return None
    scanner = None
    if highlighter is not None:
        if not isinstance(highlighter, NativeHighlighter):
            return None
        scanner = highlighter.scanner
    answer = hits[0][0].answer
    page_hits = []
    for source, score in hits:
        if not isinstance(source, JsonSource) or source.answer is not answer:
            return None
        page_hits.append((source.index, score))
    try:
        written: bytes | None = _hit_writer().write(answer, page_hits, scanner, page)
    except BaseException as error:  # a Rust panic is a BaseException
        if not is_panic(error):
            raise
        log.error("compiled hit writer failed, writing the hits in Python", exc_info=error)
        return None
    return written
