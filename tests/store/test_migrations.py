"""Alembic migrations: a version-1 database (made by `create_all`, no migrations) is upgraded in
place with nothing lost, and the migrated schema is exactly the one the code declares."""

from __future__ import annotations

import gc
import json
import os
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from api.main import create_app
from api.settings import Settings
from api.store import Store, database
from api.store.database import SQLITE_POOL_SIZE, connect
from api.store.migrate import alembic_config, head_revision
from api.store.tables import metadata
from schemas.monograph import Status
from tests.corpus import CORPUS


def _v1_database(engine: Engine) -> None:
    """The schema and rows version 1 wrote: ISO text dates, JSON as text, no alembic_version."""
    from alembic import command

    with engine.connect() as conn:
        command.upgrade(alembic_config(conn), "0001")
        conn.execute(sa.text("DROP TABLE alembic_version"))
        content = json.dumps(CORPUS[0].content().model_dump(mode="json"), ensure_ascii=False)
        conn.execute(
            sa.text(
                "INSERT INTO monographs (id, status, version, submitted_by, content, created_at, updated_at, "
                "published_at) VALUES ('v1-fiche', 'published', 3, 'seed', :content, "
                "'2025-03-01T10:00:00.123456+00:00', '2025-04-02T08:30:00+00:00', '2025-04-02T08:30:00+00:00')"
            ),
            {"content": content},
        )
        conn.execute(
            sa.text(
                "INSERT INTO index_outbox (monograph_id, created_at, attempts) "
                "VALUES ('v1-fiche', '2025-04-02T08:30:00.000001+00:00', 2)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO api_keys (id, name, role, key_hash, created_at) "
                "VALUES ('abc', 'Réseau', 'editor', :hash, '2025-01-01T00:00:00+00:00')"
            ),
            {"hash": "0" * 64},
        )
        conn.execute(
            sa.text(
                "INSERT INTO embed_presets (slug, content, version, created_at, updated_at) "
                "VALUES ('reseau', :content, 1, '2025-01-01T00:00:00+00:00', '2025-01-02T00:00:00+00:00')"
            ),
            {"content": '{"title": "Réseau"}'},
        )
        conn.commit()


def test_a_version_1_database_is_upgraded_with_nothing_lost(database_url: str) -> None:
    _v1_database(connect(database_url))
    store = Store(database_url)
    monograph = store.get("v1-fiche")
    assert monograph.version == 3 and monograph.status == Status.PUBLISHED
    assert monograph.content() == CORPUS[0].content()
    assert monograph.created_at.isoformat() == "2025-03-01T10:00:00.123456+00:00"
    assert monograph.updated_at.isoformat() == "2025-04-02T08:30:00+00:00"
    (entry,) = store.pending()
    assert (entry.monograph_id, entry.attempts) == ("v1-fiche", 2)
    assert [k.name for k in store.list_keys()] == ["Réseau"]
    assert store.get_preset("reseau").content == {"title": "Réseau"}
    # New writes work on the upgraded tables.
    created, _ = store.create(CORPUS[1].content(), Status.PUBLISHED, "k")
    assert store.get(created.id).published_at is not None
    with store.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head_revision()
    store.close()


def test_migrated_schema_is_the_declared_schema(database_url: str) -> None:
    engine = connect(database_url)
    _v1_database(engine)
    Store(database_url).close()
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_opening_twice_is_a_no_op(database_url: str) -> None:
    Store(database_url).close()
    store = Store(database_url)
    with store.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head_revision()
    assert store.count() == 0


def test_a_sqlite_store_opens_its_pooled_connections_at_once(tmp_path: Path) -> None:
    """The pool's connections are opened when the store connects (not at the first busy moment), there are
    never more of them, and a burst leaves the process with exactly the files it had: before, connections
    beyond the pool were opened and closed, and SQLite kept the file handle of each one closed while
    another held a lock (17 → 27 open files after one burst)."""
    engine = connect(f"sqlite:///{tmp_path / 'pool.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))
        pool = engine.pool
        assert isinstance(pool, sa.pool.QueuePool)
        assert pool.checkedin() == pool.size() == SQLITE_POOL_SIZE
        gc.collect()  # earlier tests' engines and sockets closed now, not by a collection during this one
        files = len(os.listdir("/proc/self/fd"))

        def write() -> None:
            with engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO t VALUES (1)"))
                conn.execute(sa.text("SELECT count(*) FROM t")).scalar()

        for _ in range(3):  # a busy moment: readers hold connections while writers queue for the rest
            held = [engine.connect() for _ in range(SQLITE_POOL_SIZE - 1)]
            for connection in held:
                connection.execute(sa.text("SELECT count(*) FROM t")).scalar()
            writers = [threading.Thread(target=write) for _ in range(20)]
            for thread in writers:
                thread.start()
            for connection in held[: len(held) // 2]:
                connection.close()
            for thread in writers:
                thread.join()
            for connection in held[len(held) // 2 :]:
                connection.close()
            assert pool.checkedin() == SQLITE_POOL_SIZE
            # No file more (another test's leftovers, in this process, may still close some meanwhile).
            assert len(os.listdir("/proc/self/fd")) <= files
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM t")).scalar() == 60
    finally:
        engine.dispose()


def test_a_full_sqlite_pool_makes_a_request_wait_then_fail_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every connection busy past the pool's wait: a 503 naming the busy database, with `Retry-After`,
    never a 500; the next request, once connections are back, is served."""
    monkeypatch.setattr(database, "POOL_TIMEOUT_S", 0.3)
    settings = Settings(data_dir=tmp_path / "data", embedder="none")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        engine = client.app.state.store.engine  # type: ignore[attr-defined]
        held = [engine.connect() for _ in range(SQLITE_POOL_SIZE)]
        try:
            response = client.get("/api/v1/monographs/unknown-id")
        finally:
            for connection in held:
                connection.close()
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"] == "2"
        assert response.json()["error"]["code"] == "store_busy"
        assert client.get("/api/v1/monographs/unknown-id").status_code == 404
