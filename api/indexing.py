"""The outbox worker: carries committed store writes to the search engine, exactly once in effect."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from api.store import Store
from indexer.engine import EngineError, EngineUnavailable, IndexReport, Progress, SearchEngine
from schemas.monograph import Status

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 20


class IndexSync:
    """Applies pending outbox entries to the engine; entries are cleared only once applied."""

    def __init__(self, store: Store, engine: SearchEngine, batch: int = 500):
        self.store = store
        self.engine = engine
        self.batch = batch
        # One drain at a time: two interleaved drains could apply an older state last.
        self._lock = threading.Lock()
        self.last_error: str | None = None

    def drain(self) -> int:
        """Apply every pending entry; returns how many were applied.

        :raises EngineUnavailable: the engine is down; entries stay pending for a retry.
        """
        applied = 0
        with self._lock:
            while True:
                entries = [e for e in self.store.pending(self.batch) if e.attempts < MAX_ATTEMPTS]
                if not entries:
                    self.last_error = None
                    return applied
                ids = list(dict.fromkeys(e.monograph_id for e in entries))
                current = self.store.get_many(ids)
                try:
                    report = self.engine.index(current.values())
                    gone = [i for i in ids if i not in current]
                    if gone:
                        report.add(self.engine.delete(gone))
                except EngineUnavailable as exc:
                    self.last_error = str(exc)
                    self.store.record_failure([e.seq for e in entries], str(exc))
                    raise
                done = [e.seq for e in entries if e.monograph_id not in report.failed]
                failed = [e.seq for e in entries if e.monograph_id in report.failed]
                self.store.acknowledge(done)
                if failed:
                    self.store.record_failure(failed, "; ".join(f"{k}: {v}" for k, v in report.failed.items()))
                    log.warning("index rejected %d documents: %s", len(failed), report.failed)
                applied += len(done)
                if len(entries) < self.batch or not done:
                    return applied

    @staticmethod
    def _attempt(action: Callable[[], object], what: str) -> bool:
        try:
            action()
            return True
        except EngineError as exc:
            log.warning("%s postponed: %s", what, exc)
            return False

    def try_drain(self) -> bool:
        """Drain now if the engine answers; False (and entries kept) when it does not."""
        return self._attempt(self.drain, "index sync")

    def try_reconcile(self) -> bool:
        """Reconcile now if the engine answers; False when it does not (retried later)."""
        return self._attempt(self.reconcile, "index check")

    def reconcile(self) -> bool:
        """Rebuild when the engine asks, or when index and store disagree; True if it rebuilt.

        :raises EngineUnavailable: the engine is down; try again later.
        """
        published = self.store.count(Status.PUBLISHED)
        stale = self.engine.needs_rebuild()
        if not stale and self.store.backlog() == 0:
            stale = self.engine.health().documents != published
        if stale:
            log.warning("index out of date: rebuilding it from the store (%d published)", published)
            self.rebuild()
        return stale

    def rebuild(self, progress: Progress | None = None, on_total: Callable[[int], None] | None = None) -> IndexReport:
        """Rebuild the whole index from the store; outbox entries it covers are cleared."""
        with self._lock:
            snapshot = self.store.last_outbox_seq()
            if on_total:
                on_total(self.store.count())
            report = self.engine.rebuild(self.store.iter_all(status=None), progress)
            self.store.clear_outbox_up_to(snapshot)
        return report
