"""Several API processes on PostgreSQL + Elasticsearch: concurrent creates and updates of the same
monographs, a rebuild in the middle, processes killed with SIGKILL mid-write and mid-rebuild;
at the end the index equals the store exactly (same ids, same versions)."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest

from api.store import Store
from indexer.elasticsearch_engine import ElasticsearchEngine
from indexer.engine import EngineConfig
from tests.corpus import CORPUS
from tests.reliability.conftest import editor_key
from tests.reliability.processes import ApiProcess, wait_for
from tests.reliability.workload import index_equals_store, write_workload

pytestmark = [pytest.mark.elasticsearch, pytest.mark.postgres]


def _env(pg_database: str, es_url: str, prefix: str) -> dict[str, str]:
    return {
        "IMPACT_DATABASE_URL": pg_database,
        "IMPACT_SEARCH_BACKEND": "elasticsearch",
        "IMPACT_ELASTICSEARCH_URL": es_url,
        "IMPACT_ELASTICSEARCH_INDEX_PREFIX": prefix,
        "IMPACT_OUTBOX_INTERVAL": "0.2",
        "IMPACT_OUTBOX_MAX_BACKOFF": "1",
        "IMPACT_OUTBOX_LEASE_SECONDS": "5",
        "IMPACT_RATE_LIMIT_PER_MINUTE": "0",
    }


def _converged(store: Store, engine: ElasticsearchEngine, apis: list[ApiProcess]) -> None:
    wait_for(lambda: store.backlog() == 0, timeout=120)
    wait_for(lambda: index_equals_store(store, engine)[0], timeout=60)
    same, detail = index_equals_store(store, engine)
    assert same, detail
    assert store.outbox_stats().dead == 0
    for api in apis:
        assert api.health()["status"] == "ok", api.health()


def _refilled(engine: ElasticsearchEngine) -> int:
    """Documents written so far into versioned indexes the alias does not point at (a rebuild's refill)."""
    aliased = set(engine._aliased_indices())
    stats = engine.client.indices.stats(index=f"{engine.alias}-v*", metric="indexing")
    return sum(
        int(s["primaries"]["indexing"]["index_total"]) for name, s in stats["indices"].items() if name not in aliased
    )


@pytest.mark.parametrize("processes", [2, 4])
def test_processes_share_the_outbox_and_the_index_equals_the_store(
    tmp_path: Path, es_url: str, pg_database: str, processes: int
) -> None:
    prefix = f"multi-{uuid.uuid4().hex[:6]}"
    env = _env(pg_database, es_url, prefix)
    apis = [ApiProcess(tmp_path / f"p{i}", env, name=f"api{i}") for i in range(processes)]
    for api in apis:
        (api.workdir / "data").mkdir(parents=True)
        api.start(wait=False)
    for api in apis:
        api.wait_up()
    key = editor_key(pg_database)
    store = Store(pg_database)
    engine = ElasticsearchEngine(EngineConfig(elasticsearch_url=es_url, elasticsearch_index_prefix=prefix))
    rebuilt: list[str] = []

    def rebuild_in_the_middle(n: int) -> None:
        if n == 150 and not rebuilt:
            rebuilt.append("started")
            threading.Thread(target=lambda: rebuilt.append(apis[0].cli("rebuild").stderr)).start()

    try:
        acknowledged = write_workload(
            [a.url for a in apis], key, operations=400, updates=0.4, on_progress=rebuild_in_the_middle
        )
        assert not acknowledged.errors, acknowledged.errors[:5]
        wait_for(lambda: len(rebuilt) == 2, timeout=120)
        assert "index rebuilt" in rebuilt[1], rebuilt[1]
        _converged(store, engine, apis)
        assert all(store.version_of(i) == v for i, v in acknowledged.versions.items())
    finally:
        for api in apis:
            api.stop()
        engine.close()
        store.close()


def test_api_killed_mid_write_and_mid_rebuild_converges_on_restart(
    tmp_path: Path, es_url: str, pg_database: str
) -> None:
    prefix = f"crash-{uuid.uuid4().hex[:6]}"
    env = _env(pg_database, es_url, prefix)
    api = ApiProcess(tmp_path, env).start()
    key = editor_key(pg_database)
    store = Store(pg_database)
    engine = ElasticsearchEngine(EngineConfig(elasticsearch_url=es_url, elasticsearch_index_prefix=prefix))
    try:
        # Killed mid-write: SIGKILL while 8 clients write.
        killer = threading.Timer(1.5, api.kill)
        killer.start()
        first = write_workload([api.url], key, operations=300, tag="avant")
        killer.join()
        assert not first.errors, first.errors[:5]
        assert all((store.version_of(i) or 0) >= v for i, v in first.versions.items())

        # Killed mid-rebuild: a store large enough that the rebuild takes seconds, then SIGKILL.
        bulk = [m.model_copy(update={"id": f"{m.id}-{n}"}) for n in range(400) for m in CORPUS]
        store.restore(bulk)
        rebuild = api.cli_process("rebuild")
        # Killed once its new index holds documents: mid-refill, however fast this machine is.
        wait_for(lambda: _refilled(engine) > 0 or rebuild.poll() is not None, timeout=120, every=0.02)
        assert rebuild.poll() is None, "the rebuild ended before it could be killed"
        rebuild.kill()
        rebuild.wait(timeout=10)

        api.start()
        second = write_workload([api.url], key, operations=100, tag="apres")
        assert not second.errors, second.errors[:5]
        _converged(store, engine, [api])
    finally:
        api.stop()
        engine.close()
        store.close()
