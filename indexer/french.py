"""French text analysis shared by every engine: folding, words, stopwords, stem overrides.

The stemmer itself is Snowball's French stemmer in each engine; what lives here is what
both engines must agree on and what the application does itself.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

import tantivy

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
ceci cela cet cette ici ils les leurs quel quels quelle quelles sans soi jusqu lorsqu puisqu quoiqu
sont
"""
STOPWORDS: frozenset[str] = frozenset(_STOPWORDS_TEXT.split())

# Words that ask rather than say what is wanted (`comment`, `combien`, `quand`…): a query keeps them
# only when they are all it has (`comment` alone may be a title word), never as required words.
QUESTION_WORDS: frozenset[str] = frozenset(
    [
        "comment",
        "combien",
        "quand",
        "quoi",
        "pourquoi",
        "lequel",
        "laquelle",
        "lesquels",
        "lesquelles",
        "dont",
        "peut",
        "faut",
    ]
)

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


_COMBINING_MARKS = re.compile(r"[\u0300-\u036f]+")


def fold(text: str) -> str:
    """Lowercase ASCII: accents stripped (`Économie` -> `economie`, `cœur` -> `coeur`).

    Every other non-ASCII character (punctuation, symbols, non-Latin letters) becomes a space,
    so it still separates words. Done with C-level string operations: this runs on every
    indexed text.
    """
    text = text.lower()
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("æ", "ae").replace("ß", "ss"))
    return _COMBINING_MARKS.sub("", text).encode("ascii", "replace").decode("ascii").replace("?", " ")


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


def prepare_for_index(text: str) -> str:
    """Folded text with stem overrides applied: what a stemmer then reads.

    Overrides apply inside words too, which is right for these plurals (`milieux`, `enjeux`).
    Elided articles need nothing here: the tokenizers split on the apostrophe and `l`, `d`,
    `qu`… are stopwords.
    """
    folded = fold(text)
    for plural, singular in STEM_OVERRIDES.items():
        if plural in folded:
            folded = folded.replace(plural, singular)
    return folded


def snowball_analyzer() -> tantivy.TextAnalyzer:
    """Snowball's French stemmer over folded words, without stopwords (tantivy's, in Rust)."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.custom_stopword(sorted(STOPWORDS)))
        .filter(tantivy.Filter.stemmer("french"))
        .build()
    )


class FrenchStemmer:
    """The application's own French stems, identical for every engine."""

    def __init__(self) -> None:
        self.analyzer = snowball_analyzer()
        self.word = lru_cache(maxsize=100_000)(self._word)

    def _word(self, word: str) -> str | None:
        normalised = normalise_word(word)
        if normalised is None:
            return None
        tokens = self.analyzer.analyze(normalised)
        return tokens[0] if tokens else None

    def text(self, text: str) -> str:
        """The stems of a whole text, space-separated (stopwords dropped)."""
        return " ".join(self.analyzer.analyze(prepare_for_index(text)))
