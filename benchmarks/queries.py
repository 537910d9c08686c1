"""The fixed query mix: at least 200 searches of every kind users make, deterministic by seed."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

from benchmarks.corpus import CorpusGenerator
from indexer.french import STOPWORDS, fold
from schemas.referentials import REGIONS, ActorCategory, TerritoryType
from schemas.search import SearchParams

ACRONYMS = ["PVD", "ESS", "CRTE", "PTCE", "EPCI", "QPV", "PAT", "SCIC"]


@dataclass(frozen=True)
class BenchQuery:
    kind: str
    params: SearchParams

    def query_string(self) -> list[tuple[str, Any]]:
        """The /search query string of these parameters."""
        pairs: list[tuple[str, Any]] = []
        for name, value in self.params.model_dump(exclude_defaults=True, mode="json").items():
            pairs += [(name, v) for v in value] if isinstance(value, list) else [(name, value)]
        return pairs


def _vocabulary(generator: CorpusGenerator, rng: random.Random) -> list[str]:
    counts: Counter[str] = Counter()
    for monograph in generator.generate(300, start=10_000_000):
        for word in monograph.summary.split() + monograph.title.split():
            word = word.strip(".,;:!?«»()")
            if len(word) >= 4 and fold(word) not in STOPWORDS and word.isalpha():
                counts[word.lower()] += 1
    return [w for w, _ in counts.most_common(600)]


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1 :]  # one letter dropped


def _filters(rng: random.Random, count: int) -> dict[str, Any]:
    choices = [
        ("territory_type", lambda: [rng.choice(list(TerritoryType)).value]),
        ("actor_category", lambda: [rng.choice(list(ActorCategory)).value]),
        ("odd", lambda: [rng.randint(1, 17)]),
        ("region", lambda: [rng.choice(REGIONS[:18]).name]),
    ]
    return {name: make() for name, make in rng.sample(choices, count)}


def query_mix(generator: CorpusGenerator, total: int = 240, seed: int = 7) -> list[BenchQuery]:
    """Equal shares of one word, several words, phrase, typo, acronym, like-territory, deep page,
    facets only; each kind with 0–3 facet filters."""
    rng = random.Random(seed)
    vocabulary = _vocabulary(generator, rng)
    frequent, rare = vocabulary[:100], vocabulary[100:]
    phrases = []
    for monograph in generator.generate(60, start=20_000_000):
        words = [w.strip(".,;:") for w in monograph.summary.split()]
        at = rng.randrange(0, max(1, len(words) - 3))
        phrases.append(" ".join(words[at : at + 2]))
    kinds = ["one_word", "several_words", "phrase", "typo", "acronym", "like_territory", "deep_page", "facets_only"]
    queries: list[BenchQuery] = []
    for i in range(total):
        kind = kinds[i % len(kinds)]
        params: dict[str, Any] = _filters(rng, rng.randint(0, 3))
        if kind == "one_word":
            params["q"] = rng.choice(frequent if i % 2 else rare)
        elif kind == "several_words":
            params["q"] = " ".join(rng.sample(frequent, rng.randint(2, 4)))
        elif kind == "phrase":
            params["q"] = f'"{rng.choice(phrases)}"'
        elif kind == "typo":
            params["q"] = _typo(rng.choice([w for w in frequent if len(w) >= 6]), rng)
        elif kind == "acronym":
            params["q"] = rng.choice(ACRONYMS)
        elif kind == "like_territory":
            params = _filters(rng, 2) | {"q": rng.choice(frequent)}
            params["region"] = [rng.choice(REGIONS[:18]).name]
            params["territory_type"] = [rng.choice(list(TerritoryType)).value]
        elif kind == "deep_page":
            params["q"] = rng.choice(frequent)
            params["page"] = rng.randint(20, 50)
        else:
            params = _filters(rng, rng.randint(1, 3))
            params["sort"] = "recent"
        queries.append(BenchQuery(kind, SearchParams(**params)))
    return queries
