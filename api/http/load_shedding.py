"""Load shedding for the routes that run in worker threads.

Synchronous routes (fiche, embeds, feeds, export, writes, presets…) wait for one of anyio's worker
threads. Under more load than the machine serves, that wait grows without bound and every client
waits with it. `StampArrival` notes when each request arrived; `SheddingRoute` checks, at the moment
a synchronous route finally gets its thread and before it does anything, whether the request has
waited longer than `IMPACT_QUEUE_TIMEOUT`: if so it answers 503 + `Retry-After` at once (a JSON error,
or a French page for the embeds and feeds). Nothing has started, so nothing is lost: a shed write was
not made. `/search` has its own deadline counted from arrival (`IMPACT_SEARCH_DEADLINE`); `/health`
and `/metrics` are never shed (a busy instance is not a dead one).
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from fastapi.routing import APIRoute
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import DomainError

RETRY_AFTER = 2

# When the current request arrived (monotonic) and how long it may wait to start; None outside a request.
_ARRIVAL: ContextVar[tuple[float, float] | None] = ContextVar("arrival", default=None)


class Overloaded(DomainError):
    status_code = 503
    code = "overloaded"

    def __init__(self, waited: float, why: str | None = None) -> None:
        reason = why or f"your request waited {waited:.1f} s for a worker and was not started"
        super().__init__(
            f"the service is overloaded ({reason}); retry in {RETRY_AFTER} s",
            {"retry_after": RETRY_AFTER},
        )
        self.retry_after = RETRY_AFTER


class StampArrival:
    """Outermost middleware: requests must start their work within `queue_timeout` seconds of arrival."""

    def __init__(self, app: ASGIApp, queue_timeout: float) -> None:
        self.app = app
        self.queue_timeout = queue_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _ARRIVAL.set((time.monotonic(), self.queue_timeout))
        try:
            await self.app(scope, receive, send)
        finally:
            _ARRIVAL.reset(token)


def started_in_time(func: Callable[..., Any]) -> Callable[..., Any]:
    """`func` (run in a worker thread) raises `Overloaded` instead of starting past its request's deadline."""

    @functools.wraps(func)
    def shed_or_run(*args: Any, **kwargs: Any) -> Any:
        arrival = _ARRIVAL.get()
        if arrival is not None:
            arrived, queue_timeout = arrival
            waited = time.monotonic() - arrived
            if waited > queue_timeout:
                raise Overloaded(waited)
        return func(*args, **kwargs)

    return shed_or_run


class SheddingRoute(APIRoute):
    """An `APIRoute` whose synchronous endpoint is shed when it starts too late (see the module doc)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not asyncio.iscoroutinefunction(endpoint):
            endpoint = started_in_time(endpoint)
        super().__init__(path, endpoint, **kwargs)


class InFlightCap:
    """At most `limit` requests in this process at once; one more is answered 503 + `Retry-After` before
    anything runs. The queue-time check above only sees the wait for a worker thread: under a load the
    machine cannot serve, requests also pile up in the event loop before any route runs, and every one of
    them waits longer (the 122 operations/s soak of docs/reliability.md: p99 27 s). `exempt` paths
    (`/health`, `/metrics`) are neither counted nor refused."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        exempt: Callable[[str], bool],
        answer: Callable[[Scope, Overloaded], Awaitable[Response]],
    ) -> None:
        self.app, self.limit, self.exempt, self.answer = app, limit, exempt, answer
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            response = await self.answer(
                scope, Overloaded(0.0, f"{self.limit} requests were in progress: yours was not started")
            )
            await response(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
