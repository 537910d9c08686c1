"""The background embedding worker in a running app (SQLite and PostgreSQL, the real default embedder):
a published practice gets its vector in the store, then an outbox entry re-indexes it; `/health` says so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from api.store import Role, Store
from indexer.embedder import E5_NAME
from tests.api.conftest import payload
from tests.live import live_api
from tests.reliability.processes import wait_for


@pytest.fixture
def hybrid_client(settings: Settings) -> Iterator[TestClient]:
    """The app with the default embedder, looking for practices to embed every 0.2 s."""
    hybrid = settings.model_copy(update={"embedder": "e5", "embedding_interval": 0.2})
    with TestClient(create_app(hybrid), raise_server_exceptions=False) as client:
        yield client


def test_a_published_practice_is_embedded_then_reindexed(hybrid_client: TestClient) -> None:
    app = hybrid_client.app
    store: Store = app.state.store  # type: ignore[attr-defined]
    key, _ = store.create_key("Éditeur", Role.EDITOR)
    headers = {"X-API-Key": key}
    created = hybrid_client.post("/api/v1/monographs", json=payload(status="submitted"), headers=headers).json()
    wait_for(lambda: store.backlog() == 0, timeout=30)
    assert store.count_embedding_backlog(E5_NAME) == 0  # a submission is not embedded

    # Hold this process's outbox drains (one at a time, `IndexSync`), so the entries of the publication
    # and of the vector can be seen before they are applied.
    with app.state.sync._lock:  # type: ignore[attr-defined]
        published = hybrid_client.post(f"/api/v1/monographs/{created['id']}/publish", headers=headers)
        assert published.status_code == 200, published.text  # after 1 s at most: the index waits
        wait_for(lambda: store.vectors([created["id"]], E5_NAME) != {}, timeout=60)
        # Saved with an outbox entry in the same transaction: the vector goes to the index the usual way.
        assert [e.monograph_id for e in store.pending()] == [created["id"], created["id"]]
    wait_for(lambda: store.backlog() == 0, timeout=30)  # applied: the engine read the vector with it

    search = hybrid_client.get("/api/v1/health").json()["search"]
    assert search["mode"] == "hybrid" and search["embedder"] == E5_NAME
    assert search["embedding_backlog"] == 0 and search["embedding_backlog_at_least"] is False
    assert search["embedding_last_error"] is None
    assert search["vectors"] == 1  # the engine holds it


def test_health_without_an_embedder_is_lexical(client: TestClient, published: list[str]) -> None:
    body = client.get("/api/v1/health").json()
    assert body["status"] == "ok"
    assert body["search"] == {
        "mode": "lexical",
        "embedder": None,
        "vectors": 0,  # the engine holds none
        "embedding_backlog": None,
        "embedding_backlog_at_least": False,
        "embedding_last_error": None,
    }


def test_the_served_api_embeds_in_the_background(tmp_path: Path) -> None:
    """uvicorn as in production: publishing through HTTP, the vector computed by the worker, `/health`."""
    env = {"IMPACT_EMBEDDER": "e5", "IMPACT_EMBEDDING_INTERVAL": "0.2", "IMPACT_RATE_LIMIT_PER_MINUTE": "0"}
    with live_api(tmp_path / "data", env, seed=False) as api:
        headers = {"X-API-Key": api.editor_key}
        body = payload(status="published")
        created = httpx.post(f"{api.url}/api/v1/monographs", json=body, headers=headers, timeout=10)
        assert created.status_code == 201, created.text

        def health() -> dict[str, object]:
            search: dict[str, object] = httpx.get(f"{api.url}/api/v1/health", timeout=10).json()["search"]
            return search

        wait_for(lambda: health()["embedding_backlog"] == 0, timeout=60)
        assert health()["mode"] == "hybrid" and health()["embedder"] == E5_NAME
        store = Store(f"sqlite:///{api.data_dir / 'impact.db'}")
        assert set(store.vectors([created.json()["id"]], E5_NAME)) == {created.json()["id"]}
        store.close()

        # Searched by meaning over HTTP once the index holds the vector: a need in other words.
        wait_for(lambda: health()["vectors"] == 1, timeout=30)
        need = {"q": "se déplacer sans voiture à la campagne"}
        hybrid = httpx.get(f"{api.url}/api/v1/search", params=need, timeout=10).json()
        assert hybrid["mode"] == "hybrid" and [h["id"] for h in hybrid["hits"]] == [created.json()["id"]]
        lexical = httpx.get(f"{api.url}/api/v1/search", params=need | {"mode": "lexical"}, timeout=10).json()
        assert lexical["mode"] == "lexical"
        refused = httpx.get(f"{api.url}/api/v1/search", params=need | {"mode": "semantique"}, timeout=10)
        assert refused.status_code == 422 and "mode" in refused.text
