from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from api.store import Role
from tests.corpus import CORPUS
from tests.tcp_proxy import TcpProxy


def payload(**overrides: Any) -> dict[str, Any]:
    """A valid submission body (French content), with overrides."""
    body = CORPUS[2].content().model_dump(mode="json")
    body.update(overrides)
    return body


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """The API on each supported store (SQLite and a real PostgreSQL), with the embedded engine.

    Lexical only: vectors computed in the background would change rankings in the middle of a test
    (the embedding worker has its own tests, tests/api/test_embedding.py)."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        outbox_interval=0.2,
        public_base_url="https://pratiques.example",
        embedder="none",
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def editor(client: TestClient) -> dict[str, str]:
    key, _ = client.app.state.store.create_key("Éditeur test", Role.EDITOR)  # type: ignore[attr-defined]
    return {"X-API-Key": key}


@pytest.fixture
def contributor(client: TestClient) -> dict[str, str]:
    key, _ = client.app.state.store.create_key("Contributeur test", Role.CONTRIBUTOR)  # type: ignore[attr-defined]
    return {"X-API-Key": key}


@pytest.fixture
def published(client: TestClient, editor: dict[str, str]) -> list[str]:
    """The test corpus submitted and published by an editor; returns the ids in corpus order."""
    ids = []
    for monograph in CORPUS:
        status = "published" if monograph.status == "published" else "submitted"
        body = monograph.content().model_dump(mode="json") | {"status": status, "external_id": monograph.id}
        response = client.post("/api/v1/monographs", json=body, headers=editor)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


@pytest.fixture
def proxy(es_url: str) -> Iterator[TcpProxy]:
    """A loopback TCP proxy in front of the session's Elasticsearch node, to cut or slow it down."""
    parts = urlsplit(es_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 9200)
    yield proxy
    proxy.close()


@contextmanager
def api_through(proxy: TcpProxy, tmp_path: Path, prefix: str, **overrides: Any) -> Iterator[TestClient]:
    """The API on Elasticsearch reached through `proxy`, in its own index; the index is dropped after.

    Lexical unless told otherwise: these tests count the calls a request makes through the proxy."""
    settings = Settings(
        data_dir=tmp_path / "data",
        search_backend="elasticsearch",
        elasticsearch_url=proxy.url,
        elasticsearch_index_prefix=f"{prefix}-{uuid.uuid4().hex[:8]}",
        outbox_interval=0.2,
        **({"embedder": "none"} | overrides),
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client
        engine = client.app.state.engine  # type: ignore[attr-defined]
        proxy.restore()
        proxy.delay = 0
        engine.client.indices.delete(index=f"{engine.alias}-v*", ignore_unavailable=True, allow_no_indices=True)
