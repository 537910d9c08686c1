"""What every answer carries, set in one pass on its way out: the security headers (`security_headers.py`), the
validators of cacheable answers and `304` on revalidation (`conditional_get.py`), and the request metrics
(`metrics.py`).

One middleware for the three: as three, each answer's messages went through three wrappers and its headers were
rebuilt twice, 0.04 to 0.12 ms of a search on real calls (benchmarks/results/perf-20261205-session34.md). It sits
outside the request checks (cap on requests in flight, trusted hosts, CORS, rate limit), as the security headers
did: requests those checks answer (a refusal, a CORS preflight) are counted too, under `route="unmatched"`, and a
request's latency is all of its time inside the app's middleware. A revalidated answer is counted as the 304 sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.conditional_get import validated
from api.http.metrics import RequestCounts
from api.http.security_headers import secured


class Answers:
    """Every answer: `nosniff`, framing by `frame_ancestors` on `frameable` paths and by nobody elsewhere. A 200
    answer to a GET or HEAD of a `cacheable` path: buffered, tagged with a hash of its body (a route's own ETag and
    Cache-Control kept), `304` when the client holds that version. Each counted in `counts` with its status and
    latency."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        frameable: Callable[[str], bool],
        frame_ancestors: str,
        cacheable: Callable[[str], bool],
        max_age: int,
        counts: RequestCounts,
    ) -> None:
        self.app = app
        self.frameable, self.frame_ancestors = frameable, frame_ancestors
        self.cacheable = cacheable
        self.cache_control = f"public, max-age={max_age}".encode("latin-1")
        self.counts = counts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path = scope["path"]
        frameable = self.frameable(path)
        validating = scope["method"] in ("GET", "HEAD") and self.cacheable(path)
        if_none_match = Headers(scope=scope).get("if-none-match") if validating else None
        status = 500
        held: Message | None = None  # the start of a 200 being buffered
        chunks: list[bytes] = []

        async def answer(message: Message) -> None:
            nonlocal status, held
            if message["type"] == "http.response.start":
                status = message["status"]
                if validating and status == 200:
                    held = message
                    return
                message["headers"] = secured(message["headers"], frameable, self.frame_ancestors)
            elif held is not None and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = b"".join(chunks)
                status, headers = validated(held["headers"], body, if_none_match, self.cache_control)
                held = None
                headers = secured(headers, frameable, self.frame_ancestors)
                await send({"type": "http.response.start", "status": status, "headers": headers})
                message = {"type": "http.response.body", "body": b"" if status == 304 else body}
            await send(message)

        try:
            await self.app(scope, receive, answer)
        finally:
            # A 200 held and never finished (the app raised while writing it): what is sent is the server error.
            self.counts.record(scope, 500 if held is not None else status, time.perf_counter() - started)
