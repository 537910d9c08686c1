"""What ranks a practice, for every engine: the text fields and their boosts, how a clause's fields
combine, and how much a typo costs. Each engine translates these into its own queries."""

from __future__ import annotations

import math

# Field boosts: the title says most about a practice, then its summary, then the rest.
TEXT_FIELDS: dict[str, float] = {"title": 3.0, "summary": 2.0, "keywords": 1.5, "sections": 1.0}
# When not every word is required (a query of `GRADED_FROM` clauses or more, or the any-word fallback),
# one title word must not outweigh a summary sharing several words with the query: the title weighs less.
PARTIAL_TEXT_FIELDS: dict[str, float] = TEXT_FIELDS | {"title": 1.5}
# Natural-language queries (this many clauses or more) are graded rather than all-or-nothing: any word
# matches, and every clause a practice matches adds `COORDINATION` to its score, so practices with
# more of the words rank first (measured on PIAF, benchmarks/relevance.py: one word of a
# five-word question missing no longer hides the answer).
GRADED_FROM = 3
COORDINATION = 2.0
# The last word typed also matches as a prefix (`covoit` → covoiturage), for this share of an exact word.
PREFIX_BOOST = 0.3
# …in these fields only: the sections' vocabulary is the largest, and expanding a short prefix over it
# cost most of a suggestion's time (benchmarks/suggest.py).
PREFIX_FIELDS = frozenset({"title", "summary", "keywords"})
# A clause scores on its best field (dis_max) plus this share of the others.
TIE_BREAKER = 0.3
# A word found within the typo tolerance (`indexer/documents.py fuzziness`) weighs this much of an exact one.
FUZZY_BOOST = 0.4
# Typo tolerance is for words the index knows little. A stem that at least `TYPO_KNOWN_MIN_DOCS` practices
# (and `TYPO_KNOWN_SHARE` of them all; fewer in a small collection, below) hold in one of the text fields was typed
# as meant: it matches exactly (and as a prefix when last), not its near neighbours, which are other words
# (`mobilite` ~ `mobilise`).
# Gathering those neighbours' practices was most of the cost of a search of frequent words (100k practices:
# the ranked call of 2-4 frequent words 18 → 6.5 ms at p50). The share keeps a misspelling common in a
# very large corpus tolerant (1M practices: known from 1,000 of them).
TYPO_KNOWN_MIN_DOCS = 50
TYPO_KNOWN_SHARE = 0.001
# In a collection of a few hundred practices, fewer hold a word: one held by `TYPO_KNOWN_SMALL_SHARE` of them (and
# at least `TYPO_KNOWN_FLOOR`, a misspelling is rarely in several) was typed as meant too. With 50 practices needed
# whatever the size, « mobilité » in 14 of the seed's 64 was still tolerant: 10 of its 24 results held only
# « mobilisé », « mobilisation » or « mobiliser ».
TYPO_KNOWN_SMALL_SHARE = 0.05
TYPO_KNOWN_FLOOR = 3


def typed_as_meant(practices_with_stem: int, practices: int) -> bool:
    """Whether a stem held by this many of all the practices is a word the index knows well."""
    small = max(TYPO_KNOWN_FLOOR, math.ceil(TYPO_KNOWN_SMALL_SHARE * practices))
    return practices_with_stem >= max(min(TYPO_KNOWN_MIN_DOCS, small), TYPO_KNOWN_SHARE * practices)


# Fields compared by "similar practices" (more-like-this), and how many of their words it weighs.
SIMILAR_FIELDS: tuple[str, ...] = ("title", "summary", "sections")
SIMILAR_MAX_TERMS = 30
# "Practices from territories like mine" (`like_territory`): what each shared feature adds to a score,
# every practice still matching. Zone and types say most: the zone outweighs a metropolitan practice's
# type, size and EPCI nature together, so an overseas territory finds its zone's practices first. The
# département and région count only mildly (a neighbour is handy to call, but a like territory far
# away teaches as much). The smallest weight
# stays above 1 % of the largest sum, so the embedded engine's recency weight (`recency_weight`, under
# 1 % between 1950 and 2100) never reorders two practices of different likeness.
LIKE_ZONE = 3.0
LIKE_TYPE = 1.5  # per territory type shared
LIKE_SIZE = 1.5  # the same population band
LIKE_NEAR_SIZE = 0.5  # a neighbouring band
LIKE_NATURE = 1.0  # the same EPCI nature
LIKE_DEPARTMENT = 0.5
LIKE_REGION = 0.25
# Hybrid search (`mode=hybrid`): the practices closest in meaning (this many, among those passing the
# filters) join the lexical matches. Only the closest few: vector similarity alone separates a relevant
# practice badly from a merely close one, and the total and facets must stay those of a precise answer.
# The first `HYBRID_WINDOW` lexical hits and those closest practices are ranked by a linear blend:
# HYBRID_TEXT_WEIGHT × text score / best text score + (1 − it) × meaning, where meaning is the cosine
# similarity counted from the embedder's `meaning_origin` up to the best candidate's. Measured with
# `benchmarks/relevance.py` on all of PIAF (MRR@10: lexical 77.2, reciprocal rank fusion 78.3, min-max blend
# 81.4, this blend 82.0) and the judged set (95.3; 93.3 on Elasticsearch with a text weight of 0.4, whose
# PIAF score is 0.05 better: needs in plain words come first). "Similar practices" fuse their two neighbour lists by
# reciprocal rank fusion (no scores to blend: more-like-this scores are not comparable across practices):
# 1 / (RRF_K + word rank) + HYBRID_DENSE_WEIGHT / (RRF_K + vector rank).
HYBRID_CANDIDATES = 20
HYBRID_WINDOW = 100
RRF_K = 60
HYBRID_DENSE_WEIGHT = 1.0
HYBRID_TEXT_WEIGHT = 0.3
# …a weight that shrinks when the words' best matches share few of the query's words: at full weight from
# `FULL_TEXT_EVIDENCE` of them (in title, summary or tags of the first `EVIDENCE_HITS` word matches),
# proportionally less below. Measured on all of PIAF (82.04 → 82.10 embedded, 81.95 → 82.10 Elasticsearch) and
# the judged set with 13 needs in everyday words added (needs 89.8 → 92.2 and 87.3 → 88.2 MRR@10),
# `benchmarks/results/hybrid-relevance-20261201.md`.
FULL_TEXT_EVIDENCE = 0.6
EVIDENCE_HITS = 10
