"""The engine's Elasticsearch clients: the official ones, without their OpenTelemetry spans.

Since FastAPI 0.165 requires `opentelemetry-api`, the official client opens a span around every call (`_otel.py`),
handed to OpenTelemetry's no-op tracer: this project configures no OpenTelemetry SDK, so nothing is ever recorded.
Opening and closing it took about 0.1 ms of each search on real calls (p50 −0.08 to −0.13 ms without it, the same
requests alternated: benchmarks/results/perf-20261205-session34.md). These classes turn the spans off for the
engine's clients and each copy `options()` makes of them (`type(self)(...)`), unless the client's own switch,
`OTEL_PYTHON_INSTRUMENTATION_ELASTICSEARCH_ENABLED`, is set to `true` (a deployment with an SDK that wants them).
"""

from __future__ import annotations

import os
from typing import Any

from elasticsearch import AsyncElasticsearch, Elasticsearch
from elasticsearch._otel import ENABLED_ENV_VAR, OpenTelemetry


def _untraced(client: Elasticsearch | AsyncElasticsearch) -> None:
    if os.environ.get(ENABLED_ENV_VAR) != "true":
        client._otel = OpenTelemetry(enabled=False)


class UntracedElasticsearch(Elasticsearch):
    """The blocking client, without spans."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _untraced(self)


class UntracedAsyncElasticsearch(AsyncElasticsearch):
    """The asynchronous client, without spans."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _untraced(self)
