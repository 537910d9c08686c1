"""Nothing acknowledged is lost when Elasticsearch is down, slow, or being rebuilt."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.store import Role
from tests.api.conftest import api_through, payload
from tests.corpus import CORPUS
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.elasticsearch


@pytest.fixture
def es_client(tmp_path: Path, proxy: TcpProxy) -> Iterator[TestClient]:
    with api_through(proxy, tmp_path, "outage", elasticsearch_timeout=2.0, outbox_max_backoff=0.5) as client:
        yield client


@pytest.fixture
def editor(es_client: TestClient) -> dict[str, str]:
    key, _ = es_client.app.state.store.create_key("Éditeur", Role.EDITOR)  # type: ignore[attr-defined]
    return {"X-API-Key": key}


def wait_for(condition, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def search_ids(client: TestClient, q: str) -> list[str]:
    response = client.get("/api/v1/search", params={"q": q})
    assert response.status_code == 200, response.text
    return [h["id"] for h in response.json()["hits"]]


def test_read_after_write_on_elasticsearch(es_client: TestClient, editor: dict[str, str]) -> None:
    created = es_client.post("/api/v1/monographs", json=payload(status="published"), headers=editor).json()
    assert search_ids(es_client, "covoiturage") == [created["id"]]
    assert es_client.get("/api/v1/health").json()["engine"]["backend"] == "elasticsearch"


def test_writes_while_node_is_down_are_kept_and_applied_once(
    es_client: TestClient, editor: dict[str, str], proxy: TcpProxy
) -> None:
    proxy.cut()
    created = es_client.post("/api/v1/monographs", json=payload(status="published"), headers=editor)
    assert created.status_code == 201  # acknowledged: committed to the store with its outbox entry
    monograph_id = created.json()["id"]
    health = es_client.get("/api/v1/health")
    assert health.status_code == 503 and health.json()["index"]["backlog"] >= 1
    down = es_client.get("/api/v1/search", params={"q": "covoiturage"})
    assert down.status_code == 503 and down.json()["error"]["code"] == "search_unavailable"
    assert "Retry-After" in down.headers

    proxy.restore()
    wait_for(lambda: es_client.get("/api/v1/health").json()["index"]["backlog"] == 0)
    assert search_ids(es_client, "covoiturage") == [monograph_id]
    engine = es_client.app.state.engine  # type: ignore[attr-defined]
    assert engine.ids() == {monograph_id}  # applied exactly once: one document, no duplicate


def test_slow_node_answers_503_not_a_hang(es_client: TestClient, proxy: TcpProxy) -> None:
    proxy.delay = 3.0  # longer than the 2 s request timeout
    started = time.monotonic()
    response = es_client.get("/api/v1/search", params={"q": "eau"})
    assert response.status_code == 503 and response.json()["error"]["message"]
    assert time.monotonic() - started < 10


def test_rebuild_under_concurrent_searches(es_client: TestClient, editor: dict[str, str]) -> None:
    for monograph in CORPUS[:6]:
        body = monograph.content().model_dump(mode="json") | {"status": "published"}
        assert es_client.post("/api/v1/monographs", json=body, headers=editor).status_code == 201
    failures: list[str] = []
    totals: set[int] = set()
    stop = threading.Event()

    def searching() -> None:
        while not stop.is_set():
            response = es_client.get("/api/v1/search", params={"size": 1})
            if response.status_code != 200:
                failures.append(response.text)
            else:
                totals.add(response.json()["total"])

    threads = [threading.Thread(target=searching) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(3):
            es_client.app.state.sync.rebuild()  # type: ignore[attr-defined]
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not failures and totals == {6}
