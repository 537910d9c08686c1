"""Per-client rate limiting of public endpoints: an in-process token bucket per client IP.

One process, one set of buckets: behind several workers each holds its own, which only makes the
limit looser. Behind a reverse proxy, run uvicorn with `--proxy-headers` so the client IP is the
visitor's and not the proxy's.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.http_errors import error_response

# Bound the memory a flood of distinct addresses can take; the least recently seen are forgotten.
MAX_CLIENTS = 50_000


class TokenBuckets:
    """`burst` tokens per client, refilled at `per_minute / 60` a second; one request takes one."""

    def __init__(
        self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic, max_clients: int = MAX_CLIENTS
    ) -> None:
        self.rate = per_minute / 60
        self.burst = float(burst)
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, client: str) -> float:
        """0 when the request may go on, else the seconds to wait before the next one will."""
        now = self.clock()
        tokens, last = self._buckets.pop(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self.rate
        self._buckets[client] = (tokens, now)
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        return wait


TooManyPage = Callable[[Scope, int], Awaitable[Response]]


class RateLimit:
    """Answers 429 with `Retry-After` once a client has spent its bucket on `limited` paths."""

    def __init__(
        self,
        app: ASGIApp,
        buckets: TokenBuckets,
        limited: Callable[[str], bool],
        html_page: Callable[[str], bool],
        render_html: TooManyPage,
    ) -> None:
        self.app = app
        self.buckets = buckets
        self.limited = limited
        self.html_page = html_page
        self.render_html = render_html

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or not self.limited(scope["path"]):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.buckets.take(client[0] if client else "unknown")
        if not wait:
            await self.app(scope, receive, send)
            return
        retry_after = max(1, math.ceil(wait))
        if self.html_page(scope["path"]):
            response = await self.render_html(scope, retry_after)
        else:
            response = error_response(
                429,
                "rate_limited",
                f"too many requests from your address; retry in {retry_after} s",
                {"retry_after": retry_after},
            )
        response.headers["Retry-After"] = str(retry_after)
        await response(scope, receive, send)
