"""Suggestions as you type: practices, and the themes, programmes and territories that complete the
words typed, read from one small search (the last word matches as a prefix: `indexer/query.py`).

Engine-neutral and bounded: one search of `SUGGEST_HITS` practices, without facets or highlights,
whatever the size of the store.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from indexer.engine import SearchEngine
from indexer.french import fold
from schemas.search import SearchHit, SearchQuery, SearchResult, Suggestion

SUGGEST_HITS = 10
MAX_LIMIT = 10
_WORD = re.compile(r"\w+")


def _completes(label: str, typed: list[str]) -> bool:
    """Whether a theme, programme or territory completes what was typed: every typed word starts one
    of its words (`covoit` → "covoiturage solidaire", `mob rur` → "mobilité rurale")."""
    words = _WORD.findall(fold(label))
    return all(any(w.startswith(t) for w in words) for t in typed)


def _labels(hits: Iterable[SearchHit]) -> Iterable[tuple[str, str]]:
    for hit in hits:
        yield from (("tag", tag) for tag in hit.tags)
        yield from (("programme", programme) for programme in hit.programmes)
        yield "territory", hit.territory.name


def suggest_query(text: str, deadline: float | None = None) -> SearchQuery | None:
    """The one small search suggestions are read from (None: no word typed yet), to be finished by `deadline`
    (`time.monotonic()`), as any search of the API."""
    if not _WORD.search(fold(text)):
        return None
    return SearchQuery(q=text, size=SUGGEST_HITS, facets=False, highlight=False, deadline=deadline)


def suggestions_from(text: str, result: SearchResult, limit: int = 8) -> list[Suggestion]:
    """Up to `limit` suggestions from the result of `suggest_query(text)`: completions first (the most
    frequent among the matching practices), then the best matching practices themselves."""
    typed = _WORD.findall(fold(text))
    counts: Counter[tuple[str, str]] = Counter()
    first_seen: dict[str, tuple[str, str]] = {}
    for kind, label in _labels(result.hits):
        if _completes(label, typed):
            key = first_seen.setdefault(fold(label).strip(), (kind, label))  # one spelling per label
            counts[key] += 1
    completions = [Suggestion(kind=kind, text=label) for (kind, label), _ in counts.most_common(limit // 2 or 1)]
    practices = [Suggestion(kind="practice", text=hit.title, id=hit.id) for hit in result.hits]
    return (completions + practices)[:limit]


def suggest(engine: SearchEngine, text: str, limit: int = 8) -> list[Suggestion]:
    """Up to `limit` suggestions for `text` (`suggestions_from`), from one search of `engine`."""
    query = suggest_query(text)
    return suggestions_from(text, engine.search(query), limit) if query is not None else []
