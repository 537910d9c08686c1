from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.store import Store
from schemas.monograph import MonographContent
from tests.corpus import CORPUS
from tests.elasticsearch_node import elasticsearch_url
from tests.live import LiveApi, live_api
from tests.postgres_node import fresh_database, postgres_url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each supported kind: SQLite in a temporary directory, and a fresh
    database on the session's real PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'impact.db'}"
        return
    with fresh_database(request.getfixturevalue("pg_server_url")) as url:
        yield url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store(database_url)
    yield store
    store.close()


@pytest.fixture
def content() -> MonographContent:
    return CORPUS[0].content()


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    """The seeded API served by uvicorn on a loopback port, for the whole session."""
    # Fuzzing and functional tests share it: the limits have their own tests (tests/api/test_abuse_*.py).
    # Lexical only: vectors computed in the background would change rankings during the session.
    env = {"IMPACT_RATE_LIMIT_PER_MINUTE": "0", "IMPACT_EMBEDDER": "none"}
    with live_api(tmp_path_factory.mktemp("live") / "data", env) as api:
        yield api


@pytest.fixture(scope="session")
def es_url() -> Iterator[str]:
    """A real Elasticsearch node for the whole session (see tests/elasticsearch_node.py)."""
    with elasticsearch_url() as url:
        yield url


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A real PostgreSQL server for the whole session (see tests/postgres_node.py); take a database of your
    own from it with `fresh_database(pg_server_url)`."""
    with postgres_url() as url:
        yield url


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The small benchmark's ratios (tests/test_benchmarks.py), printed and never asserted."""
    from tests.test_benchmarks import BENCH_SUMMARY

    if BENCH_SUMMARY:
        terminalreporter.section("benchmark ratios (printed, never asserted)")
        for line in BENCH_SUMMARY:
            terminalreporter.write_line(line)
