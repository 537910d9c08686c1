"""One deadline for all the engine calls of a request (`IMPACT_SEARCH_DEADLINE`): past it, 503 +
`Retry-After`, never a hang.

A search on Elasticsearch makes up to two calls (search, then a relaxed search when no practice has
every word), each with its own client timeout: a node that answers every call just under that
timeout used to hold a request twice as long (three times before searches stopped looking the alias
up first). Now each call gets only the time left.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from tests.api.conftest import api_through
from tests.tcp_proxy import TcpProxy

DEADLINE = 1.5
# Each call to the node waits this long: under the 5 s client timeout, but two calls exceed the deadline.
DELAY = 0.9


@pytest.fixture
def slow_es(tmp_path: Path, proxy: TcpProxy) -> Iterator[TestClient]:
    with api_through(proxy, tmp_path, "deadline", elasticsearch_timeout=5.0, search_deadline=DEADLINE) as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        engine.ensure_index()  # the alias exists before any request (the worker made it at start-up)
        assert client.get("/api/v1/search", params={"q": "covoiturage lorient"}).status_code == 200
        yield client


def timed(client: TestClient, path: str, params: dict[str, str]) -> tuple[float, object]:
    started = time.monotonic()
    response = client.get(path, params=params)
    return time.monotonic() - started, response


@pytest.mark.elasticsearch
@pytest.mark.parametrize(
    ("path", "params"),
    [
        # Two calls each: no practice has both words, so a relaxed search follows the first one.
        ("/api/v1/search", {"q": "covoiturage lorient"}),
        ("/api/v1/search/stats", {"q": "covoiturage lorient"}),
        ("/api/v1/search/map", {"q": "covoiturage lorient"}),
        # Typed as suggestions: the last word a prefix, still no practice with both.
        ("/api/v1/suggest", {"q": "covoiturage lorient"}),
        ("/embed", {"q": "covoiturage lorient", "map": "1"}),
        ("/embed", {"q": "covoiturage lorient"}),
        ("/feeds/search.atom", {"q": "covoiturage lorient"}),
    ],
)
def test_a_slow_node_answers_503_within_the_deadline(
    slow_es: TestClient, proxy: TcpProxy, path: str, params: dict[str, str]
) -> None:
    proxy.delay = DELAY
    elapsed, response = timed(slow_es, path, params)
    assert response.status_code == 503, response.text  # type: ignore[attr-defined]
    assert int(response.headers["Retry-After"]) > 0  # type: ignore[attr-defined]
    # Each call alone is well under the 5 s client timeout; together they would take 1.8 s.
    assert elapsed < DEADLINE + DELAY, elapsed
    proxy.delay = 0
    assert slow_es.get(path, params=params).status_code == 200


@pytest.mark.elasticsearch
@pytest.mark.parametrize("path", ["/api/v1/search", "/feeds/search.atom"])  # awaited, and in a worker thread
def test_a_call_retried_after_a_dropped_connection_gets_only_the_time_left(
    slow_es: TestClient, proxy: TcpProxy, path: str
) -> None:
    """A node that drops the connection after holding the request: the client tries once more (on another node
    when there are several), but only within what is left of the deadline. The client's own retry got the
    whole timeout again: 2 × 1.2 s here."""
    proxy.delay, proxy.drops = 1.2, 2
    elapsed, response = timed(slow_es, path, {"q": "covoiturage"})
    assert response.status_code == 503, response.text  # type: ignore[attr-defined]
    assert elapsed < DEADLINE + 0.5, elapsed
    time.sleep(1.6)  # the proxy's hold of the last try ends
    proxy.delay, proxy.drops = 0.2, 1  # dropped, then answered by the try that follows
    elapsed, response = timed(slow_es, path, {"q": "covoiturage"})
    assert response.status_code == 200 and elapsed < DEADLINE, (response.status_code, elapsed)  # type: ignore[attr-defined]
    proxy.delay, proxy.drops = 0, 0


@pytest.mark.elasticsearch
def test_a_node_just_slow_enough_still_answers(slow_es: TestClient, proxy: TcpProxy) -> None:
    proxy.delay = 0.3  # two calls, 0.6 s: within the deadline
    assert slow_es.get("/api/v1/search", params={"q": "covoiturage lorient"}).status_code == 200


def test_embedded_engine_checks_the_deadline(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process, the embedded engine checks the deadline before each of its passes."""
    with TestClient(
        create_app(settings.model_copy(update={"search_deadline": 0.05})), raise_server_exceptions=False
    ) as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        execute = engine.execute_request

        def slow_execute(*args: object) -> object:
            time.sleep(0.1)  # a pass slower than the whole budget
            return execute(*args)

        monkeypatch.setattr(engine, "execute_request", slow_execute)
        relaxed = client.get("/api/v1/search", params={"q": "covoiturage lorient"})  # second pass refused
        assert relaxed.status_code == 503 and relaxed.json()["error"]["code"] == "search_busy"  # not "unavailable"
        assert "could not finish in time" in relaxed.json()["error"]["message"]
        assert relaxed.headers["Retry-After"]
        assert client.get("/api/v1/search", params={"q": "covoiturage"}).status_code == 200  # one pass: answered
        page = client.get("/embed", params={"q": "covoiturage lorient"})
        assert page.status_code == 503 and page.headers["Retry-After"]
