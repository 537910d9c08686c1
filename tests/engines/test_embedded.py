from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import tantivy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import indexer.pipeline
from indexer.compiled_requests import Pass
from indexer.cpu_time import timed
from indexer.embedded import (
    INDEX_VERSION,
    MASKED,
    SCHEMA_VERSION,
    SCHEMA_VERSION_FILE,
    EmbeddedEngine,
    _quoted,
    facet_masks,
    filter_string,
    mask_fields,
)
from indexer.engine import IndexLocked
from indexer.pipeline import SearchPlan, _parsed, first_plan
from indexer.query import Synonyms, parse_query
from indexer.vectors import Semantic
from schemas.monograph import Monograph
from schemas.search import SearchFilters, SearchMode, SearchQuery
from tests.corpus import CORPUS, by_id
from tests.engines.contract import PUBLISHED, EngineContract, at_version
from tests.engines.hybrid_contract import NEED, HybridContract, embedder, stored
from tests.engines.test_es_request_builder import DIE


class TestEmbeddedEngine(EngineContract):
    @pytest.fixture
    def engine(self) -> Iterator[EmbeddedEngine]:
        engine = EmbeddedEngine()
        yield engine
        engine.close()


class TestEmbeddedEngineMasked(EngineContract):
    """The whole contract with the facets of several values per practice counted from their masks (as
    from `MASKS_FROM` practices)."""

    @pytest.fixture
    def engine(self) -> Iterator[EmbeddedEngine]:
        engine = EmbeddedEngine()
        engine.masks_from = 0
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
        assert reopened.health().detail["vectors"] == 0  # lexical search never reads them
        reopened.attach_semantic(Semantic(embedder(), stored))
        assert reopened.health().detail["vectors"] == len(PUBLISHED)
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


def _counting_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each read of the index's versions, recorded: `documents` (every stored document, with the vectors) or
    `terms` (the term dictionary and the version fast field)."""
    reads: list[str] = []
    read_documents, read_terms = EmbeddedEngine._stored_vectors, EmbeddedEngine._indexed_versions

    def documents(self: EmbeddedEngine) -> tuple[dict[str, int], list[Any]]:
        reads.append("documents")
        return read_documents(self)

    def terms(self: EmbeddedEngine) -> dict[str, int]:
        reads.append("terms")
        return read_terms(self)

    monkeypatch.setattr(EmbeddedEngine, "_stored_vectors", documents)
    monkeypatch.setattr(EmbeddedEngine, "_indexed_versions", terms)
    return reads


def _mapped_stores(path: Path) -> int:
    """How many bytes of this index's document stores (`*.store`) this process has in memory."""
    resident, in_store = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if line[:1].isalnum() and not line.startswith(("Rss", "Size")) and ":" not in line.split()[0]:
            parts = line.split()
            in_store = len(parts) >= 6 and parts[5].startswith(str(path)) and parts[5].endswith(".store")
        elif in_store and line.startswith("Rss:"):
            resident += int(line.split()[1]) * 1024
    return resident


def test_a_lexical_engine_reads_no_stored_document_to_check_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "index"
    # Summaries that do not compress away: a document store of about 1 MB.
    copies = [
        m.model_copy(update={"id": f"{m.id}-{n}", "version": 5, "summary": random.randbytes(700).hex()})
        for n in range(100)
        for m in CORPUS
    ]
    first = EmbeddedEngine(path)
    first.index(copies)
    gone = sorted(PUBLISHED)[0] + "-0"
    first.delete([gone])  # its id stays in the term dictionary until a merge
    first.close()
    reads = _counting_reads(monkeypatch)
    reopened = EmbeddedEngine(path)
    try:
        opened = _mapped_stores(path)  # tantivy reads each store's index of blocks when it opens
        expected = {m.id: 5 for m in copies if m.id != gone and m.id.rsplit("-", 1)[0] in PUBLISHED}
        assert reopened.versions() == expected
        assert reads == ["terms"]
        assert _mapped_stores(path) == opened < sum(f.stat().st_size for f in path.glob("*.store")) / 4
        assert reopened.search(SearchQuery(q="")).total == len(expected)  # hits read their stored source
        assert _mapped_stores(path) > opened  # what the check above can see
    finally:
        reopened.close()


def test_the_start_up_check_reuses_the_versions_read_with_the_vectors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = EmbeddedEngine(tmp_path / "index")
    engine.attach_semantic(Semantic(embedder(), stored))
    engine.index([m.model_copy(update={"version": 3}) for m in CORPUS])
    engine.close()
    reads = _counting_reads(monkeypatch)
    reopened = EmbeddedEngine(tmp_path / "index")
    try:
        assert reads == []
        reopened.attach_semantic(Semantic(embedder(), stored))
        assert reads == ["documents"] and reopened.health().detail["vectors"] == len(PUBLISHED)
        assert reopened.versions() == dict.fromkeys(PUBLISHED, 3)
        assert reads == ["documents"]  # one read of the documents for both
        assert reopened.versions() == dict.fromkeys(PUBLISHED, 3)
        assert reads == ["documents", "terms"]  # kept for the start-up check only: later checks read the index
    finally:
        reopened.close()


def test_versions_read_with_the_vectors_are_not_used_after_a_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = EmbeddedEngine(tmp_path / "index")
    first.index(CORPUS)
    first.close()
    reads = _counting_reads(monkeypatch)
    # Vectors read while no process writes; then another process's engine commits before the check.
    reader = EmbeddedEngine(tmp_path / "index")
    reader.attach_semantic(Semantic(embedder(), stored))
    writer = EmbeddedEngine(tmp_path / "index")
    try:
        changed = by_id(sorted(PUBLISHED)[0]).model_copy(update={"version": 7})
        assert writer.index([changed]).indexed == 1
        writer.close()
        assert reader.versions()[changed.id] == 7
        assert reads == ["documents", "terms"]
    finally:
        reader.close()


def test_versions_read_with_the_vectors_are_not_used_after_a_rebuild(tmp_path: Path) -> None:
    """A rebuild (`delete_all_documents`) may commit the same opstamp as before: the whole record of the
    last commit tells them apart."""
    first = EmbeddedEngine(tmp_path / "index")
    first.index(CORPUS)
    first.close()
    reader = EmbeddedEngine(tmp_path / "index")
    reader.attach_semantic(Semantic(embedder(), stored))
    rebuilder = EmbeddedEngine(tmp_path / "index")
    try:
        rebuilder.rebuild([])  # another process empties the index after the reader opened it
        rebuilder.close()
        assert reader.versions() == {}
    finally:
        reader.close()
    # Its own rebuild too (its first write also drops the versions kept with the vectors, to free them;
    # the changed record of the last commit alone already keeps them from being used).
    first = EmbeddedEngine(tmp_path / "index")
    first.index(CORPUS)
    first.close()
    again = EmbeddedEngine(tmp_path / "index")
    again.attach_semantic(Semantic(embedder(), stored))
    try:
        again.rebuild([by_id(sorted(PUBLISHED)[0])])
        assert again.versions() == {sorted(PUBLISHED)[0]: by_id(sorted(PUBLISHED)[0]).version}
    finally:
        again.close()


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


def _plan(
    q: str,
    known: frozenset[str] = frozenset(),
    relaxed: bool = False,
    dense: tuple[str, ...] = (),
    ids_only: bool = False,
    **fields: object,
) -> SearchPlan:
    parsed = parse_query(q, Synonyms.from_file())
    query = SearchQuery(q=q, **fields)  # type: ignore[arg-type]
    return SearchPlan(query, replace(parsed, known=known), relaxed, dense, ids_only)


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
        _plan("covoiturage rural", dense=("velo-partage",)),
        _plan("covoiturage rural", ids_only=True),
        _plan("covoiturage rural", like=DIE),
    ):
        assert Pass.of(other) != base, other
    # What the engine says besides the pass (the embedded engine: whether it counts facet masks).
    assert Pass.of(_plan("covoiturage rural"), (True,)) != Pass.of(_plan("covoiturage rural"), (False,))


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


def test_a_search_asked_again_reuses_its_parse_and_another_synonym_list_parses_again() -> None:
    engine = EmbeddedEngine()
    engine.index(CORPUS)
    query = SearchQuery(q="covoiturage DOM-TOM")
    first = engine.search(query)
    parsed = _parsed.cache_info()
    assert engine.search(query).model_dump() == first.model_dump()
    assert _parsed.cache_info().hits > parsed.hits and _parsed.cache_info().misses == parsed.misses
    assert _parsed(query.q, engine.synonyms, engine._stemmer)[0] == parse_query(query.q, engine.synonyms)
    # Another engine's synonyms (a deployment's own list) are not answered with this one's parse.
    other = Synonyms([["covoiturage", "autopartage"]])
    assert (
        _parsed(query.q, other, engine._stemmer)[0]
        == parse_query(query.q, other)
        != parse_query(query.q, engine.synonyms)
    )
    engine.close()


def test_a_practice_s_several_values_become_one_bit_mask_per_group_of_nine() -> None:
    """ODD 2, 11 and 17: bit 1 of the first group (ODD 1–9), bits 1 and 7 of the second (10–17)."""
    practice = CORPUS[0].model_copy(update={"odd": [2, 11, 17], "territory_types": ["rural", "montagne"]})
    masks = facet_masks(practice)
    assert {name: masks.get(name) for name in mask_fields(MASKED["odd"])} == {
        "odd_mask_0": 0b10,
        "odd_mask_1": 0b10000010,
    }
    types, fields = MASKED["territory_type"].values, mask_fields(MASKED["territory_type"])
    expected: dict[str, int] = {}
    for value in ("rural", "montagne"):
        group, bit = divmod(types.index(value), 9)
        expected[fields[group]] = expected.get(fields[group], 0) | 1 << bit
    assert {name: mask for name, mask in masks.items() if name in fields} == expected


def test_masked_counts_are_the_multi_valued_field_s_counts() -> None:
    """Counted from the masks, every value of a facet with several values per practice has the count a
    terms aggregation of its multi-valued field gives (under words, under another facet's filter)."""
    engine = EmbeddedEngine()
    engine.masks_from = 0
    engine.index(CORPUS)
    searcher = engine._index.searcher()
    for query in (SearchQuery(), SearchQuery(q="mobilité"), SearchQuery(filters=SearchFilters(region=["Bretagne"]))):
        result = engine.search(query)
        plan = first_plan(query, parse_query(query.q, engine.synonyms))
        matching = engine._and(engine.build_request(plan).facet_query, engine._filter_queries(query.filters))
        for facet in MASKED.values():
            counted = searcher.aggregate(matching, {"v": {"terms": {"field": facet.field, "size": 100}}})
            wanted = {
                str(int(b["key"])) if facet.name == "odd" else b["key"]: b["doc_count"] for b in counted["v"]["buckets"]
            }
            assert wanted and {v.value: v.count for v in result.facets[facet.name] if v.count} == wanted
    engine.close()


def test_masks_are_counted_from_masks_from_practices_on() -> None:
    engine = EmbeddedEngine()
    engine.index(CORPUS)
    plan = first_plan(SearchQuery(q="mobilité"), parse_query("mobilité", engine.synonyms))
    fields = {a["terms"]["field"] for a in (engine.build_request(plan).facets or {}).values()}
    assert {facet.field for facet in MASKED.values()} <= fields
    engine.masks_from = 1
    masked = {a["terms"]["field"] for a in (engine.build_request(plan).facets or {}).values()}
    assert not {facet.field for facet in MASKED.values()} & masked
    assert {f for facet in MASKED.values() for f in mask_fields(facet)} <= masked
    engine.close()


def test_a_search_asked_again_once_the_index_counts_masks_counts_them() -> None:
    """A request compiled while the index was below `masks_from` is not reused once it is above."""
    engine = EmbeddedEngine()
    engine.index(CORPUS)
    query = SearchQuery(q="mobilité")
    before = engine.search(query)
    built = engine._requests.cache_info().misses
    engine.masks_from = 1
    after = engine.search(query)
    assert engine._requests.cache_info().misses == built + 1
    assert after.model_dump() == before.model_dump()
    engine.close()


def test_an_index_of_another_masks_layout_is_rebuilt(on_disk: EmbeddedEngine) -> None:
    """The index records its schema version and the masks' layout (the referentials' values in order):
    a referential that changed makes it outdated, without a version to bump."""
    assert on_disk.path is not None
    on_disk.index(CORPUS)
    on_disk.close()
    assert INDEX_VERSION.startswith(f"{SCHEMA_VERSION}-")
    assert not EmbeddedEngine(on_disk.path).needs_rebuild()
    (on_disk.path / SCHEMA_VERSION_FILE).write_text(f"{SCHEMA_VERSION}-00000000")
    assert EmbeddedEngine(on_disk.path).needs_rebuild()


def test_a_search_counts_the_cpu_time_its_facet_helper_spent() -> None:
    """Facets counted in a helper thread are part of the search's cost (`indexer/cpu_time.py`): what
    `api/engine_calls.py` decides from."""
    engine = EmbeddedEngine()
    engine.index(CORPUS)
    query = SearchQuery(q="mobilité")
    plan = first_plan(query, parse_query(query.q, engine.synonyms))
    request = engine.build_request(plan)
    assert request.facets
    reported: list[float] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("indexer.embedded.helped", reported.append)
        counted = engine.execute_request(engine._index.searcher(), request).counted()
    assert len(reported) == 1 and reported[0] > 0
    alone = engine.execute_request(engine._index.searcher(), request).counted()  # the real account: the same
    assert counted == alone and counted.buckets
    engine.close()


# A page's hits built as models (`hit_from_source`), or written as `/search` asks (`written_hits`).
PAGE_BUILDERS = [(None, "hit_from_source"), ("https://x/fiche?id=", "written_hits")]


@pytest.mark.parametrize(("as_json_for", "builder"), PAGE_BUILDERS)
def test_the_page_s_hits_are_built_while_its_facets_are_counted(
    monkeypatch: pytest.MonkeyPatch, as_json_for: str | None, builder: str
) -> None:
    """The facets counted in a helper thread are waited for only once the page's hits (highlights included)
    are built: at 100,000 practices the counting often outlasts the ranking, and the hits were the work
    after it. Here the helper holds its counting until a hit is built (the code before this waited for the
    counts first: the helper gave up after 5 s)."""
    engine = EmbeddedEngine()
    engine.index(CORPUS)
    query = SearchQuery(q="mobilité", as_json_for=as_json_for)
    expected = engine.search(query)
    hit_built = threading.Event()
    waited: list[bool] = []

    def counting_after_a_hit(call: Any, *args: object) -> Any:
        waited.append(hit_built.wait(timeout=5))
        return timed(call, *args)

    built_by = getattr(indexer.pipeline, builder)

    def hit(*args: Any) -> Any:
        built = built_by(*args)
        hit_built.set()
        return built

    monkeypatch.setattr("indexer.embedded.timed", counting_after_a_hit)
    monkeypatch.setattr(f"indexer.pipeline.{builder}", hit)
    answer = engine.search(query)
    assert waited == [True]
    assert answer == expected and (answer.facets or answer.facets_json) and (answer.hits or answer.hits_json)
    engine.close()


@pytest.mark.parametrize(("as_json_for", "builder"), PAGE_BUILDERS)
def test_a_search_that_fails_before_its_facet_counts_still_waits_for_them(
    monkeypatch: pytest.MonkeyPatch, as_json_for: str | None, builder: str
) -> None:
    """Its helper's CPU time is the search's all the same (`indexer/cpu_time.py`): what decides where searches
    run, and searches failing under load are the ones that count."""
    engine = EmbeddedEngine()
    engine.index(CORPUS)
    reported: list[float] = []

    def failing(*args: Any) -> Any:
        raise RuntimeError("a hit that cannot be built")

    monkeypatch.setattr("indexer.embedded.helped", reported.append)
    monkeypatch.setattr(f"indexer.pipeline.{builder}", failing)
    with pytest.raises(RuntimeError, match="cannot be built"):
        engine.search(SearchQuery(q="mobilité", as_json_for=as_json_for))
    assert len(reported) == 1
    engine.close()
