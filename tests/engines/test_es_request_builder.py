"""Golden tests of the Elasticsearch request builder: literal bodies, no server needed."""

from __future__ import annotations

import numpy as np
import pytest

from indexer import es_mapping, es_query
from indexer.french import FrenchStemmer
from indexer.pipeline import SearchPlan
from indexer.query import Synonyms, parse_query
from schemas.facets import TERRITORY_TYPE
from schemas.like_territory import TerritoryProfile
from schemas.monograph import Territory
from schemas.search import SearchFilters, SearchQuery, Sort

STEMMER = FrenchStemmer()
SYNONYMS = Synonyms([["pvd", "petites villes de demain"]])


def stems_field(field: str, stem: str, fuzzy: int, text: str, boost: float, prefix: bool = False) -> dict:
    should: list[dict] = [{"term": {f"{field}_stems": {"value": stem}}}]
    if fuzzy:
        should.append({"fuzzy": {f"{field}_stems": {"value": stem, "fuzziness": fuzzy, "boost": 0.4}}})
    if prefix:
        should.append({"prefix": {f"{field}_stems": {"value": stem, "boost": 0.3}}})
    should.append({"match": {field: {"query": text, "boost": 0.5}}})
    return {"bool": {"should": [{"bool": {"should": should}}], "boost": boost}}


def test_one_word_query_body() -> None:
    query = SearchQuery(q="Mobilités", filters=SearchFilters(territory_type=["rural"], year_from=2015), size=10)
    body = es_query.search_body(SearchPlan(query, parse_query(query.q, SYNONYMS), relaxed=False), STEMMER)
    clause = {
        "dis_max": {
            "queries": [
                # The last word typed may be unfinished: it matches as a prefix too.
                stems_field("title", "mobilit", 1, "mobilites", 3.0, prefix=True),
                stems_field("summary", "mobilit", 1, "mobilites", 2.0, prefix=True),
                stems_field("keywords", "mobilit", 1, "mobilites", 1.5, prefix=True),
                stems_field("sections", "mobilit", 1, "mobilites", 1.0),  # not in the largest vocabulary
            ],
            "tie_breaker": 0.3,
        }
    }
    assert body["query"] == {
        "bool": {"must": [{"bool": {"must": [clause]}}], "filter": [{"range": {"year": {"gte": 2015}}}]}
    }
    assert body["post_filter"] == {"bool": {"filter": [{"terms": {"territory_types": ["rural"]}}]}}
    assert body["sort"] == ["_score", {"year": {"order": "desc", "missing": "_last"}}, {"id": "asc"}]
    assert (body["from"], body["size"], body["track_total_hits"]) == (0, 10, True)
    assert body["_source"] == ["display"] and "highlight" not in body


def test_graded_body_requires_quoted_phrases_and_ranks_by_words_matched() -> None:
    parsed = parse_query('"tiers-lieu" jeunes mobilité rurale.', SYNONYMS)
    body = es_query.text_query(parsed, STEMMER, relaxed=True)["bool"]
    assert len(body["must"]) == 1 and "match_phrase" in str(body["must"])  # the quoted phrase
    words = [q for q in body["should"] if "dis_max" in q]
    coordination = [q["constant_score"] for q in body["should"] if "constant_score" in q]
    assert len(words) == len(coordination) == 3 and body["minimum_should_match"] == 0
    assert {c["boost"] for c in coordination} == {2.0} and [c["filter"] for c in coordination] == words
    # Without every word required, a title word weighs less against a summary sharing several.
    assert [q["bool"]["boost"] for q in words[0]["dis_max"]["queries"]] == [1.5, 2.0, 1.5, 1.0]
    # A finished last word (followed by a full stop) is not completed as a prefix.
    assert "prefix" not in str(body)


def test_disjunctive_aggregations() -> None:
    query = SearchQuery(filters=SearchFilters(territory_type=["rural"], odd=[17]))
    aggs = es_query.aggregations(SearchPlan(query, parse_query("", SYNONYMS), relaxed=False))
    assert aggs["territory_type"] == {
        "filter": {"bool": {"filter": [{"terms": {"odd": [17]}}]}},
        # As many values as the referential has; more would be reported as truncated.
        "aggs": {"values": {"terms": {"field": "territory_types", "size": len(TERRITORY_TYPE.values)}}},
    }
    assert aggs["odd"]["filter"] == {"bool": {"filter": [{"terms": {"territory_types": ["rural"]}}]}}
    assert aggs["region"]["filter"] == {
        "bool": {"filter": [{"terms": {"territory_types": ["rural"]}}, {"terms": {"odd": [17]}}]}
    }


def test_synonyms_become_alternatives_and_phrases() -> None:
    clause = es_query.clause_query(parse_query("PVD", SYNONYMS).clauses[0], STEMMER)
    assert clause is not None
    title = clause["dis_max"]["queries"][0]["bool"]["should"]
    assert title[0]["bool"]["should"][0] == {"term": {"title_stems": {"value": "pvd"}}}
    assert title[1] == {"match_phrase": {"title_stems": {"query": "petit vill demain"}}}


def test_quoted_phrase_has_no_fuzziness() -> None:
    clause = es_query.clause_query(parse_query('"mobilité"', SYNONYMS).clauses[0], STEMMER)
    assert clause is not None
    assert clause["dis_max"]["queries"][0] == {
        "bool": {"should": [{"bool": {"should": [{"term": {"title_stems": {"value": "mobilit"}}}]}}], "boost": 3.0}
    }


def test_relaxed_needs_any_clause() -> None:
    body = es_query.text_query(parse_query("covoiturage lorient", SYNONYMS), STEMMER, relaxed=True)
    # Each word, and each word again as a constant (practices with both words would rank first).
    assert body["bool"]["minimum_should_match"] == 1 and len(body["bool"]["should"]) == 4


def test_empty_and_stopword_only_queries() -> None:
    assert es_query.text_query(parse_query("", SYNONYMS), STEMMER, False) == {"match_all": {}}
    assert es_query.text_query(parse_query("le la les", SYNONYMS), STEMMER, False) == {"match_all": {}}


def test_query_syntax_never_reaches_the_node_as_syntax() -> None:
    text = 'title:(a OR b) * ~ "x'
    body = es_query.search_body(SearchPlan(SearchQuery(q=text), parse_query(text, SYNONYMS), relaxed=False), STEMMER)
    text = str(body)
    assert "query_string" not in text and "simple_query_string" not in text and "title:(" not in text


def plan_sort(q: str, sort: Sort, like: TerritoryProfile | None = None) -> list:
    plan = SearchPlan(SearchQuery(q=q, sort=sort, like=like), parse_query(q, SYNONYMS), relaxed=False)
    return es_query.search_body(plan, STEMMER)["sort"]


def test_sorts() -> None:
    assert plan_sort("vélo", Sort.RECENT)[0] == {"year": {"order": "desc", "missing": "_last"}}
    assert plan_sort("vélo", Sort.OLDEST)[0] == {"year": {"order": "asc", "missing": "_last"}}
    assert plan_sort("vélo", Sort.RELEVANCE)[0] == "_score"
    # Relevance without words ties every score: newest first; with a territory to be like, by likeness.
    assert plan_sort("", Sort.RELEVANCE)[0] == {"year": {"order": "desc", "missing": "_last"}}
    assert plan_sort("", Sort.RELEVANCE, DIE)[0] == "_score"


# Die (26113) as the API resolves it: a commune of 4,844 inhabitants in a communauté de communes.
DIE = TerritoryProfile(
    territory=Territory(
        name="Die",
        code="26113",
        kind="commune",
        department="26",
        region="Auvergne-Rhône-Alpes",
        population=4844,
        epci="242600534",
        epci_nature="CC",
        zone="metro",
        resolved=True,
    ),
    territory_types=["rural"],
)


def test_like_territory_adds_constant_score_clauses_and_filters_nothing() -> None:
    query = SearchQuery(like=DIE, filters=SearchFilters(region=["Bretagne"]))
    body = es_query.search_body(SearchPlan(query, parse_query("", SYNONYMS), relaxed=False), STEMMER)

    def boost(field: str, values: list[str], weight: float) -> dict:
        return {"constant_score": {"filter": {"terms": {field: values}}, "boost": weight}}

    assert body["query"] == {
        "bool": {
            "must": [{"match_all": {}}],
            "filter": [],
            "should": [
                boost("like_zone", ["metro"], 3.0),
                boost("territory_types", ["rural"], 1.5),
                boost("like_size", ["1"], 1.5),
                boost("like_size", ["0", "2"], 0.5),
                boost("like_nature", ["CC"], 1.0),
                boost("department", ["26"], 0.5),
                boost("region", ["Auvergne-Rhône-Alpes"], 0.25),
            ],
        }
    }
    # Filters still apply, as before: in the post_filter.
    assert body["post_filter"] == {"bool": {"filter": [{"terms": {"region": ["Bretagne"]}}]}}


def hybrid_plans(query: SearchQuery) -> tuple[SearchPlan, SearchPlan]:
    """The same graded pass without, then with, the nearest practices (hits as ids only)."""
    parsed = parse_query(query.q, SYNONYMS)
    return SearchPlan(query, parsed, relaxed=True), SearchPlan(query, parsed, True, ("p-2", "p-7"), ids_only=True)


def test_hybrid_pass_matches_the_words_or_the_nearest_ids_scoring_the_words_only() -> None:
    query = SearchQuery(
        q="mobilité", like=DIE, filters=SearchFilters(region=["Bretagne"], odd=[11], year_from=2015), size=100
    )
    lexical, hybrid = (es_query.search_body(plan, STEMMER) for plan in hybrid_plans(query))
    text = es_query.text_query(parse_query("mobilité", SYNONYMS), STEMMER, relaxed=True)
    assert hybrid["query"]["bool"]["must"] == [
        {"bool": {"should": [text, {"ids": {"values": ["p-2", "p-7"], "boost": 0}}], "minimum_should_match": 1}}
    ]
    # Everything else is the lexical pass's: year range, likeness boosts, selections, disjunctive counts, sort.
    assert lexical["query"]["bool"]["must"] == [text]
    same = ("filter", "should")
    assert {k: hybrid["query"]["bool"][k] for k in same} == {k: lexical["query"]["bool"][k] for k in same}
    for key in ("post_filter", "aggs", "sort", "from", "size", "track_total_hits"):
        assert hybrid[key] == lexical[key], key
    # Ids only: no source (the pipeline fetches the page it keeps), and never a highlight.
    assert hybrid["_source"] is False and lexical["_source"] == ["display"] and "highlight" not in hybrid


def test_knn_body_applies_the_lexical_filters() -> None:
    filters = SearchFilters(territory_type=["rural"], region=["Bretagne"], year_from=2015, year_to=2020)
    body = es_query.knn_body(np.array([0.6, 0.8], dtype=np.float32), filters, 100)
    assert body == {
        "knn": {
            "field": "vector",
            "query_vector": [pytest.approx(0.6), pytest.approx(0.8)],
            "k": 100,
            "num_candidates": 200,
            "filter": [
                {"terms": {"territory_types": ["rural"]}},
                {"terms": {"region": ["Bretagne"]}},
                {"range": {"year": {"gte": 2015, "lte": 2020}}},
            ],
        },
        "size": 100,
        "_source": False,
    }
    # The same clauses as the lexical pass's post_filter and query filter, built by the same function.
    plan = SearchPlan(SearchQuery(q="vélo", filters=filters), parse_query("vélo", SYNONYMS), relaxed=False)
    search = es_query.search_body(plan, STEMMER)
    assert body["knn"]["filter"] == search["post_filter"]["bool"]["filter"] + search["query"]["bool"]["filter"]
    # Without filters, none; candidates never beyond what the node accepts.
    unfiltered = es_query.knn_body(np.ones(2, dtype=np.float32), SearchFilters(), 9_000)["knn"]
    assert unfiltered["filter"] == [] and unfiltered["num_candidates"] == 10_000


def test_vectors_are_mapped_for_cosine_knn() -> None:
    assert es_mapping.mappings()["properties"]["vector"] == {
        "type": "dense_vector",
        "dims": 384,
        "index": True,
        "similarity": "cosine",
        "index_options": {"type": "hnsw"},
    }
    # The node scores a cosine c as (1 + c) / 2.
    assert [es_mapping.cosine(s) for s in (1.0, 0.5, 0.8)] == [1.0, 0.0, pytest.approx(0.6)]
