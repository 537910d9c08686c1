"""`python -m benchmarks.suggest`: suggestions while typing, in-process on the embedded engine.

Indexes a synthetic corpus (`corpus.py`), then types words of its vocabulary letter by letter (from
the third letter, as a search box calls `/suggest`) and times `indexer.suggest.suggest`, beside a
plain `engine.search` of the same text in the same run. Goal: p95 ≤ 10 ms at 10k monographs.
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

from benchmarks.corpus import CorpusGenerator
from benchmarks.measure import percentiles
from benchmarks.queries import _vocabulary
from benchmarks.run import console, progress
from indexer.embedded import EmbeddedEngine
from indexer.suggest import suggest
from schemas.search import SearchQuery


def typed_prefixes(words: list[str], count: int, rng: random.Random) -> list[str]:
    """What a search box sends while each word is typed: its prefixes of 3 letters and more."""
    typed: list[str] = []
    while len(typed) < count:
        word = rng.choice(words)
        typed += [word[:n] for n in range(3, len(word) + 1)]
    return typed[:count]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=600)
    args = parser.parse_args(argv)
    generator = CorpusGenerator()
    engine = EmbeddedEngine()
    with progress(f"indexing {args.size:,} monographs", args.size) as bar:
        engine.index(generator.generate(args.size), progress=lambda n: bar.advance(bar.task_ids[0], n))
    rng = random.Random(11)
    typed = typed_prefixes([w for w in _vocabulary(generator, rng) if len(w) >= 5], args.queries, rng)
    timings: dict[str, list[float]] = {"suggest": [], "search": []}
    with progress("typing", len(typed)) as bar:
        for text in typed:
            start = time.perf_counter()
            suggest(engine, text)
            timings["suggest"].append(time.perf_counter() - start)
            start = time.perf_counter()
            engine.search(SearchQuery(q=text))
            timings["search"].append(time.perf_counter() - start)
            bar.advance(bar.task_ids[0])
    results = {name: percentiles(samples) for name, samples in timings.items()}
    for name, p in results.items():
        print(f"{name:8} p50 {p['p50']:.2f} ms  p95 {p['p95']:.2f} ms  p99 {p['p99']:.2f} ms")
    ratio = results["suggest"]["p95"] / results["search"]["p95"]
    console.print(
        f"suggest: {len(typed)} prefixes over {args.size:,} monographs, p95 {results['suggest']['p95']:.2f} ms "
        f"(goal ≤ 10 ms), {ratio:.2f}× a full search's p95"
    )
    engine.close()
    return results


if __name__ == "__main__":
    main()
