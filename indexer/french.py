"""French text analysis shared by every engine: folding, words, stopwords, stem overrides.

The stemmer itself is Snowball's French stemmer in each engine; what lives here is what
both engines must agree on and what the application does itself.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

# Snowball's French stop list (the list behind Lucene's `_french_`), accent-folded.
_STOPWORDS_TEXT = """
au aux avec ce ces dans de des du elle en et eux il je la le leur lui ma mais me meme mes
moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton
tu un une vos votre vous c d j l a m n s t y ete etee etees etes etant suis es est sommes
serai seras sera serons serez seront serais serait serions seriez seraient etais etait
etions etiez etaient fus fut fumes futes furent sois soit soyons soyez soient fusse fusses
fussions fussiez fussent ayant eu eue eues eus ai as avons avez ont aurai auras aura aurons
aurez auront aurais aurait aurions auriez auraient avais avait avions aviez avaient eut
eumes eutes eurent aie aies ait ayons ayez aient eusse eusses eussions eussiez eussent
ceci cela cet cette ici ils les leurs quel quels quelle quelles sans soi
"""
STOPWORDS: frozenset[str] = frozenset(_STOPWORDS_TEXT.split())

# Plurals Snowball leaves apart from their singular (`lieux` stays `lieux`, `lieu` is `lieu`):
# rewritten before stemming, in the indexed text and in queries alike.
STEM_OVERRIDES: dict[str, str] = {
    "lieux": "lieu",
    "jeux": "jeu",
    "feux": "feu",
    "voeux": "voeu",
    "travaux": "travail",
    "materiaux": "materiau",
}

_WORD = re.compile(r"\w+", re.UNICODE)
_ELISION = re.compile(r"^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu)['’]", re.IGNORECASE)


def fold(text: str) -> str:
    """Lowercase and strip accents: `Économie` -> `economie`, `cœur` -> `coeur`."""
    text = text.lower().replace("œ", "oe").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> Iterator[tuple[int, int, str]]:
    """Word tokens with their character offsets: `(start, end, word)`."""
    for match in _WORD.finditer(text):
        yield match.start(), match.end(), match.group()


def normalise_word(word: str) -> str | None:
    """A word folded, elision-free and overridden, or None when it is a stopword."""
    folded = fold(_ELISION.sub("", word))
    folded = STEM_OVERRIDES.get(folded, folded)
    if not folded or folded in STOPWORDS:
        return None
    return folded


_OVERRIDE_PATTERN = re.compile(r"\b(" + "|".join(STEM_OVERRIDES) + r")\b")


def prepare_for_index(text: str) -> str:
    """Folded text with stem overrides applied: what an engine's own analyzer then stems."""
    return _OVERRIDE_PATTERN.sub(lambda m: STEM_OVERRIDES[m.group(1)], fold(text))
