"""Someone's text inside Streamlit Markdown (st.markdown, st.success/info/warning/error, st.caption,
st.write and every widget, tab or expander label): always shown as the very characters typed.

HTML blocks (`components.html_block`) have their own escaping, `components.safe_text`.
"""

from __future__ import annotations

import re
from datetime import datetime

# CommonMark lets any ASCII punctuation be escaped with a backslash, and then shows it as itself:
# no emphasis, link, image, raw HTML, entity, heading, list, table, formula ($), Streamlit
# directive (`:red[…]`, `:material/…:`) or strikethrough can start from an escaped character.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# Streamlit then rewrites some plain text of the parsed Markdown, where escapes no longer count:
# bare URLs, `www.` names and e-mail addresses become links, `:streamlit:` a logo, `:name:` an
# emoji and ` -> ` an arrow. An invisible word joiner (U+2060) inside each of these keeps the text as
# typed (and read) without letting them be recognised.
_WORD_JOINER = "\u2060"
_REWRITTEN = re.compile(r"(?<=[:@])(?=\S)|(?<=www)(?=\.)|(?<=[-<>~])(?=[-<>=])", re.IGNORECASE)


def md_literal(text: object) -> str:
    """`text` (anything a user or the API supplied) as Markdown that renders as that literal text.

    Line breaks and runs of spaces become single spaces (Markdown would read them as structure).
    """
    flat = " ".join(str(text).split())
    return _PUNCTUATION.sub(r"\\\1", _REWRITTEN.sub(_WORD_JOINER, flat))


_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def md_plain(markdown: str) -> str:
    """The text `md_literal` made literal, back as plain text (for HTML, which escapes it its own way)."""
    return _ESCAPED.sub(r"\1", markdown).replace(_WORD_JOINER, "")


FRENCH_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def french_date(iso: str | None) -> str | None:
    """`2026-11-30T…` → `30 novembre 2026` (None when absent or unreadable)."""
    try:
        moment = datetime.fromisoformat(str(iso))
    except ValueError:
        return None
    day = "1er" if moment.day == 1 else str(moment.day)
    return f"{day} {FRENCH_MONTHS[moment.month - 1]} {moment.year}"
