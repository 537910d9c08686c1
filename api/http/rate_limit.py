"""Per-client rate limits by route class, on the `limits` library (moving windows).

Each route class (public reads, writes, `/keys/me`, operations, docs, export) has its own limits,
e.g. `300/minute;60/10 seconds`: a request passes when every window of its class has room for it, counted
per client address (`api/http/client_address.py`). The windows live in a `limits` storage: in this process's
memory by default (each API process then counts on its own, which only makes the limit looser), or in a
shared store such as Redis (`IMPACT_RATE_LIMIT_STORAGE_URI=redis://host:6379`) for one limit across
processes and machines. A storage that fails lets requests through (logged): limits protect the service,
they must not take it down.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence

import anyio
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.http.client_address import client_address, limit_key
from api.http.error_responses import error_response

log = logging.getLogger(__name__)

# Sustained and burst windows of the public reads, from IMPACT_RATE_LIMIT_PER_MINUTE / _BURST.
BURST_SECONDS = 10


def parse_limits(spec: str, setting: str) -> list[RateLimitItem]:
    """`300/minute;60/10 seconds` → limit items; empty means no limit. A wrong spec fails at start."""
    if not spec.strip():
        return []
    try:
        return list(parse_many(spec))
    except ValueError:
        raise ValueError(f"{setting}: {spec!r} is not a list of limits such as `300/minute;60/10 seconds`") from None


def per_minute_with_burst(per_minute: int, burst: int) -> list[RateLimitItem]:
    return parse_limits(f"{per_minute}/minute;{burst}/{BURST_SECONDS} seconds", "IMPACT_RATE_LIMIT_PER_MINUTE")


def open_storage(uri: str) -> Storage:
    """The `limits` storage for `uri` (`memory://`, `redis://host:6379`, `memcached://…`)."""
    try:
        storage = storage_from_string(uri)
    except Exception as exc:
        raise ValueError(f"IMPACT_RATE_LIMIT_STORAGE_URI: cannot use {uri!r} ({exc})") from None
    if not isinstance(storage, Storage):
        raise ValueError(f"IMPACT_RATE_LIMIT_STORAGE_URI: {uri!r} is an async storage; use its plain scheme")
    return storage


class Windows:
    """Moving windows per (class, client) in one storage; `hit` answers 0 or the seconds to wait."""

    def __init__(self, storage: Storage, limits: Mapping[str, Sequence[RateLimitItem]]) -> None:
        self.storage = storage
        self.limiter = MovingWindowRateLimiter(storage)
        self.limits = {name: list(items) for name, items in limits.items() if items}
        self.in_memory = isinstance(storage, MemoryStorage)
        self._failing_since = 0.0

    def limited(self, name: str) -> bool:
        return name in self.limits

    def hit(self, name: str, client: str) -> int:
        """Count one request of `client` in class `name`: 0 when it may go on, else seconds to wait."""
        return self._wait(self.limiter.hit, name, client)

    def test(self, name: str, client: str) -> int:
        """Like `hit` without counting: 0 when every window has room, else seconds to wait."""
        return self._wait(self.limiter.test, name, client)

    def _wait(self, check: Callable[[RateLimitItem, str, str], bool], name: str, client: str) -> int:
        key = limit_key(client)
        try:
            for item in self.limits.get(name, ()):
                if not check(item, name, key):
                    reset = self.limiter.get_window_stats(item, name, key).reset_time
                    return max(1, math.ceil(reset - time.time()))
        except Exception:
            self._storage_failed()
        return 0

    async def hit_async(self, name: str, client: str) -> int:
        """`hit` without blocking the event loop on a networked storage."""
        if self.in_memory:
            return self.hit(name, client)
        return await anyio.to_thread.run_sync(self.hit, name, client)

    def _storage_failed(self) -> None:
        now = time.monotonic()
        if now - self._failing_since > 60:  # one line a minute, not one per request
            self._failing_since = now
            log.exception("rate-limit storage failed; requests go through unlimited meanwhile")


TooManyPage = Callable[[Scope, int], Awaitable[Response]]


class RateLimit:
    """Answers 429 with `Retry-After` once a client has used up a window of its request's class."""

    def __init__(
        self,
        app: ASGIApp,
        windows: Windows,
        classify: Callable[[str, str], str | None],
        html_page: Callable[[str], bool],
        render_html: TooManyPage,
    ) -> None:
        self.app = app
        self.windows = windows
        self.classify = classify
        self.html_page = html_page
        self.render_html = render_html

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = self.classify(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if name is None or not self.windows.limited(name):
            await self.app(scope, receive, send)
            return
        retry_after = await self.windows.hit_async(name, client_address(scope))
        if not retry_after:
            await self.app(scope, receive, send)
            return
        if self.html_page(scope["path"]):
            response = await self.render_html(scope, retry_after)
        else:
            response = error_response(
                429,
                "rate_limited",
                f"too many requests from your address; retry in {retry_after} s",
                {"retry_after": retry_after, "limit": name},
            )
        response.headers["Retry-After"] = str(retry_after)
        await response(scope, receive, send)
