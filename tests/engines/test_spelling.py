"""Did-you-mean (`indexer/spelling.py`): its shortcuts (only words starting like a typed word are stemmed, texts read
through `scanned`) correct exactly what reading every word, folded, corrected."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import pytest
from rapidfuzz.distance import DamerauLevenshtein

from benchmarks.corpus import CorpusGenerator
from indexer.documents import hit_source
from indexer.french import FrenchStemmer, fold
from indexer.highlight import PREFIX_LENGTH
from indexer.query import ParsedQuery, parse_query, typo_edits
from indexer.spelling import (
    _WORD,
    EVIDENCE_HITS,
    _as_typed,
    _holds,
    _searched_for_words,
    _typed_words,
    corrected_query,
)
from tests.corpus import seed_corpus


def every_word_folded(
    text: str, parsed: ParsedQuery, sources: Iterable[Mapping[str, Any]], stemmer: FrenchStemmer
) -> str | None:
    """`corrected_query` as written before 2026-12-05: every word of the results stemmed, their texts folded."""
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
                if stem[:PREFIX_LENGTH] == typed[:PREFIX_LENGTH] and stem != typed:
                    limit = limits[typed]
                    if DamerauLevenshtein.distance(stem, typed, score_cutoff=limit) <= limit:
                        near[typed][word.lower()] += 1
    candidates = {typed_word: stem for typed_word, stem, _ in words if stem not in seen_stems and near[stem]}
    if not candidates:
        return None
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
    return _WORD.sub(lambda m: _as_typed(m.group(), replacements.get(fold(m.group()))), text)


def typo(word: str, rng: random.Random) -> str:
    """One edit after the first letters (where typo tolerance looks)."""
    at = rng.randrange(PREFIX_LENGTH, len(word))
    kind = rng.choice(["drop", "double", "swap", "replace"])
    if kind == "drop":
        return word[:at] + word[at + 1 :]
    if kind == "double":
        return word[: at + 1] + word[at:]
    if kind == "swap" and at + 1 < len(word):
        return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    return word[:at] + rng.choice("aeiourstnl") + word[at + 1 :]


# Texts `scanned` does not read as `fold` does: a PDF's ligature `ﬁ`, letters outside its table, full-width letters.
UNUSUAL = [
    {"title": "Les fiches", "summary": "Un ﬁchier partagé, une ﬁlière", "sections": {"a": "ﬁchiers de Ýves"}},
    {"title": "Les fiches du réseau", "summary": "Le ＦＩＣＨＩＥＲ commun", "sections": {"a": "Straẞe"}},
    {"title": "Fichier d'Åsa", "summary": "Fichiers, filières et fiches à Łódź", "sections": {}},
]
SOURCES = [hit_source(m) for m in seed_corpus()] + [hit_source(m) for m in CorpusGenerator().generate(120)] + UNUSUAL


def test_the_corpora_hold_what_the_shortcuts_must_get_right() -> None:
    texts = [f"{s['title']} {s['summary']}" for s in SOURCES]
    assert any("œ" in t for t in texts) and any(c in t for t in texts for c in "éèàçô")
    assert any(w[:1].isupper() for t in texts for w in _WORD.findall(t))
    assert any("ﬁ" in t for t in texts) and any("Ｆ" in t for t in texts)


def test_a_word_written_in_letters_the_byte_table_lacks_is_not_corrected() -> None:
    """« fichier » is written in these results (`ﬁchier`, `ＦＩＣＨＩＥＲ`): no « Vouliez-vous dire fiches ? »."""
    stemmer = FrenchStemmer()
    for written in ("un ﬁchier partagé", "le ＦＩＣＨＩＥＲ"):
        source = {"title": "Les fiches", "summary": "", "sections": {"a": written}}
        assert corrected_query("fichier", parse_query("fichier"), iter([source]), stemmer) is None
    source = {"title": "Les fiches", "summary": "", "sections": {"a": "rien"}}
    assert corrected_query("fichier", parse_query("fichier"), iter([source]), stemmer) == "fiches"


@pytest.mark.parametrize("seed", range(6))
def test_corrections_are_those_of_every_word_folded(seed: int) -> None:
    rng = random.Random(seed)
    stemmer = FrenchStemmer()
    corrected = 0
    for _ in range(150):
        evidence = [*rng.sample(SOURCES, EVIDENCE_HITS - 1), rng.choice(UNUSUAL)]
        rng.shuffle(evidence)
        written = [w for s in evidence for w in _WORD.findall(f"{s['title']} {s['summary']}") if len(w) >= 5]
        ligatured = [w for w in written if "œ" in w.lower()]
        chosen = rng.sample(written, 2) + ligatured[:1]
        # As written, with a typo, folded with a typo (`oeuvre` for « œuvre »), capitalised, plus a word of nowhere.
        words = [rng.choice([w, typo(w, rng), typo(fold(w), rng), w.capitalize()]) for w in chosen]
        text = " ".join(words[: rng.randint(1, len(words))] + (["zzzqqq"] if rng.random() < 0.2 else []))
        parsed = parse_query(text)
        expected = every_word_folded(text, parsed, iter(evidence), stemmer)
        assert corrected_query(text, parsed, iter(evidence), stemmer) == expected, text
        corrected += expected is not None
    assert corrected >= 20  # the cases reach corrections, not only None


def holds(text: str, word: str) -> bool:
    return _holds(_searched_for_words(text), word)


def test_a_word_is_found_written_whatever_its_case_accents_and_ligatures() -> None:
    assert holds("Le Cœur du village", "coeur") and holds("ÉCOLE du vent", "ecole")
    assert holds("un covoiturage", "covoit") and not holds("un co-voiturage", "covoit")
    assert holds("Straße", "strasse") and holds("STRAẞE", "strasse") and not holds("Le Cœur", "cour")
    assert holds("un ﬁchier", "fichier") and holds("ＦＩＣＨＩＥＲ", "fichier") and holds("Ýves", "yves")
