from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.store import Store
from schemas.monograph import MonographContent
from tests.corpus import CORPUS
from tests.elasticsearch_node import elasticsearch_url
from tests.live import LiveApi, live_api


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'impact.db'}")
    yield store
    store.close()


@pytest.fixture
def content() -> MonographContent:
    return CORPUS[0].content()


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    """The seeded API served by uvicorn on a loopback port, for the whole session."""
    with live_api(tmp_path_factory.mktemp("live") / "data") as api:
        yield api


@pytest.fixture(scope="session")
def es_url() -> Iterator[str]:
    """A real Elasticsearch node for the whole session (see tests/elasticsearch_node.py)."""
    with elasticsearch_url() as url:
        yield url
