"""The engine's Elasticsearch clients: the official ones, without their OpenTelemetry spans; and their serializer,
which hands a search's answer back as its bytes when asked (`answered_as_bytes`).

Since FastAPI 0.165 requires `opentelemetry-api`, the official client opens a span around every call (`_otel.py`),
handed to OpenTelemetry's no-op tracer: this project configures no OpenTelemetry SDK, so nothing is ever recorded.
Opening and closing it took about 0.1 ms of each search on real calls (p50 −0.08 to −0.13 ms without it, the same
requests alternated: benchmarks/results/perf-20261205-session34.md). These classes turn the spans off for the
engine's clients and each copy `options()` makes of them (`type(self)(...)`), unless the client's own switch,
`OTEL_PYTHON_INSTRUMENTATION_ELASTICSEARCH_ENABLED`, is set to `true` (a deployment with an SDK that wants them).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from elasticsearch import ApiError, AsyncElasticsearch, Elasticsearch
from elasticsearch._otel import ENABLED_ENV_VAR, OpenTelemetry
from elasticsearch.serializer import OrjsonSerializer


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


# Set while a call's answer is wanted as the bytes that came (`answered_as_bytes`).
_AS_BYTES: ContextVar[bool] = ContextVar("impact_es_answer_as_bytes", default=False)


class AnswerBytes(OrjsonSerializer):
    """The clients' JSON serializer (orjson), which hands back an answer's bytes unread while a call is made in
    `answered_as_bytes`: a search's page of hits is written from them (`indexer/es_answers.py`)."""

    def loads(self, data: bytes) -> Any:
        return data if _AS_BYTES.get() else super().loads(data)


@contextmanager
def answered_as_bytes() -> Iterator[None]:
    """The answers of the calls made within (in this thread, or this task and what it awaits) as their bytes (the
    clients' `AnswerBytes`); an error's answer read, as the client's other errors are."""
    token = _AS_BYTES.set(True)
    try:
        yield
    except ApiError as exc:
        if not isinstance(exc.body, bytes):
            raise
        body = OrjsonSerializer().loads(exc.body) if exc.body else None
        # As the client makes it from an answer it read (`BaseClient._perform_request`).
        error = body.get("error", str(body)) if isinstance(body, dict) else str(body)
        message = error["type"] if isinstance(error, dict) and "type" in error else error
        raise type(exc)(message=str(message), meta=exc.meta, body=body) from None
    finally:
        _AS_BYTES.reset(token)
