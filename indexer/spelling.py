""" "Did you mean": the query as the engine's typo tolerance understood it.

Engine-neutral and bounded: a typed word whose stem none of the top results contains, but which a
word of theirs is within the typo tolerance of, was matched by that word (an exact stem would have
ranked first). The correction is that word as the practices write it (`mobilte` → `mobilité`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from rapidfuzz.distance import DamerauLevenshtein

from indexer.french import FrenchStemmer, fold
from indexer.highlight import PREFIX_LENGTH
from indexer.query import Clause, ParsedQuery, typo_edits

# The results read for evidence: the page's first practices, their title and summary.
EVIDENCE_HITS = 5
_WORD = re.compile(r"\w+")


def _typed_words(parsed: ParsedQuery) -> list[tuple[str, Clause]]:
    """The plain words that typo tolerance may have matched, with their clause: not quoted, not synonym groups
    or compounds. (An unfinished last word is written inside the words it completes: see `corrected_query`.)"""
    return [
        (clause.alternatives[0].terms[0][0], clause)
        for clause in parsed.clauses
        if not clause.exact and len(clause.alternatives) == 1 and clause.alternatives[0].is_single_term
    ]


def corrected_query(
    text: str, parsed: ParsedQuery, sources: Iterable[Mapping[str, Any]], stemmer: FrenchStemmer
) -> str | None:
    """`text` with each word the results matched only through a typo replaced by their word; None
    when no word was corrected."""
    # The edits typo tolerance allowed each word (`typo_edits`: none for a word the index knows well).
    words = [
        (w, s, n)
        for w, clause in _typed_words(parsed)
        if (s := stemmer.word(w)) and (n := typo_edits(s, clause, parsed.known))
    ]
    if not words:
        return None
    evidence = list(sources)[:EVIDENCE_HITS]
    seen_stems: set[str] = set()
    near: dict[str, Counter[str]] = {stem: Counter() for _, stem, _ in words}
    limits = {stem: edits for _, stem, edits in words}
    for source in evidence:
        for word in _WORD.findall(f"{source.get('title', '')} {source.get('summary', '')}"):
            stem = stemmer.word(word)
            if not stem:
                continue
            seen_stems.add(stem)
            for typed in near:
                # Like the highlighter, a typo in the first letters is not looked for.
                if stem[:PREFIX_LENGTH] == typed[:PREFIX_LENGTH] and stem != typed:
                    limit = limits[typed]
                    if DamerauLevenshtein.distance(stem, typed, score_cutoff=limit) <= limit:
                        near[typed][word.lower()] += 1
    candidates = {typed_word: stem for typed_word, stem, _ in words if stem not in seen_stems and near[stem]}
    if not candidates:
        return None  # the usual case: no whole text is folded
    # A typed word written anywhere in a result (its sections too, or as the start of a longer word:
    # `covoit`) was not a typo.
    written = [
        fold(" ".join([source.get("title", ""), source.get("summary", ""), *source.get("sections", {}).values()]))
        for source in evidence
    ]
    replacements = {
        typed_word: near[stem].most_common(1)[0][0]
        for typed_word, stem in candidates.items()
        if not any(typed_word in text for text in written)
    }
    if not replacements:
        return None
    # Each corrected word replaced where it was typed, whatever its case and accents; the rest as typed.
    return _WORD.sub(lambda m: _as_typed(m.group(), replacements.get(fold(m.group()))), text)


def _as_typed(typed: str, replacement: str | None) -> str:
    if replacement is None:
        return typed
    return replacement.capitalize() if typed[:1].isupper() else replacement
