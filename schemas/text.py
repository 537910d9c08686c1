"""Text as the application keeps and searches it: composed Unicode (NFC), and which characters text may not hold.

A Mac or an old word processor may send « école » decomposed: `e` then a combining accent (NFD). Both spellings look
the same, but word boundaries (`\\w`) cut the decomposed one in two, so such a practice was not found by « école »
and its highlight was broken. Every text of a practice is composed when it is read (`composed`: the same text to a
reader, canonical equivalence), and so are the words of a search (`searchable`).

Control characters (C0 but tab, line feed and carriage return; DEL; C1) have no place in a practice, and the
bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) can make a title read as another
text: a body holding one is refused, with where (`api/http/json_body.py`). A search's words are only looked for:
such characters become spaces there.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def composed(text: str) -> str:
    """`text` in NFC (most text already is: checked first, in C)."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def composed_value(value: Any) -> Any:
    """A field's raw value with its texts composed: a text, or a list of texts (a nested model composes its own)."""
    if isinstance(value, str):
        return composed(value)
    if isinstance(value, list):
        return [composed(item) if isinstance(item, str) else item for item in value]
    return value


def refused_character(text: str) -> str | None:
    """What is wrong with `text` in plain words, or None: the first character it may not hold."""
    found = REFUSED.search(text)
    if found is None:
        return None
    code = ord(found.group())
    if code == 0:
        return "text may not hold the NUL character (U+0000)"
    if code >= 0x202A:
        kind = f"bidirectional control U+{code:04X} ({unicodedata.name(found.group())}), which can disguise text"
    else:
        kind = f"control character U+{code:04X}"
    return f"text may not hold the {kind}: character {found.start() + 1}"


def searchable(text: str) -> str:
    """A search's words composed, with characters text may not hold read as spaces."""
    return REFUSED.sub(" ", composed(text))
