"""Highlighting in the application: HTML-escaped text with `<mark>` around matching words.

Used by the embedded engine; Elasticsearch highlights on the node with the same tags
and the same escaping.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable

MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"
PREFIX_LENGTH = 3

WordMatcher = Callable[[str], bool]

_ACCENTED = {"a": "aàâäáã", "e": "eéèêë", "i": "iîïíì", "o": "oôöóò", "u": "uùûüú", "c": "cç", "y": "yÿ", "n": "nñ"}


def _letter(char: str) -> str:
    variants = _ACCENTED.get(char, re.escape(char))
    return f"[{variants}{variants.upper()}]" if char.isalpha() else variants


def candidate_pattern(stems: Iterable[str]) -> re.Pattern[str]:
    """Words starting like one of the stems, whatever their case and accents.

    Checking only these candidates keeps highlighting cheap on long texts; a typo in the first
    letters of a word goes unmarked (the document still matched).
    """
    prefixes = sorted({stem[:PREFIX_LENGTH] for stem in stems if stem}, key=len, reverse=True)
    if not prefixes:
        return re.compile(r"(?!)")
    alternatives = "|".join("".join(_letter(c) for c in prefix) for prefix in prefixes)
    return re.compile(rf"\b(?:{alternatives})\w*")


class Highlighter:
    """Marks the words `is_match` accepts among the candidates of `pattern`."""

    def __init__(self, is_match: WordMatcher, pattern: re.Pattern[str]):
        self.is_match = is_match
        self.pattern = pattern

    def spans(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in self.pattern.finditer(text) if self.is_match(m.group())]


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
    texts: Iterable[str], highlighter: Highlighter, fragment_size: int = 160, max_fragments: int = 3
) -> list[str]:
    """Up to `max_fragments` escaped excerpts around matches, richest first, in reading order of ties."""
    candidates: list[tuple[int, int, str]] = []
    for order, text in enumerate(texts):
        spans = highlighter.spans(text)
        taken_until = -1
        for s, _ in spans:
            if s < taken_until:
                continue
            # Start a little before the match, on a word boundary, and stop on one too.
            begin = max(0, s - fragment_size // 4)
            if begin > 0:
                space = text.find(" ", begin, s)
                begin = space + 1 if space != -1 else begin
            finish = min(len(text), begin + fragment_size)
            if finish < len(text):
                space = text.rfind(" ", s, finish)
                finish = space if space > s else finish
            inside = [(a, b) for a, b in spans if a >= begin and b <= finish]
            body = _render(text, inside, begin, finish)
            prefix = "… " if begin > 0 else ""
            suffix = " …" if finish < len(text) else ""
            candidates.append((-len(inside), order * 1_000_000 + begin, prefix + body + suffix))
            taken_until = finish
    candidates.sort(key=lambda c: (c[0], c[1]))
    return [c[2] for c in candidates[:max_fragments]]
