"""`python -m benchmarks.hybrid`: what hybrid search costs beside lexical search, in-process on the embedded engine.

Indexes a synthetic corpus (`corpus.py`) at each size with a vector per monograph, then runs the judged
set's queries (needs, questions, keywords: `judged_queries.jsonl`) through `engine.search` in both modes,
the query embedding included (a fresh embedding each time: the query cache is cleared). Goal (#13): hybrid
p95 ≤ 60 ms at 10k monographs, 100k recorded.

Embedding 100k synthetic monographs would take hours of CPU here, and their bigram text means nothing: each
monograph instead gets the real vector of one of the seed practices (title + summary, e5), slightly
perturbed, so similarities spread as in a real corpus and the vector search costs what it would (an exact
scan of every row). Relevance is measured by `benchmarks/relevance.py`, not here.

Indexing throughput with embeddings: the engine's indexing rate with and without vectors at each size, and
what computing the vectors costs — `--embed-sample` generated monographs (title + summary, what the store's
worker embeds) through the real embedder in the worker's batches, projected to each size.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from api.settings import Settings
from benchmarks.corpus import CorpusGenerator
from benchmarks.measure import percentiles
from benchmarks.relevance import RESULTS, attach_vectors, embed_documents, judged, seed_documents
from benchmarks.report import heading, table
from benchmarks.run import console, progress, show_and_record, stamped
from indexer.embedded import EmbeddedEngine
from indexer.embedder import E5Embedder, QueryVectors, Vector, embedding_text
from schemas.search import SearchMode, SearchQuery

EMBEDDING_BATCH: int = Settings.model_fields["embedding_batch"].default  # the worker's batch
NOISE = 0.02  # per dimension, before renormalising: neighbours stay neighbours


def synthetic_vectors(size: int, pool: list[Vector], seed: int = 5) -> dict[str, Vector]:
    rng = np.random.default_rng(seed)
    base = np.stack(pool)[rng.integers(0, len(pool), size)]
    noisy = base + rng.normal(0, NOISE, base.shape).astype(np.float32)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    return {f"bench-{number:07d}": noisy[number] for number in range(size)}


def embedding_cost(embedder: E5Embedder, sample: int) -> dict[str, Any]:
    """Seconds per monograph to compute its vector, in the background worker's batches."""
    texts = [embedding_text(m) for m in CorpusGenerator(seed=11).generate(sample)]
    started = time.perf_counter()
    with progress(f"embedding {sample} monographs", sample) as bar:
        for start in range(0, sample, EMBEDDING_BATCH):
            embedder.passages(texts[start : start + EMBEDDING_BATCH])
            bar.advance(bar.task_ids[0], len(texts[start : start + EMBEDDING_BATCH]))
    elapsed = time.perf_counter() - started
    return {"sample": sample, "seconds_each": elapsed / sample, "characters_mean": sum(map(len, texts)) / sample}


def indexing_rate(size: int, engine: EmbeddedEngine, label: str) -> float:
    """Monographs per second indexed into this engine."""
    started = time.perf_counter()
    with progress(f"indexing {size:,} monographs {label}", size) as bar:
        engine.index(CorpusGenerator().generate(size), progress=lambda n: bar.advance(bar.task_ids[0], n))
    return size / (time.perf_counter() - started)


def measure(size: int, queries: list[str], rounds: int, embedder: E5Embedder, pool: list[Vector]) -> dict[str, Any]:
    plain = EmbeddedEngine()
    without_vectors = indexing_rate(size, plain, "without vectors")
    plain.close()
    engine = EmbeddedEngine()
    attach_vectors(engine, embedder, synthetic_vectors(size, pool))
    with_vectors = indexing_rate(size, engine, "with vectors")
    assert engine.semantic is not None
    engine.semantic.query_vector = QueryVectors(embedder, size=0)  # every query embedded afresh
    timings: dict[str, list[float]] = {"lexical": [], "hybrid": [], "query embedding": []}
    modes = {"hybrid": 0, "lexical": 0}
    with progress(f"{size:,}: searching", rounds * len(queries)) as bar:
        for _ in range(rounds):
            for text in queries:
                for mode in (SearchMode.LEXICAL, SearchMode.HYBRID):
                    start = time.perf_counter()
                    result = engine.search(SearchQuery(q=text, mode=mode, size=10))
                    timings[mode.value].append(time.perf_counter() - start)
                    if mode == SearchMode.HYBRID:
                        modes[result.mode.value] += 1
                start = time.perf_counter()
                embedder.query(text)
                timings["query embedding"].append(time.perf_counter() - start)
                bar.advance(bar.task_ids[0])
    engine.close()
    return {
        "size": size,
        "latency_ms": {name: percentiles(values) for name, values in timings.items()},
        "hybrid_answers": modes,
        "indexing_per_s": {"without vectors": without_vectors, "with vectors": with_vectors},
    }


def report(results: dict[str, Any]) -> str:
    lines = heading("Hybrid search latency (embedded engine)", results, f"Command: `{results['command']}`.")
    lines += table(
        ["monographs", "path", "p50 ms", "p95 ms", "p99 ms"],
        [
            [f"{entry['size']:,}", path, f"{lat['p50']:.1f}", f"{lat['p95']:.1f}", f"{lat['p99']:.1f}"]
            for entry in results["sizes"]
            for path, lat in entry["latency_ms"].items()
        ],
    )
    cost = results["embedding"]
    each = cost["seconds_each"]
    lines += [
        "",
        "`hybrid` includes the query embedding (measured alone on the `query embedding` line). "
        "Hybrid answers that used vectors: "
        + ", ".join(
            f"{e['size']:,}: {e['hybrid_answers']['hybrid']}/{sum(e['hybrid_answers'].values())}"
            for e in results["sizes"]
        ),
        "",
        "## Indexing with embeddings",
        "",
        f"Computing a vector (title + summary, {cost['characters_mean']:.0f} characters on average, "
        f"{cost['sample']} generated monographs in batches of {EMBEDDING_BATCH}, one thread): "
        f"**{each * 1000:.0f} ms per monograph** ({1 / each:.1f} monographs/s). It runs in the background "
        "(the store's embedding worker, after the write is acknowledged); a new monograph is found by its words "
        "until its vector is indexed, then by its meaning too.",
        "",
    ]
    lines += table(
        ["monographs", "indexing without vectors /s", "indexing with vectors /s", "computing the vectors"],
        [
            [
                f"{entry['size']:,}",
                f"{entry['indexing_per_s']['without vectors']:,.0f}",
                f"{entry['indexing_per_s']['with vectors']:,.0f}",
                f"{entry['size'] * each / 3600:.1f} h",
            ]
            for entry in results["sizes"]
        ],
    )
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--embed-sample", type=int, default=160, help="monographs embedded to time the embedder")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args(argv)
    embedder = E5Embedder()
    seed = seed_documents()
    pool = list(embed_documents(seed, embedder).values())
    queries = [case.query for case in judged().cases]
    cost = embedding_cost(embedder, args.embed_sample)
    sizes = [measure(int(s), queries, args.rounds, embedder, pool) for s in args.sizes.split(",") if s]
    results = stamped("hybrid", argv, sizes=sizes, embedding=cost)
    markdown = report(results)
    show_and_record(results, markdown, args.out, "hybrid", args.no_record)
    summary = "; ".join(
        f"{e['size']:,}: lexical p95 {e['latency_ms']['lexical']['p95']:.1f} ms, "
        f"hybrid p95 {e['latency_ms']['hybrid']['p95']:.1f} ms, "
        f"indexing with vectors {e['indexing_per_s']['with vectors']:,.0f}/s"
        for e in sizes
    )
    summary += f"; embedding {cost['seconds_each'] * 1000:.0f} ms per monograph"
    console.print(f"hybrid: {summary}")
    return results


if __name__ == "__main__":
    main()
