"""Load shedding: a synchronous route that waited too long for a worker thread answers 503 + Retry-After
without doing anything; `/health` and the async `/search` are never shed (`api/http/load_shedding.py`)."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from tests.api.conftest import payload
from tests.live import LiveApi, live_api

NO_LIMITS = {"IMPACT_RATE_LIMIT_PER_MINUTE": "0", "IMPACT_AUTH_FAILURES_PER_CLIENT": ""}


@pytest.fixture
def impatient(tmp_path: Path) -> Iterator[TestClient]:
    """Every synchronous route has waited too long as soon as it reaches a worker thread."""
    settings = Settings(data_dir=tmp_path / "data", queue_timeout=1e-9, rate_limit_per_minute=0)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def test_a_late_synchronous_route_is_shed_as_json(impatient: TestClient) -> None:
    from api.store import Role

    key, _ = impatient.app.state.store.create_key("éditeur", Role.EDITOR)  # type: ignore[attr-defined]
    answer = impatient.post("/api/v1/monographs", json=payload(), headers={"X-API-Key": key})
    assert answer.status_code == 503 and answer.headers["retry-after"] == "2"
    assert answer.json()["error"]["code"] == "overloaded" and "not started" in answer.json()["error"]["message"]
    # Nothing was done: the shed write is not in the store.
    assert impatient.app.state.store.count() == 0  # type: ignore[attr-defined]
    assert impatient.get("/api/v1/monographs/inconnue").status_code == 503


def test_a_late_embed_page_is_a_french_page(impatient: TestClient) -> None:
    answer = impatient.get("/embed")
    assert answer.status_code == 503 and answer.headers["content-type"].startswith("text/html")
    assert "surchargé" in answer.text and answer.headers["retry-after"] == "2"


def test_health_and_search_are_never_shed(impatient: TestClient) -> None:
    assert impatient.get("/api/v1/health").status_code == 200
    assert impatient.get("/api/v1/search", params={"q": "mobilité"}).status_code == 200


@pytest.fixture(scope="module")
def busy_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    # One worker thread: the 200 requests below queue for it whatever the machine's speed.
    env = NO_LIMITS | {"IMPACT_QUEUE_TIMEOUT": "0.2", "IMPACT_WORKER_THREADS": "1"}
    with live_api(tmp_path_factory.mktemp("shedding") / "data", env) as live:
        yield live


def test_overload_over_real_sockets_is_answered_fast_not_queued(busy_api: LiveApi) -> None:
    """200 fiche and embed requests at once for one worker thread: those that waited past the queue
    timeout are shed (503 + Retry-After) instead of waiting their turn, and /health answers meanwhile."""
    with httpx.Client(timeout=30) as client:
        ids = [hit["id"] for hit in client.get(f"{busy_api.url}/api/v1/search", params={"size": 20}).json()["hits"]]
    barrier = threading.Barrier(201)
    answers: list[tuple[int, float, str]] = []

    def fetch(path: str) -> None:
        with httpx.Client(timeout=30) as client:
            barrier.wait()
            started = time.monotonic()
            response = client.get(f"{busy_api.url}{path}")
            answers.append((response.status_code, time.monotonic() - started, response.headers.get("retry-after", "")))

    paths = [f"/api/v1/monographs/{ids[i % len(ids)]}" if i % 2 else f"/embed?q=projet{i}" for i in range(200)]
    threads = [threading.Thread(target=fetch, args=(path,)) for path in paths]
    for thread in threads:
        thread.start()
    barrier.wait()
    with httpx.Client(timeout=30) as client:
        health = client.get(f"{busy_api.url}/api/v1/health")
    for thread in threads:
        thread.join()
    statuses = Counter(status for status, _, _ in answers)
    # 100 embed pages alone take longer than 0.2 s of that one thread: some are shed, whatever the
    # machine (how many are served first depends on how fast the event loop accepts the burst).
    assert set(statuses) <= {200, 503} and statuses[503] > 0, statuses
    assert all(retry == "2" for status, _, retry in answers if status == 503)
    assert health.status_code == 200
    with httpx.Client(timeout=30) as client:  # once the burst is over, a request is served again
        assert client.get(f"{busy_api.url}/api/v1/monographs/{ids[0]}").status_code == 200


@pytest.fixture(scope="module")
def capped_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    env = NO_LIMITS | {"IMPACT_MAX_IN_FLIGHT": "2"}
    with live_api(tmp_path_factory.mktemp("in-flight") / "data", env, seed=False) as live:
        yield live


def _stalled_upload(url: str) -> socket.socket:
    """A write whose body never finishes arriving: it holds its place among the requests in flight."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    head = (
        "POST /api/v1/monographs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        'X-API-Key: impact_stalled\r\nContent-Length: 1000\r\n\r\n{"title": '
    )
    sock.sendall(head.encode())
    return sock


def test_requests_beyond_the_in_flight_cap_are_refused_at_once(capped_api: LiveApi) -> None:
    """IMPACT_MAX_IN_FLIGHT=2 over real sockets: with two uploads stalled mid-body, a search is answered
    503 + Retry-After at once (not queued behind them), /health still answers, and once the uploads are
    cut the next search is served."""
    stalled = [_stalled_upload(capped_api.url) for _ in range(2)]
    try:
        with httpx.Client(timeout=10) as client:
            deadline = time.monotonic() + 10
            while (refused := client.get(f"{capped_api.url}/api/v1/search")).status_code != 503:
                assert time.monotonic() < deadline, "the cap never refused a request"
                time.sleep(0.05)  # until the server has read both stalled requests' headers
            assert refused.headers["retry-after"] == "2"
            error = refused.json()["error"]
            assert error["code"] == "overloaded" and "2 requests were in progress" in error["message"]
            assert client.get(f"{capped_api.url}/api/v1/health").status_code == 200
    finally:
        for sock in stalled:
            sock.close()
    with httpx.Client(timeout=10) as client:
        deadline = time.monotonic() + 10
        while (served := client.get(f"{capped_api.url}/api/v1/search")).status_code != 200:
            assert time.monotonic() < deadline, f"still refused after the uploads ended: {served.status_code}"
            time.sleep(0.05)
