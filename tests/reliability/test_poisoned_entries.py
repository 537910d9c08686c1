"""A stored row that no longer validates, and an engine whose commit fails for one document:
writes still answer 201, other entries keep flowing, the bad one lands in the dead letters,
/health says so, and `impact outbox retry` re-queues it once fixed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from api.store import Role
from indexer.embedded import EmbeddedEngine
from indexer.engine import IndexReport, Progress
from schemas.monograph import Monograph
from tests.api.conftest import payload
from tests.reliability.processes import wait_for
from tests.store.faults import poison

DISK_FULL = "Disque plein"


class DiskFullOnOneDocument(EmbeddedEngine):
    """The real embedded engine, whose commit fails whenever a batch holds one given document
    (as tantivy does when the disk fills up while writing it)."""

    def index(self, monographs: Iterable[Monograph], progress: Progress | None = None) -> IndexReport:
        batch = list(monographs)
        if any(DISK_FULL in m.title for m in batch):
            raise OSError(28, "No space left on device (commit failed)")
        return super().index(batch, progress)


@pytest.fixture
def client(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path / "data", database_url=database_url, outbox_interval=0.1, outbox_max_attempts=2
    )
    monkeypatch.setattr("indexer.embedded.EmbeddedEngine", DiskFullOnOneDocument)
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def _ids(client: TestClient, q: str) -> list[str]:
    return [h["id"] for h in client.get("/api/v1/search", params={"q": q}).json()["hits"]]


def test_poisoned_row_and_failing_commit_never_block_the_others(client: TestClient) -> None:
    store = client.app.state.store  # type: ignore[attr-defined]
    key, _ = store.create_key("Éditeur", Role.EDITOR)
    editor = {"X-API-Key": key}

    # A row that stops validating (a renamed referential value) while its entry is pending.
    victim = client.post("/api/v1/monographs", json=payload(status="published", title="Fiche abîmée"), headers=editor)
    assert victim.status_code == 201
    poison(store, victim.json()["id"])
    store.enqueue([victim.json()["id"]])

    # A document whose commit fails: the write is committed, so the answer is 201, not 500.
    full = client.post("/api/v1/monographs", json=payload(status="published", title=DISK_FULL), headers=editor)
    assert full.status_code == 201, full.text

    # Other writes keep flowing and are searchable at once.
    other = client.post(
        "/api/v1/monographs", json=payload(status="published", title="Covoiturage solidaire du Vercors"), headers=editor
    )
    assert other.status_code == 201
    assert other.json()["id"] in _ids(client, "Vercors")

    wait_for(lambda: store.outbox_stats().dead == 2, timeout=30)
    dead = {d.monograph_id: d for d in store.dead_letters()}
    assert set(dead) == {victim.json()["id"], full.json()["id"]}
    assert "territory_types" in dead[victim.json()["id"]].error
    assert "No space left" in dead[full.json()["id"]].error and dead[full.json()["id"]].version == 1
    health = client.get("/api/v1/health")
    assert health.status_code == 200 and health.json()["status"] == "degraded"
    assert health.json()["index"]["dead_letters"] == 2
    assert any("dead letters" in p for p in health.json()["problems"])
    assert store.backlog() == 0  # nothing else is stuck behind them

    # Fixed (the editor renames the title), re-queued: applied, health back to ok.
    fixed = client.put(
        f"/api/v1/monographs/{full.json()['id']}",
        json=payload(title="Disque réparé"),
        headers=editor | {"If-Match": '"1"'},
    )
    assert fixed.status_code == 200
    assert full.json()["id"] in _ids(client, "réparé")
    with store.engine.begin() as conn:  # the referential value comes back
        from api.store.tables import monographs

        row = conn.execute(monographs.select().where(monographs.c.id == victim.json()["id"])).one()
        conn.execute(
            monographs.update()
            .where(monographs.c.id == row.id)
            .values(content=dict(row.content) | {"territory_types": ["rural"]})
        )
    assert store.retry_dead() == 2
    wait_for(lambda: store.backlog() == 0 and store.outbox_stats().dead == 0, timeout=30)
    assert victim.json()["id"] in _ids(client, "abîmée")
    assert client.get("/api/v1/health").json()["status"] == "ok"


def test_the_worker_survives_an_unexpected_error(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    sync = client.app.state.sync  # type: ignore[attr-defined]
    store = client.app.state.store  # type: ignore[attr-defined]
    key, _ = store.create_key("Éditeur", Role.EDITOR)
    calls = {"n": 0}
    claim = store.claim

    def flaky_claim(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] <= 3:
            raise RuntimeError("database connection reset")
        return claim(*args, **kwargs)

    monkeypatch.setattr(store, "claim", flaky_claim)
    created = client.post(
        "/api/v1/monographs", json=payload(status="published", title="Après la panne"), headers={"X-API-Key": key}
    )
    assert created.status_code == 201  # committed: the answer does not depend on the index
    wait_for(lambda: created.json()["id"] in _ids(client, "panne"), timeout=30)
    assert calls["n"] > 3 and sync.last_error is None
