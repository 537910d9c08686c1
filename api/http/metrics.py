"""Prometheus metrics of the service, in a registry of its own, and the counts of requests (`RequestCounts`)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import Scope

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "impact_http_requests_total",
            "HTTP requests by route, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "impact_http_request_seconds",
            "HTTP request latency by route.",
            ["route", "method"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.search_latency = Histogram(
            "impact_search_engine_seconds",
            "Engine search latency.",
            ["backend"],
            registry=self.registry,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
        )
        self.engine_calls = Counter(
            "impact_engine_calls_total",
            "Search-engine calls by where they ran: `loop` (the event loop's thread) or `thread` (a worker).",
            ["place"],
            registry=self.registry,
        )
        self._searches: dict[str, Any] = {}
        self.backlog = Gauge(
            "impact_index_backlog", "Store writes not yet applied to the index.", registry=self.registry
        )
        self.documents = Gauge("impact_index_documents", "Documents in the search index.", registry=self.registry)

    def searched(self, backend: str, seconds: float) -> None:
        """One search's latency on `backend` (its histogram looked up once: `labels()` costs µs a call)."""
        series = self._searches.get(backend)
        if series is None:
            series = self._searches[backend] = self.search_latency.labels(backend)
        series.observe(seconds)


def full_template(scope: Scope, route: Any) -> str:
    """The route's whole path template, prefixes of the routers it was included in included
    (`/api/v1/monographs/{monograph_id}`): FastAPI puts the route as its own router declared it in the
    scope (`/{monograph_id}`), so the app is asked where it answers, with each parameter as a placeholder."""
    placeholders = {name: f"{{{name}}}" for name in getattr(route, "param_convertors", {})}
    try:
        return str(scope["app"].url_path_for(route.name, **placeholders))
    except Exception:  # a route the app cannot name back: its own template is better than nothing
        return str(getattr(route, "path", "unmatched"))


class RequestCounts:
    """Counts requests and their latency by route template (never by raw path, so ids never explode the
    label space): `api/http/answers.py` records each answer."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self._templates: dict[int, str] = {}  # by id of the matched route: the app's routes live as long as it
        # (template, method, status) → its request counter and latency histogram: `labels()` checks and joins its
        # values on each call (a few µs, twice a request). As many as the metrics' own label sets.
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def route_template(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is None:
            return "unmatched"
        template = self._templates.get(id(route))
        if template is None:
            template = self._templates[id(route)] = full_template(scope, route)
        return template

    def record(self, scope: Scope, status: int, seconds: float) -> None:
        """One answer of `status` to the request of `scope`, which took `seconds`."""
        requests, latency = self.series(self.route_template(scope), scope["method"], status)
        requests.inc()
        latency.observe(seconds)

    def series(self, template: str, method: str, code: int) -> tuple[Any, Any]:
        """The request counter and latency histogram of one route template, method and status (a method that
        is none of HTTP's usual ones counted as `OTHER`: clients choose it, the label space must not grow)."""
        key = (template, method if method in METHODS else "OTHER", code)
        found = self._series.get(key)
        if found is None:
            found = self._series[key] = (
                self.metrics.requests.labels(template, key[1], str(code)),
                self.metrics.latency.labels(template, key[1]),
            )
        return found
