"""Vectors and hybrid search in the Elasticsearch engine, on a real node with the real embedder, beyond
the hybrid contract (`TestElasticsearchHybrid` in test_elasticsearch.py): how vectors reach the documents,
kNN order, cosines and filters, ids-only passes, old indexes, deadlines and unreachable nodes."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import pytest

from indexer.elasticsearch_engine import ElasticsearchEngine
from indexer.embedder import Vector
from indexer.engine import EngineConfig, EngineUnavailable, SearchTimeout
from indexer.pipeline import SearchPlan
from indexer.query import parse_query
from indexer.relevance import HYBRID_CANDIDATES
from indexer.vectors import Semantic
from schemas.monograph import Monograph, Status
from schemas.search import SearchFilters, SearchMode, SearchQuery, SearchResult
from tests.corpus import CORPUS, by_id
from tests.engines.contract import PUBLISHED, at_version, counts, ids
from tests.engines.hybrid_contract import NEED, corpus_vectors, embedder
from tests.engines.test_elasticsearch import drop, make_engine, recorded_calls

pytestmark = pytest.mark.elasticsearch

# Embedded: every published practice but these two (not embedded yet).
NOT_EMBEDDED = {"pvd-centre-bourg", "xss"}
EMBEDDED = PUBLISHED - NOT_EMBEDDED
# Shares no word (nor a near one) with any practice; closest in meaning to the water practice.
DROUGHT = "sécheresse irrigation agricole"


class StoredVectors:
    """A dict-backed vector source, counting its calls (one per chunk of monographs, never one each)."""

    def __init__(self, vectors: Mapping[str, Vector]):
        self.vectors = dict(vectors)
        self.calls: list[list[str]] = []

    def __call__(self, monograph_ids: Sequence[str]) -> dict[str, Vector]:
        self.calls.append(list(monograph_ids))
        return {i: self.vectors[i] for i in monograph_ids if i in self.vectors}


@pytest.fixture
def source() -> StoredVectors:
    """The store's vectors of the embedded practices (as the background embedder computes them)."""
    return StoredVectors({i: v for i, v in corpus_vectors().items() if i in EMBEDDED})


@pytest.fixture
def semantic(source: StoredVectors) -> Semantic:
    return Semantic(embedder(), source)


@pytest.fixture
def plain(es_url: str) -> Iterator[ElasticsearchEngine]:
    engine = make_engine(es_url)
    yield engine
    drop(engine)


@pytest.fixture
def hybrid(plain: ElasticsearchEngine, semantic: Semantic) -> ElasticsearchEngine:
    plain.attach_semantic(semantic)
    report = plain.index(CORPUS)
    assert report.indexed == len(PUBLISHED) and not report.failed
    return plain


def search(
    engine: ElasticsearchEngine, q: str, mode: SearchMode = SearchMode.HYBRID, **filters: object
) -> SearchResult:
    return engine.search(SearchQuery(q=q, mode=mode, filters=SearchFilters(**filters)))


def test_vectors_are_read_per_chunk_and_only_for_published_practices(
    hybrid: ElasticsearchEngine, source: StoredVectors
) -> None:
    assert source.calls == [[m.id for m in CORPUS if m.status == Status.PUBLISHED]]
    assert hybrid.health().detail["vectors"] == len(EMBEDDED)
    stored = hybrid.client.get(index=hybrid.alias, id="eau-reunion", source_includes=["vector"])
    assert np.allclose(stored["_source"]["vector"], source.vectors["eau-reunion"], atol=1e-6)


def test_nearest_closest_first_with_cosines(hybrid: ElasticsearchEngine, semantic: Semantic) -> None:
    vector = semantic.query_vector(DROUGHT)
    found = hybrid.nearest(vector, SearchFilters(), 10)
    assert found[0][0] == "eau-reunion" and {i for i, _ in found} == EMBEDDED
    expected = {i: float(np.dot(vector, v)) for i, v in semantic.vectors(sorted(EMBEDDED)).items()}
    assert [i for i, _ in found] == sorted(expected, key=lambda i: -expected[i])
    assert all(c == pytest.approx(expected[i], abs=1e-4) for i, c in found)
    assert [i for i, _ in hybrid.nearest(vector, SearchFilters(), 2)] == [i for i, _ in found[:2]]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"region": ["Auvergne-Rhône-Alpes"]}, {"tiers-lieu-diois", "mobilite-vallee", "innovation-sociale-qpv"}),
        ({"territory_type": ["montagne"], "year_from": 2020}, {"mobilite-vallee", "eau-reunion"}),
        ({"region": ["Bretagne"], "year_to": 2016}, {"ess-bretagne"}),
        ({"region": ["Pays de la Loire"]}, set()),  # only a practice without a vector
    ],
)
def test_nearest_honours_the_filters(
    hybrid: ElasticsearchEngine, semantic: Semantic, filters: dict[str, object], expected: set[str]
) -> None:
    vector = semantic.query_vector(DROUGHT)
    everything = [i for i, _ in hybrid.nearest(vector, SearchFilters(), 10)]
    found = [i for i, _ in hybrid.nearest(vector, SearchFilters(**filters), 10)]
    assert found == [i for i in everything if i in expected]


def test_similarities_leave_out_practices_without_a_vector(hybrid: ElasticsearchEngine, semantic: Semantic) -> None:
    vector = semantic.query_vector(NEED)
    found = hybrid.similarities(vector, ["pvd-centre-bourg", "mobilite-vallee", "eau-reunion"])
    assert set(found) == {"mobilite-vallee", "eau-reunion"}  # pvd-centre-bourg has no vector
    nearest = dict(hybrid.nearest(vector, SearchFilters(), 20))
    assert found["mobilite-vallee"] == pytest.approx(nearest["mobilite-vallee"], abs=1e-5)
    assert hybrid.vector_ids() == EMBEDDED


def test_hybrid_finds_a_practice_by_meaning_alone(hybrid: ElasticsearchEngine) -> None:
    assert search(hybrid, DROUGHT, SearchMode.LEXICAL).total == 0  # no word of it in any practice
    result = search(hybrid, DROUGHT)
    assert result.mode == SearchMode.HYBRID and ids(result)[0] == "eau-reunion"
    assert result.total == len(result.hits) and set(ids(result)) <= EMBEDDED


def test_hybrid_matches_the_words_or_the_nearest_and_counts_that_set(
    hybrid: ElasticsearchEngine, semantic: Semantic
) -> None:
    q, filters = f"vitrines {NEED}", SearchFilters(region=["Bretagne", "Auvergne-Rhône-Alpes"])
    words = set(ids(hybrid.search(SearchQuery(q=q, filters=filters))))
    found = hybrid.nearest(semantic.query_vector(q), filters, HYBRID_CANDIDATES)
    meaning = {i for i, similarity in found if similarity >= semantic.embedder.min_similarity}
    # `vitrines`: a practice without a vector, found by its words; the mobility one by meaning.
    assert "pvd-centre-bourg" in words - meaning and "mobilite-vallee" in meaning
    result = hybrid.search(SearchQuery(q=q, filters=filters, mode=SearchMode.HYBRID))
    assert result.mode == SearchMode.HYBRID
    assert result.total == len(words | meaning) and set(ids(result)) == words | meaning
    assert counts(result, "department") == Counter(by_id(i).territory.department for i in words | meaning)


def test_hybrid_hits_come_with_their_display_source_and_highlights(hybrid: ElasticsearchEngine) -> None:
    result = search(hybrid, "vitrines")
    hit = next(h for h in result.hits if h.id == "pvd-centre-bourg")
    assert hit.title == by_id("pvd-centre-bourg").title and "<mark>vitrines</mark>" in str(hit.highlight)


def test_without_vectors_search_is_lexical(es_url: str, plain: ElasticsearchEngine) -> None:
    plain.attach_semantic(Semantic(embedder(), StoredVectors({})))  # nothing embedded yet
    plain.index(CORPUS)
    result = search(plain, "vitrines")
    assert result.mode == SearchMode.LEXICAL and ids(result) == ["pvd-centre-bourg"]
    assert plain.health().detail["vectors"] == 0
    detached = make_engine(es_url, plain.alias)  # no Semantic: lexical, and no vector count
    try:
        assert search(detached, "vitrines").mode == SearchMode.LEXICAL and "vectors" not in detached.health().detail
    finally:
        detached.close()


def test_rebuild_and_its_catch_up_keep_the_vectors(hybrid: ElasticsearchEngine, source: StoredVectors) -> None:
    before = hybrid.current_index()
    source.vectors["xss"] = source.vectors["mobilite-vallee"]  # embedded meanwhile

    def catch_up() -> Iterator[Monograph]:
        yield at_version("xss", 2)

    hybrid.rebuild([m for m in CORPUS if m.id != "xss"], catch_up=catch_up)
    assert hybrid.current_index() != before
    assert hybrid.health().detail["vectors"] == len(EMBEDDED) + 1
    assert ids(search(hybrid, DROUGHT))[0] == "eau-reunion"


def test_a_re_index_adds_the_vector_of_a_practice_embedded_later(
    hybrid: ElasticsearchEngine, source: StoredVectors
) -> None:
    source.vectors["pvd-centre-bourg"] = source.vectors["eau-reunion"]
    hybrid.index([at_version("pvd-centre-bourg", 2)])
    assert hybrid.health().detail["vectors"] == len(EMBEDDED) + 1


def test_ids_only_passes_and_fetch(hybrid: ElasticsearchEngine) -> None:
    query = SearchQuery(q="vitrines")
    plan = SearchPlan(query, parse_query(query.q), relaxed=True, dense=("eau-reunion",), ids_only=True)
    raw = hybrid.execute(plan)
    assert [source for source, _ in raw.hits] == [{"id": "pvd-centre-bourg"}, {"id": "eau-reunion"}]
    assert raw.hits[0][1] and raw.hits[1][1] == 0  # the nearest ids add nothing to a score
    fetched = hybrid.fetch(["xss", "unknown", "eau-reunion", "brouillon"])
    assert [s["id"] for s in fetched] == ["xss", "eau-reunion"] and fetched[1]["title"] == by_id("eau-reunion").title
    assert hybrid.fetch([]) == []


def test_nearest_without_vectors_or_index_finds_nothing(plain: ElasticsearchEngine) -> None:
    vector = embedder().query(DROUGHT)
    assert plain.nearest(vector, SearchFilters(), 10) == [] and plain.fetch(["eau-reunion"]) == []
    # An index of an older mapping (before its rebuild): no vector field, nothing found, no error.
    old = f"{plain.alias}-v6-1000"
    plain.client.indices.create(index=old, mappings={"properties": {"id": {"type": "keyword"}}})
    plain.client.indices.put_alias(index=old, name=plain.alias)
    plain.client.index(index=plain.alias, id="eau-reunion", document={"id": "eau-reunion"}, refresh=True)
    assert plain.nearest(vector, SearchFilters(region=["Bretagne"]), 10) == []


def test_deadlines_and_unreachable_nodes(hybrid: ElasticsearchEngine) -> None:
    from tests.live import free_port

    vector = embedder().query(DROUGHT)
    with pytest.raises(SearchTimeout):
        hybrid.nearest(vector, SearchFilters(), 10, deadline=time.monotonic() - 0.001)
    with pytest.raises(SearchTimeout):
        hybrid.fetch(["eau-reunion"], deadline=time.monotonic() - 0.001)
    assert hybrid.nearest(vector, SearchFilters(), 10, deadline=time.monotonic() + 30)
    dead = ElasticsearchEngine(
        EngineConfig(backend="elasticsearch", elasticsearch_url=f"http://127.0.0.1:{free_port()}"), hybrid.synonyms
    )
    try:
        with pytest.raises(EngineUnavailable):
            dead.nearest(vector, SearchFilters(), 10)
        with pytest.raises(EngineUnavailable):
            dead.fetch(["eau-reunion"])
    finally:
        dead.close()


def test_a_hybrid_search_makes_three_calls(hybrid: ElasticsearchEngine) -> None:
    """The nearest (kNN), one pass matching words or those ids (ids only), the page's sources (once the
    words' frequencies are known: `known_stems`, one call the first time)."""
    search(hybrid, NEED)
    calls = recorded_calls(hybrid)
    assert search(hybrid, NEED).mode == SearchMode.HYBRID
    assert calls == [
        f"POST /{hybrid.alias}/_search",
        f"POST /{hybrid.alias}/_search",
        f"POST /{hybrid.alias}/_mget?_source=display",
    ]
