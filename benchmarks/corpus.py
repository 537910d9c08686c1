"""A deterministic, streamed generator of realistic French monographs at any size.

Text comes from a word-bigram chain trained on the seed corpus, so words follow the seed's
natural (Zipf-like) distribution and read like French; facet values follow the seed's own skew.
"""

from __future__ import annotations

import bisect
import itertools
import json
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from schemas.monograph import SECTION_FIELDS, Monograph, Territory
from territories.referential import referential
from territories.resolution import resolve_territory

SEED = Path(__file__).resolve().parent.parent / "seed" / "monographs.jsonl"
_TOKEN = re.compile(r"[\wÀ-ÿœŒ’'-]+|[.,;:!?]")


class WeightedChoice:
    """Draws from a frequency table with one bisect (fast enough for millions of draws)."""

    def __init__(self, counts: Counter[Any]):
        self.values = list(counts)
        self.cumulative = list(itertools.accumulate(counts[v] for v in self.values))

    def __call__(self, rng: random.Random) -> Any:
        return self.values[bisect.bisect_right(self.cumulative, rng.random() * self.cumulative[-1])]


class BigramText:
    """Sentences drawn from word bigrams of the seed texts."""

    def __init__(self, texts: list[str]):
        following: dict[str, Counter[str]] = defaultdict(Counter)
        starts: Counter[str] = Counter()
        for text in texts:
            tokens = _TOKEN.findall(text)
            previous = "."
            for token in tokens:
                if previous == ".":
                    starts[token] += 1
                following[previous][token] += 1
                previous = token
        self.starts = WeightedChoice(starts)
        self.following = {word: WeightedChoice(counts) for word, counts in following.items()}

    def sentence(self, rng: random.Random, max_words: int = 40) -> str:
        words = [self.starts(rng)]
        while len(words) < max_words:
            chooser = self.following.get(words[-1])
            if chooser is None:
                break
            word = chooser(rng)
            words.append(word)
            if word in ".!?":
                break
        if words[-1] not in ".!?":
            words.append(".")
        text = " ".join(words)
        return re.sub(r" ([.,;:!?])", r"\1", text)

    def paragraph(self, rng: random.Random, chars: int) -> str:
        parts: list[str] = []
        length = 0
        while length < chars:
            sentence = self.sentence(rng)
            parts.append(sentence)
            length += len(sentence) + 1
        return " ".join(parts)


class CorpusGenerator:
    """`generate(n)` yields n published monographs; the same seed always gives the same corpus."""

    def __init__(self, seed: int = 42, seed_path: Path = SEED):
        records = [json.loads(line) for line in seed_path.read_text(encoding="utf-8").splitlines() if line.strip()]
        self.seed = seed
        self.prose = BigramText([r[f] for r in records for f in ("summary", *SECTION_FIELDS) if r.get(f)])
        self.titles = BigramText([r["title"] + "." for r in records])
        # The seed's territories as the API stores them: resolved against the official referential.
        self.territories = [resolve_territory(Territory.model_validate(r["territory"]), referential()) for r in records]
        self.actors = [a for r in records for a in r["actors"]]
        self.territory_types = WeightedChoice(Counter(t for r in records for t in r["territory_types"]))
        self.odd = WeightedChoice(Counter(o for r in records for o in r["odd"]))
        self.programmes = WeightedChoice(Counter(p for r in records for p in r["programmes"]) + Counter({"": 40}))
        self.tags = WeightedChoice(Counter(t for r in records for t in r["tags"]))

    def monograph(self, number: int) -> Monograph:
        rng = random.Random(self.seed * 1_000_003 + number)
        title = self.titles.sentence(rng, max_words=12).rstrip(".")
        if len(title) < 3:
            title = f"Pratique {number}"
        territory = rng.choice(self.territories)
        actors = rng.sample(self.actors, k=rng.randint(2, 5))
        # A monograph totals 2–6 KB, like the seed's: five sections of about 300–1,000 characters.
        sections = {field: self.prose.paragraph(rng, rng.randint(300, 1000)) for field in SECTION_FIELDS}
        year = 2025 - min(int(rng.expovariate(0.18)), 17)  # recent practices are more numerous
        created = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=number)
        programme = self.programmes(rng)
        return Monograph(
            id=f"bench-{number:07d}",
            status="published",
            version=1,
            created_at=created,
            updated_at=created,
            published_at=created,
            title=title[:200],
            summary=self.prose.paragraph(rng, rng.randint(200, 500))[:2000],
            territory=territory,
            territory_types=sorted({self.territory_types(rng) for _ in range(rng.randint(1, 2))}),
            actor_categories=sorted({a["category"] for a in actors}),
            actors=actors,
            odd=sorted({self.odd(rng) for _ in range(rng.randint(1, 4))}),
            year=year,
            programmes=[programme] if programme else [],
            tags=sorted({self.tags(rng) for _ in range(rng.randint(2, 5))}),
            **sections,
        )

    def generate(self, count: int, start: int = 0) -> Iterator[Monograph]:
        for number in range(start, start + count):
            yield self.monograph(number)
