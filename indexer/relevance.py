"""What ranks a practice, for every engine: the text fields and their boosts, how a clause's fields
combine, and how much a typo costs. Each engine translates these into its own queries."""

from __future__ import annotations

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
# Fields compared by "similar practices" (more-like-this), and how many of their words it weighs.
SIMILAR_FIELDS: tuple[str, ...] = ("title", "summary", "sections")
SIMILAR_MAX_TERMS = 30
