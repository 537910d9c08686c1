"""Where the routes' search-engine calls run: in the event loop's own thread while the engine computes in this
process and its calls are short, else in a worker thread, at most `IMPACT_SEARCH_CONCURRENCY` at once; a search
on an engine that can await it (Elasticsearch) is awaited in the loop, under the same limit (last section).

Handing a call to a worker thread and its answer back wakes two threads, the worker on the other core
with cold caches: on a 2-core machine a 0.5 ms search in Python took 1.1 to 1.4 ms through the hop, an
empty call 0.2 ms. Only an engine whose `in_process` is true is called in the loop: its work is CPU in this
process, never a wait on another server.

- A search alone runs in the loop while the engine's calls cost at most `INLINE_ALONE_MAX_S` on average:
  a request arriving meanwhile waits for it to end, a few milliseconds at 100,000 practices, but tens at a
  million, where the hop is a negligible share of a search anyway.
- Searches arriving together run in the loop too, one after the other, while the calls cost at most
  `INLINE_TOGETHER_MAX_S` on average (2.8 ms at 10,000 practices, 6–8 ms at 100,000 on a 2-core AMD
  EPYC). Most of such a search is our Python, which holds the GIL: in worker threads, four searches fought
  for it and the hops cost more than the engine work they overlapped (10,000 practices, 32 clients:
  146–204 req/s in threads, 213–427 in the loop, p99 lower). Longer calls are mostly the engine's own work,
  which releases the GIL: in threads they overlap, and a short search is not held behind a long one
  (100,000 practices, 32 clients, all in the loop: the same throughput, p99 542–645 ms instead of 404–416).
- Never both at once: while an engine call runs in a worker thread, the others go to worker threads too,
  or wait for it to end once calls are short enough for the loop again (below). A call in the loop holds
  the GIL from start to end, and a thread beside it got the GIL back only every switch interval (5 ms)
  after each engine call it made: p99 went from 0.3 to 1 s when calls were split. This covers the engine
  calls only: threads of synchronous routes (practice pages, embeds, feeds, writes) and the indexing and
  embedding workers still run beside searches in the loop, as they ran beside a search alone before. Under
  a mixed load (`benchmarks.soak`, 100 operations/s) they answered faster than before, not slower: fiche
  p99 30 → 17 ms, writes 120 → 73 ms (fewer threads contending for the GIL).
- A call's cost is the CPU time it takes (`indexer/cpu_time.py`: its thread's, and a helper's counting
  facets for it), not its elapsed time. In a worker thread, the elapsed time includes the waits for the
  GIL and for a core, which grow with the load: once a slow spell of the machine had sent calls to threads,
  that kept the average above the limits until the load passed (10,000 practices, 32 clients: 186 req/s,
  p99 1 s in one run). And once the average allows the loop again, a call waits for those in threads to
  end, then runs in the loop: under a steady load, an arriving call would otherwise always find one there.
  Calls arriving meanwhile wait behind it, even once the average is too long for the loop again: going past
  it to a thread kept the threads busy, and the waiting calls waiting for as long as the load lasted
  (100,000 practices, 32 clients, an average close to `INLINE_TOGETHER_MAX_S`: p95 0.6 s, p99 0.7–0.9 s).

Unlike a decision from CPU time tried before (session 16), which sent each call to the loop or a thread on
its own and so split them (p99 0.6–1 s), calls here are never split. The limits were set from elapsed times
in the loop, close to the CPU time there except for the facet count a helper thread runs beside the
ranking, which now counts too.

An engine that waits on another server (Elasticsearch) is never called in the loop's thread with its blocking
client: those calls run in worker threads. Its searches are awaited instead (`AwaitedSearch.search_async`,
its asynchronous client), at most `IMPACT_SEARCH_CONCURRENCY` at once: our pipeline's work (parsing,
highlights, facets: 1–2 ms at 10,000 practices) runs in the loop, a hybrid search's query embedding in a
worker thread. Measured against searches in worker threads (benchmarks/results/perf-20261203-async-es.md,
10,000 practices): the API's own share 0.95 → 0.51 ms, but the asynchronous client's call costs about 0.3 ms
more, so a search alone is about as fast; 32 clients 115 → 172 and 116 → 139 req/s, p99 down by a fifth to a third.

Runs: benchmarks/results/perf-20261202-session16.md (the limits), throughput-ab-20261202-224811.md (after a
slow spell: 226 → 297 req/s at 32 clients, 10,000 practices), throughput-ab-20261202-223838.md and
-224208.md (without one, 10,000 and 100,000 practices).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

import anyio
import anyio.lowlevel
from prometheus_client import Counter

from indexer.cpu_time import spent
from indexer.engine import AwaitedSearch, SearchEngine
from schemas.search import SearchQuery, SearchResult

T = TypeVar("T")

# Calls run in the loop while the engine's calls cost at most this much CPU time on average (a moving average
# over about the last ten calls, wherever they ran): a call alone, or calls arriving together.
INLINE_ALONE_MAX_S = 0.015
INLINE_TOGETHER_MAX_S = 0.005
_WEIGHT = 0.1


class EngineCalls:
    """The engine calls of requests in progress (searches, suggestions) and the threads they may use."""

    def __init__(self, concurrency: int, places: Counter | None = None) -> None:
        """`places`: counts the calls by where they ran (label `loop` or `thread`)."""
        self.limiter = anyio.CapacityLimiter(concurrency)
        self._in_loop: Counter | None = places.labels("loop") if places else None
        self._in_a_thread: Counter | None = places.labels("thread") if places else None
        self.in_progress = 0
        self.in_threads = 0
        self.typical_s = 0.0
        self._threads_done: anyio.Event | None = None

    async def search(self, engine: SearchEngine, query: SearchQuery) -> SearchResult:
        """`engine.search(query)`, awaited in the loop when the engine can (`AwaitedSearch`), else `run`."""
        if getattr(engine, "search_async", None) is None:  # not `isinstance`: a protocol check costs µs
            return await self.run(engine, engine.search, query)
        # A free place is taken at once: anyio's `acquire` always goes once round the event loop first (a
        # checkpoint), which on real calls cost about 0.06 ms of a search (perf-20261205-session32.md).
        try:
            self.limiter.acquire_nowait()
        except anyio.WouldBlock:
            await self.limiter.acquire()
        try:
            if self._in_loop is not None:
                self._in_loop.inc()
            return await cast(AwaitedSearch, engine).search_async(query)
        finally:
            self.limiter.release()

    async def run(self, engine: SearchEngine, call: Callable[..., T], *args: object) -> T:
        """`call(*args)`, in the loop when `engine` is in-process and its calls short (after those in worker
        threads, see the module doc), else in a worker thread (waiting for one when `concurrency` already
        run)."""
        self.in_progress += 1
        try:
            while self.typical_s <= INLINE_ALONE_MAX_S and getattr(engine, "in_process", False):
                # Calls already waiting for the threads to end: this one waits behind them, never past them
                # to a thread (which would keep the threads busy and them waiting, however long the load).
                if self.typical_s <= INLINE_TOGETHER_MAX_S or self._threads_done is not None:
                    if not self.in_threads:
                        return self._in_loop_now(call, *args)
                    # Then decide again: the calls that ended may have raised the average.
                    await self._threads_ended()
                    continue
                if not self.in_threads:
                    # Requests that arrived with this one reach this point first: then none runs alone.
                    await anyio.lowlevel.checkpoint()
                    if self.in_progress == 1:
                        return self._in_loop_now(call, *args)
                break
            return await self._in_thread(call, *args)
        finally:
            self.in_progress -= 1

    async def _threads_ended(self) -> None:
        """Returns once no call runs in a worker thread (called while one does)."""
        if self._threads_done is None:
            self._threads_done = anyio.Event()
        await self._threads_done.wait()

    def _in_loop_now(self, call: Callable[..., T], *args: object) -> T:
        if self._in_loop is not None:
            self._in_loop.inc()
        return self._timed(call, *args)

    async def _in_thread(self, call: Callable[..., T], *args: object) -> T:
        if self._in_a_thread is not None:
            self._in_a_thread.inc()
        self.in_threads += 1
        try:
            return await anyio.to_thread.run_sync(self._timed, call, *args, limiter=self.limiter)
        finally:
            self.in_threads -= 1
            if not self.in_threads and self._threads_done is not None:
                self._threads_done.set()
                self._threads_done = None

    def _timed(self, call: Callable[..., T], *args: object) -> T:
        started = spent()
        try:
            return call(*args)
        finally:
            # From worker threads too. Two threads may overwrite each other's update (a read-modify-write
            # under the GIL, not atomic): one sample lost, harmless for an average.
            self.typical_s += (spent() - started - self.typical_s) * _WEIGHT
