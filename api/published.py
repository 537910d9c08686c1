"""Published monographs matching a search, read from the engine a page at a time and checked against the store."""

from __future__ import annotations

import time
from collections.abc import Iterator

from api.store import Store
from indexer.engine import SearchEngine
from schemas.monograph import Monograph, Status
from schemas.search import SearchParams


def published_matching(
    params: SearchParams, store: Store, engine: SearchEngine, size: int, budget: float, pages: int = 1
) -> Iterator[Monograph]:
    """Published monographs matching `params`, in its sort order: at most `pages` engine searches of `size`
    hits (no facets, no highlights; each may take `budget` seconds), then one store read of those ids each.

    Bounded work whatever the store's size. The index follows the store through the outbox: a practice
    unpublished meanwhile is left out.
    """
    for page in range(1, pages + 1):
        query = params.model_copy(update={"page": page, "size": size}).to_query(
            facets=False, deadline=time.monotonic() + budget
        )
        query.highlight = False
        ids = [hit.id for hit in engine.search(query).hits]
        found = store.get_many(ids)
        yield from (found[i] for i in ids if i in found and found[i].status == Status.PUBLISHED)
        if len(ids) < size:
            return
