"""User text to an engine-neutral query: words, quoted phrases and synonym groups.

User text never reaches an engine as query syntax: it is cut into words here, and each
engine builds its own term, fuzzy and phrase queries from these clauses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from indexer.documents import fuzziness
from indexer.french import QUESTION_WORDS, STEM_OVERRIDES, STOPWORDS, fold, words

DEFAULT_SYNONYMS_PATH = Path(__file__).with_name("synonyms.txt")


@dataclass(frozen=True)
class Phrase:
    """Folded words in order; `terms` keeps the non-stopwords with their positions."""

    text: str
    terms: tuple[tuple[str, int], ...]

    @property
    def is_single_term(self) -> bool:
        return len(self.terms) == 1


@dataclass(frozen=True)
class Clause:
    """One thing the user asked for: any alternative may match. `exact` bars typo tolerance;
    `prefix` marks the last word typed, which may be unfinished (`covoit`): it also matches as a prefix."""

    alternatives: tuple[Phrase, ...]
    exact: bool = False
    prefix: bool = False

    @property
    def is_question_word(self) -> bool:
        return not self.exact and len(self.alternatives) == 1 and self.alternatives[0].text in QUESTION_WORDS


@dataclass(frozen=True)
class ParsedQuery:
    clauses: tuple[Clause, ...]
    # Stems of typed words the index knows well (`indexer/relevance.py typed_as_meant`): no typo tolerance
    # for them. Set by the search pipeline from the engine (`with_known_words`); empty as parsed.
    known: frozenset[str] = frozenset()

    @property
    def is_empty(self) -> bool:
        return not self.clauses

    def single_terms(self) -> set[str]:
        """Every single-word alternative, for highlighting."""
        return {p.terms[0][0] for c in self.clauses for p in c.alternatives if p.is_single_term}

    def phrase_terms(self) -> set[str]:
        """Every word of multi-word alternatives, for highlighting."""
        return {t for c in self.clauses for p in c.alternatives if not p.is_single_term for t, _ in p.terms}


def typo_edits(stem: str, clause: Clause, known: frozenset[str]) -> int:
    """Edits allowed for `stem` typed in `clause`: none when quoted or a known word (`ParsedQuery.known`),
    else `fuzziness`."""
    return 0 if clause.exact or stem in known else fuzziness(stem)


def tolerant_stems(parsed: ParsedQuery, stem: Callable[[str], str | None]) -> list[tuple[str, int]]:
    """The stems typo tolerance applies to, each with its edits: single words typed unquoted and not known."""
    return [
        (s, edits)
        for clause in parsed.clauses
        for phrase in clause.alternatives
        if phrase.is_single_term and (s := stem(phrase.terms[0][0])) and (edits := typo_edits(s, clause, parsed.known))
    ]


def _folded_words(text: str) -> list[str]:
    return [STEM_OVERRIDES.get(w, w) for w in (fold(word) for _, _, word in words(text))]


def make_phrase(folded: list[str]) -> Phrase:
    terms = tuple((w, pos) for pos, w in enumerate(folded) if w not in STOPWORDS)
    return Phrase(" ".join(folded), terms)


class Synonyms:
    """Groups of equivalent expressions, matched on folded word sequences."""

    def __init__(self, groups: list[list[str]]):
        self.groups: list[tuple[tuple[str, ...], ...]] = []
        self._by_first_word: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
        for group in groups:
            variants = tuple(tuple(_folded_words(v)) for v in group if _folded_words(v))
            if len(variants) < 2:
                continue
            index = len(self.groups)
            self.groups.append(variants)
            for variant in variants:
                self._by_first_word.setdefault(variant[0], []).append((index, variant))
        for candidates in self._by_first_word.values():
            candidates.sort(key=lambda c: -len(c[1]))  # longest match first

    @classmethod
    def from_file(cls, path: Path | str = DEFAULT_SYNONYMS_PATH) -> Synonyms:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        groups = [
            [part.strip() for part in line.split(",") if part.strip()]
            for line in lines
            if line.strip() and not line.lstrip().startswith("#")
        ]
        return cls(groups)

    def match(self, folded: list[str], start: int) -> tuple[int, tuple[tuple[str, ...], ...]] | None:
        """The longest group variant starting at `start`: (its length, the group's variants)."""
        for index, variant in self._by_first_word.get(folded[start], []):
            if tuple(folded[start : start + len(variant)]) == variant:
                return len(variant), self.groups[index]
        return None


_QUOTED = re.compile(r'"([^"]*)"')
# A shorter last word is too vague to complete (`co` would match thousands of words).
PREFIX_MIN_LENGTH = 3
# Words joined by hyphens name one thing (`tiers-lieux`, `centre-bourg`): they are searched as a
# phrase, not as independent words (`un tiers des habitants… ce lieu`).
_COMPOUND = re.compile(r"\w+(?:[-‐‑]\w+)+")


def parse_query(text: str, synonyms: Synonyms | None = None) -> ParsedQuery:
    """Cut user text into clauses: quoted parts are exact phrases, hyphenated compounds are
    phrases, known expressions become their synonym group, all else is plain words.

    Question words (`comment`, `combien`…) are dropped when other words remain; the text's last word,
    when it is a plain word, may be unfinished and also matches as a prefix."""
    clauses: list[Clause] = []
    for quoted in _QUOTED.findall(text):
        phrase = make_phrase(_folded_words(quoted))
        if phrase.terms:
            clauses.append(Clause((phrase,), exact=True))
    free = _QUOTED.sub(" ", text)
    for compound in _COMPOUND.findall(free):
        compound_words = _folded_words(compound)
        phrase = make_phrase(compound_words)
        if len(phrase.terms) > 1:
            # A compound that is a known expression whole (`outre-mer`, `DOM-TOM`) becomes its synonym group.
            matched = synonyms.match(compound_words, 0) if synonyms else None
            whole = matched is not None and matched[0] == len(compound_words)
            alternatives = tuple(make_phrase(list(v)) for v in matched[1]) if matched and whole else (phrase,)
            clauses.append(Clause(alternatives))
            free = free.replace(compound, " ", 1)
    folded = _folded_words(free)
    position = 0
    while position < len(folded):
        matched = synonyms.match(folded, position) if synonyms else None
        if matched:
            length, variants = matched
            clauses.append(Clause(tuple(make_phrase(list(v)) for v in variants)))
            position += length
            continue
        word = folded[position]
        position += 1
        if word not in STOPWORDS:
            last = position == len(folded) and _ends_with_word(text, word)
            clauses.append(Clause((make_phrase([word]),), prefix=last and len(word) >= PREFIX_MIN_LENGTH))
    asked = [c for c in clauses if not c.is_question_word]
    # The same clause twice adds nothing but cost.
    return ParsedQuery(tuple(dict.fromkeys(asked or clauses)))


def _ends_with_word(text: str, word: str) -> bool:
    """Whether the text ends on this (folded) word, with nothing typed after it."""
    tail = _folded_words(text[-(len(word) * 2 + 8) :])
    return bool(tail) and tail[-1] == word and text[-1:].isalnum()
