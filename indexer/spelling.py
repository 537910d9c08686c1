""" "Did you mean": the query as the engine's typo tolerance understood it.

Engine-neutral and bounded: a typed word whose stem none of the top results contains, but which a
word of theirs is within the typo tolerance of, was matched by that word (an exact stem would have
ranked first). The correction is that word as the practices write it (`mobilte` → `mobilité`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from rapidfuzz.distance import DamerauLevenshtein

from indexer.french import FrenchStemmer, fold
from indexer.highlight import PREFIX_LENGTH, candidate_patterns, candidate_prefixes, scanned
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
    patterns = _candidates(tuple(near))
    for source in evidence:
        for word in _starting_like(f"{source.get('title', '')} {source.get('summary', '')}", patterns):
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
        return None  # the usual case
    # A typed word written anywhere in a result (its sections too, or as the start of a longer word:
    # `covoit`) was not a typo.
    written = [
        _searched_for_words(
            " ".join([source.get("title", ""), source.get("summary", ""), *source.get("sections", {}).values()])
        )
        for source in evidence
    ]
    replacements = {
        typed_word: near[stem].most_common(1)[0][0]
        for typed_word, stem in candidates.items()
        if not any(_holds(searched, typed_word) for searched in written)
    }
    if not replacements:
        return None
    # Each corrected word replaced where it was typed, whatever its case and accents; the rest as typed.
    return _WORD.sub(lambda m: _as_typed(m.group(), replacements.get(fold(m.group()))), text)


# Letters `fold` writes as two (`cœur`: `coeur`), which `scanned` reads as one character; and the words holding one.
_LIGATURES = ("œ", "æ", "ß", "Œ", "Æ", "ẞ")
_LIGATURE_WORDS = re.compile(r"\w*[œæßŒÆẞ]\w*")


@lru_cache(maxsize=256)
def _candidates(stems: tuple[str, ...]) -> tuple[re.Pattern[bytes], ...]:
    return candidate_patterns(candidate_prefixes(stems))


def _scanned_as_folded(text: str) -> bytes | None:
    """`text` as `scanned` reads it (a byte per character, by a table), or None when that does not read its words as
    `fold` does: it holds a word character that is neither ASCII, an accented letter of the scan's table nor a
    ligature (`ﬁ`, `ý`, full-width letters…; `scanned` reads each as `_`)."""
    folded = scanned(text)
    if text.isascii():
        return folded
    unread = folded.count(b"_") - text.count("_") - sum(text.count(ligature) for ligature in _LIGATURES)
    return folded if not unread else None


def _starting_like(text: str, patterns: tuple[re.Pattern[bytes], ...]) -> list[str]:
    """The words of `text` that may stem like one of the typed words, in order: those starting with the same
    `PREFIX_LENGTH` letters (`_candidates`, whatever their case and accents), and any holding a ligature; every word
    of a text `scanned` does not read as `fold` does. The others are neither near a typed word nor one of them, and
    are not stemmed (stemming every word of 5 results took 0.2 ms of a search with an unknown word)."""
    folded = _scanned_as_folded(text)
    if folded is None:
        return _WORD.findall(text)
    spans = {m.span() for pattern in patterns for m in pattern.finditer(folded)}
    if any(ligature in text for ligature in _LIGATURES):
        spans.update(m.span() for m in _LIGATURE_WORDS.finditer(text))
    return [text[start:end] for start, end in sorted(spans)]


def _searched_for_words(text: str) -> bytes | str:
    """`text` as typed words are looked for in it (`_holds`): `scanned` (ligatures written as two letters first), a
    table's work, or `fold` (a Unicode decomposition, 20 times slower on whole practices) when `scanned` does not read
    it as `fold` does."""
    if any(ligature in text for ligature in _LIGATURES):
        text = text.lower().replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    folded = _scanned_as_folded(text)
    return folded if folded is not None else fold(text)


def _holds(searched: bytes | str, word: str) -> bool:
    """Whether a text (`_searched_for_words`) writes the folded `word` anywhere, inside a longer word too."""
    if isinstance(searched, bytes):
        return word.encode("ascii", "replace") in searched
    return word in searched


def _as_typed(typed: str, replacement: str | None) -> str:
    if replacement is None:
        return typed
    return replacement.capitalize() if typed[:1].isupper() else replacement
