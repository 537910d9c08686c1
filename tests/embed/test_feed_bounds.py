"""Feeds do bounded work whatever the store's size, and never echo the request's Host header.

A feed is one engine search sorted by publication date (a window of at most `size` ≤ 100) and one
store read of those ids: on a store of 5,000 published practices, a filter that matches nothing reads
no monograph row, and a feed that matches thousands reads `size` rows. (Before: every batch of 200
sorted the whole table and the filters ran in Python, 25 s on 20,000 practices.)
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import feedparser
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from api.store import Store
from schemas.monograph import Monograph, Status
from schemas.search import SearchQuery, Sort
from tests.corpus import CORPUS

STORE_SIZE = 5_000
PUBLIC_API = "https://api.pratiques.example"


def generated(count: int) -> Iterator[Monograph]:
    """Published copies of the test corpus, each published one second after the previous one."""
    originals = [m for m in CORPUS if m.status == Status.PUBLISHED]
    for n in range(count):
        original = originals[n % len(originals)]
        yield original.model_copy(
            update={
                "id": f"{original.id}-{n:05d}",
                "external_id": None,
                "published_at": original.updated_at + timedelta(seconds=n),
            }
        )


class Recorder:
    """The monograph-table statements the store runs, and the searches the engine is asked."""

    def __init__(self, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
        self.statements: list[str] = []
        self.searches: list[SearchQuery] = []
        state = client.app.state  # type: ignore[attr-defined]
        engine = state.engine
        search = engine.search

        def recorded_search(query: SearchQuery) -> Any:
            self.searches.append(query)
            return search(query)

        def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if "monographs" in statement and "index_outbox" not in statement:
                self.statements.append(statement)

        monkeypatch.setattr(engine, "search", recorded_search)
        sa.event.listen(state.store.engine, "before_cursor_execute", on_execute)
        self._remove = lambda: sa.event.remove(state.store.engine, "before_cursor_execute", on_execute)

    def clear(self) -> None:
        self.statements.clear()
        self.searches.clear()

    def close(self) -> None:
        self._remove()


@pytest.fixture
def big_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"public_api_url": PUBLIC_API + "/"})


@pytest.fixture
def big_client(big_settings: Settings) -> Iterator[TestClient]:
    """The API over a store of 5,000 published practices (restored, then indexed at start-up)."""
    big_settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(big_settings.store_url)
    assert store.restore(generated(STORE_SIZE)) == STORE_SIZE
    store.close()
    with TestClient(create_app(big_settings), raise_server_exceptions=False) as client:
        assert client.get("/api/v1/search", params={"size": 1}).json()["total"] == STORE_SIZE
        yield client


@pytest.fixture
def recorder(big_client: TestClient, monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    recorder = Recorder(big_client, monkeypatch)
    # The outbox worker checks the whole index against the store once at start-up: let it finish,
    # so that only what the feed requests read is counted.
    deadline = time.monotonic() + 60
    seen = -1
    while seen != len(recorder.statements) and time.monotonic() < deadline:
        seen = len(recorder.statements)
        time.sleep(1.0)
    recorder.clear()
    yield recorder
    recorder.close()


def assert_bounded(recorder: Recorder, window: int) -> None:
    assert len(recorder.statements) <= 1, recorder.statements  # one read by ids, never a pass over the table
    if recorder.statements:
        assert " IN " in recorder.statements[0].upper()
    assert 1 <= len(recorder.searches) <= 2, recorder.searches  # two only when no practice has every word
    assert all(q.sort == Sort.PUBLISHED and q.size == window and q.page == 1 for q in recorder.searches)


@pytest.mark.parametrize("kind", ["atom", "rss"])
def test_a_filter_matching_nothing_reads_nothing(big_client: TestClient, recorder: Recorder, kind: str) -> None:
    response = big_client.get(f"/feeds/search.{kind}", params={"year_from": 2100})
    assert response.status_code == 200
    assert feedparser.parse(response.content).entries == []
    assert_bounded(recorder, window=20)


@pytest.mark.parametrize(
    "params",
    [{}, {"odd": 17}, {"territory_type": "montagne", "region": "La Réunion"}, {"q": "covoiturage"}, {"size": 100}],
)
def test_a_feed_reads_its_window_only(big_client: TestClient, recorder: Recorder, params: dict[str, Any]) -> None:
    """Thousands match; the feed reads the `size` newest ids from the engine and those rows only."""
    expected_size = int(params.get("size", 20))
    entries = feedparser.parse(big_client.get("/feeds/search.atom", params=params).content).entries
    assert len(entries) == expected_size
    assert_bounded(recorder, window=expected_size)
    # Newest publication first: the generated copies were published one second apart.
    published = [e.published_parsed for e in entries]
    assert published == sorted(published, reverse=True)
    numbers = [int(e.link.rsplit("-", 1)[1]) for e in entries]
    assert numbers == sorted(numbers, reverse=True) and numbers[0] >= STORE_SIZE - 7


def test_newest_matching_are_exactly_the_newest(big_client: TestClient) -> None:
    """The window is the right one: the 20 most recently published montagne practices."""
    montagne = [m for m in generated(STORE_SIZE) if "montagne" in m.territory_types]
    newest = sorted(montagne, key=lambda m: m.published_at or m.updated_at, reverse=True)[:20]
    entries = feedparser.parse(big_client.get("/feeds/search.rss", params={"territory_type": "montagne"}).content)
    assert [e.link.rsplit("=", 1)[1] for e in entries.entries] == [m.id for m in newest]


# -- the Host header is never reflected into cached answers ----------------------------------------

FORGED = {"Host": "evil.example"}


@pytest.fixture
def any_host(settings: Settings) -> Iterator[TestClient]:
    """An API that answers any Host header (IMPACT_ALLOWED_HOSTS=*): what it writes must not depend on it."""
    with TestClient(create_app(settings.model_copy(update={"allowed_hosts": "*"})), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("kind", ["atom", "rss"])
def test_feed_self_link_uses_the_configured_public_url(any_host: TestClient, kind: str) -> None:
    response = any_host.get(f"/feeds/search.{kind}", params=[("odd", 17), ("odd", 17), ("page", 3)], headers=FORGED)
    assert response.status_code == 200 and "evil.example" not in response.text
    feed = feedparser.parse(response.content)
    self_links = [link.href for link in feed.feed.links if link.rel == "self"]
    # The configured address (default http://127.0.0.1:8000) and the search as validated: odd once, no page.
    assert self_links == [f"http://127.0.0.1:8000/feeds/search.{kind}?odd=17"]
    if kind == "atom":
        assert feed.feed.id == self_links[0]


def test_feed_self_link_follows_the_setting(big_settings: Settings) -> None:
    settings = big_settings.model_copy(update={"allowed_hosts": "*"})
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        response = client.get("/feeds/search.atom", headers=FORGED)
    self_links = [link.href for link in feedparser.parse(response.content).feed.links if link.rel == "self"]
    assert self_links == [f"{PUBLIC_API}/feeds/search.atom"] and "evil.example" not in response.text


def test_builder_snippet_origin_uses_the_configured_public_url(any_host: TestClient) -> None:
    page = any_host.get("/embed/builder", headers=FORGED)
    assert page.status_code == 200 and "evil.example" not in page.text
    assert "<code>http://127.0.0.1:8000/embed?…</code>" in page.text
