from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from api.errors import InvalidTransition, NotFound, VersionConflict
from api.store import Role, Store, hash_key
from api.store.monograph_store import keyset_page
from api.store.tables import api_keys, monographs
from schemas.monograph import Monograph, MonographContent, Status
from tests.store.faults import poison


def test_create_and_get(store: Store, content: MonographContent) -> None:
    created, is_new = store.create(content, Status.SUBMITTED, "key1")
    assert is_new and created.version == 1 and created.status == Status.SUBMITTED
    assert created.id.startswith("un-tiers-lieu-nourricier")
    assert store.get(created.id).content() == content
    assert store.backlog() == 1


def test_external_id_is_idempotent_per_submitter(store: Store, content: MonographContent) -> None:
    first, _ = store.create(content, Status.SUBMITTED, "key1", external_id="ext-1")
    again, is_new = store.create(content, Status.SUBMITTED, "key1", external_id="ext-1")
    other, other_new = store.create(content, Status.SUBMITTED, "key2", external_id="ext-1")
    assert not is_new and again.id == first.id
    assert other_new and other.id != first.id
    assert store.count() == 2


def test_idempotency_key(store: Store, content: MonographContent) -> None:
    first, _ = store.create(content, Status.SUBMITTED, "key1", idempotency_key="abc")
    again, is_new = store.create(content, Status.SUBMITTED, "key1", idempotency_key="abc")
    assert not is_new and again.id == first.id


def test_update_with_current_version(store: Store, content: MonographContent) -> None:
    created, _ = store.create(content, Status.SUBMITTED, "key1")
    changed = content.model_copy(update={"title": "Un nouveau titre"})
    updated = store.update(created.id, changed, expected_version=1, actor="key1")
    assert updated.version == 2 and updated.title == "Un nouveau titre"


def test_stale_version_conflicts_and_changes_nothing(store: Store, content: MonographContent) -> None:
    created, _ = store.create(content, Status.SUBMITTED, "key1")
    store.update(created.id, content.model_copy(update={"title": "Deuxième version"}), 1, "key1")
    with pytest.raises(VersionConflict):
        store.update(created.id, content.model_copy(update={"title": "Perdue"}), 1, "key1")
    assert store.get(created.id).title == "Deuxième version"


def test_status_workflow(store: Store, content: MonographContent) -> None:
    created, _ = store.create(content, Status.SUBMITTED, "key1")
    published = store.set_status(created.id, Status.PUBLISHED, "editor")
    assert published.published_at is not None and published.version == 2
    archived = store.set_status(created.id, Status.ARCHIVED, "editor")
    assert archived.status == Status.ARCHIVED
    with pytest.raises(InvalidTransition):
        store.set_status(created.id, Status.REJECTED, "editor")
    rejected_path, _ = store.create(content.model_copy(update={"title": "Autre"}), Status.SUBMITTED, "k")
    rejected = store.set_status(rejected_path.id, Status.REJECTED, "editor", reason="Hors sujet")
    assert rejected.rejection_reason == "Hors sujet"
    assert [e["action"] for e in store.history(created.id)] == ["create", "published", "archived"]


def test_editing_a_rejected_monograph_sends_it_back_to_moderation(store: Store, content: MonographContent) -> None:
    created, _ = store.create(content, Status.SUBMITTED, "key1")
    rejected = store.set_status(created.id, Status.REJECTED, "editor", reason="Résultats non chiffrés")
    edited = store.update(created.id, content.model_copy(update={"title": "Avec résultats"}), rejected.version, "key1")
    assert (edited.status, edited.rejection_reason, edited.title) == (Status.SUBMITTED, None, "Avec résultats")
    history = store.history(created.id)
    assert [(e["action"], e["status"]) for e in history] == [
        ("create", "submitted"),
        ("rejected", "rejected"),
        ("update", "submitted"),
    ]
    assert history[1]["reason"] == "Résultats non chiffrés"  # the history keeps why it was rejected


def test_soft_delete_keeps_the_row(store: Store, content: MonographContent) -> None:
    created, _ = store.create(content, Status.PUBLISHED, "editor")
    store.set_status(created.id, Status.ARCHIVED, "editor")
    assert store.get(created.id).status == Status.ARCHIVED
    assert store.count(Status.PUBLISHED) == 0


def test_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.get("nope")


def test_list_newest_first_and_by_submitter(store: Store, content: MonographContent) -> None:
    ids = [
        store.create(content.model_copy(update={"title": f"Titre {i}"}), Status.SUBMITTED, f"k{i % 2}")[0].id
        for i in range(5)
    ]
    items, total = store.list_monographs(Status.SUBMITTED, page=1, size=2)
    assert total == 5 and [m.id for m in items] == ids[::-1][:2]
    mine, mine_total = store.list_monographs(submitted_by="k0")
    assert mine_total == 3 and all(m.id in ids for m in mine)


def test_list_by_whether_the_territory_is_resolved(store: Store, content: MonographContent) -> None:
    def territory(name: str, resolved: bool) -> MonographContent:
        changed = content.territory.model_copy(update={"name": name, "resolved": resolved})
        return content.model_copy(update={"title": f"À {name}", "territory": changed})

    valley = store.create(territory("Vallée de la Drôme", False), Status.SUBMITTED, "k")[0].id
    die = store.create(territory("Die", True), Status.SUBMITTED, "k")[0].id
    store.create(territory("Pays diois", False), Status.PUBLISHED, "k")
    unresolved, total = store.list_monographs(Status.SUBMITTED, territory_resolved=False)
    assert total == 1 and [m.id for m in unresolved] == [valley]
    resolved, total = store.list_monographs(Status.SUBMITTED, territory_resolved=True)
    assert total == 1 and [m.id for m in resolved] == [die]
    assert store.list_monographs(territory_resolved=False)[1] == 2 and store.list_monographs()[1] == 3


def test_iter_all_streams_in_batches(store: Store, content: MonographContent) -> None:
    for i in range(7):
        store.create(content.model_copy(update={"title": f"Titre {i}"}), Status.PUBLISHED, "k")
    store.create(content.model_copy(update={"title": "Brouillon"}), Status.SUBMITTED, "k")
    assert len(list(store.iter_all(Status.PUBLISHED, batch=3))) == 7
    assert len(list(store.iter_all(None, batch=3))) == 8


def test_api_keys_are_hashed_and_revocable(store: Store) -> None:
    plaintext, record = store.create_key("Réseau test", Role.EDITOR)
    assert store.verify_key(plaintext) == record
    assert store.verify_key(plaintext + "x") is None
    with store.engine.connect() as conn:
        stored = [tuple(row) for row in conn.execute(sa.select(api_keys)).all()]
    assert plaintext not in repr(stored) and hash_key(plaintext) in repr(stored)
    store.revoke_key(record.id)
    assert store.verify_key(plaintext) is None


def test_committed_write_survives_a_killed_process(tmp_path: Path) -> None:
    """A process that commits then dies abruptly (no cleanup) loses nothing."""
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    script = f"""
import os
from api.store import Store
from schemas.monograph import Status
from tests.corpus import CORPUS
store = Store({url!r})
store.create(CORPUS[0].content(), Status.PUBLISHED, "k", external_id="crash")
os._exit(9)  # no close, no flush: like a crash right after the commit
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 9
    reopened = Store(url)
    assert reopened.count() == 1 and reopened.backlog() == 1


def test_restore_inserts_as_given_and_skips_existing(store: Store) -> None:
    from tests.corpus import CORPUS

    assert store.restore(CORPUS, batch=3) == len(CORPUS)
    assert store.get("eau-reunion").content() == CORPUS[5].content()
    assert store.count(Status.PUBLISHED) == 7 and store.backlog() == 0
    assert store.restore(CORPUS) == 0


def test_dates_are_aware_utc_and_content_is_json(store: Store, content: MonographContent) -> None:
    created, _ = store.create(content, Status.PUBLISHED, "k")
    loaded = store.get(created.id)
    assert loaded.created_at.tzinfo is not None and loaded.created_at.utcoffset().total_seconds() == 0
    assert loaded.published_at is not None and loaded.published_at >= loaded.created_at
    with store.engine.connect() as conn:
        stored = conn.execute(sa.select(monographs.c.content).where(monographs.c.id == created.id)).scalar_one()
    assert isinstance(stored, dict) and stored["title"] == content.title


def test_a_row_that_no_longer_validates_is_reported_not_raised(store: Store, content: MonographContent) -> None:
    good, _ = store.create(content, Status.PUBLISHED, "k")
    bad, _ = store.create(content.model_copy(update={"title": "Ligne abîmée"}), Status.PUBLISHED, "k")
    poison(store, bad.id)
    loaded, broken = store.load_many([good.id, bad.id])
    assert set(loaded) == {good.id} and "territory_types" in broken[bad.id]
    assert [m.id for m in store.iter_all()] == [good.id]


def test_published_versions_and_changed_since(store: Store, content: MonographContent) -> None:
    first, _ = store.create(content, Status.PUBLISHED, "k")
    store.create(content.model_copy(update={"title": "Brouillon"}), Status.SUBMITTED, "k")
    store.update(first.id, content.model_copy(update={"title": "Nouveau titre"}), 1, "k")
    assert dict(store.published_versions(batch=1)) == {first.id: 2}
    later = store.get(first.id).updated_at
    assert [m.id for m in store.changed_since(later)] == [first.id]


def _rows_of(count: int, content: MonographContent, start: int = 0) -> list[Monograph]:
    """`count` monographs, every other one published, ids in a known order."""
    made = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        Monograph(
            **content.model_dump(),
            id=f"fiche-{n:06d}",
            status=Status.PUBLISHED if n % 2 else Status.SUBMITTED,
            version=1,
            created_at=made,
            updated_at=made,
            published_at=made if n % 2 else None,
        )
        for n in range(start, start + count)
    ]


def _page_work(store: Store, after: str, batch: int) -> int:
    """What reading one keyset page of published ids costs the database: SQLite's virtual-machine
    instructions, PostgreSQL's rows read by every node of the executed plan (filtered out ones included)."""
    query = keyset_page([monographs.c.id, monographs.c.version], Status.PUBLISHED, after, batch)
    sql = str(query.compile(dialect=store.engine.dialect, compile_kwargs={"literal_binds": True}))
    with store.engine.connect() as conn:
        if store.engine.dialect.name == "sqlite":
            raw = conn.connection.driver_connection
            steps = 0

            def count() -> int:
                nonlocal steps
                steps += 1
                return 0

            plan = " ".join(row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {sql}"))
            assert "ix_monographs_status_id" in plan and "TEMP B-TREE" not in plan, plan
            raw.set_progress_handler(count, 1)
            try:
                assert len(raw.execute(sql).fetchall()) == batch
            finally:
                raw.set_progress_handler(None, 1)
            return steps
        conn.execute(sa.text("ANALYZE monographs"))
        plan = conn.execute(sa.text(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")).scalar_one()[0]["Plan"]

        def read(node: dict[str, Any]) -> int:
            return (
                node["Actual Rows"] * node["Actual Loops"]
                + node.get("Rows Removed by Filter", 0)
                + sum(read(child) for child in node.get("Plans", []))
            )

        return read(plan)


def test_a_keyset_page_costs_the_same_however_large_the_table(store: Store, content: MonographContent) -> None:
    """Reading every published version (the index's reconcile at each start-up) or an export
    reads the table a page at a time: a page costs about what it costs in a table twenty times smaller. With
    `status` alone indexed, SQLite sorted every published row for each page (40,115 instructions against
    2,304). PostgreSQL was never caught that way (it walks the primary key, filtering by status): there the
    test checks that the plan it picks reads about a page."""
    store.restore(_rows_of(400, content))
    small = _page_work(store, "fiche-000100", 50)
    store.restore(_rows_of(7_600, content, start=400))
    large = _page_work(store, "fiche-000100", 50)
    assert large < 1.5 * small, (small, large)
