"""Possible duplicates of a submission, for moderation: the same external id, or a title with the same words.

Bounded work: one indexed store lookup and one engine search of a few hits, whatever the store's size.
"""

from __future__ import annotations

import time
from typing import Literal

from api.settings import Settings, practice_url
from api.store import Store
from indexer.engine import SearchEngine
from indexer.french import normalise_word, words
from schemas.api import PossibleDuplicate
from schemas.monograph import Monograph, Status
from schemas.search import MAX_QUERY_LENGTH, SearchQuery

# Practices listed at most, and the engine's best title matches compared with the submission.
MAX_DUPLICATES = 5
TITLE_CANDIDATES = 10
# Share of their meaningful words two titles must have in common (of the longer one's) to be flagged.
TITLE_OVERLAP = 0.6
CANDIDATE_STATUSES = (Status.PUBLISHED, Status.SUBMITTED)


def title_words(title: str) -> frozenset[str]:
    """The words of a title that carry meaning: folded, elisions and stopwords dropped."""
    return frozenset(w for _, _, word in words(title) if (w := normalise_word(word)))


def similar_titles(first: str, second: str) -> bool:
    """Whether two titles share most of their meaningful words."""
    one, other = title_words(first), title_words(second)
    return bool(one and other) and len(one & other) / max(len(one), len(other)) >= TITLE_OVERLAP


def possible_duplicates(
    monograph: Monograph, store: Store, engine: SearchEngine, settings: Settings
) -> list[PossibleDuplicate]:
    """Other published or pending practices with the same external id, then published ones with a similar title."""
    found: dict[str, PossibleDuplicate] = {}

    def add(other_id: str, title: str, status: Status, reason: Literal["external_id", "title"]) -> None:
        if other_id != monograph.id and other_id not in found:
            url = practice_url(settings, other_id) if status == Status.PUBLISHED else None
            found[other_id] = PossibleDuplicate(id=other_id, title=title, status=status, reason=reason, url=url)

    if monograph.external_id:
        for other in store.with_external_id(monograph.external_id, CANDIDATE_STATUSES, MAX_DUPLICATES + 1):
            add(other.id, other.title, other.status, "external_id")
    # The engine holds published practices only: pending ones are compared by external id alone.
    query = SearchQuery(
        q=monograph.title[:MAX_QUERY_LENGTH],
        size=TITLE_CANDIDATES,
        facets=False,
        highlight=False,
        deadline=time.monotonic() + settings.search_deadline,
    )
    for hit in engine.search(query).hits:
        if similar_titles(monograph.title, hit.title):
            add(hit.id, hit.title, Status.PUBLISHED, "title")
    return list(found.values())[:MAX_DUPLICATES]
