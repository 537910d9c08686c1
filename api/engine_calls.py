"""Where the routes' search-engine calls run: in a worker thread, at most `IMPACT_SEARCH_CONCURRENCY` at once,
or, for a search alone on an engine that computes in this process, in the event loop's own thread.

Handing a call to a worker thread and its answer back wakes two threads, the worker on the other core
with cold caches: on a 2-core machine a 0.5 ms search in Python took 1.1 to 1.4 ms through the hop, an
empty call 0.2 ms. While other searches run, the hop is worth it: their engine work releases the GIL and
runs side by side. A search alone has nothing to run beside, so on an idle process it runs in the loop.

Only an engine whose `in_process` is true runs there: its work is bounded CPU (tantivy, our Python), never a
wait on another server, so the loop is held for one search at most: a request arriving meanwhile waits at
most that long. Requests that arrive together all get worker threads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.lowlevel

from indexer.engine import SearchEngine

T = TypeVar("T")


class EngineCalls:
    """The engine calls of requests in progress (searches, suggestions) and the threads they may use."""

    def __init__(self, concurrency: int) -> None:
        self.limiter = anyio.CapacityLimiter(concurrency)
        self.in_progress = 0

    async def run(self, engine: SearchEngine, call: Callable[..., T], *args: object) -> T:
        """`call(*args)`, in the loop when `engine` is in-process and no other call is in progress, else in a
        worker thread (waiting for one when `concurrency` already run)."""
        self.in_progress += 1
        try:
            if self.in_progress == 1 and getattr(engine, "in_process", False):
                # Requests that arrived with this one reach this point first: then none runs alone.
                await anyio.lowlevel.checkpoint()
                if self.in_progress == 1:
                    return call(*args)
            return await anyio.to_thread.run_sync(call, *args, limiter=self.limiter)
        finally:
            self.in_progress -= 1
