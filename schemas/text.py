"""Text as the application keeps and searches it: composed Unicode (NFC), without invisible control characters.

A Mac or an old word processor may send « école » decomposed: `e` then a combining accent (NFD). Both spellings look
the same, but word boundaries (`\\w`) cut the decomposed one in two, so such a practice was not found by « école »
and its highlight was broken. Every text of a practice is composed when it is read (`composed`: the same text to a
reader, canonical equivalence), and so are the words of a search (`searchable`).

Control characters (C0 but tab, line feed and carriage return; DEL; C1) have no place in a practice, and the
bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) can make a title read as another
text. Word pastes a vertical tab for a line break, Outlook and Teams wrap pasted text in bidirectional marks: such
characters are dropped (line breaks kept as line breaks) rather than refused, so a practice stored with one before
still saves when edited, and an export still imports. NUL is refused before (`api/http/json_body.py`): no database
stores it. A search's words are only looked for: such characters become spaces there.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069]")
# Line breaks in other spellings: vertical tab and form feed (Word), NEL, the line and paragraph separators.
LINE_BREAKS = re.compile("[\x0b\x0c\x85\u2028\u2029]")


def composed(text: str) -> str:
    """`text` in NFC (most text already is: checked first, in C)."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def kept(text: str) -> str:
    """`text` composed, its invisible control characters dropped and its other line breaks made `\\n`."""
    return LINE_BREAKS.sub("\n", INVISIBLE.sub("", composed(text)))


def kept_value(value: Any) -> Any:
    """A field's raw value with its texts `kept`: a text, or a list of texts (a nested model keeps its own)."""
    if isinstance(value, str):
        return kept(value)
    if isinstance(value, list):
        return [kept(item) if isinstance(item, str) else item for item in value]
    return value


def searchable(text: str) -> str:
    """A search's words composed, control characters and line breaks read as spaces."""
    return LINE_BREAKS.sub(" ", INVISIBLE.sub(" ", composed(text)))
