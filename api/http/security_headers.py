"""Headers every answer carries: no MIME sniffing, and framing allowed only for embed pages (`secured`, set by
`api/http/answers.py`); the public reads any origin may make (`PublicReadCors`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def with_directive(policy: str | None, directive: str) -> str:
    """A CSP with one more directive (an existing one of the same name is left as it is)."""
    if not policy:
        return directive
    name = directive.split()[0]
    if any(part.strip().split(" ")[0] == name for part in policy.split(";")):
        return policy
    return f"{policy.rstrip('; ')}; {directive}"


# The headers `secured` sets (an answer's own are replaced), and two of their values.
OWN_HEADERS = (b"x-content-type-options", b"x-frame-options")
NOSNIFF = (b"x-content-type-options", b"nosniff")
NOT_FRAMED = (b"x-frame-options", b"DENY")


def secured(headers: Iterable[tuple[bytes, bytes]], frameable: bool, frame_ancestors: str) -> list[tuple[bytes, bytes]]:
    """An answer's headers with `nosniff`, and framing allowed to `frame_ancestors` when `frameable`, to nobody
    otherwise (`X-Frame-Options` and the CSP's `frame-ancestors`, added to a CSP the answer has). In one pass over
    them (`MutableHeaders` scans them all for each one set)."""
    kept, policy = [], None
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"content-security-policy":
            policy = value.decode("latin-1") if policy is None else policy
        elif lowered not in OWN_HEADERS:
            kept.append((name, value))
    kept.append(NOSNIFF)
    if frameable:
        directive = f"frame-ancestors {frame_ancestors}"
    else:
        kept.append(NOT_FRAMED)
        directive = "frame-ancestors 'none'"
    kept.append((b"content-security-policy", with_directive(policy, directive).encode("latin-1")))
    return kept


class PublicReadCors:
    """Any origin may read `public` paths without credentials (`Access-Control-Allow-Origin: *`).

    Runs outside the configured CORSMiddleware: an answer that already names an allowed origin
    keeps it, and preflights of public reads are answered here for every origin.
    """

    ALLOWED_HEADERS = "Accept, Accept-Language, Content-Language, If-None-Match"

    def __init__(
        self, app: ASGIApp, public: Callable[[str], bool], head: Callable[[str], bool] = lambda path: True
    ) -> None:
        """`head`: whether a path answers HEAD too (the preflight offers only the methods a path answers)."""
        self.app = app
        self.public = public
        self.head = head

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.public(scope["path"]):
            await self.app(scope, receive, send)
            return
        request_headers = {k.lower(): v for k, v in scope["headers"]}
        if b"origin" not in request_headers:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        methods = (b"GET", b"HEAD") if self.head(scope["path"]) else (b"GET",)
        if method == "OPTIONS" and request_headers.get(b"access-control-request-method") in methods:
            headers = [
                (b"access-control-allow-origin", b"*"),
                (b"access-control-allow-methods", b", ".join(methods)),
                (b"access-control-allow-headers", self.ALLOWED_HEADERS.encode()),
                (b"access-control-max-age", b"86400"),
                (b"content-length", b"0"),
            ]
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        if method not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return

        async def allow_any_origin(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "access-control-allow-origin" not in headers:
                    headers["access-control-allow-origin"] = "*"
                    headers["access-control-expose-headers"] = "ETag, Retry-After"
            await send(message)

        await self.app(scope, receive, allow_any_origin)
