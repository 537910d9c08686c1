from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import DEFAULT_SEED, app
from api.embedding import EMBEDDING_LEASE
from api.settings import get_settings
from api.store import Store
from indexer.embedder import E5_NAME
from schemas.monograph import Monograph, MonographContent, Status
from schemas.referentials import ActorCategory, TerritoryType

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("IMPACT_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_seed_twice_creates_no_duplicates(data_dir: Path) -> None:
    assert "64 created" in run("seed")
    assert "64 unchanged" in run("seed")
    store = Store(get_settings().store_url)
    assert store.count(Status.PUBLISHED) == 64 and store.backlog() == 0
    # Each seed practice keeps its own publication date: "recent" and "newest first" mean something.
    published = sorted(m.published_at for m in store.iter_all(Status.PUBLISHED) if m.published_at)
    assert len(set(published)) == 64 and (published[-1] - published[0]).days > 365


def test_seed_corpus_covers_the_referentials() -> None:
    records = [
        MonographContent.model_validate(
            {k: v for k, v in json.loads(line).items() if k not in ("external_id", "published_at")}
        )
        for line in DEFAULT_SEED.read_text(encoding="utf-8").splitlines()
    ]
    assert len(records) >= 60
    for territory_type in TerritoryType:
        assert sum(territory_type in r.territory_types for r in records) >= 3, territory_type
    for category in ActorCategory:
        assert sum(category in r.actor_categories for r in records) >= 3, category
    odd_covered = [n for n in range(1, 18) if sum(n in r.odd for r in records) >= 3]
    assert len(odd_covered) >= 15


def test_keys_create_list_revoke(data_dir: Path) -> None:
    result = runner.invoke(app, ["keys", "create", "Réseau test", "--role", "editor"])
    plaintext = result.stdout.strip().splitlines()[-1]
    store = Store(get_settings().store_url)
    key = store.verify_key(plaintext)
    assert key is not None and key.role == "editor"
    assert key.id in run("keys", "list") and plaintext not in run("keys", "list")
    run("keys", "revoke", key.id)
    assert store.verify_key(plaintext) is None
    assert runner.invoke(app, ["keys", "revoke", "unknown"]).exit_code != 0


def test_export_then_import_round_trip(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run("seed")
    exported = tmp_path / "export.jsonl"
    run("export", "--format", "jsonl", "--output", str(exported))
    original = {m["id"]: m for m in map(json.loads, exported.read_text(encoding="utf-8").splitlines())}
    assert len(original) == 64

    monkeypatch.setenv("IMPACT_DATA_DIR", str(tmp_path / "other"))
    get_settings.cache_clear()
    assert "64 created" in run("import", str(exported))
    store = Store(get_settings().store_url)
    for monograph_id, data in original.items():
        imported = store.get(monograph_id)
        assert imported.content() == Monograph.model_validate(data).content()
        assert imported.status == Status.PUBLISHED
        assert imported.published_at == Monograph.model_validate(data).published_at  # not the import's day
    assert "64 unchanged" in run("import", str(exported))


def test_import_reports_and_skips_bad_lines(data_dir: Path, tmp_path: Path) -> None:
    good = json.loads(DEFAULT_SEED.read_text(encoding="utf-8").splitlines()[0])
    bad_odd = dict(good, odd=[18], external_id="bad")
    future = dict(good, published_at="2999-01-01T00:00:00Z", external_id="future")
    no_zone = dict(good, published_at="2025-01-01 10:00", external_id="no-zone")
    disguised = dict(good, title="Atelier \u202egnol", external_id="disguised")
    lines = [json.dumps(good), "{not json", json.dumps(bad_odd), "[1, 2]", json.dumps(future), json.dumps(no_zone)]
    lines += [json.dumps(disguised), '{"title": NaN}']
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    output = run("import", str(path))
    assert "2 created" in output and "6 bad lines" in output
    # As the API takes a body: a number JSON does not have is refused, a bidirectional control dropped.
    assert "line 8" in output and "not standard JSON" in output and "line 7" not in output
    titles = {m.title for m in Store(get_settings().store_url).iter_all(None)}
    assert "Atelier gnol" in titles
    assert "line 3" in output and "odd.0" in output
    assert "line 5" in output and "is in the future" in output
    assert "line 6" in output and "time zone" in output
    assert Store(get_settings().store_url).count() == 2


def test_csv_export(data_dir: Path, tmp_path: Path) -> None:
    run("seed")
    out = tmp_path / "export.csv"
    run("export", "--format", "csv", "--output", str(out))
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("id,status,title") and len(lines) >= 65


def test_rebuild(data_dir: Path) -> None:
    run("seed")
    assert "64 indexed" in run("rebuild")


def beside_a_running_api(data_dir: Path, command: str) -> subprocess.CompletedProcess[str]:
    """`impact <command>` in a process of its own while this one holds the embedded index's writer, as a
    running API does."""
    from indexer.embedded import EmbeddedEngine

    holder = EmbeddedEngine(data_dir / "index")
    holder.claim_writer()
    try:
        return subprocess.run(
            [sys.executable, "-m", "api.cli", command],
            capture_output=True,
            text=True,
            env=os.environ | {"IMPACT_DATA_DIR": str(data_dir)},
            timeout=120,
        )
    finally:
        holder.close()


def test_rebuild_while_another_process_holds_the_index_queues_it_for_that_process(data_dir: Path) -> None:
    run("seed")
    done = beside_a_running_api(data_dir, "rebuild")
    assert done.returncode == 0, done.stderr
    assert "64 monographs queued" in " ".join(done.stderr.split()) and "Traceback" not in done.stderr
    assert Store(get_settings().store_url).backlog() == 64


def test_serve_refuses_several_processes_on_the_embedded_engine(data_dir: Path) -> None:
    result = runner.invoke(app, ["serve", "--workers", "2"])
    assert result.exit_code == 2
    assert "several API processes need" in " ".join(result.output.split())


def test_outbox_list_and_retry(data_dir: Path) -> None:
    run("seed")
    store = Store(get_settings().store_url)
    store.enqueue(["fiche-inconnue"])
    (entry,) = store.claim(10, "test", 60)
    store.reject({entry.seq: "mapper_parsing_exception: champ inconnu"}, max_attempts=1)
    listed = run("outbox", "list")
    assert "0 pending" in listed and "1 dead letters" in listed and "champ inconnu" in listed
    assert "1 dead letters queued again" in run("outbox", "retry")
    assert store.outbox_stats().dead == 0 and store.backlog() == 0  # applied (a removal: not in the store)


def test_migrate_is_idempotent(data_dir: Path) -> None:
    assert "database schema created" in run("migrate")
    assert "up to date" in run("migrate")


def test_territories_resolve_lists_name_only_territories_with_proposals(data_dir: Path) -> None:
    run("seed")
    result = runner.invoke(app, ["territories", "resolve"])
    assert result.exit_code == 0, result.output
    assert "13 of 64 practices have a territory without an official code" in result.output
    rows = {line.split("\t")[2]: line.split("\t") for line in result.stdout.splitlines() if "\t" in line}
    assert "Vallée de la Maurienne" in rows and "Die" not in rows
    assert "200040905 Communauté de communes Carmausin-Ségala (epci)" in rows["Carmausin"][4]


def import_published(tmp_path: Path, count: int) -> None:
    path = tmp_path / "some.jsonl"
    path.write_text("\n".join(DEFAULT_SEED.read_text(encoding="utf-8").splitlines()[:count]), encoding="utf-8")
    run("import", str(path), "--status", "published")


def test_embed_computes_the_missing_vectors_then_indexes_them(data_dir: Path, tmp_path: Path) -> None:
    import_published(tmp_path, 3)
    output = " ".join(run("embed").split())
    assert re.search(r"3 practices embedded in [\d.]+ s \(\d+ ms per practice\), 0 unchanged", output), output
    assert output.endswith("3 index updates")
    store = Store(get_settings().store_url)
    ids = [m.id for m in store.iter_all()]
    assert len(store.vectors(ids, E5_NAME)) == 3 and store.backlog() == 0
    assert "0 practices embedded" in " ".join(run("embed").split())


def test_embed_while_an_api_holds_the_index_leaves_the_indexing_to_it(data_dir: Path, tmp_path: Path) -> None:
    import_published(tmp_path, 2)
    done = beside_a_running_api(data_dir, "embed")
    output = " ".join(done.stderr.split())
    assert done.returncode == 0, done.stderr
    assert "2 practices embedded" in output and "2 index updates left to the running API" in output
    assert Store(get_settings().store_url).backlog() == 2


def test_embed_leaves_the_work_to_the_process_embedding_already(data_dir: Path) -> None:
    store = Store(get_settings().store_url)
    assert store.acquire_lease(EMBEDDING_LEASE, "an API process", 60)
    result = runner.invoke(app, ["embed"])
    assert result.exit_code == 1
    assert "another process is computing vectors" in " ".join(result.output.split())


def test_embed_without_an_embedder(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMPACT_EMBEDDER", "none")
    get_settings.cache_clear()
    assert "search is lexical only" in run("embed")
