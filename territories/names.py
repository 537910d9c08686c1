"""Territory names as words a user may type: folded, split on hyphens and apostrophes, saint/st unified."""

from __future__ import annotations

import re

from indexer.french import fold

_NON_WORD = re.compile(r"[^a-z0-9]+")

# Abbreviations users type for the words of names ("St-Denis", "Ste Marie").
ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}


def name_words(text: str) -> tuple[str, ...]:
    """`Saint-Étienne-du-Rouvray` and `st etienne du rouvray` both give `saint etienne du rouvray`."""
    return tuple(ABBREVIATIONS.get(word, word) for word in _NON_WORD.split(fold(text)) if word)


def name_key(text: str) -> str:
    """One string per spelling of a name: what exact matches compare."""
    return " ".join(name_words(text))
