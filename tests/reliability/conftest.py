"""Fixtures of the fault tests: a database on the real PostgreSQL server, an editor key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.store import Role, Store
from tests.postgres_node import fresh_database


@pytest.fixture
def pg_database(pg_server_url: str) -> Iterator[str]:
    with fresh_database(pg_server_url) as url:
        yield url


def editor_key(database_url: str) -> str:
    store = Store(database_url)
    try:
        key, _ = store.create_key("Éditeur fiabilité", Role.EDITOR)
    finally:
        store.close()
    return key
