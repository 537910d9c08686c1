"""Which paths are public, cacheable, rate-limited (and in which class) or frameable, which hosts and
proxies are trusted, and the middleware that enforces it."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import FastAPI
from limits import RateLimitItem
from limits.storage import Storage
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from api.auth_throttle import FailedAuthThrottle
from api.client_address import ClientAddress, TrustedProxies, parse_networks
from api.html import error_page
from api.http_cache import ConditionalGet
from api.rate_limit import RateLimit, Windows, open_storage, parse_limits, per_minute_with_burst
from api.routes import API_PREFIX
from api.security_headers import PublicReadCors, SecurityHeaders
from api.settings import Settings

# Route classes of the rate limit (see `rate_class`).
READS, WRITES, KEYS, OPERATIONS, DOCS, EXPORT = "reads", "writes", "keys", "operations", "docs", "export"


def _under(path: str, *roots: str) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def is_public_read(path: str) -> bool:
    """Anonymous reads any origin may make: what the widget and partners' scripts call."""
    return _under(path, f"{API_PREFIX}/search", f"{API_PREFIX}/referentials", f"{API_PREFIX}/presets", "/feeds") or (
        path.startswith(f"{API_PREFIX}/monographs/") or path == "/widget.js"
    )


def is_docs(path: str) -> bool:
    return path in ("/", "/openapi.json") or _under(path, "/docs", "/redoc")


def rate_class(method: str, path: str) -> str:
    """Every request belongs to one class, each with its own limits per client."""
    if is_docs(path):
        return DOCS
    if method not in ("GET", "HEAD", "OPTIONS"):
        return WRITES
    if _under(path, f"{API_PREFIX}/keys"):
        return KEYS
    if path in (f"{API_PREFIX}/health", f"{API_PREFIX}/metrics"):
        return OPERATIONS
    if _under(path, f"{API_PREFIX}/export"):
        return EXPORT
    return READS  # search, monographs, referentials, presets, embed, feeds, widget and assets, unknown paths


def is_cacheable(path: str) -> bool:
    return path == "/widget.js" or _under(
        path,
        f"{API_PREFIX}/search",
        f"{API_PREFIX}/referentials",
        f"{API_PREFIX}/presets",
        "/embed",
        "/feeds",
        "/static",
        "/docs/assets",
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


def route_limits(settings: Settings) -> dict[str, list[RateLimitItem]]:
    """The limits of each route class; IMPACT_RATE_LIMIT_PER_MINUTE=0 turns them all off."""
    if not settings.rate_limit_per_minute:
        return {}
    return {
        READS: per_minute_with_burst(settings.rate_limit_per_minute, settings.rate_limit_burst),
        WRITES: parse_limits(settings.rate_limit_writes, "IMPACT_RATE_LIMIT_WRITES"),
        KEYS: parse_limits(settings.rate_limit_keys, "IMPACT_RATE_LIMIT_KEYS"),
        OPERATIONS: parse_limits(settings.rate_limit_operations, "IMPACT_RATE_LIMIT_OPERATIONS"),
        DOCS: parse_limits(settings.rate_limit_docs, "IMPACT_RATE_LIMIT_DOCS"),
        EXPORT: parse_limits(settings.rate_limit_export, "IMPACT_RATE_LIMIT_EXPORT"),
    }


def auth_throttle(settings: Settings, storage: Storage) -> FailedAuthThrottle:
    return FailedAuthThrottle(
        storage,
        per_client=parse_limits(settings.auth_failures_per_client, "IMPACT_AUTH_FAILURES_PER_CLIENT"),
        per_key=parse_limits(settings.auth_failures_per_key, "IMPACT_AUTH_FAILURES_PER_KEY"),
    )


def allowed_hosts(settings: Settings) -> list[str]:
    """IMPACT_ALLOWED_HOSTS plus the hosts of this API's own configured addresses."""
    hosts = [h.strip().lower() for h in settings.allowed_hosts.split(",") if h.strip()]
    for url in (settings.public_api_url, settings.api_base_url):
        host = urlsplit(url).hostname
        host = f"[{host}]" if host and ":" in host else host  # an IPv6 Host header keeps its brackets
        if host and host not in hosts:
            hosts.append(host)
    for host in hosts:
        if "*" in host[1:] or (host.startswith("*") and host != "*" and not host.startswith("*.")):
            raise ValueError(f"IMPACT_ALLOWED_HOSTS: {host!r} must be a host name, `*.example.fr` or `*`")
    return hosts


def install_public_http(app: FastAPI, settings: Settings) -> None:
    """Outermost first: security headers, trusted hosts, client address, public CORS, rate limit, then
    conditional GET. Also puts the failed-authentication throttle in `app.state.auth_throttle`."""
    storage = open_storage(settings.rate_limit_storage_uri)
    app.state.auth_throttle = auth_throttle(settings, storage)
    app.add_middleware(ConditionalGet, cacheable=is_cacheable, max_age=settings.http_cache_max_age)
    limits = route_limits(settings)
    if limits:
        app.add_middleware(
            RateLimit,
            windows=Windows(storage, limits),
            classify=rate_class,
            html_page=is_html,
            render_html=too_many_requests_page,
        )
    if settings.public_read_cors:
        app.add_middleware(PublicReadCors, public=is_public_read)
    app.add_middleware(ClientAddress, trusted=TrustedProxies(parse_networks(settings.trusted_proxies)))
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(settings), www_redirect=False)
    app.add_middleware(SecurityHeaders, frameable=is_frameable, frame_ancestors=settings.embed_frame_ancestors)
