"""Facet values typed as words, read as filters: « ODD 13 », « odd13 », « ODD n° 6 et 14 ».

People write the goal they work on into the search box. As words, « ODD 13 » matches practices whose text
says "13" (a département, a year); as the ODD filter, it finds the practices of that goal. The words read
this way leave the query and become a filter, and the answer says so (`Understood`) with the words typed,
so a front end can offer the literal search: a quoted phrase (« "ODD 13" ») is never read as a filter.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from schemas.facets import FACET_BY_NAME

# « ODD 13 », « ODD13 », « odd n°13 », « ODD-13 », « SDG 13 », and lists of numbers after one mention:
# « ODD 6 et 14 », « ODD 6, 11 & 14 », « ODD 6/14 ». A number outside 1–17 leaves the mention as words.
_NUMBER = r"(?:1[0-7]|[1-9])(?![\w°]|\.\d)"  # not a target (« ODD 13.2 »)
_MENTION = re.compile(
    rf"(?<![\w-])(?:odd|sdg)s?\s*(?:n\s*°|no\.?|#|-)?\s*(?P<numbers>{_NUMBER}(?:\s*(?:,|/|&|\bet\b|\band\b)\s*{_NUMBER})*)",
    re.IGNORECASE,
)
_ONE_NUMBER = re.compile(r"\d+")
# Quoted phrases are searched as written (`indexer/query.py`).
_QUOTED = re.compile(r"\"[^\"]*\"?|«[^»]*»?")
# What a mention taken out may leave at either end: a list's separator or conjunction.
_SEPARATOR = r"(?:[\s,;/&+-]|\b(?:et|ou|and|or)\b)+"
_LEFT_OVER = re.compile(rf"^{_SEPARATOR}|{_SEPARATOR}$", re.IGNORECASE)


class Understood(BaseModel):
    """Words of the query read as filters: the words still searched, the ODD they named, the text typed."""

    q: str = Field(description="The words searched, without those read as filters.")
    odd: list[int] = Field(description="The ODD the query named, added to the `odd` filter.")
    mentions: list[str] = Field(
        description='The text read as filters, as typed (« ODD 13 »): quoted (« "ODD 13" »), it is searched as '
        "words instead."
    )

    def labels(self) -> list[str]:
        """« ODD 13 : Mesures relatives à la lutte contre les changements climatiques », in French."""
        return [FACET_BY_NAME["odd"].label(n) for n in self.odd]

    def literal_query(self) -> str:
        """The query typed, with each mention quoted: searched as words."""
        text = self.q
        for mention in self.mentions:
            text = f'{text} "{mention}"'.strip()
        return text


def understood(q: str) -> Understood | None:
    """ODD named in `q` outside quoted phrases, and `q` without them; None when it names none."""
    odd: list[int] = []
    mentions: list[str] = []

    def taken(match: re.Match[str]) -> str:
        for number in _ONE_NUMBER.findall(match.group("numbers")):
            if int(number) not in odd:
                odd.append(int(number))
        mentions.append(match.group(0).strip())
        return " "

    parts: list[str] = []
    position = 0
    for quoted in _QUOTED.finditer(q):
        parts.append(_MENTION.sub(taken, q[position : quoted.start()]))
        parts.append(quoted.group(0))
        position = quoted.end()
    parts.append(_MENTION.sub(taken, q[position:]))
    if not odd:
        return None
    words = " ".join("".join(parts).split())
    return Understood(q=_LEFT_OVER.sub("", words), odd=odd, mentions=mentions)
