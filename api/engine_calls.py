"""Where the routes' search-engine calls run: in a worker thread, at most `IMPACT_SEARCH_CONCURRENCY` at once,
or, for a short search alone on an engine that computes in this process, in the event loop's own thread.

Handing a call to a worker thread and its answer back wakes two threads, the worker on the other core
with cold caches: on a 2-core machine a 0.5 ms search in Python took 1.1 to 1.4 ms through the hop, an
empty call 0.2 ms. While other searches run, the hop is worth it: their engine work releases the GIL and
runs side by side. A search alone has nothing to run beside, so on an idle process it runs in the loop.

Only an engine whose `in_process` is true runs there: its work is CPU in this process, never a wait on
another server. And only while its calls are short (`INLINE_TYPICAL_MAX_S` on average): a request arriving
during a search in the loop waits for it to end, a few milliseconds at 100,000 practices, but tens at a
million, where the hop is a negligible share of a search anyway. Requests that arrive together all get
worker threads.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.lowlevel

from indexer.engine import SearchEngine

T = TypeVar("T")

# A search alone runs in the loop while the engine's calls take at most this long on average (a moving
# average over about the last ten calls, wherever they ran).
INLINE_TYPICAL_MAX_S = 0.015
_WEIGHT = 0.1


class EngineCalls:
    """The engine calls of requests in progress (searches, suggestions) and the threads they may use."""

    def __init__(self, concurrency: int) -> None:
        self.limiter = anyio.CapacityLimiter(concurrency)
        self.in_progress = 0
        self.typical_s = 0.0

    async def run(self, engine: SearchEngine, call: Callable[..., T], *args: object) -> T:
        """`call(*args)`, in the loop when `engine` is in-process, its calls short and no other call in
        progress, else in a worker thread (waiting for one when `concurrency` already run)."""
        self.in_progress += 1
        try:
            if (
                self.in_progress == 1
                and self.typical_s <= INLINE_TYPICAL_MAX_S
                and getattr(engine, "in_process", False)
            ):
                # Requests that arrived with this one reach this point first: then none runs alone.
                await anyio.lowlevel.checkpoint()
                if self.in_progress == 1:
                    return self._timed(call, *args)
            return await anyio.to_thread.run_sync(self._timed, call, *args, limiter=self.limiter)
        finally:
            self.in_progress -= 1

    def _timed(self, call: Callable[..., T], *args: object) -> T:
        started = time.perf_counter()
        try:
            return call(*args)
        finally:
            # From worker threads too (a float updated under the GIL): a slow spell passes.
            self.typical_s += (time.perf_counter() - started - self.typical_s) * _WEIGHT
