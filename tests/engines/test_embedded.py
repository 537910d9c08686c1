from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import tantivy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.compiled_requests import Pass
from indexer.embedded import (
    SCHEMA_VERSION,
    SCHEMA_VERSION_FILE,
    EmbeddedEngine,
    _quoted,
    filter_string,
)
from indexer.engine import IndexLocked
from indexer.pipeline import SearchPlan, first_plan
from indexer.query import Synonyms, parse_query
from indexer.vectors import Semantic
from schemas.monograph import Monograph
from schemas.search import SearchFilters, SearchMode, SearchQuery
from tests.corpus import CORPUS, by_id
from tests.engines.contract import PUBLISHED, EngineContract, at_version
from tests.engines.hybrid_contract import NEED, HybridContract, embedder, stored


class TestEmbeddedEngine(EngineContract):
    @pytest.fixture
    def engine(self) -> Iterator[EmbeddedEngine]:
        engine = EmbeddedEngine()
        yield engine
        engine.close()


class TestEmbeddedHybrid(HybridContract):
    @pytest.fixture
    def engine(self) -> Iterator[EmbeddedEngine]:
        engine = EmbeddedEngine()
        yield engine
        engine.close()


@pytest.fixture(scope="module")
def hybrid_engine() -> Iterator[EmbeddedEngine]:
    engine = EmbeddedEngine()
    engine.attach_semantic(Semantic(embedder(), stored))
    engine.index(CORPUS)
    yield engine
    engine.close()


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.text(max_size=120), page=st.integers(1, 3), region=st.sampled_from([[], ["Bretagne"]]))
def test_any_text_searched_by_meaning_answers(
    hybrid_engine: EmbeddedEngine, text: str, page: int, region: list[str]
) -> None:
    query = SearchQuery(q=text, mode=SearchMode.HYBRID, page=page, size=3, filters=SearchFilters(region=region))
    result = hybrid_engine.search(query)
    assert len(result.hits) <= 3 and result.total >= len(result.hits)
    assert all(hit.territory.region == "Bretagne" for hit in result.hits) or not region


def test_vectors_survive_reopening(tmp_path: Path) -> None:
    engine = EmbeddedEngine(tmp_path / "index")
    engine.attach_semantic(Semantic(embedder(), stored))
    engine.index(CORPUS)
    engine.close()
    del engine
    reopened = EmbeddedEngine(tmp_path / "index")
    try:
        assert reopened.health().detail["vectors"] == len(PUBLISHED)
        reopened.attach_semantic(Semantic(embedder(), stored))
        found = reopened.search(SearchQuery(q=NEED, mode=SearchMode.HYBRID))
        assert found.mode == SearchMode.HYBRID and found.hits[0].id == "mobilite-vallee"
    finally:
        reopened.close()


@pytest.fixture
def on_disk(tmp_path: Path) -> Iterator[EmbeddedEngine]:
    engine = EmbeddedEngine(tmp_path / "index")
    yield engine
    engine.close()


def test_index_survives_reopening(tmp_path: Path) -> None:
    engine = EmbeddedEngine(tmp_path / "index")
    engine.index([m.model_copy(update={"version": 4}) for m in CORPUS])
    engine.close()
    del engine
    reopened = EmbeddedEngine(tmp_path / "index")
    assert reopened.versions() == dict.fromkeys(PUBLISHED, 4)
    assert not reopened.needs_rebuild()


def test_a_second_writer_is_refused_with_what_to_do(on_disk: EmbeddedEngine) -> None:
    assert on_disk.path is not None
    on_disk.claim_writer()
    assert on_disk.holds_writer
    second = EmbeddedEngine(on_disk.path)
    try:
        with pytest.raises(IndexLocked, match="being written by another process") as refused:
            second.claim_writer()
        assert str(on_disk.path) in str(refused.value) and "single API process" in str(refused.value)
        assert not second.holds_writer
        with pytest.raises(IndexLocked):
            second.index(CORPUS)  # a write without claiming first is refused the same way
        on_disk.close()  # the writer is released: the other engine may take it
        second.claim_writer()
        assert second.holds_writer and second.index(CORPUS).indexed == len(PUBLISHED)
    finally:
        second.close()


def test_an_outdated_index_is_not_dropped_under_its_writer(on_disk: EmbeddedEngine) -> None:
    assert on_disk.path is not None
    on_disk.index(CORPUS)  # holds the writer, as a running (older) API does
    (on_disk.path / SCHEMA_VERSION_FILE).write_text(str(SCHEMA_VERSION - 1))
    with pytest.raises(IndexLocked):
        EmbeddedEngine(on_disk.path)
    assert on_disk.ids() == PUBLISHED
    on_disk.close()
    assert EmbeddedEngine(on_disk.path).needs_rebuild()  # once released, it is dropped and rebuilt


def test_versions_beyond_the_aggregation_bucket_limit(on_disk: EmbeddedEngine) -> None:
    # A terms aggregation on `id` stops at 65,000 buckets; versions() and ids() must not.
    count = 70_000
    with on_disk._writing() as writer:
        for n in range(count):
            writer.add_document(tantivy.Document(id=f"m-{n:05d}", version=n % 9 + 1))
    versions = on_disk.versions()
    assert len(versions) == count and versions["m-69999"] == 69_999 % 9 + 1
    assert len(on_disk.ids()) == count


def test_a_failed_rebuild_leaves_the_previous_index(on_disk: EmbeddedEngine) -> None:
    on_disk.index(CORPUS)

    def broken_store() -> Iterator[Monograph]:
        yield by_id("mobilite-vallee")
        raise RuntimeError("store connection lost")

    with pytest.raises(RuntimeError):
        on_disk.rebuild(broken_store())
    with pytest.raises(RuntimeError):
        on_disk.rebuild([by_id("mobilite-vallee")], catch_up=lambda: broken_store())
    assert on_disk.ids() == PUBLISHED
    # Nothing of the failed rebuilds (the emptying included) is committed by the next write.
    on_disk.index([at_version("eau-reunion", 2)])
    assert on_disk.ids() == PUBLISHED and on_disk.versions()["eau-reunion"] == 2


def test_similar_answers_after_removals_on_the_seed() -> None:
    """tantivy 0.27's more-like-this panicked ("59 >= 60") once practices were removed and their
    segments not yet merged: a 500 on /similar found by the stateful fuzzing. It now falls back
    to ranking by the practice's own words."""
    import json
    from datetime import UTC, datetime

    from api.cli import DEFAULT_SEED

    now = datetime.now(UTC)
    lines = DEFAULT_SEED.read_text(encoding="utf-8").splitlines()
    seed = [
        Monograph(**json.loads(line), id=f"seed-{n}", status="published", version=1, created_at=now, updated_at=now)
        for n, line in enumerate(lines)
    ]
    engine = EmbeddedEngine(None)
    engine.index(seed)
    removed = {m.id for m in seed[:5]}
    engine.delete(removed)
    for monograph in seed[5:]:
        similar = [h.id for h in engine.similar(monograph.id, 3)]
        assert similar and monograph.id not in similar and not set(similar) & removed


def test_filters_become_a_quoted_query_string() -> None:
    """Filter aggregations take a query string: only registry-checked values reach it, each quoted."""
    filters = SearchFilters(
        region=["Provence-Alpes-Côte d'Azur", "Bretagne"],
        odd=[3],
        actor_category=["association", "collectivite"],
        actor_mode="all",
        year_from=2010,
    )
    assert filter_string(filters) == (
        '+actor_categories:"association" +actor_categories:"collectivite" +(odd:"3") '
        '+(region:"Provence-Alpes-Côte d\'Azur" OR region:"Bretagne") +year:[2010 TO *]'
    )
    assert filter_string(SearchFilters()) is None
    assert filter_string(SearchFilters(year_to=1999)) == "+year:[* TO 1999]"


def test_a_quote_in_a_value_stays_inside_its_term() -> None:
    engine = EmbeddedEngine()
    engine.index(CORPUS)
    searcher = engine._index.searcher()
    for value in ['Bre"tagne', 'x" OR region:"Bretagne', "back\\slash"]:
        query = engine._index.parse_query(f"region:{_quoted(value)}", [])
        assert searcher.search(query, 1, True).count == 0, value  # type: ignore[attr-defined]
    engine.close()


def _plan(q: str, known: frozenset[str] = frozenset(), relaxed: bool = False, **fields: object) -> SearchPlan:
    parsed = parse_query(q, Synonyms.from_file())
    return SearchPlan(SearchQuery(q=q, **fields), replace(parsed, known=known), relaxed)  # type: ignore[arg-type]


def test_a_compiled_request_is_shared_only_by_passes_it_fits() -> None:
    """Passes differing only by their deadline share a compiled request; anything else that shapes the
    request (words, the index's known words, filters, page, sort, facets, every-word or graded) does not."""
    base = Pass.of(_plan("covoiturage rural", deadline=1.0))
    assert Pass.of(_plan("covoiturage rural", deadline=2.0)) == base
    assert hash(Pass.of(_plan("covoiturage rural"))) == hash(base)
    for other in (
        _plan("covoiturage"),
        _plan("covoiturage rural", known=frozenset({"covoitur"})),
        _plan("covoiturage rural", relaxed=True),
        _plan("covoiturage rural", filters=SearchFilters(region=["Bretagne"])),
        _plan("covoiturage rural", page=2),
        _plan("covoiturage rural", sort="recent"),
        _plan("covoiturage rural", facets=False),
        _plan("covoiturage rural", year_counts=True),
    ):
        assert Pass.of(other) != base, other


def test_a_search_asked_again_reuses_its_compiled_request() -> None:
    engine = EmbeddedEngine()
    engine.index(CORPUS)
    query = SearchQuery(q="mobilité vallée", filters=SearchFilters(region=["Auvergne-Rhône-Alpes"]))
    first = engine.search(query)
    built = engine._requests.cache_info()
    again = engine.search(query.model_copy(update={"deadline": 10**9}))
    assert engine._requests.cache_info().hits > built.hits
    assert engine._requests.cache_info().misses == built.misses
    assert again.model_dump() == first.model_dump() and first.hits
    # Built afresh, the same pass finds the same practices in the same order.
    plan = first_plan(query, parse_query(query.q, engine.synonyms))
    fresh = engine.execute_request(engine._index.searcher(), engine.build_request(plan))
    assert [s["id"] for s, _ in fresh.hits] == [hit.id for hit in first.hits]
    engine.close()
