"""A search's answer read by the compiled module and its page written from the bytes (`indexer/es_answers.py`,
`indexer/hits.py _written_from_json`) give what reading it with orjson and writing the hits from Python objects
gives.

The answers here are Elasticsearch's shape, written by orjson; tests/engines/test_elasticsearch.py compares both
paths on a real node's answers. Without the module these tests skip, loudly; with IMPACT_REQUIRE_NATIVE=1 (as in
CI) they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer import es_answers, hits
from indexer.documents import hit_source
from indexer.es_answers import read_search
from indexer.french import FrenchStemmer
from indexer.highlight import Highlighter, build_highlighter
from indexer.hits import JsonSource, written_hits
from indexer.query import parse_query
from tests.corpus import CORPUS, seed_corpus
from tests.engines.test_highlight_native import QUERIES, WORDS

STEMMER = FrenchStemmer()
PAGE = "https://pratiques.example/p/"

if es_answers.native is None:
    PROBLEM = "the compiled module is not built (`make install` builds it where cargo is)"
    if os.environ.get("IMPACT_REQUIRE_NATIVE") == "1":
        pytest.fail(f"the compiled module is required (IMPACT_REQUIRE_NATIVE=1) but {PROBLEM}", pytrace=False)
    pytest.skip(PROBLEM, allow_module_level=True)


def answer(sources: Sequence[Mapping[str, Any]], scores: Sequence[float | None] | None = None, **extra: Any) -> bytes:
    """A `_search` answer holding these display sources, as Elasticsearch shapes it."""
    scores = scores if scores is not None else [10.0 / (1 + i) for i in range(len(sources))]
    found = [
        {"_index": "impact-monographs-1", "_id": str(s.get("id")), "_score": score, "_source": {"display": s}}
        for s, score in zip(sources, scores, strict=True)
    ]
    body = {
        "took": 3,
        "timed_out": False,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {"total": {"value": len(sources) + 7, "relation": "eq"}, "max_score": 10.0, "hits": found},
        **extra,
    }
    return orjson.dumps(body)


AGGREGATIONS = {
    "odd": {"values": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 3, "buckets": [
        {"key": "11", "doc_count": 4}, {"key": "7", "doc_count": 2}]}},
    "year": {"values": {"sum_other_doc_count": 0, "buckets": [{"key": 2021, "doc_count": 5}]}},
}  # fmt: skip


def both_ways(data: bytes, highlighter: Highlighter | None) -> tuple[bytes, bytes]:
    """The page written by the compiled module from the answer's bytes, and from the same sources read by orjson."""
    compiled = read_search(data, ids_only=False)
    assert compiled.hits and all(isinstance(source, JsonSource) for source, _ in compiled.hits)
    native = hits._written_from_json(compiled.hits, highlighter, None, PAGE)
    assert native is not None, "the compiled writer left this page to Python"
    reference = read_search(orjson.loads(data), ids_only=False)
    assert not any(isinstance(source, JsonSource) for source, _ in reference.hits)
    return native, written_hits(reference.hits, highlighter, None, PAGE)


def highlighters(q: str) -> list[Highlighter | None]:
    native = build_highlighter(parse_query(q), STEMMER)
    assert native is not None and hasattr(native, "scanner")
    return [None, native]


def test_the_answer_is_read_alike() -> None:
    sources = [hit_source(m) for m in CORPUS]
    data = answer(sources, aggregations=AGGREGATIONS)
    compiled, reference = read_search(data, ids_only=False), read_search(orjson.loads(data), ids_only=False)
    assert compiled.total == reference.total == len(sources) + 7
    assert compiled.hits == reference.hits and [s for _, s in compiled.hits] == [s for _, s in reference.hits]
    assert compiled.buckets == reference.buckets == {"odd": {"11": 4, "7": 2}, "year": {2021: 5}}
    assert compiled.truncated == reference.truncated == {"odd"}
    ids = read_search(data, ids_only=True)
    assert ids.hits == [({"id": s["id"]}, score) for s, score in reference.hits]


def test_a_source_is_read_only_when_asked_for() -> None:
    data = answer([hit_source(m) for m in CORPUS[:3]])
    source = read_search(data, ids_only=False).hits[1][0]
    assert isinstance(source, JsonSource) and source._fields is None
    assert source.get("id") == CORPUS[1].id and source["title"] == CORPUS[1].title
    assert dict(source) == hit_source(CORPUS[1]) and len(source) == len(hit_source(CORPUS[1]))


@pytest.mark.parametrize("q", QUERIES)
def test_every_seed_practice_is_written_alike(q: str) -> None:
    sources = [hit_source(m) for m in seed_corpus()]
    for start in range(0, len(sources), 20):
        data = answer(sources[start : start + 20])
        for highlighter in highlighters(q):
            native, reference = both_ways(data, highlighter)
            assert orjson.loads(native) == orjson.loads(reference)


def test_the_page_is_written_byte_for_byte_as_orjson_writes_it() -> None:
    """The same JSON, not only the same values, where the node writes strings as orjson does (Elasticsearch
    writes them again, its own way: then the values are the same, `test_texts_written_with_escapes_are_read_alike`)."""
    data = answer([hit_source(m) for m in CORPUS], scores=[12.5, 3.25, 1.0] + [0.5] * (len(CORPUS) - 3))
    for highlighter in highlighters("tiers-lieu alimentation"):
        native, reference = both_ways(data, highlighter)
        assert native == reference


def test_sources_written_before_a_field_existed_or_with_unusual_values() -> None:
    """Stored sources the hits' reference handles: no `tags` or `programmes` (or null), a territory of a name only,
    no sections or null, text to escape (quotes, backslashes, controls, HTML, characters beyond the first plane),
    no score."""
    base = hit_source(CORPUS[0])
    legacy = {k: v for k, v in base.items() if k not in ("tags", "programmes", "sections")}
    legacy["territory"] = {"name": "Die"}
    odd = {
        **base,
        "id": 'un-"id"\\',
        "title": 'Économie "sociale" \\ <script>alert(1)</script>\n\t\u0001 🚲 circulaire',
        "summary": "L'économie\u2028circulaire 𝒆conomie",
        "tags": None,
        "programmes": [],
        "sections": {"context": "Une économie « circulaire » — \u00a0cœur", "approach": "🚲 économie " * 400},
    }
    empty = {**base, "id": "vide", "sections": None, "tags": ["a"], "programmes": None}
    data = answer([legacy, odd, empty, {**base, "sections": {}}], scores=[None, 2.0, 1e-7, 1e21])
    for highlighter in highlighters("économie circulaire"):
        native, reference = both_ways(data, highlighter)
        assert orjson.loads(native) == orjson.loads(reference)
    assert orjson.loads(native)[0]["territory"]["kind"] is None and orjson.loads(native)[0]["tags"] == []


def test_what_the_compiled_writer_leaves_to_python_is_written_by_python() -> None:
    """Sections that are not strings, an id that is not one, a source without an id: the page comes from the
    reference, unchanged (here its error: these sources were never valid). A lone surrogate, which Rust's strings
    cannot hold, never reaches the node: the engine's JSON writer, orjson, refuses it."""
    base = hit_source(CORPUS[0])
    for strange in (
        {**base, "sections": {"context": 3}},
        {**base, "sections": ["économie"]},
        {**base, "id": 12},
        {k: v for k, v in base.items() if k != "id"},
    ):
        data = answer([strange])
        page = read_search(data, ids_only=False).hits
        highlighter = build_highlighter(parse_query("économie"), STEMMER)
        assert hits._written_from_json(page, highlighter, None, PAGE) is None
        reference = read_search(orjson.loads(data), ids_only=False).hits
        assert outcome(page, highlighter) == outcome(reference, highlighter)


def outcome(page: list[tuple[Mapping[str, Any], float | None]], highlighter: Highlighter | None) -> object:
    """The page written, or the type of the error writing it raised."""
    try:
        return written_hits(page, highlighter, None, PAGE)
    except Exception as error:
        return type(error)


def test_an_answer_the_module_does_not_read_is_read_by_orjson() -> None:
    data = orjson.dumps({"hits": {"total": {"value": 1}, "hits": [{"_id": "x", "_score": 1.0, "_source": {}}]}})
    with pytest.raises(KeyError):  # the reference's error: a hit without its display source
        read_search(data, ids_only=False)
    assert read_search(data, ids_only=True).hits == [({"id": "x"}, 1.0)]
    assert read_search(b'{"hits": {"total": {"value": 0}, "hits": []}}', ids_only=False).total == 0
    source = hit_source(CORPUS[0])
    for unread in (
        answer([source]).replace(b"Die", b"D\xffie"),  # not UTF-8
        answer([source])[:-1],  # cut short
        answer([source]).replace(b'"total":{"value":8,', b'"total":{"count":8,'),
        answer([{}]),  # a source without fields
        answer([source]).replace(b'"title":', b'"titl\\u0065":'),  # a field name with an escape
    ):
        assert es_answers.native.read_answer(unread) is None
    escaped = answer([source]).replace(b'"title":', b'"titl\\u0065":')
    assert read_search(escaped, ids_only=False).hits == read_search(orjson.loads(escaped), ids_only=False).hits


def test_hits_of_two_answers_are_written_by_python() -> None:
    first, second = (read_search(answer([hit_source(m)]), ids_only=False).hits for m in CORPUS[:2])
    assert hits._written_from_json(first + second, None, None, PAGE) is None
    assert hits._written_from_json(first, None, None, PAGE) is not None


def test_a_page_with_a_python_highlighter_or_a_territory_ranking_is_written_by_python() -> None:
    data = answer([hit_source(m) for m in CORPUS[:4]])
    page = read_search(data, ids_only=False).hits
    python = build_highlighter(parse_query("économie"), STEMMER, native=False)
    assert hits._written_from_json(page, python, None, PAGE) is None
    reference = read_search(orjson.loads(data), ids_only=False).hits
    assert written_hits(page, python, None, PAGE) == written_hits(reference, python, None, PAGE)


def test_a_panic_of_the_compiled_writer_is_logged_and_python_writes(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    data = answer([hit_source(m) for m in CORPUS[:4]])
    page = read_search(data, ids_only=False).hits
    expected = written_hits(read_search(orjson.loads(data), ids_only=False).hits, None, None, PAGE)

    class Panicking:
        def write(self, *args: Any) -> bytes:
            raise type("PanicException", (BaseException,), {})("index out of bounds")

    monkeypatch.setattr(hits, "_hit_writer", Panicking)
    assert written_hits(page, None, None, PAGE) == expected
    assert "compiled hit writer failed" in caplog.text


words = st.lists(st.sampled_from(WORDS) | st.text(max_size=8), max_size=30).map(" ".join)
texts_without_surrogates = words.filter(lambda t: not any("\ud800" <= c <= "\udfff" for c in t))


@given(
    st.lists(
        st.tuples(texts_without_surrogates, texts_without_surrogates, st.lists(texts_without_surrogates, max_size=4)),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from(QUERIES),
)
@settings(max_examples=200, deadline=None)
def test_any_texts_are_written_alike(pages: list[tuple[str, str, list[str]]], q: str) -> None:
    base = hit_source(CORPUS[0])
    sources = [
        {**base, "id": f"p{i}", "title": t, "summary": s, "sections": {f"s{j}": x for j, x in enumerate(sections)}}
        for i, (t, s, sections) in enumerate(pages)
    ]
    for highlighter in highlighters(q):
        native, reference = both_ways(answer(sources), highlighter)
        assert native == reference


def test_texts_written_with_escapes_are_read_alike() -> None:
    """Elasticsearch writes JSON its own way: a text may come with any character escaped (`\\u00e9`, `\\/`); the
    compiled scan reads them as orjson does. An escaped surrogate (a pair, or a lone one, which orjson refuses) leaves
    the whole answer to orjson."""
    source = {
        **hit_source(CORPUS[0]),
        "title": "Économie 🚲 circulaire / « cœur »",
        "sections": {"context": "Une économie 🚲 circulaire, l'économie\tsolidaire / " * 30},
    }
    written = answer([source])
    escaped = written.replace("é".encode(), b"\\u00e9").replace("œ".encode(), b"\\u0153").replace(b" / ", b" \\/ ")
    assert escaped.count(b"\\u") > 60 and orjson.loads(escaped) == orjson.loads(written)
    for highlighter in highlighters("économie circulaire"):
        native, reference = both_ways(escaped, highlighter)
        # The same values (a field shown as stored keeps the node's escapes: the same text once read).
        assert orjson.loads(native) == orjson.loads(reference) == orjson.loads(both_ways(written, highlighter)[0])
        assert (b"<mark>" in native) == (highlighter is not None)
    pair = written.replace("🚲".encode(), b"\\ud83d\\udeb2")
    assert es_answers.native.read_answer(pair) is None and orjson.loads(pair) == orjson.loads(written)
    assert read_search(pair, ids_only=False) == read_search(orjson.loads(written), ids_only=False)
    lone = written.replace(b'"rural"', b'"rural\\ud800"', 1)
    assert lone != written and es_answers.native.read_answer(lone) is None
    with pytest.raises(orjson.JSONDecodeError):  # as the reference refuses it
        read_search(lone, ids_only=False)


def test_a_panic_of_the_compiled_reader_is_logged_and_orjson_reads(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    data = answer([hit_source(m) for m in CORPUS[:3]], aggregations=AGGREGATIONS)

    class Panicking:
        def read_answer(self, body: bytes) -> None:
            raise type("PanicException", (BaseException,), {})("index out of bounds")

    monkeypatch.setattr(es_answers, "native", Panicking())
    read = read_search(data, ids_only=False)
    assert read == read_search(orjson.loads(data), ids_only=False)
    assert not any(isinstance(source, JsonSource) for source, _ in read.hits)
    assert "compiled answer reader failed" in caplog.text
