"""IndexSync against a real store (SQLite and PostgreSQL) and the embedded engine: draining,
reconciling by ids and versions, rebuilding under a lease with a catch-up."""

from __future__ import annotations

import threading

import pytest

from api.embedding import EmbeddingSync, attach_embedder
from api.indexing import REBUILD_LEASE, IndexSync
from api.store import Store
from api.store.tables import embeddings
from indexer.embedded import EmbeddedEngine
from indexer.engine import EngineUnavailable
from indexer.vectors import Semantic
from schemas.monograph import MonographContent, Status


@pytest.fixture
def sync(store: Store) -> IndexSync:
    return IndexSync(store, EmbeddedEngine(None), batch=3)


def _create(store: Store, content: MonographContent, n: int, status: Status = Status.PUBLISHED) -> list[str]:
    return [store.create(content.model_copy(update={"title": f"Fiche {i}"}), status, "k")[0].id for i in range(n)]


def test_drain_applies_in_batches_and_clears_the_outbox(sync: IndexSync, content: MonographContent) -> None:
    ids = _create(sync.store, content, 7)
    _create(
        sync.store,
        content.model_copy(update={"summary": "Une soumission en attente de modération."}),
        1,
        Status.SUBMITTED,
    )
    assert sync.drain() == 8
    assert sync.store.backlog() == 0
    assert sync.engine.versions() == {i: 1 for i in ids}


def test_wait_searchable_returns_once_applied(sync: IndexSync, content: MonographContent) -> None:
    (monograph_id,) = _create(sync.store, content, 1)
    assert not sync.wait_searchable(monograph_id, 1, timeout=0.05)  # nobody drains
    threading.Timer(0.05, sync.drain).start()
    assert sync.wait_searchable(monograph_id, 1, timeout=5)


def test_repair_queues_missing_stale_and_extra_documents(sync: IndexSync, content: MonographContent) -> None:
    ids = _create(sync.store, content, 4)
    sync.drain()
    engine: EmbeddedEngine = sync.engine  # type: ignore[assignment]
    # Damage the index behind the store's back: one removed, one left at an old version, one extra.
    engine.delete([ids[0]])
    sync.store.update(ids[1], content.model_copy(update={"title": "Titre changé"}), 1, "k")
    sync.store.complete([e.seq for e in sync.store.pending()])  # its outbox entry lost
    stray = sync.store.get(ids[2]).model_copy(update={"id": "fiche-fantome"})
    engine.index([stray])
    report = sync.repair()
    assert (report.missing, report.stale, report.extra) == (1, 1, 1)
    sync.drain()
    assert sync.engine.versions() == dict(sync.store.published_versions())
    assert sync.repair().repairs == 0


def test_repair_queues_documents_whose_vector_differs_from_the_store(store: Store, content: MonographContent) -> None:
    engine = EmbeddedEngine(None)
    embedder = attach_embedder(engine, store, "e5")
    assert embedder is not None
    sync = IndexSync(store, engine, batch=10)
    ids = _create(store, content, 3)
    EmbeddingSync(store, embedder).run_pass()
    sync.drain()
    assert engine.vector_ids() == set(ids) and sync.repair().repairs == 0
    # Behind the store's back: one document re-indexed without its vector, one vector gone from the store.
    semantic = engine.semantic
    engine.attach_semantic(Semantic(embedder, lambda _: {}))
    engine.index([store.get(ids[0])])
    engine.attach_semantic(semantic)
    with store.engine.begin() as conn:
        conn.execute(embeddings.delete().where(embeddings.c.monograph_id == ids[1]))
    report = sync.repair()
    assert (report.missing, report.stale, report.extra, report.vectors) == (0, 0, 0, 2)
    sync.drain()
    assert engine.vector_ids() == store.embedded_ids(embedder.name) == {ids[0], ids[2]}
    assert sync.repair().repairs == 0


def test_repair_leaves_pending_work_alone(sync: IndexSync, content: MonographContent) -> None:
    _create(sync.store, content, 2)
    assert sync.repair().repairs == 0 and sync.store.backlog() == 2


def test_rebuild_catches_up_writes_made_while_it_refills(sync: IndexSync, content: MonographContent) -> None:
    ids = _create(sync.store, content, 5)
    sync.drain()
    store = sync.store
    original = store.iter_all

    def refill_with_a_concurrent_write(status: Status | None = Status.PUBLISHED, batch: int = 500):  # type: ignore[no-untyped-def]
        for n, monograph in enumerate(original(status, batch)):
            yield monograph
            if n == 0:  # another process publishes an edit of a monograph already read
                store.update(ids[0], content.model_copy(update={"title": "Écrit pendant la reconstruction"}), 1, "k")

    store.iter_all = refill_with_a_concurrent_write  # type: ignore[method-assign]
    report = sync.rebuild()
    assert report.failed == {}
    assert sync.engine.versions()[ids[0]] == 2  # caught up before the switch, not left at version 1


def test_rebuild_is_refused_while_another_process_holds_the_lease(sync: IndexSync) -> None:
    assert sync.store.acquire_lease(REBUILD_LEASE, "another-process", 60)
    with pytest.raises(EngineUnavailable, match="another process is rebuilding"):
        sync.rebuild()
