"""Elasticsearch killed with SIGKILL during a stream of 1,000 writes, kept down far past the old
attempt limit: nothing acknowledged is lost, from the store or from search."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.store import Store
from indexer.elasticsearch_engine import ElasticsearchEngine
from indexer.engine import EngineConfig
from tests.reliability.conftest import editor_key
from tests.reliability.processes import ApiProcess, EsNode, wait_for
from tests.reliability.workload import index_equals_store, write_workload

pytestmark = [pytest.mark.elasticsearch, pytest.mark.postgres]
# Next to the session's node, so concurrent test sessions on other ports never share it.
KILLABLE_PORT = int(os.environ.get("IMPACT_TEST_ES_PORT", "9250")) + 12


@pytest.fixture
def own_node(es_url: str) -> Iterator[EsNode]:
    """A node of this test's own (the session's shared node is never killed); `es_url` first, so
    the session's node exists and its distribution is installed."""
    node = EsNode(KILLABLE_PORT)
    node.start()
    yield node
    node.stop()


def test_sigkilled_node_loses_no_acknowledged_write(tmp_path: Path, own_node: EsNode, pg_database: str) -> None:
    prefix = f"killed-{uuid.uuid4().hex[:6]}"
    api = ApiProcess(
        tmp_path,
        {
            "IMPACT_DATABASE_URL": pg_database,
            "IMPACT_SEARCH_BACKEND": "elasticsearch",
            "IMPACT_ELASTICSEARCH_URL": own_node.url,
            "IMPACT_ELASTICSEARCH_INDEX_PREFIX": prefix,
            "IMPACT_ELASTICSEARCH_TIMEOUT": "2",
            "IMPACT_OUTBOX_INTERVAL": "0.2",
            "IMPACT_OUTBOX_MAX_BACKOFF": "1",
            "IMPACT_OUTBOX_STALE_AFTER": "5",
            "IMPACT_RATE_LIMIT_PER_MINUTE": "0",
        },
    ).start()
    key = editor_key(pg_database)
    killed, restarted = threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def during(n: int) -> None:
        if n == 250 and not killed.is_set():
            own_node.kill()
            killed.set()
        if n == 600 and killed.is_set() and "search" not in seen:
            seen["search"] = httpx.get(f"{api.url}/api/v1/search", params={"q": "pratique"}, timeout=10)
            seen["health"] = httpx.get(f"{api.url}/api/v1/health", timeout=10)

    try:
        acknowledged = write_workload([api.url], key, operations=1_000, on_progress=during)
        assert killed.is_set() and not acknowledged.errors, acknowledged.errors[:5]
        down = seen["search"]
        assert isinstance(down, httpx.Response) and down.status_code == 503 and "Retry-After" in down.headers
        health = seen["health"]
        assert isinstance(health, httpx.Response) and health.status_code == 503
        assert health.json()["status"] == "degraded" and health.json()["index"]["backlog"] > 20

        store = Store(pg_database)
        # Every acknowledged write is in the store, at least at the version it was acknowledged with.
        stored = {i: store.version_of(i) for i in acknowledged.versions}
        assert all(stored[i] is not None and stored[i] >= v for i, v in acknowledged.versions.items())
        # Unreachable is never an attempt: nothing was given up on.
        assert store.outbox_stats().dead == 0 and all(e.attempts == 0 for e in store.pending(2_000))

        own_node.start()
        restarted.set()
        wait_for(lambda: api.health()["index"]["backlog"] == 0, timeout=120)
        wait_for(lambda: api.health()["status"] == "ok", timeout=30)
        engine = ElasticsearchEngine(EngineConfig(elasticsearch_url=own_node.url, elasticsearch_index_prefix=prefix))
        try:
            same, detail = index_equals_store(store, engine)
            assert same, detail
            assert len(engine.versions()) == store.count() >= 600
        finally:
            engine.close()
            store.close()
        updated = sum(1 for v in acknowledged.versions.values() if v > 1)

        def updated_titles_found() -> bool:  # a loaded machine may time a search out (503): ask again
            found = httpx.get(f"{api.url}/api/v1/search", params={"q": "zirconium", "size": 1}, timeout=10)
            return found.status_code == 200 and found.json()["total"] == updated

        wait_for(updated_titles_found, timeout=30)
    finally:
        api.stop()
