"""The outbox worker: carries committed store writes to the search engine, exactly once in effect.

Rules (docs/reliability.md): an engine that cannot be reached is never an attempt, entries wait;
only a rejection of one document counts, and after `max_attempts` the entry moves to the dead
letters with why. One bad entry never blocks the others. Several processes share the work
through claims in the store; index writes carry the monograph's version, so whichever process
applies last, the newest state wins.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from api.store import OutboxEntry, Store
from indexer.engine import EngineError, EngineUnavailable, IndexLocked, IndexReport, Progress, SearchEngine
from schemas.monograph import Monograph

log = logging.getLogger(__name__)
REBUILD_LEASE = "index-rebuild"
# Renewed while the rebuild runs, so a killed rebuild frees the lease within this many seconds.
REBUILD_LEASE_SECONDS = 120.0
# A rebuild's catch-up re-reads what changed from this long before it started (clock skew between
# API hosts); the consistency check after the switch makes the rest exact.
CATCH_UP_MARGIN_S = 60.0
# How often a waiting write checks whether another process applied its change.
OTHER_PROCESS_POLL_S = 0.05


@dataclass
class DrainReport:
    applied: int = 0
    rejected: int = 0
    dead: int = 0
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class ReconcileReport:
    rebuilt: bool = False
    missing: int = 0
    stale: int = 0
    extra: int = 0
    # Indexed at the right version, but with a vector where the store has none, or none where it has one.
    vectors: int = 0

    @property
    def repairs(self) -> int:
        return self.missing + self.stale + self.extra + self.vectors


def process_owner() -> str:
    """Who claims outbox entries: host, process and a random token (a restarted pid is another owner)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


class IndexSync:
    """Applies pending outbox entries to the engine; entries are cleared only once applied."""

    def __init__(
        self,
        store: Store,
        engine: SearchEngine,
        batch: int = 500,
        max_attempts: int = 5,
        lease_seconds: float = 60.0,
    ):
        self.store = store
        self.engine = engine
        self.batch = batch
        self.max_attempts = max_attempts
        self.lease_seconds = lease_seconds
        self.owner = process_owner()
        # One drain at a time in this process (other processes are kept apart by claims).
        self._lock = threading.Lock()
        self.last_error: str | None = None
        # The newest version this process applied per monograph (bounded), for writes that wait.
        self._applied: OrderedDict[str, int] = OrderedDict()
        self._applied_changed = threading.Condition()
        self.wake = threading.Event()

    # -- draining ----------------------------------------------------------------

    def drain(self) -> int:
        """Apply every claimable entry; returns how many were applied.

        :raises EngineUnavailable: the engine is down; claimed entries are given back, no attempt counted.
        """
        applied = 0
        with self._lock:
            while True:
                entries = self.store.claim(self.batch, self.owner, self.lease_seconds)
                if not entries:
                    self.last_error = None
                    return applied
                report = self._apply(entries)
                applied += report.applied
                if len(entries) < self.batch:
                    self.last_error = None
                    return applied

    def _apply(self, entries: list[OutboxEntry]) -> DrainReport:
        ids = list(dict.fromkeys(e.monograph_id for e in entries))
        current, broken = self.store.load_many(ids)
        gone = [i for i in ids if i not in current and i not in broken]
        try:
            errors = self._send(list(current.values()), gone)
        except (EngineUnavailable, IndexLocked) as exc:
            self.last_error = str(exc)
            self.store.release([e.seq for e in entries], str(exc))
            raise
        errors |= broken
        report = DrainReport(errors=errors)
        done = [e.seq for e in entries if e.monograph_id not in errors]
        self.store.complete(done)
        report.applied = len(done)
        failed = {e.seq: errors[e.monograph_id] for e in entries if e.monograph_id in errors}
        if failed:
            died = self.store.reject(failed, self.max_attempts)
            report.rejected, report.dead = len(failed), len(died)
            log.warning("index rejected %d entries (%d now dead letters): %s", len(failed), len(died), errors)
        self._remember({m.id: m.version for m in current.values() if m.id not in errors})
        return report

    def _send(self, monographs: list[Monograph], gone: list[str]) -> dict[str, str]:
        """Give the batch to the engine; returns monograph id → why, for each document it refused.

        Anything but an unreachable engine is isolated: the batch is retried one document at a
        time, so the document that breaks a commit is found and the others still go through.
        """
        try:
            return self._send_batch(monographs, gone)
        except (EngineUnavailable, IndexLocked):
            raise
        except Exception as exc:  # a commit or validation error of one document must not block the rest
            if len(monographs) + len(gone) <= 1:
                failed_id = monographs[0].id if monographs else gone[0]
                return {failed_id: f"{type(exc).__name__}: {exc}"}
            log.warning("index batch failed (%s); retrying its %d documents one by one", exc, len(monographs))
            errors: dict[str, str] = {}
            for monograph in monographs:
                errors |= self._send([monograph], [])
            for monograph_id in gone:
                errors |= self._send([], [monograph_id])
            return errors

    def _send_batch(self, monographs: list[Monograph], gone: list[str]) -> dict[str, str]:
        report = IndexReport()
        if monographs:
            report.add(self.engine.index(monographs))
        if gone:
            report.add(self.engine.delete(gone))
        return dict(report.failed)

    def _remember(self, versions: dict[str, int]) -> None:
        if not versions:
            return
        with self._applied_changed:
            for monograph_id, version in versions.items():
                self._applied[monograph_id] = max(version, self._applied.pop(monograph_id, 0))
            while len(self._applied) > 10_000:
                self._applied.popitem(last=False)
            self._applied_changed.notify_all()

    def wait_searchable(self, monograph_id: str, version: int, timeout: float) -> bool:
        """Wake the worker and wait up to `timeout` seconds for this version to reach the index.

        Never raises: a write's answer depends only on its commit; the outbox does the rest.
        """
        self.wake.set()
        if self.last_error is not None:
            return False  # the engine is down: nothing to wait for, the outbox keeps the change
        deadline = time.monotonic() + timeout
        while True:
            with self._applied_changed:
                if self._applied.get(monograph_id, 0) >= version:
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._applied_changed.wait(min(left, OTHER_PROCESS_POLL_S))
                if self._applied.get(monograph_id, 0) >= version:
                    return True
            # Another process may have claimed and applied it: its entries are then gone.
            if not self.store.has_pending(monograph_id):
                return True

    def try_drain(self) -> bool:
        """Drain now if the engine answers; False (entries kept, no attempt counted) when it does not."""
        try:
            self.drain()
            return True
        except EngineError as exc:
            self.last_error = str(exc)
            log.warning("index sync postponed: %s", exc)
            return False

    # -- consistency -------------------------------------------------------------

    def reconcile(self) -> ReconcileReport:
        """Make the index converge on the store: a rebuild when the engine asks for one, else a
        comparison of ids and versions whose differences are queued as outbox entries.

        :raises EngineUnavailable: the engine is down; try again later.
        """
        if self.engine.needs_rebuild():
            log.warning("index is new or outdated: rebuilding it from the store")
            self.rebuild()
            return ReconcileReport(rebuilt=True)
        return self.repair()

    def repair(self) -> ReconcileReport:
        """Queue index work for every monograph whose indexed version differs from the store's."""
        indexed = self.engine.versions()
        waiting = self.store.pending_ids()  # already on their way: not differences
        report = ReconcileReport()
        repairs: list[str] = []
        for monograph_id, version in self.store.published_versions():
            found = indexed.pop(monograph_id, None)
            if monograph_id in waiting:
                continue
            if found is None:
                report.missing += 1
            elif found != version:
                report.stale += 1
            else:
                continue
            repairs.append(monograph_id)
        extra = [i for i in indexed if i not in waiting]  # indexed but not published in the store
        report.extra = len(extra)
        repairs.extend(extra)
        unvectored = self._vector_differences(set(repairs) | waiting)
        report.vectors = len(unvectored)
        repairs.extend(unvectored)
        if repairs:
            log.warning(
                "index differs from the store (%d missing, %d stale, %d extra, %d vectors): queued for indexing",
                report.missing,
                report.stale,
                report.extra,
                report.vectors,
            )
            self.store.enqueue(repairs)
            self.wake.set()
        return report

    def _vector_differences(self, queued: set[str]) -> list[str]:
        """Hybrid search: ids whose indexed document lacks the vector the store has, or carries one the
        store no longer has (re-indexing reads the store's), apart from those already `queued`."""
        semantic = self.engine.semantic
        if semantic is None:
            return []
        stored = self.store.embedded_ids(semantic.embedder.name)
        indexed = self.engine.vector_ids()
        return sorted((stored ^ indexed) - queued)

    def try_reconcile(self) -> bool:
        """Reconcile now if the engine answers; False when it does not (retried later)."""
        try:
            self.reconcile()
            return True
        except EngineError as exc:
            log.warning("index check postponed: %s", exc)
            return False

    def rebuild(self, progress: Progress | None = None, on_total: Callable[[int], None] | None = None) -> IndexReport:
        """Rebuild the whole index from the store, one process at a time; writes made meanwhile are
        caught up before the switch, and a consistency check after it queues anything still missing."""
        if not self.store.acquire_lease(REBUILD_LEASE, self.owner, REBUILD_LEASE_SECONDS):
            raise EngineUnavailable("another process is rebuilding the index; try again when it is done")
        try:
            started = time.time()
            if on_total:
                on_total(self.store.count())
            refilled: dict[str, int] = {}

            def refill() -> Iterable[Monograph]:
                renewed = time.monotonic()
                for monograph in self.store.iter_all(status=None):
                    refilled[monograph.id] = monograph.version
                    yield monograph
                    if time.monotonic() - renewed > REBUILD_LEASE_SECONDS / 4:
                        self.store.acquire_lease(REBUILD_LEASE, self.owner, REBUILD_LEASE_SECONDS)
                        renewed = time.monotonic()

            def catch_up() -> Iterable[Monograph]:
                """What changed after the refill read it (or was created after it passed)."""
                since = datetime.fromtimestamp(started - CATCH_UP_MARGIN_S, UTC)
                return (m for m in self.store.changed_since(since) if refilled.get(m.id) != m.version)

            with self._lock:
                report = self.engine.rebuild(refill(), progress, catch_up=catch_up)
            self.repair()
        finally:
            self.store.release_lease(REBUILD_LEASE, self.owner)
        return report


async def run_worker(
    sync: IndexSync, interval: float, max_backoff: float, reconcile_every: float, reconciled: bool = False
) -> None:
    """Applies pending index work forever: woken by writes, backing off while the engine is down,
    checking index against store every `reconcile_every` seconds. It survives any error."""
    import anyio

    # Its own threads: write routes waiting for read-after-write fill the default pool, and the
    # worker they wait for must never queue behind them.
    threads = anyio.CapacityLimiter(2)
    # Just reconciled at start-up: the first writes must not queue behind a second full check.
    reconciled_at: float | None = time.monotonic() if reconciled else None
    delay = interval
    while True:
        try:
            due = reconciled_at is None or time.monotonic() - reconciled_at > reconcile_every
            if due and await anyio.to_thread.run_sync(sync.try_reconcile, limiter=threads):
                reconciled_at = time.monotonic()
            ok = await anyio.to_thread.run_sync(sync.try_drain, limiter=threads)
            delay = interval if ok else min(delay * 2, max_backoff)
        except Exception as exc:  # the worker must never die: log, back off, go on
            sync.last_error = f"{type(exc).__name__}: {exc}"
            log.exception("outbox worker: unexpected error, retrying in %.1f s", delay)
            delay = min(delay * 2, max_backoff)
        await anyio.to_thread.run_sync(sync.wake.wait, delay, abandon_on_cancel=True, limiter=threads)
        sync.wake.clear()
