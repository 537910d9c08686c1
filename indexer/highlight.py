"""Highlighting in the application: HTML-escaped text with `<mark>` around matching words.

Used by the embedded engine; Elasticsearch highlights on the node with the same tags
and the same escaping.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable

from indexer.french import words

MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"

WordMatcher = Callable[[str], bool]


def _spans(text: str, is_match: WordMatcher) -> list[tuple[int, int]]:
    return [(start, end) for start, end, word in words(text) if is_match(word)]


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


def highlight_whole(text: str, is_match: WordMatcher) -> str | None:
    """The whole text, escaped and marked; None when nothing in it matches."""
    spans = _spans(text, is_match)
    return _render(text, spans) if spans else None


def highlight_fragments(
    texts: Iterable[str], is_match: WordMatcher, fragment_size: int = 160, max_fragments: int = 3
) -> list[str]:
    """Up to `max_fragments` escaped excerpts around matches, richest first, in reading order of ties."""
    candidates: list[tuple[int, int, str]] = []
    for order, text in enumerate(texts):
        spans = _spans(text, is_match)
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
