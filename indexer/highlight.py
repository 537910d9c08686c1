"""Highlighting in the application: HTML-escaped text with `<mark>` around matching words.

Both engines use it, so a word is marked alike whichever engine found the practice. (On a
minimal Elasticsearch node the native highlighter re-analyses hunspell text and its fuzzy
highlight queries cost ten times the search itself; here it is about a millisecond a page.)
"""

from __future__ import annotations

import codecs
import html
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Any

from rapidfuzz.distance import DamerauLevenshtein

from indexer.documents import fuzziness
from indexer.french import FrenchStemmer
from indexer.query import ParsedQuery
from schemas.monograph import Territory
from schemas.search import Highlight, SearchHit
from schemas.trusted import trusted

MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"
PREFIX_LENGTH = 3
# Characters of a hit's sections looked at for excerpts: sections may hold 5 × 20,000 characters, and
# scanning them all for every hit of a page would cost more than the search (a word further on still
# matched; it is just not excerpted). Like Elasticsearch's `max_analyzed_offset`, far below it.
SCAN_BUDGET = 10_000

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
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_")


def _scan_other(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeEncodeError)
    return "".join(_scanned_char(c) for c in error.object[error.start : error.end]), error.end


codecs.register_error("impact-highlight-scan", _scan_other)


def scanned(text: str) -> bytes:
    """`text` as the candidate scan sees it: one byte per character."""
    return text.encode("latin-1", "impact-highlight-scan").translate(_SCAN_TABLE)


def candidate_pattern(stems: Iterable[str]) -> re.Pattern[bytes]:
    """Words starting like one of the stems (their first `PREFIX_LENGTH` letters), in `scanned` text,
    whatever their case and accents.

    Checking only these candidates keeps highlighting cheap on long texts; a typo in the first
    letters of a word goes unmarked (the document still matched). Word starts are checked after.
    """
    prefixes = sorted({stem[:PREFIX_LENGTH] for stem in stems if stem}, key=len, reverse=True)
    if not prefixes:
        return re.compile(rb"(?!)")
    alternatives = b"|".join(re.escape(scanned(prefix)) for prefix in prefixes)
    return re.compile(rb"(?:" + alternatives + rb")\w*")


class Highlighter:
    """Marks the words `is_match` accepts among the candidates of `pattern`."""

    def __init__(self, is_match: WordMatcher, pattern: re.Pattern[bytes]):
        self.is_match = is_match
        self.pattern = pattern

    def spans(self, text: str) -> list[tuple[int, int]]:
        return list(self.iter_spans(text))

    def iter_spans(self, text: str, limit: int | None = None) -> Iterator[tuple[int, int]]:
        """Spans of the matching words; with `limit`, of those in about its first `limit` characters
        (cut at the next space, never inside a word)."""
        if limit is not None and len(text) > limit:
            space = text.find(" ", limit)
            text = text[:space] if space != -1 else text
        folded = scanned(text)
        for match in self.pattern.finditer(folded):
            start, end = match.span()
            if not (start and folded[start - 1] in _WORD_BYTES) and self.is_match(text[start:end]):
                yield start, end


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


def highlight_fragments(
    texts: Iterable[str],
    highlighter: Highlighter,
    fragment_size: int = 160,
    max_fragments: int = 3,
    budget: int = SCAN_BUDGET,
) -> list[str]:
    """Up to `max_fragments` escaped excerpts around matches, in reading order, among the first
    `budget` characters of `texts`.

    Texts are scanned lazily and scanning stops at the last fragment needed: on long sections
    the scan is most of the cost of highlighting (Elasticsearch's `order: none`).
    """
    fragments: list[str] = []
    scanned = 0
    for text in texts:
        if scanned >= budget:
            break
        spans = iter(highlighter.iter_spans(text, budget - scanned))
        scanned += len(text)
        pending = next(spans, None)
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
                pending = next(spans, None)
            prefix = "… " if begin > 0 else ""
            suffix = " …" if finish < len(text) else ""
            fragments.append(prefix + _render(text, inside, begin, finish) + suffix)
            # A match cut by the fragment's end starts the next one.
            if pending is not None and pending[0] < finish:
                pending = next(spans, None)
        if len(fragments) >= max_fragments:
            break
    return fragments


def build_highlighter(parsed: ParsedQuery, stemmer: FrenchStemmer) -> Highlighter | None:
    """Marks words whose stem is a query stem, or within the query's typo tolerance of one."""
    if parsed.is_empty:
        return None
    exact = {s for w in parsed.single_terms() | parsed.phrase_terms() if (s := stemmer.word(w))}
    fuzzy = [
        (s, fuzziness(s))
        for clause in parsed.clauses
        if not clause.exact
        for phrase in clause.alternatives
        if phrase.is_single_term and (s := stemmer.word(phrase.terms[0][0])) and fuzziness(s)
    ]

    # The last word typed, when it may be unfinished, marks the words it starts (`covoit`: Covoiturage).
    prefixes = tuple(
        s
        for clause in parsed.clauses
        if clause.prefix
        for phrase in clause.alternatives
        if (s := stemmer.word(phrase.terms[0][0]))
    )

    @lru_cache(maxsize=4096)
    def is_match(word: str) -> bool:
        stem = stemmer.word(word)
        if stem is None:
            return False
        if stem in exact or (prefixes and stem.startswith(prefixes)):
            return True
        return any(DamerauLevenshtein.distance(stem, s, score_cutoff=d) <= d for s, d in fuzzy)

    return Highlighter(is_match, candidate_pattern(exact | {s for s, _ in fuzzy}))


# A hit's fields as a source holds them (`sections` aside: only their excerpts are shown).
_COMPUTED = {"score", "highlight", "similarity_reasons"}
_SOURCE_FIELDS = tuple(name for name in SearchHit.model_fields if name not in _COMPUTED)


def hit_from_source(source: Mapping[str, Any], score: float | None, highlighter: Highlighter | None) -> SearchHit:
    """A result from the display data an engine stored, highlighted when there are words."""
    if highlighter is None:
        highlight = trusted(Highlight, {"title": None, "summary": None, "sections": []})
    else:
        highlight = trusted(
            Highlight,
            {
                "title": highlight_whole(source["title"], highlighter),
                "summary": highlight_whole(source["summary"], highlighter),
                "sections": highlight_fragments(source.get("sections", {}).values(), highlighter),
            },
        )
    # In the model's field order (it is the answer's); a source written before `tags` and `programmes`
    # existed has none of them.
    fields = {name: source.get(name) for name in _SOURCE_FIELDS}
    for name in ("tags", "programmes"):
        if fields[name] is None:
            fields[name] = []
    # The source was validated before it was indexed: built, not validated again; the territory alone is
    # validated (a few microseconds), so its kind and zone are enums again and serialise without warnings.
    fields["territory"] = Territory.model_validate(fields["territory"])
    return trusted(SearchHit, fields | {"score": score, "highlight": highlight, "similarity_reasons": []})
