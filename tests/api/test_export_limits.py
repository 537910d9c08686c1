"""`/export` reads its whole result set, so it is bounded otherwise: a concurrency cap (429 +
`Retry-After` when every slot is taken, the slot given back however the stream ends) and conditional
GET (an `ETag` from the store's state: 304 without reading a single monograph)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from api.store import Role
from api.store.embeddings import ComputedVector
from tests.api.conftest import payload
from tests.corpus import CORPUS


@pytest.fixture
def one_slot(settings: Settings) -> Iterator[TestClient]:
    """The API with room for one export at a time, over the published test corpus."""
    with TestClient(
        create_app(settings.model_copy(update={"export_concurrency": 1})), raise_server_exceptions=False
    ) as client:
        key, _ = client.app.state.store.create_key("Éditeur", Role.EDITOR)  # type: ignore[attr-defined]
        for monograph in CORPUS:
            body = monograph.content().model_dump(mode="json") | {"status": "published"}
            assert client.post("/api/v1/monographs", json=body, headers={"X-API-Key": key}).status_code == 201
        yield client


def held_export(client: TestClient) -> tuple[threading.Thread, threading.Event, threading.Event, list[Any]]:
    """An export that streams its first practice and then waits, holding its slot, until released."""
    store = client.app.state.store  # type: ignore[attr-defined]
    streaming, release = threading.Event(), threading.Event()
    iter_all = store.iter_all

    def slow_iter_all(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for n, monograph in enumerate(iter_all(*args, **kwargs)):
            yield monograph
            if n == 0:
                streaming.set()
                assert release.wait(30)

    store.iter_all = slow_iter_all
    answers: list[Any] = []
    thread = threading.Thread(target=lambda: answers.append(client.get("/api/v1/export")))
    thread.start()
    assert streaming.wait(30)
    return thread, streaming, release, answers


def test_exports_beyond_the_cap_get_429_with_retry_after(one_slot: TestClient) -> None:
    thread, _, release, answers = held_export(one_slot)
    try:
        busy = one_slot.get("/api/v1/export", params={"format": "csv"})
        assert busy.status_code == 429 and busy.json()["error"]["code"] == "too_many_exports"
        assert int(busy.headers["Retry-After"]) > 0
        assert "1 exports are already running" in busy.json()["error"]["message"]
    finally:
        release.set()
        thread.join(30)
        del one_slot.app.state.store.iter_all  # type: ignore[attr-defined]
    assert answers[0].status_code == 200 and len(answers[0].text.splitlines()) == len(CORPUS)
    # The slot came back when the stream ended: exports run again, one after the other.
    for _ in range(3):
        assert one_slot.get("/api/v1/export").status_code == 200


def test_a_304_needs_no_slot(one_slot: TestClient) -> None:
    etag = one_slot.get("/api/v1/export").headers["etag"]
    thread, _, release, _ = held_export(one_slot)
    try:
        again = one_slot.get("/api/v1/export", headers={"If-None-Match": etag})
        assert again.status_code == 304
    finally:
        release.set()
        thread.join(30)
        del one_slot.app.state.store.iter_all  # type: ignore[attr-defined]


def test_a_failed_export_gives_its_slot_back(one_slot: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    store = one_slot.app.state.store  # type: ignore[attr-defined]

    def broken(*args: Any, **kwargs: Any) -> Iterator[Any]:
        raise RuntimeError("database gone")
        yield  # a generator, like the real one

    monkeypatch.setattr(store, "iter_all", broken)
    for _ in range(3):
        with contextlib.suppress(Exception):  # the stream fails after its 200: the client sees a broken body
            one_slot.get("/api/v1/export")
    monkeypatch.undo()
    assert one_slot.get("/api/v1/export").status_code == 200


def test_conditional_get_answers_304_until_the_store_changes(
    client: TestClient, published: list[str], editor: dict[str, str]
) -> None:
    first = client.get("/api/v1/export", params={"odd": 17})
    etag = first.headers["etag"]
    assert first.status_code == 200 and etag and first.headers["cache-control"] == "no-cache"
    statements: list[str] = []
    store_engine = client.app.state.store.engine  # type: ignore[attr-defined]

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sa.event.listen(store_engine, "before_cursor_execute", on_execute)
    try:
        again = client.get("/api/v1/export", params={"odd": 17}, headers={"If-None-Match": etag})
    finally:
        sa.event.remove(store_engine, "before_cursor_execute", on_execute)
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    # Only aggregates were read (count, latest write, outbox backlog), never a monograph's content.
    assert not [s for s in statements if "monographs.content" in s], statements
    listed = client.get("/api/v1/export", params={"odd": 17}, headers={"If-None-Match": f'"other", {etag}'})
    assert listed.status_code == 304
    # Another search or format is another version.
    assert client.get("/api/v1/export", params={"odd": 11}).headers["etag"] != etag
    assert client.get("/api/v1/export", params={"odd": 17, "format": "csv"}).headers["etag"] != etag
    # A write anywhere in the store makes a new version: 200 again, with a new ETag.
    created = client.post("/api/v1/monographs", json=payload(status="published", odd=[17]), headers=editor)
    assert created.status_code == 201
    changed = client.get("/api/v1/export", params={"odd": 17}, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert created.json()["id"] in changed.text


def test_an_export_with_words_has_an_etag_too(client: TestClient, published: list[str]) -> None:
    first = client.get("/api/v1/export", params={"q": "mobilité", "format": "csv"})
    assert first.status_code == 200 and "mobilite" in first.text
    again = client.get(
        "/api/v1/export", params={"q": "mobilité", "format": "csv"}, headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    # A vector saved changes a hybrid answer while no monograph changes: a new version of the export.
    store = client.app.state.store  # type: ignore[attr-defined]
    practice = store.get(published[0])
    vector = [1.0] + [0.0] * 383
    store.save_embeddings("test-model", [ComputedVector(practice.id, practice.version, "h", vector)], {})
    changed = client.get(
        "/api/v1/export", params={"q": "mobilité", "format": "csv"}, headers={"If-None-Match": first.headers["etag"]}
    )
    assert changed.status_code == 200 and changed.headers["etag"] != first.headers["etag"]
