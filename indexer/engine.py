"""The search-engine interface every backend implements, and its typed errors."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from indexer.embedder import Vector
from indexer.query import DEFAULT_SYNONYMS_PATH
from indexer.vectors import Semantic
from schemas.monograph import Monograph
from schemas.search import SearchFilters, SearchHit, SearchQuery, SearchResult

Progress = Callable[[int], None]
# Called by `rebuild` once the new index is filled, before it goes live: the monographs written to
# the store while the refill ran, applied to the new index with the usual version rules.
CatchUp = Callable[[], Iterable[Monograph]]


class EngineError(Exception):
    """A search engine failed; the message says what to do about it."""


class EngineUnavailable(EngineError):
    """The engine cannot be reached right now; writes stay queued and are retried."""


class SearchTimeout(EngineUnavailable):
    """A search ran past its deadline (`SearchQuery.deadline`): answered 503, retry shortly."""


def time_left(deadline: float | None) -> float | None:
    """Seconds left before `deadline` (a `time.monotonic()` value), None without one.

    :raises SearchTimeout: the deadline has passed; no further engine call may start.
    """
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise SearchTimeout("the search ran past its time budget; retry shortly")
    return left


class IndexLocked(EngineError):
    """Another process holds the embedded index's single writer; the message says what to do."""


class UnknownMonograph(EngineError):
    """The monograph is not in the index (not published, or never indexed)."""


@dataclass(frozen=True)
class EngineConfig:
    """Which engine to use and how to reach it; built once from the settings (`Settings.engine_config`)."""

    backend: str = "embedded"
    index_path: Path | None = None
    synonyms_path: Path = DEFAULT_SYNONYMS_PATH
    elasticsearch_url: str | None = None
    elasticsearch_api_key: str | None = None
    elasticsearch_username: str | None = None
    elasticsearch_password: str | None = None
    elasticsearch_ca_certs: str | None = None
    elasticsearch_index_prefix: str = "impact-monographs"
    elasticsearch_timeout: float = 10.0
    elasticsearch_replicas: int = 0

    @property
    def elasticsearch_hosts(self) -> list[str]:
        """The nodes to talk to: one URL, or several comma-separated (a cluster)."""
        hosts = [u.strip() for u in (self.elasticsearch_url or "").split(",") if u.strip()]
        return hosts or ["http://127.0.0.1:9200"]

    def elasticsearch_options(self) -> dict[str, Any]:
        """The client's options: one call's timeout, one retry (on another node), credentials, and
        orjson for request and answer bodies (the client's own option; its default, the standard
        library's json, took about a millisecond a search to read a page of sources), which hands a search's
        answer back as its bytes when asked (`AnswerBytes`)."""
        from indexer.es_clients import AnswerBytes

        options: dict[str, Any] = {
            "request_timeout": self.elasticsearch_timeout,
            "max_retries": 1,
            "retry_on_timeout": False,
            "serializer": AnswerBytes(),
        }
        if self.elasticsearch_api_key:
            options["api_key"] = self.elasticsearch_api_key
        if self.elasticsearch_username:
            options["basic_auth"] = (self.elasticsearch_username, self.elasticsearch_password or "")
        if self.elasticsearch_ca_certs:
            options["ca_certs"] = self.elasticsearch_ca_certs
        return options


@dataclass
class IndexReport:
    """What a batch of index operations did: counts, and the documents that failed with why.

    `skipped` counts monographs not applied because the index already holds a newer (or, for
    Elasticsearch, an equal) version of them: not a failure, the index is already ahead.
    """

    indexed: int = 0
    removed: int = 0
    skipped: int = 0
    failed: dict[str, str] = field(default_factory=dict)

    def add(self, other: IndexReport) -> None:
        self.indexed += other.indexed
        self.removed += other.removed
        self.skipped += other.skipped
        self.failed.update(other.failed)


@dataclass
class EngineHealth:
    backend: str
    ok: bool
    documents: int
    detail: dict[str, object] = field(default_factory=dict)


@runtime_checkable
class SearchEngine(Protocol):
    """A full-text index of published monographs.

    The store is the system of record: an engine only holds derived data and can be
    rebuilt from the store at any time. Only `published` monographs are searchable;
    indexing a monograph in any other status removes it from the index.

    Writes are ordered by `Monograph.version`: an engine never puts an older state of a
    monograph over a newer one it already holds, whatever the order writes arrive in.
    """

    backend: str
    # True when every answer is computed in this process (bounded CPU work, never a wait on another server):
    # its short searches may then run in the event loop's thread (`api/engine_calls.py`).
    in_process: bool

    def index(self, monographs: Iterable[Monograph], progress: Progress | None = None) -> IndexReport:
        """Upsert monographs (published) or remove them (any other status), visible to the next search.

        Each write carries the monograph's version: one older than the indexed version is not
        applied and counts in `skipped` (re-applying the indexed version is harmless).

        :raises EngineUnavailable: the engine cannot be reached; nothing is guaranteed applied.
        :raises IndexLocked: (embedded) another process holds the index's single writer.
        """
        ...

    def delete(self, ids: Iterable[str]) -> IndexReport:
        """Remove monographs by id; unknown ids are ignored.

        :raises EngineUnavailable: the engine cannot be reached.
        """
        ...

    def search(self, query: SearchQuery) -> SearchResult:
        """Full-text search with filters, disjunctive facet counts, highlights and paging.

        All the engine calls of one search share `query.deadline`: none starts after it, and a
        remote call is given only the time left.

        :raises EngineUnavailable: the engine cannot be reached.
        :raises SearchTimeout: `query.deadline` passed before the search could finish.
        """
        ...

    def similar(self, monograph_id: str, size: int = 5) -> list[SearchHit]:
        """Published practices closest to the given one (never itself).

        :raises UnknownMonograph: the monograph is not in the index.
        :raises EngineUnavailable: the engine cannot be reached.
        """
        ...

    semantic: Semantic | None

    def attach_semantic(self, semantic: Semantic | None) -> None:
        """Hybrid search from now on: `index` and `rebuild` read each published monograph's vector from
        `semantic.vectors` and keep it with its document, and searches in `hybrid` mode embed the query
        with `semantic.embedder`. None (the default): documents without vectors, lexical search only."""
        ...

    def nearest(
        self, vector: Vector, filters: SearchFilters, k: int, deadline: float | None = None
    ) -> list[tuple[str, float]]:
        """The ids of (at most) `k` published practices passing `filters` whose vectors are closest to
        `vector`, closest first, each with its cosine similarity; empty when no vector is indexed.

        May be approximate (candidates are looked for among the closest overall, then filtered).

        :raises EngineUnavailable: the engine cannot be reached.
        :raises SearchTimeout: `deadline` passed.
        """
        ...

    def similarities(self, vector: Vector, ids: Sequence[str], deadline: float | None = None) -> dict[str, float]:
        """The cosine similarity to `vector` of each of these indexed practices that has a vector (the
        others are left out): the meaning side of a hybrid search's blend, for its words' matches.

        :raises EngineUnavailable: the engine cannot be reached.
        :raises SearchTimeout: `deadline` passed.
        """
        ...

    def fetch(self, ids: Sequence[str], deadline: float | None = None) -> list[Mapping[str, Any]]:
        """The display sources (`indexer/documents.py hit_source`) of these indexed practices, in the
        order of `ids`; ids not in the index are left out.

        :raises EngineUnavailable: the engine cannot be reached.
        :raises SearchTimeout: `deadline` passed.
        """
        ...

    def rebuild(
        self, monographs: Iterable[Monograph], progress: Progress | None = None, catch_up: CatchUp | None = None
    ) -> IndexReport:
        """Replace the whole index by these monographs; searches keep working meanwhile.

        `catch_up` is called once the new index is filled and before it goes live; what it yields
        is applied to the new index like `index` would (version rules included), so writes made
        while the refill ran are not lost. The report counts them too.

        :raises EngineUnavailable: the engine cannot be reached; the previous index stays in use.
        :raises IndexLocked: (embedded) another process holds the index's single writer.
        """
        ...

    def needs_rebuild(self) -> bool:
        """True when the index is new or was built with older settings, and must be refilled from the store.

        :raises EngineUnavailable: the engine cannot be reached.
        """
        ...

    def ids(self) -> set[str]:
        """Ids of every indexed monograph (for consistency checks)."""
        ...

    def versions(self) -> dict[str, int]:
        """Indexed version of every indexed monograph, by id (for consistency checks against the store)."""
        ...

    def vector_ids(self) -> set[str]:
        """Ids of the indexed monographs that carry a vector (for consistency checks against the store)."""
        ...

    def claim_writer(self) -> None:
        """Become the index's writer now rather than at the first write (a no-op where writers are shared).

        :raises IndexLocked: (embedded) another process holds the index's single writer.
        """
        ...

    def health(self) -> EngineHealth:
        """Whether the engine answers, how many documents it holds, and backend details (`vectors`: how
        many documents carry a vector, when a `Semantic` is attached)."""
        ...

    def close(self) -> None:
        """Release files, writers and connections."""
        ...


class AwaitedSearch(Protocol):
    """An engine that can also answer a search awaited in the event loop (Elasticsearch's asynchronous client):
    the same answer as `search`, without a worker thread while it waits on the network."""

    async def search_async(self, query: SearchQuery) -> SearchResult: ...
