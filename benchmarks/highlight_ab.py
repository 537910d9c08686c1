"""`python -m benchmarks.highlight_ab`: a search's page of hits built with the compiled highlighter
(indexer/native) and with the Python one, in turn search by search, in one run.

What is timed is the pipeline's `hits_highlight` stage on the embedded engine's answers to the query mix: a
highlighter built for the search (its word checks start cold, as in a real search), then every hit of the
page from its stored source, parsed again before each side (untimed) as a search parses it: its texts are
new `str` objects, with nothing cached on them (CPython keeps a text's UTF-8 once asked for it). The side
that goes first alternates from one round to the next (the stemmer's cache, shared, is warmed by whichever
goes first). Both sides must build the same hits: checked on every search.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from benchmarks.corpus import CorpusGenerator
from benchmarks.measure import percentiles
from benchmarks.queries import query_mix
from benchmarks.report import heading, table
from benchmarks.run import ROOT, hits_of, progress, show_and_record, stamped
from benchmarks.throughput_ab import prepared
from indexer import highlight
from indexer.embedded import EmbeddedEngine
from indexer.french import FrenchStemmer
from indexer.pipeline import RawSearch, plan_search

SIDES = {"python": False, "compiled": True}


def measure(workdir: Path, rounds: int) -> dict[str, Any]:
    """Per side, the time to build each search's page of hits, over `rounds` passes of the query mix."""
    engine = EmbeddedEngine(workdir / "data" / "index")
    try:
        stemmer = FrenchStemmer()
        plans = [
            plan_search(engine, q.params.to_query(), engine.synonyms, stemmer) for q in query_mix(CorpusGenerator())
        ]
        raws = [engine.execute(plan).counted() for plan in plans]
    finally:
        engine.close()
    samples: dict[str, list[float]] = {side: [] for side in SIDES}
    hits_per_page = sum(len(raw.hits[: plan.query.size]) for plan, raw in zip(plans, raws, strict=True)) / len(plans)
    with progress("Pages of hits, Python and compiled in turn", rounds * len(plans)) as shown:
        for number in range(rounds):
            order = list(SIDES) if number % 2 == 0 else list(reversed(SIDES))
            for plan, raw in zip(plans, raws, strict=True):
                pages = {}
                for side in order:
                    fresh = parsed_again(raw)
                    started = time.perf_counter()
                    pages[side] = hits_of(plan, fresh, stemmer, native=SIDES[side])
                    samples[side].append(time.perf_counter() - started)
                if pages["python"] != pages["compiled"]:
                    raise AssertionError(f"the two highlighters differ for q={plan.query.q!r}")
                shown.advance(shown.task_ids[0])
    timings = {side: percentiles(s) for side, s in samples.items()}
    return {"searches": len(plans), "hits_per_page": hits_per_page, "ms": timings}


def parsed_again(raw: RawSearch) -> RawSearch:
    """`raw` with its sources parsed anew from their JSON, as the engine answers each search."""
    return RawSearch(raw.total, [(orjson.loads(orjson.dumps(source)), score) for source, score in raw.hits])


def report(results: dict[str, Any]) -> str:
    lines = heading(
        "Hits with highlights, Python and compiled",
        results,
        f"`{results['command']}`: {results['size']:,} practices, {results['rounds']} rounds of the query mix "
        f"({results['searches']} searches, {results['hits_per_page']:.1f} hits a page), both sides in turn.",
    )
    ms = results["ms"]
    rows = [
        [
            stat,
            f"{ms['python'][stat]:.3f}",
            f"{ms['compiled'][stat]:.3f}",
            f"×{ms['python'][stat] / ms['compiled'][stat]:.2f}",
        ]
        for stat in ("p50", "p95", "mean")
    ]
    return "\n".join([*lines, *table(["ms a page", "Python", "compiled", "Python / compiled"], rows), ""])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=10_000, help="practices in the generated corpus")
    parser.add_argument("--rounds", type=int, default=4, help="passes over the query mix")
    parser.add_argument("--workdir", type=Path, help="reuse (or keep) this corpus, store and index")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--no-record", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if not highlight.NATIVE:
        parser.error("the compiled highlighter is not built: `make install` builds it where cargo is")
    with tempfile.TemporaryDirectory(prefix="impact-highlight-ab-") as temporary:
        workdir = args.workdir or Path(temporary) / "work"
        prepared(workdir, args.size)
        measured = measure(workdir, args.rounds)
    results = stamped("highlight_ab", argv, size=args.size, rounds=args.rounds, **measured)
    show_and_record(results, report(results), args.out, "highlight-ab", args.no_record)
    return results


if __name__ == "__main__":
    main()
