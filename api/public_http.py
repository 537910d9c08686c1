"""Which paths are public, cacheable, rate-limited or frameable, and the middleware that enforces it."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from api.html import error_page
from api.http_cache import ConditionalGet
from api.rate_limit import RateLimit, TokenBuckets
from api.routes import API_PREFIX
from api.security_headers import PublicReadCors, SecurityHeaders
from api.settings import Settings


def _under(path: str, *roots: str) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def is_public_read(path: str) -> bool:
    """Anonymous reads any origin may make: what the widget and partners' scripts call."""
    return _under(path, f"{API_PREFIX}/search", f"{API_PREFIX}/referentials", f"{API_PREFIX}/presets", "/feeds") or (
        path.startswith(f"{API_PREFIX}/monographs/") or path == "/widget.js"
    )


def is_rate_limited(path: str) -> bool:
    return is_public_read(path) or _under(path, f"{API_PREFIX}/export", "/embed")


def is_cacheable(path: str) -> bool:
    return path == "/widget.js" or _under(
        path,
        f"{API_PREFIX}/search",
        f"{API_PREFIX}/referentials",
        f"{API_PREFIX}/presets",
        "/embed",
        "/feeds",
        "/static",
    )


def is_frameable(path: str) -> bool:
    """The iframe pages only: not the builder, not the API."""
    return path == "/embed" or path.startswith("/embed/p/")


def is_html(path: str) -> bool:
    return _under(path, "/embed", "/feeds")


async def too_many_requests_page(scope: Scope, retry_after: int) -> Response:
    return error_page(
        Request(scope),
        429,
        "Trop de requêtes",
        [f"Cette adresse a envoyé trop de requêtes. Réessayez dans {retry_after} secondes."],
    )


def install_public_http(app: FastAPI, settings: Settings) -> None:
    """Outermost first: security headers, public CORS, rate limit, then conditional GET."""
    app.add_middleware(ConditionalGet, cacheable=is_cacheable, max_age=settings.http_cache_max_age)
    if settings.rate_limit_per_minute:
        buckets = TokenBuckets(settings.rate_limit_per_minute, settings.rate_limit_burst)
        app.add_middleware(
            RateLimit,
            buckets=buckets,
            limited=is_rate_limited,
            html_page=is_html,
            render_html=too_many_requests_page,
        )
    if settings.public_read_cors:
        app.add_middleware(PublicReadCors, public=is_public_read)
    app.add_middleware(SecurityHeaders, frameable=is_frameable, frame_ancestors=settings.embed_frame_ancestors)
