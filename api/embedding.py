"""Vectors computed from the store in the background, for hybrid search ("describe your need").

Vectors are derived data: never computed in the request path of a write. A worker in the API (one
process at a time, under a lease in the store) walks the backlog of published monographs without an
up-to-date vector, a small batch at a time: a monograph whose embedded text did not change (it was only
published, say) just gets its version tag moved forward; the others are embedded in a worker thread,
saved, and queued for indexing through the outbox in the same transaction, so the engine receives each
vector through the usual path ordered by version. `impact embed` does the whole backlog at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from api.indexing import process_owner
from api.store import ComputedVector, EmbeddingWork, Store
from indexer.embedder import Embedder, create_embedder, text_hash
from indexer.engine import SearchEngine
from indexer.vectors import Semantic

log = logging.getLogger(__name__)
EMBEDDING_LEASE = "embedding"
# Renewed at every batch (a few seconds each): a killed process frees the lease within this many seconds.
EMBEDDING_LEASE_SECONDS = 60.0


@cache
def load_embedder(name: str) -> Embedder | None:
    """The embedder `IMPACT_EMBEDDER` names, loaded once per process (the model takes 90 MB); None for
    `none`, or when it cannot load here (search then stays lexical)."""
    embedder = create_embedder(name)
    if embedder is None and name != "none":
        log.warning("the %r embedder could not load here: search stays lexical", name)
    return embedder


def attach_embedder(engine: SearchEngine, store: Store, name: str) -> Embedder | None:
    """Hybrid search on `engine` when the named embedder loads: its queries embedded by it, its documents
    indexed with the store's vectors of that model. Call it before the engine indexes anything."""
    embedder = load_embedder(name)
    if embedder is not None:
        engine.attach_semantic(Semantic(embedder, store.vector_source(embedder.name)))
    return embedder


@dataclass
class EmbeddingReport:
    """What one batch (or a whole pass) did."""

    embedded: int = 0
    unchanged: int = 0  # the text did not change: version tag moved forward, nothing computed
    skipped: int = 0  # stored rows that no longer validate (the outbox reports them too)
    seconds: float = 0.0  # spent computing vectors
    busy: bool = False  # another process holds the lease

    @property
    def done(self) -> int:
        return self.embedded + self.unchanged

    @property
    def seen(self) -> int:
        return self.embedded + self.unchanged + self.skipped

    def add(self, other: EmbeddingReport) -> None:
        self.embedded += other.embedded
        self.unchanged += other.unchanged
        self.skipped += other.skipped
        self.seconds += other.seconds

    def summary(self) -> str:
        per = f" ({1000 * self.seconds / self.embedded:.0f} ms per practice)" if self.embedded else ""
        return (
            f"{self.embedded} practices embedded in {self.seconds:.1f} s{per}, {self.unchanged} unchanged "
            f"(version updated), {self.skipped} unreadable"
        )


class EmbeddingBusy(Exception):
    """Another process holds the embedding lease."""


class EmbeddingSync:
    """Brings the store's vectors of one embedder up to date, a batch at a time, one process at a time."""

    def __init__(self, store: Store, embedder: Embedder, batch: int = 16, on_queued: Callable[[], None] | None = None):
        self.store = store
        self.embedder = embedder
        self.model = embedder.name
        self.batch = batch
        self.on_queued = on_queued  # wakes the outbox worker once vectors are queued for indexing
        self.owner = process_owner()
        self.last_error: str | None = None
        self._after = ""  # the background walk's place in id order (so unreadable rows never block it)
        self._holding = False

    def take_lease(self) -> bool:
        """Take or renew the embedding lease; False when another process holds it."""
        self._holding = self.store.acquire_lease(EMBEDDING_LEASE, self.owner, EMBEDDING_LEASE_SECONDS)
        return self._holding

    def release(self) -> None:
        self.store.release_lease(EMBEDDING_LEASE, self.owner)
        self._holding = False

    def backlog(self, at_most: int | None = None) -> int:
        return self.store.count_embedding_backlog(self.model, at_most)

    def step(self) -> EmbeddingReport:
        """One batch of the background walk (wrapping round to the first ids at the end). An empty report
        means nothing is left: the lease is then given up, for an `impact embed` or another process."""
        work = self.store.embedding_backlog(self.model, self.batch, self._after)
        if not work and self._after:
            self._after = ""
            work = self.store.embedding_backlog(self.model, self.batch)
        if not work:  # idle: a read only, no write to the store every few seconds
            if self._holding:
                self.release()
            return EmbeddingReport()
        if not self.take_lease():
            return EmbeddingReport(busy=True)
        self._after = work[-1].monograph_id  # moved on first: a batch that fails is retried after the others
        return self.embed(work)

    def run_pass(self, progress: Callable[[int], None] | None = None) -> EmbeddingReport:
        """Every missing or outdated vector now, in id order (the lease is held throughout).

        :raises EmbeddingBusy: another process is embedding.
        """
        if not self.take_lease():
            raise EmbeddingBusy(
                "another process is computing vectors (an API's background worker, or another `impact embed`); "
                "it will finish the backlog: follow it in /api/v1/health"
            )
        total = EmbeddingReport()
        after = ""
        try:
            while work := self.store.embedding_backlog(self.model, self.batch, after):
                after = work[-1].monograph_id
                report = self.embed(work)
                total.add(report)
                if progress:
                    progress(report.seen)
                self.take_lease()
        finally:
            self.release()
        return total

    def embed(self, work: list[EmbeddingWork]) -> EmbeddingReport:
        """Compute the vectors of this batch whose text changed, save them (queued for indexing in the same
        transaction) and move the others' version tags forward."""
        current = {w.monograph_id: w.version for w in work if w.text_unchanged}
        todo = [(w, w.text) for w in work if w.text is not None and not w.text_unchanged]
        computed: list[ComputedVector] = []
        seconds = 0.0
        if todo:
            started = time.perf_counter()
            matrix = self.embedder.passages([text for _, text in todo])
            seconds = time.perf_counter() - started
            computed = [
                ComputedVector(w.monograph_id, w.version, text_hash(text), matrix[row])
                for row, (w, text) in enumerate(todo)
            ]
        self.store.save_embeddings(self.model, computed, current)
        if computed and self.on_queued is not None:
            self.on_queued()
        return EmbeddingReport(len(computed), len(current), len(work) - len(current) - len(todo), seconds)


async def run_embedding_worker(embedding: EmbeddingSync, interval: float, max_backoff: float) -> None:
    """Computes missing vectors forever: batch after batch while there is work, every `interval` seconds
    otherwise; it survives any error (logged, retried after a growing pause)."""
    import anyio

    # One thread of its own: embedding is CPU work (the model releases the GIL), never the request pool's.
    thread = anyio.CapacityLimiter(1)
    delay = interval
    while True:
        try:
            report = await anyio.to_thread.run_sync(embedding.step, limiter=thread)
            embedding.last_error = None
            delay = 0.0 if report.done else interval
        except Exception as exc:  # the worker must never die: log, back off, go on
            embedding.last_error = f"{type(exc).__name__}: {exc}"
            delay = min(max(delay, interval) * 2, max_backoff)
            log.exception("embedding worker: unexpected error, retrying in %.1f s", delay)
        await anyio.sleep(delay)
