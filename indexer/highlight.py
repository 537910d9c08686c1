"""Highlighting in the application: HTML-escaped text with `<mark>` around matching words.

Both engines use it, so a word is marked alike whichever engine found the practice. (On a
minimal Elasticsearch node the native highlighter re-analyses hunspell text and its fuzzy
highlight queries cost ten times the search itself; here it is about a millisecond a page.)
"""

from __future__ import annotations

import codecs
import html
import logging
import re
from collections.abc import Callable, Iterable
from contextlib import suppress
from functools import lru_cache

from rapidfuzz.distance import DamerauLevenshtein

from indexer.compiled import is_panic, native
from indexer.french import FrenchStemmer
from indexer.query import ParsedQuery, tolerant_stems

log = logging.getLogger(__name__)


_native = native

# Whether highlighting runs compiled: `build_highlighter`'s default.
NATIVE = _native is not None

MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"
PREFIX_LENGTH = 3
# Characters of a hit's sections looked at for excerpts: sections may hold 5 × 20,000 characters, and
# scanning them all for every hit of a page would cost more than the search (a word further on still
# matched; it is just not excerpted). Like Elasticsearch's `max_analyzed_offset`, far below it.
SCAN_BUDGET = 10_000
# A hit's excerpts of its sections: how many, and their length in characters.
MAX_FRAGMENTS, FRAGMENT_SIZE = 3, 160

WordMatcher = Callable[[str], bool]

_ACCENTED = {"a": "aàâäáã", "e": "eéèêë", "i": "iîïíì", "o": "oôöóò", "u": "uùûüú", "c": "cç", "y": "yÿ", "n": "nñ"}
_WORD_CHAR = re.compile(r"\w")


def _scanned_char(char: str) -> str:
    """One character as the candidate scan sees it, always one for one (offsets stay exact): lowercased,
    an accented letter of `_ACCENTED` as its plain letter, another non-ASCII word character `_`, any
    other non-ASCII character a space."""
    lowered = char.lower()[:1]
    for plain, variants in _ACCENTED.items():
        if lowered in variants:
            return plain
    if lowered.isascii():
        return lowered
    return "_" if _WORD_CHAR.match(lowered) else " "


# Latin-1 characters through one byte table; the rare others (œ, typographic quotes…) through the
# error handler, the same function: a text becomes bytes a compiled pattern scans twice as fast as
# a `str` pattern with a character class per accented letter.
_SCAN_TABLE = bytes(ord(_scanned_char(chr(code))) for code in range(256))
# A word character of `scanned` text.
_WORD_BYTE = rb"[a-z0-9_]"


def _scan_other(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeEncodeError)
    return "".join(_scanned_char(c) for c in error.object[error.start : error.end]), error.end


codecs.register_error("impact-highlight-scan", _scan_other)


def scanned(text: str) -> bytes:
    """`text` as the candidate scan sees it: one byte per character."""
    return text.encode("latin-1", "impact-highlight-scan").translate(_SCAN_TABLE)


def candidate_prefixes(stems: Iterable[str]) -> list[bytes]:
    """The distinct first `PREFIX_LENGTH` letters of the stems, as `scanned` text, in the patterns' order."""
    return sorted({scanned(stem[:PREFIX_LENGTH]) for stem in stems if stem}, key=re.escape)


def candidate_patterns(prefixes: Iterable[bytes]) -> tuple[re.Pattern[bytes], ...]:
    """Words starting like one of the prefixes (`candidate_prefixes`), in `scanned` text, whatever
    their case and accents: one pattern per prefix.

    Checking only these candidates keeps highlighting cheap on long texts; a typo in the first
    letters of a word goes unmarked (the document still matched). A pattern starting with a literal is
    searched for like a substring; an alternation of prefixes was tried at every position of the text, ten
    times slower on a 4 KB section. So the prefix comes first, and the check that it starts a word (no word
    character before it) after it, looking behind: a third of the prefixes found are inside a word, each
    dropped without a Python step.
    """
    escaped = map(re.escape, prefixes)
    return tuple(re.compile(prefix + rb"(?<!" + _WORD_BYTE + prefix + rb")\w*") for prefix in escaped)


class Highlighter:
    """Marks the words `is_match` accepts among the candidates of `patterns`."""

    def __init__(self, is_match: WordMatcher, patterns: tuple[re.Pattern[bytes], ...]):
        self.is_match = is_match
        self.patterns = patterns

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Spans of the matching words, in order (each candidate word checked once: `is_match` is cached)."""
        is_match, folded = self.is_match, scanned(text)
        return [(start, end) for start, end in self._candidates(folded) if is_match(text[start:end])]

    def _candidates(self, folded: bytes) -> Iterable[tuple[int, int]]:
        if len(self.patterns) == 1:
            return map(_span, self.patterns[0].finditer(folded))
        # A word starting like two prefixes (`co`, `cov`) is one candidate: same start, same end.
        ends = {start: end for pattern in self.patterns for start, end in map(_span, pattern.finditer(folded))}
        return sorted(ends.items())

    def render_hit(
        self,
        title: str,
        summary: str,
        sections: list[str],
        budget: int = SCAN_BUDGET,
        fragment_size: int = FRAGMENT_SIZE,
        max_fragments: int = MAX_FRAGMENTS,
    ) -> tuple[str | None, str | None, list[str]]:
        """A hit's title and summary marked whole (None without a match), and the excerpts of its sections
        (`highlight_fragments`)."""
        scanned_texts = [title, summary, *within_budget(sections, budget)]
        title_spans, summary_spans, *section_spans = spans_per_text(scanned_texts, self)
        return (
            _render(title, title_spans) if title_spans else None,
            _render(summary, summary_spans) if summary_spans else None,
            fragments_of(sections, section_spans, fragment_size, max_fragments),
        )


class NativeHighlighter(Highlighter):
    """The same marks, scanned and rendered by the compiled module (`indexer/native`); the word check
    (`is_match`) stays this one's, called once per distinct candidate word. The module reads each `str`
    as Python stores it (no UTF-8 copy made: any text, a lone surrogate included)."""

    def __init__(self, is_match: WordMatcher, prefixes: list[bytes]):
        """:raises ValueError: a prefix is not only word characters (a stem's first letters always are)."""
        assert _native is not None
        super().__init__(is_match, ())
        self._prefixes = prefixes
        self._scanner = _native.Scanner(prefixes, _SCAN_TABLE, _scanned_char, is_match)

    @property
    def scanner(self) -> object:
        """The compiled scanner (`impact_highlight.Scanner`), which the compiled hit writer highlights with."""
        return self._scanner

    def _reference(self, error: BaseException) -> Highlighter:
        """The Python highlighter, after the compiled one failed with `error` (re-raised unless it is a panic
        of the compiled code, which is logged: a search never fails for it)."""
        if not is_panic(error):
            raise error
        log.error("compiled highlighter failed, highlighting in Python", exc_info=error)
        return Highlighter(self.is_match, candidate_patterns(self._prefixes))

    def spans(self, text: str) -> list[tuple[int, int]]:
        try:
            return self._scanner.spans(text)
        except BaseException as error:  # a Rust panic is a BaseException (`_reference`)
            return self._reference(error).spans(text)

    def render_hit(
        self,
        title: str,
        summary: str,
        sections: list[str],
        budget: int = SCAN_BUDGET,
        fragment_size: int = FRAGMENT_SIZE,
        max_fragments: int = MAX_FRAGMENTS,
    ) -> tuple[str | None, str | None, list[str]]:
        try:
            return self._scanner.render_hit(title, summary, sections, budget, fragment_size, max_fragments)
        except BaseException as error:  # a Rust panic is a BaseException (`_reference`)
            reference = self._reference(error)
            return reference.render_hit(title, summary, sections, budget, fragment_size, max_fragments)


_span = re.Match.span


def _render(text: str, spans: Iterable[tuple[int, int]], start: int = 0, end: int | None = None) -> str:
    end = len(text) if end is None else end
    out, cursor = [], start
    for s, e in spans:
        if s < start or e > end:
            continue
        out.append(html.escape(text[cursor:s]))
        out.append(MARK_OPEN + html.escape(text[s:e]) + MARK_CLOSE)
        cursor = e
    out.append(html.escape(text[cursor:end]))
    return "".join(out)


def highlight_whole(text: str, highlighter: Highlighter) -> str | None:
    """The whole text, escaped and marked; None when nothing in it matches."""
    spans = highlighter.spans(text)
    return _render(text, spans) if spans else None


def within_budget(texts: Iterable[str], budget: int = SCAN_BUDGET) -> list[str]:
    """What is scanned of `texts`: their first `budget` characters, the last text cut at the next space
    after it (never inside a word)."""
    kept: list[str] = []
    used = 0
    for text in texts:
        if used >= budget:
            break
        limit = budget - used
        if len(text) > limit:
            space = text.find(" ", limit)
            kept.append(text[:space] if space != -1 else text)
        else:
            kept.append(text)
        used += len(text)
    return kept


def spans_per_text(texts: list[str], highlighter: Highlighter) -> list[list[tuple[int, int]]]:
    """Each text's matching spans, the texts scanned as one (a new line between two: a word never
    spans it). One scan for a hit's title, summary and sections: per call costs outweighed the scan."""
    joined = "\n".join(texts)
    per_text: list[list[tuple[int, int]]] = [[] for _ in texts]
    index, base, bound = 0, 0, len(texts[0]) if texts else 0
    for start, end in highlighter.spans(joined):
        while start > bound:
            index += 1
            base = bound + 1
            bound = base + len(texts[index])
        per_text[index].append((start - base, end - base))
    return per_text


def highlight_fragments(
    texts: Iterable[str],
    highlighter: Highlighter,
    fragment_size: int = FRAGMENT_SIZE,
    max_fragments: int = MAX_FRAGMENTS,
    budget: int = SCAN_BUDGET,
) -> list[str]:
    """Up to `max_fragments` escaped excerpts around matches, in reading order, among the first
    `budget` characters of `texts` (Elasticsearch's `order: none`)."""
    texts = list(texts)
    return fragments_of(texts, spans_per_text(within_budget(texts, budget), highlighter), fragment_size, max_fragments)


def fragments_of(
    texts: list[str],
    spans: list[list[tuple[int, int]]],
    fragment_size: int = FRAGMENT_SIZE,
    max_fragments: int = MAX_FRAGMENTS,
) -> list[str]:
    """The excerpts of `texts` around their matching `spans` (of the scanned part of each text)."""
    fragments: list[str] = []
    for text, text_spans in zip(texts, spans, strict=False):
        matches = iter(text_spans)
        pending = next(matches, None)
        while pending is not None and len(fragments) < max_fragments:
            start = pending[0]
            # Start a little before the match, on a word boundary, and stop on one too.
            begin = max(0, start - fragment_size // 4)
            if begin > 0:
                space = text.find(" ", begin, start)
                begin = space + 1 if space != -1 else begin
            finish = min(len(text), begin + fragment_size)
            if finish < len(text):
                space = text.rfind(" ", start, finish)
                finish = space if space > start else finish
            inside = []
            while pending is not None and pending[1] <= finish:
                inside.append(pending)
                pending = next(matches, None)
            prefix = "… " if begin > 0 else ""
            suffix = " …" if finish < len(text) else ""
            fragments.append(prefix + _render(text, inside, begin, finish) + suffix)
            # A match cut by the fragment's end starts the next one.
            if pending is not None and pending[0] < finish:
                pending = next(matches, None)
        if len(fragments) >= max_fragments:
            break
    return fragments


def build_highlighter(parsed: ParsedQuery, stemmer: FrenchStemmer, native: bool = NATIVE) -> Highlighter | None:
    """Marks words whose stem is a query stem, or within the query's typo tolerance of one (compiled
    where the module is built, unless `native` is False). The same stems give the same highlighter, with
    the words it has already checked (`_highlighter`)."""
    if parsed.is_empty:
        return None
    exact = frozenset(s for w in parsed.single_terms() | parsed.phrase_terms() if (s := stemmer.word(w)))
    fuzzy = tuple(tolerant_stems(parsed, stemmer.word))
    # The last word typed, when it may be unfinished, marks the words it starts (`covoit`: Covoiturage).
    prefixes = tuple(
        s
        for clause in parsed.clauses
        if clause.prefix
        for phrase in clause.alternatives
        if (s := stemmer.word(phrase.terms[0][0]))
    )
    return _highlighter(exact, fuzzy, prefixes, stemmer, native)


# Highlighters kept, each with the words it checked (at most `WORDS_CHECKED`, and as many in the compiled scanner's
# cache): a search's 20 hits hold tens to hundreds of candidate words, each stemmed and compared to the query's in
# Python; searches repeat (the same query, another page or filter), and their highlighter is made once. Bounded:
# queries made to fill them (candidate words are those starting like a query's stems) hold at most about 20 MB.
HIGHLIGHTERS_KEPT = 64
WORDS_CHECKED = 1024


@lru_cache(maxsize=HIGHLIGHTERS_KEPT)
def _highlighter(
    exact: frozenset[str],
    fuzzy: tuple[tuple[str, int], ...],
    prefixes: tuple[str, ...],
    stemmer: FrenchStemmer,
    native: bool,
) -> Highlighter:
    @lru_cache(maxsize=WORDS_CHECKED)
    def is_match(word: str) -> bool:
        stem = stemmer.word(word)
        if stem is None:
            return False
        if stem in exact or (prefixes and stem.startswith(prefixes)):
            return True
        return any(DamerauLevenshtein.distance(stem, s, score_cutoff=d) <= d for s, d in fuzzy)

    scanned_prefixes = candidate_prefixes(exact | {s for s, _ in fuzzy})
    if native:
        with suppress(ValueError):  # a prefix the compiled scan does not take: the Python one does
            return NativeHighlighter(is_match, scanned_prefixes)
    return Highlighter(is_match, candidate_patterns(scanned_prefixes))
