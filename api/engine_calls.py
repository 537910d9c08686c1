"""Where the routes' search-engine calls run: in the event loop's own thread while the engine computes in this
process and its calls are short, else in a worker thread, at most `IMPACT_SEARCH_CONCURRENCY` at once.

Handing a call to a worker thread and its answer back wakes two threads, the worker on the other core
with cold caches: on a 2-core machine a 0.5 ms search in Python took 1.1 to 1.4 ms through the hop, an
empty call 0.2 ms. Only an engine whose `in_process` is true runs in the loop: its work is CPU in this
process, never a wait on another server.

- A search alone runs in the loop while the engine's calls take at most `INLINE_ALONE_MAX_S` on average:
  a request arriving meanwhile waits for it to end, a few milliseconds at 100,000 practices, but tens at a
  million, where the hop is a negligible share of a search anyway.
- Searches arriving together run in the loop too, one after the other, while the calls take at most
  `INLINE_TOGETHER_MAX_S` on average (2.8 ms at 10,000 practices, 6–8 ms at 100,000 on a 2-core AMD
  EPYC). Most of such a search is our Python, which holds the GIL: in worker threads, four searches fought
  for it and the hops cost more than the engine work they overlapped (10,000 practices, 32 clients:
  146–204 req/s in threads, 213–427 in the loop, p99 lower). Longer calls are mostly the engine's own work,
  which releases the GIL: in threads they overlap, and a short search is not held behind a long one
  (100,000 practices, 32 clients, all in the loop: the same throughput, p99 542–645 ms instead of 404–416).
- Never both at once: while an engine call runs in a worker thread, the others go to worker threads too.
  A call in the loop holds the GIL from start to end, and a thread beside it got the GIL back only every
  switch interval (5 ms) after each engine call it made: p99 went from 0.3 to 1 s when calls were split.
  This covers the engine calls only: threads of synchronous routes (practice pages, embeds, feeds, writes)
  and the indexing and embedding workers still run beside searches in the loop, as they ran beside a
  search alone before. Under a mixed load (`benchmarks.soak`, 100 operations/s) they answered faster than
  before, not slower: fiche p99 30 → 17 ms, writes 120 → 73 ms (fewer threads contending for the GIL).
- Under a load that sent calls to threads, they stay there until it passes: their elapsed times grow while
  they wait for the GIL, which keeps the average above the limit (what the process did before the loop was
  used for searches together). A slow spell of the machine can do that at 10,000 practices.

benchmarks/results/perf-20261202-session16.md has the runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.lowlevel

from indexer.engine import SearchEngine

T = TypeVar("T")

# Calls run in the loop while the engine's calls take at most this long on average (a moving average over
# about the last ten calls, wherever they ran): a call alone, or calls arriving together.
INLINE_ALONE_MAX_S = 0.015
INLINE_TOGETHER_MAX_S = 0.005
_WEIGHT = 0.1


class EngineCalls:
    """The engine calls of requests in progress (searches, suggestions) and the threads they may use."""

    def __init__(self, concurrency: int) -> None:
        self.limiter = anyio.CapacityLimiter(concurrency)
        self.in_progress = 0
        self.in_threads = 0
        self.typical_s = 0.0

    async def run(self, engine: SearchEngine, call: Callable[..., T], *args: object) -> T:
        """`call(*args)`, in the loop when `engine` is in-process, its calls short and none in a worker
        thread (see the module doc), else in a worker thread (waiting for one when `concurrency` already
        run)."""
        self.in_progress += 1
        try:
            if not self.in_threads and self.typical_s <= INLINE_ALONE_MAX_S and getattr(engine, "in_process", False):
                if self.typical_s <= INLINE_TOGETHER_MAX_S:
                    return self._timed(call, *args)
                # Requests that arrived with this one reach this point first: then none runs alone.
                await anyio.lowlevel.checkpoint()
                if self.in_progress == 1:
                    return self._timed(call, *args)
            self.in_threads += 1
            try:
                return await anyio.to_thread.run_sync(self._timed, call, *args, limiter=self.limiter)
            finally:
                self.in_threads -= 1
        finally:
            self.in_progress -= 1

    def _timed(self, call: Callable[..., T], *args: object) -> T:
        started = time.perf_counter()
        try:
            return call(*args)
        finally:
            # From worker threads too: a slow spell passes. Two threads may overwrite each other's update (a
            # read-modify-write under the GIL, not atomic): one sample lost, harmless for an average.
            self.typical_s += (time.perf_counter() - started - self.typical_s) * _WEIGHT
