"""A search's hits, built from the display sources an engine stored (no store read): as models (`hit_from_source`),
or written straight as the answer's JSON for `/search`, which only writes them (`written_hits`).

Sources were validated before they were indexed: hits are built, not validated again (`trusted`), all but their
territory, validated once per distinct territory so its kind and zone are enums again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import orjson

from indexer.highlight import Highlighter
from indexer.like_territory import similarity_reasons
from schemas.like_territory import TerritoryProfile
from schemas.monograph import Territory
from schemas.search import Highlight, SearchHit
from schemas.trusted import trusted

# A hit's fields as a source holds them (`sections` aside: only their excerpts are shown).
_COMPUTED = {"score", "highlight", "similarity_reasons"}
_SOURCE_FIELDS = tuple(name for name in SearchHit.model_fields if name not in _COMPUTED)


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
    hits: Iterable[tuple[Mapping[str, Any], float | None]],
    highlighter: Highlighter | None,
    like: TerritoryProfile | None,
    page: str,
) -> bytes:
    """The JSON of these hits as the API answers them (`hit_from_source`'s fields, then `url`: `page` followed by
    the practice's id), written from dictionaries: no model built, and orjson never calls back into Python
    (benchmarks/results/perf-20261205-session33.md)."""
    written = []
    for source, score in hits:
        fields = hit_fields(source, score, highlighter, like)
        fields["territory"] = fields["territory"].__dict__
        fields["url"] = page + fields["id"]
        written.append(fields)
    return orjson.dumps(written)
