"""Puts the HTTP hygiene on the app, in its order: every middleware and error handler, configured from
the settings (limits per route class, trusted proxies and hosts, framing, CORS)."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from limits import RateLimitItem
from limits.storage import Storage
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from api.embed.html import error_page
from api.http.answers import Answers
from api.http.auth_throttle import FailedAuthThrottle
from api.http.body_guard import RequestGuard
from api.http.client_address import ClientAddress, TrustedProxies, parse_networks
from api.http.error_responses import error_response, install_error_handlers
from api.http.load_shedding import InFlightCap, Overloaded, StampArrival
from api.http.metrics import Metrics, RequestCounts
from api.http.paths import (
    DOCS,
    EXPORT,
    KEYS,
    OPERATIONS,
    READS,
    WRITES,
    is_cacheable,
    is_frameable,
    is_html,
    is_json_api,
    is_operations,
    is_public_read,
    rate_class,
)
from api.http.rate_limit import RateLimit, Windows, open_storage, parse_limits, per_minute_with_burst
from api.http.security_headers import PublicReadCors
from api.settings import Settings

CORS_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
CORS_HEADERS = ["X-API-Key", "Authorization", "If-Match", "If-None-Match", "Idempotency-Key", "Content-Type"]


async def too_many_requests_page(scope: Scope, retry_after: int) -> Response:
    return error_page(
        Request(scope),
        429,
        "Trop de requêtes",
        [f"Cette adresse a envoyé trop de requêtes. Réessayez dans {retry_after} secondes."],
    )


async def refused_answer(scope: Scope, exc: Overloaded) -> Response:
    """A request refused before it reached the app (`InFlightCap`): the same answer as a shed one."""
    return await overloaded_answer(Request(scope), exc)


async def overloaded_answer(request: Request, exc: Exception) -> Response:
    """A shed request: a French page on the embeds and feeds, the JSON error elsewhere."""
    assert isinstance(exc, Overloaded)
    headers = {"Retry-After": str(exc.retry_after)}
    if is_html(request.url.path):
        return error_page(
            request,
            503,
            "Service momentanément surchargé",
            [f"Trop de demandes arrivent en même temps. Réessayez dans {exc.retry_after} secondes."],
            headers,
        )
    return error_response(503, exc.code, exc.message, exc.details, headers=headers)


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


def install_http(app: FastAPI, settings: Settings) -> None:
    """Every middleware, outermost last: body guard, the configured CORS, rate limit, public-read CORS, client
    address, trusted hosts, the cap on requests in flight, what every answer carries (security headers, conditional
    GET, request metrics: `Answers`), then arrival time (load shedding). Also the error handlers, the request
    metrics in `app.state.metrics` and the failed-authentication throttle in `app.state.auth_throttle`."""
    install_error_handlers(app)
    app.add_exception_handler(Overloaded, overloaded_answer)
    app.state.metrics = Metrics()
    app.add_middleware(RequestGuard, max_bytes=settings.max_body_bytes, json_only=is_json_api)
    if settings.cors_origins:
        # The configured origins (partners' back offices) may read and write with a key; any other origin
        # only gets the public reads (`PublicReadCors`).
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=CORS_METHODS,
            allow_headers=CORS_HEADERS,
            expose_headers=["ETag", "Location", "Retry-After"],
            max_age=600,
        )
    storage = open_storage(settings.rate_limit_storage_uri)
    app.state.auth_throttle = auth_throttle(settings, storage)
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
        # The JSON API answers GET only (FastAPI routes); embeds, feeds and widget.js answer HEAD too.
        app.add_middleware(PublicReadCors, public=is_public_read, head=lambda path: not is_json_api(path))
    app.add_middleware(ClientAddress, trusted=TrustedProxies(parse_networks(settings.trusted_proxies)))
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(settings), www_redirect=False)
    app.add_middleware(InFlightCap, limit=settings.max_in_flight, exempt=is_operations, answer=refused_answer)
    app.add_middleware(
        Answers,
        frameable=is_frameable,
        frame_ancestors=settings.embed_frame_ancestors,
        cacheable=is_cacheable,
        max_age=settings.http_cache_max_age,
        counts=RequestCounts(app.state.metrics),
    )
    app.add_middleware(StampArrival, queue_timeout=settings.queue_timeout)
