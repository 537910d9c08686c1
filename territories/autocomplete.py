"""Territory autocomplete over the whole referential: word-prefix matching with typo tolerance.

Every query word must start a word of the name (accents, case, hyphens and saint/st do not matter).
Answers rank exact names first, then every territory by population. Work per request is bounded:
records are numbered by population, so precomputed posting lists of word prefixes (up to
`PREFIX_LENGTH` letters) are already in answer order and a search walks the shortest one until the
page is full; the typo-tolerant pass runs only when that found nothing, over the words sharing the
typed word's first letter (the near words of a typed word are cached: it is typed again at each keystroke).
"""

from __future__ import annotations

import bisect
import re
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from schemas.territory import TerritoryKind
from territories.names import name_key, name_words
from territories.referential import Referential, TerritoryRecord, referential

PREFIX_LENGTH = 4
MAX_QUERY_WORDS = 8
# Candidates one search verifies at most in the prefix pass (the shortest posting list is rarely longer).
MAX_SCAN = 20_000
# A typed code: INSEE (`26113`, `2A004`, `974`) or SIREN; two characters at least.
CODE = re.compile(r"^\d[\dab]\d*$")
# The legal form users type for an EPCI ("cc diois"), beside its written-out name.
NATURE_WORDS = {"CC": ("cc",), "CA": ("ca",), "CU": ("cu",), "ME": ("metropole",)}


def typos_allowed(word: str) -> int:
    """Edits forgiven in a typed word: none below 4 letters or in numbers, one up to 7, two from 8."""
    return 0 if len(word) < 4 or not word.isalpha() else 1 if len(word) < 8 else 2


def _starts_every(typed: Sequence[str], spaced: str) -> bool:
    """Whether each typed word starts a word of `spaced` (a name's words, each after a space)."""
    return all(" " + t in spaced for t in typed)


class TerritoryIndex:
    """Prefix and word posting lists over a referential's records (record ids in population order)."""

    def __init__(self, territories: Referential):
        self.records: tuple[TerritoryRecord, ...] = territories.records
        self.words: list[tuple[str, ...]] = [self._words(record) for record in self.records]
        # " saint denis": a typed word starts one of the words when " " + word is in it (a C-level check).
        self.spaced: list[str] = ["".join(" " + word for word in words) for words in self.words]
        prefixes: defaultdict[str, array[int]] = defaultdict(lambda: array("i"))
        postings: defaultdict[str, array[int]] = defaultdict(lambda: array("i"))
        exact: defaultdict[str, list[int]] = defaultdict(list)
        for rid, words in enumerate(self.words):
            for prefix in {word[:n] for word in words for n in range(1, PREFIX_LENGTH + 1)}:
                prefixes[prefix].append(rid)
            for word in set(words):
                postings[word].append(rid)
            exact[name_key(self.records[rid].name)].append(rid)
        self.prefixes = dict(prefixes)
        self.postings = dict(postings)
        self.exact = dict(exact)
        self.vocabulary = sorted(self.postings)
        self.codes = sorted((record.code.lower(), rid) for rid, record in enumerate(self.records))
        by_letter: defaultdict[str, list[str]] = defaultdict(list)
        for word in self.vocabulary:
            by_letter[word[0]].append(word)
        self.by_letter = dict(by_letter)

    @staticmethod
    def _words(record: TerritoryRecord) -> tuple[str, ...]:
        return (*name_words(record.name), *NATURE_WORDS.get(record.nature, ()))

    def search(self, text: str, kinds: Iterable[TerritoryKind] = (), limit: int = 10) -> list[TerritoryRecord]:
        """The territories whose name (or code) the typed text starts, best first."""
        typed = name_words(text)[:MAX_QUERY_WORDS]
        if not typed:
            return []
        wanted = frozenset(kinds)
        found: list[int] = []

        def take(rids: Iterable[int]) -> bool:
            """Adds the wanted, new ids in order; True once the page is full."""
            for rid in rids:
                if len(found) >= limit:
                    return True
                if (not wanted or self.records[rid].kind in wanted) and rid not in found:
                    found.append(rid)
            return len(found) >= limit

        if len(typed) == 1 and CODE.match(typed[0]):
            take(self._code_matches(typed[0]))
        # Typos are looked for only when the words as typed match nothing.
        elif not take(self.exact.get(" ".join(typed), ())) and not take(self._prefix_matches(typed)) and not found:
            take(self._typo_matches(typed))
        return [self.records[rid] for rid in found]

    def _code_matches(self, typed: str) -> list[int]:
        """Ids (population order) of the codes starting with the typed one (the exact code first)."""
        start = bisect.bisect_left(self.codes, (typed, -1))
        end = bisect.bisect_left(self.codes, (typed + "\x7f", -1), lo=start)
        matches = self.codes[start : min(end, start + MAX_SCAN)]
        return [rid for code, rid in matches if code == typed] + sorted(rid for code, rid in matches if code != typed)

    def _prefix_matches(self, typed: tuple[str, ...]) -> Iterable[int]:
        """Ids (population order) of the names each typed word starts a word of."""
        lists = [self.prefixes.get(word[:PREFIX_LENGTH]) for word in typed]
        if any(posting is None for posting in lists):
            return
        shortest = min((p for p in lists if p is not None), key=len)
        for rid in shortest[:MAX_SCAN]:
            if _starts_every(typed, self.spaced[rid]):
                yield rid

    def _typo_matches(self, typed: tuple[str, ...]) -> Iterator[int]:
        """Ids (population order) of the names each typed word starts a word of, give or take its typos.

        The typo-tolerant word with the fewest ids is the anchor; its ids are checked against the
        other typed words (short words: exact prefix; longer ones: any of their near words).
        """
        tolerant = [word for word in typed if typos_allowed(word)]
        if not tolerant:
            return  # nothing more to find than the prefix pass did
        near = {word: self._near_words(word) for word in tolerant}
        anchor = min(tolerant, key=lambda word: sum(len(self.postings[w]) for w in near[word]))
        exact = [word for word in typed if word not in near]
        fuzzy = [near[word] for word in tolerant if word != anchor]
        ids = sorted({rid for word in near[anchor] for rid in self.postings[word]})
        for rid in ids[:MAX_SCAN]:
            if _starts_every(exact, self.spaced[rid]) and all(not words.isdisjoint(self.words[rid]) for words in fuzzy):
                yield rid

    @lru_cache(maxsize=4096)  # noqa: B019 -- one index per process; typed words repeat at every keystroke
    def _near_words(self, typed: str) -> frozenset[str]:
        """The words of names that start with `typed`, or nearly: its typos allowed (two letters swapped count
        as one), its first letter right."""
        start = bisect.bisect_left(self.vocabulary, typed)
        end = bisect.bisect_left(self.vocabulary, typed + "\x7f", lo=start)
        words = set(self.vocabulary[start:end])
        allowed = typos_allowed(typed)
        letter = self.by_letter.get(typed[0], [])
        for cut in (len(typed), len(typed) + 1):  # the typed word against each word's start
            starts = [word[:cut] for word in letter]
            for _, _, index in process.extract(typed, starts, scorer=OSA.distance, score_cutoff=allowed, limit=None):
                words.add(letter[index])
        return frozenset(words)


@lru_cache(maxsize=1)
def territory_index() -> TerritoryIndex:
    """The index of the whole referential, built on first use and kept for the process."""
    return TerritoryIndex(referential())
