"""Elasticsearch's answer to a search, read from the bytes that came (`answered_as_bytes`) into what the pipeline
takes (`RawSearch`).

A page's answer is about 80 KB, 80 % of it the practices' sections, which only the highlight's excerpts need. Read
by the compiled module (`impact_highlight.read_answer`), the answer gives its total, each hit's id and score, and
where its display source is in the bytes: each source is read only if something asks for it (`JsonSource`), and the
page's JSON is written from the bytes (`indexer.hits.written_hits`). Reading the whole answer into Python objects
(orjson) and building the hits from them took about 0.3 ms of a search on real calls; without the compiled module,
and for an answer it does not read, that is what is done.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import orjson

from indexer.compiled import is_panic, native
from indexer.hits import JsonSource
from indexer.pipeline import RawSearch

log = logging.getLogger(__name__)


def read_search(body: bytes | Mapping[str, Any], ids_only: bool) -> RawSearch:
    """A `_search`'s answer (its bytes, or as the client read it): the hits' display sources (only their ids when
    `ids_only`) with their scores, and each aggregation's buckets."""
    if isinstance(body, bytes):
        answer = _read_in_place(body)
        hits = answer.hits() if answer is not None else []
        if answer is not None and (ids_only or all(span is not None for _, _, span in hits)):
            raw = RawSearch(
                answer.total,
                [
                    ({"id": id_} if ids_only else JsonSource(answer, index, body, *span), score)
                    for index, (id_, score, span) in enumerate(hits)
                ],
            )
            if answer.aggregations is not None:
                start, end = answer.aggregations
                _add_buckets(raw, orjson.loads(memoryview(body)[start:end]))
            return raw
    read: Mapping[str, Any] = orjson.loads(body) if isinstance(body, bytes) else body
    hits_found = read["hits"]
    raw = RawSearch(
        hits_found["total"]["value"],
        [({"id": h["_id"]} if ids_only else h["_source"]["display"], h.get("_score")) for h in hits_found["hits"]],
    )
    _add_buckets(raw, read.get("aggregations", {}))
    return raw


def _add_buckets(raw: RawSearch, aggregations: Mapping[str, Any]) -> None:
    for name, aggregation in aggregations.items():
        values = aggregation["values"]
        raw.buckets[name] = {b["key"]: b["doc_count"] for b in values["buckets"]}
        if values.get("sum_other_doc_count"):
            raw.truncated.add(name)


def _read_in_place(body: bytes) -> Any:
    """The answer as the compiled module reads it (`impact_highlight.Answer`); None without the module, for an answer
    it leaves to orjson, or after a panic of its code (logged: a search never fails for it)."""
    if native is None:
        return None
    try:
        return native.read_answer(body)
    except BaseException as error:  # a Rust panic is a BaseException
        if not is_panic(error):
            raise
        log.error("compiled answer reader failed, reading the answer with orjson", exc_info=error)
        return None
