"""Elasticsearch request bodies, built from the engine-neutral query by small pure steps.

Highlighting is not asked of the node: the application highlights the returned sources
(indexer/highlight.py), like the embedded engine.

User text only ever appears as the value of `term`, `fuzzy`, `match_phrase` and `match`
queries, never as query-string syntax.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from indexer.embedder import Vector
from indexer.es_mapping import VECTOR_FIELD
from indexer.french import FrenchStemmer
from indexer.pipeline import SearchPlan
from indexer.query import Clause, ParsedQuery, Phrase, typo_edits
from indexer.relevance import (
    COORDINATION,
    FUZZY_BOOST,
    PARTIAL_TEXT_FIELDS,
    PREFIX_BOOST,
    PREFIX_FIELDS,
    SIMILAR_FIELDS,
    SIMILAR_MAX_TERMS,
    TEXT_FIELDS,
    TIE_BREAKER,
)
from schemas.facets import FACETS, YEAR
from schemas.search import SearchFilters, Sort

# The node's own French analysis is queried alongside the application's stems, for recall.
PROSE_BOOST = 0.5
SOURCE_FIELDS = ["display"]
# kNN: the HNSW graph is explored for this many candidates per practice asked (the node's default is
# 1.5), then the closest `k` kept. The node refuses more than `KNN_MAX_CANDIDATES`.
KNN_CANDIDATES_PER_HIT = 2
KNN_MAX_CANDIDATES = 10_000


def field_query(
    field: str, phrase: Phrase, clause: Clause, stemmer: FrenchStemmer, known: frozenset[str] = frozenset()
) -> dict[str, Any] | None:
    """One alternative of a clause on one field: stems (term + fuzzy unless `known`, + prefix for the last
    word typed) or a phrase of stems."""
    stems = [s for word, _ in phrase.terms if (s := stemmer.word(word))]
    if not stems:
        return None
    stems_field = f"{field}_stems"
    if len(stems) > 1:
        return {"match_phrase": {stems_field: {"query": " ".join(stems)}}}
    stem = stems[0]
    should: list[dict[str, Any]] = [{"term": {stems_field: {"value": stem}}}]
    distance = typo_edits(stem, clause, known)
    if distance:
        should.append({"fuzzy": {stems_field: {"value": stem, "fuzziness": distance, "boost": FUZZY_BOOST}}})
    if clause.prefix and field in PREFIX_FIELDS:
        should.append({"prefix": {stems_field: {"value": stem, "boost": PREFIX_BOOST}}})
    if not clause.exact:
        should.append({"match": {field: {"query": phrase.text, "boost": PROSE_BOOST}}})
    return {"bool": {"should": should}}


def clause_query(
    clause: Clause, stemmer: FrenchStemmer, boosts: dict[str, float] = TEXT_FIELDS, known: frozenset[str] = frozenset()
) -> dict[str, Any] | None:
    """One user clause: the best field wins (dis_max); any alternative (synonym) may match."""
    per_field = []
    for field, boost in boosts.items():
        alternatives = [q for p in clause.alternatives if (q := field_query(field, p, clause, stemmer, known))]
        if alternatives:
            per_field.append({"bool": {"should": alternatives, "boost": boost}})
    return {"dis_max": {"queries": per_field, "tie_breaker": TIE_BREAKER}} if per_field else None


def text_query(parsed: ParsedQuery, stemmer: FrenchStemmer, relaxed: bool) -> dict[str, Any]:
    """All clauses required; or, relaxed, quoted phrases required and any other clause, each one
    matched adding `COORDINATION` (practices with more of the words first). No words: every document."""
    boosts = PARTIAL_TEXT_FIELDS if relaxed else TEXT_FIELDS
    clauses = [(c, q) for c in parsed.clauses if (q := clause_query(c, stemmer, boosts, parsed.known))]
    if not clauses:
        return {"match_all": {}} if parsed.is_empty else {"match_none": {}}
    if not relaxed:
        return {"bool": {"must": [q for _, q in clauses]}}
    required = [q for c, q in clauses if c.exact]
    optional = [q for c, q in clauses if not c.exact]
    graded = optional + [{"constant_score": {"filter": q, "boost": COORDINATION}} for q in optional]
    if not graded:
        return {"bool": {"must": required}}
    return {"bool": {"must": required, "should": graded, "minimum_should_match": 0 if required else 1}}


def facet_filters(filters: SearchFilters) -> list[dict[str, Any]]:
    """One `terms` filter per facet with a selection (OR inside, AND across); a `term` per value when
    every value is required (`actor_mode=all`)."""
    clauses: list[dict[str, Any]] = []
    for facet in FACETS:
        values = [facet.index_value(v) for v in filters.selected(facet.name)]
        if values and filters.requires_all(facet):
            clauses += [{"term": {facet.field: v}} for v in values]
        elif values:
            clauses.append({"terms": {facet.field: values}})
    return clauses


def year_filter(filters: SearchFilters) -> list[dict[str, Any]]:
    bounds = {}
    if filters.year_from is not None:
        bounds["gte"] = filters.year_from
    if filters.year_to is not None:
        bounds["lte"] = filters.year_to
    return [{"range": {YEAR.field: bounds}}] if bounds else []


def filter_clauses(filters: SearchFilters) -> list[dict[str, Any]]:
    """Every filter a practice must pass: facet selections and start years."""
    return facet_filters(filters) + year_filter(filters)


def aggregations(plan: SearchPlan) -> dict[str, Any]:
    """Each counted facet under its own filters (`SearchPlan.counted`: disjunctive facets). The year
    range is already in the query; the facet selections are a post_filter, hence repeated here."""
    return {
        facet.name: {
            "filter": {"bool": {"filter": facet_filters(filters)}},
            "aggs": {"values": {"terms": {"field": facet.field, "size": facet.size}}},
        }
        for facet, filters in plan.counted()
    }


def boost_clauses(plan: SearchPlan) -> list[dict[str, Any]]:
    """Each boost an optional constant-score clause (`indexer/like_territory.py`): nothing filtered out."""
    return [
        {"constant_score": {"filter": {"terms": {boost.field: list(boost.values)}}, "boost": boost.weight}}
        for boost in plan.boosts
    ]


def sort_clause(sort: Sort) -> list[Any]:
    """`sort` as the plan decides it (`SearchPlan.sort`: relevance only when something scores)."""
    if sort == Sort.PUBLISHED:
        # `unmapped_type`: an index of an older mapping (before its rebuild) sorts instead of failing.
        return [{"published": {"order": "desc", "missing": "_last", "unmapped_type": "long"}}, {"id": "asc"}]
    if sort == Sort.RELEVANCE:
        return ["_score", {"year": {"order": "desc", "missing": "_last"}}, {"id": "asc"}]
    order = "asc" if sort == Sort.OLDEST else "desc"
    return [{"year": {"order": order, "missing": "_last"}}, "_score", {"id": "asc"}]


def dense_query(text: dict[str, Any], dense: Sequence[str]) -> dict[str, Any]:
    """Hybrid: the words match, or the practice is one of the nearest (`SearchPlan.dense`). The ids add
    nothing to the score (boost 0): a practice's score stays its text score."""
    return {"bool": {"should": [text, {"ids": {"values": list(dense), "boost": 0}}], "minimum_should_match": 1}}


def known_stems_body(stems: Sequence[str]) -> dict[str, Any]:
    """How many practices hold each stem in each text field (what `typed_as_meant` weighs), and how many
    practices there are: one `filters` aggregation per stem, no hit."""
    return {
        "size": 0,
        "track_total_hits": True,
        "aggs": {
            f"stem{number}": {
                "filters": {"filters": {field: {"term": {f"{field}_stems": stem}} for field in TEXT_FIELDS}}
            }
            for number, stem in enumerate(stems)
        },
    }


def search_body(plan: SearchPlan, stemmer: FrenchStemmer) -> dict[str, Any]:
    """The whole `_search` body of one pass: query, post_filter, aggregations, sort, paging. Hits carry
    their display source, or only their id (`_id`) when the plan asks for ids only."""
    query = plan.query
    selections = facet_filters(query.filters)
    text = text_query(plan.parsed, stemmer, plan.relaxed)
    scoring: dict[str, Any] = {
        "must": [dense_query(text, plan.dense) if plan.dense else text],
        "filter": year_filter(query.filters),
    }
    boosts = boost_clauses(plan)
    if boosts:
        scoring["should"] = boosts
    body: dict[str, Any] = {
        "query": {"bool": scoring},
        "sort": sort_clause(plan.sort),
        "from": query.offset,
        "size": query.size,
        "track_total_hits": True,
        "_source": False if plan.ids_only else SOURCE_FIELDS,
    }
    if selections:
        body["post_filter"] = {"bool": {"filter": selections}}
    aggs = aggregations(plan)
    if aggs:
        body["aggs"] = aggs
    return body


def knn_body(vector: Vector, filters: SearchFilters, k: int) -> dict[str, Any]:
    """The `k` practices passing `filters` whose vectors are closest to `vector`, ids and scores only."""
    k = min(k, KNN_MAX_CANDIDATES)
    return {
        "knn": {
            "field": VECTOR_FIELD,
            "query_vector": vector.tolist(),
            "k": k,
            "num_candidates": min(k * KNN_CANDIDATES_PER_HIT, KNN_MAX_CANDIDATES),
            "filter": filter_clauses(filters),
        },
        "size": k,
        "_source": False,
    }


def similarities_body(vector: Vector, ids: Sequence[str]) -> dict[str, Any]:
    """The cosine similarity to `vector` of each of these practices that has a vector: a kNN restricted to
    them, asking for all of them (a filter matching no more documents than `k` is searched exactly, not
    through the graph), ids and scores only. (No script: the node may have no scripting module.)"""
    return {
        "knn": {
            "field": VECTOR_FIELD,
            "query_vector": vector.tolist(),
            "k": len(ids),
            "num_candidates": len(ids),
            "filter": [{"ids": {"values": list(ids)}}],
        },
        "size": len(ids),
        "_source": False,
    }


def similar_body(monograph_id: str, index: str, size: int) -> dict[str, Any]:
    return {
        "query": {
            "more_like_this": {
                "fields": [f"{field}_stems" for field in SIMILAR_FIELDS],
                "like": [{"_index": index, "_id": monograph_id}],
                "min_term_freq": 1,
                "min_doc_freq": 1,
                "max_query_terms": SIMILAR_MAX_TERMS,
                "min_word_length": 3,
                "minimum_should_match": 1,
            }
        },
        "size": size,
        "_source": SOURCE_FIELDS,
    }
