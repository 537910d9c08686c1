"""The requests of an engine's last searches, each built once.

Building a pass's request (tantivy queries, an Elasticsearch body) costs 0.1 to 0.2 ms, as much as a
tenth of a search at 10,000 practices. A search asked again — a partner's widget or feed, a popular
need, a facet ticked then unticked, a page reloaded — reuses it. Bounded: the last
`REQUEST_CACHE_SIZE` distinct passes (least recently used dropped first).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import _CacheInfo, lru_cache
from typing import Any, Generic, TypeVar

from indexer.pipeline import SearchPlan

R = TypeVar("R")

REQUEST_CACHE_SIZE = 1024


@dataclass(frozen=True)
class Pass:
    """A pass as the cache sees it: equal to another when everything that shapes its request is (its
    words as parsed, with the index's known words; its query but the deadline; what the engine says
    besides, `context`)."""

    key: tuple[Any, ...]
    plan: SearchPlan = field(compare=False)
    context: tuple[Hashable, ...] = field(compare=False, default=())

    @classmethod
    def of(cls, plan: SearchPlan, context: tuple[Hashable, ...] = ()) -> Pass:
        query = plan.query.model_dump_json(exclude={"deadline"})
        return cls((plan.parsed, plan.relaxed, plan.dense, plan.ids_only, query, context), plan, context)


class CompiledRequests(Generic[R]):
    """`build(plan, *context)`, remembered for the last `size` distinct passes and contexts (thread-safe:
    `lru_cache`). `context` is whatever else of the engine's state shapes a request (the embedded
    engine: whether it counts facet masks). What `build` returns is shared by every search of that pass:
    it must never be changed."""

    def __init__(self, build: Callable[..., R], size: int = REQUEST_CACHE_SIZE) -> None:
        self._cached = lru_cache(maxsize=size)(lambda pass_: build(pass_.plan, *pass_.context))

    def __call__(self, plan: SearchPlan, *context: Hashable) -> R:
        return self._cached(Pass.of(plan, context))

    def cache_info(self) -> _CacheInfo:
        return self._cached.cache_info()
