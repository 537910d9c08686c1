"""`python -m benchmarks.relevance` (`make bench-relevance`): how well our search ranks, measured.

Two sets, each run through our real engines (`engine.search`, the call the API's `/search` makes):

- **PIAF v1.1** (read from `../shared/data/piaf-v1.1.json`, never copied here; skipped with a message
  when absent): each Wikipedia paragraph is one document (title: its article, summary: the
  paragraph), each question a query whose one relevant document is its paragraph. Beside our engines,
  in the same run, a plain BM25 (k1 1.2, b 0.75) over the same text with our French analysis
  (elision, stopwords, Snowball stems): the textbook baseline we must not fall below.
- **Our own judged set** (`benchmarks/judged_queries.jsonl`): queries users of this database type
  (keywords, acronyms, needs in plain French, questions, typos, partial words, territories) with
  graded judgments (3 exactly it, 2 relevant, 1 partly) over the 64 seed practices, each with why.

Each engine is measured lexically and in hybrid mode (`--modes`): the documents' vectors (multilingual-e5-small,
title + text, as `indexer/embedder.py embedding_text`) are computed once per set, kept in
`~/.cache/impact-pratiques/embeddings/` keyed by the texts' hash, and attached like the store's. The hybrid
latency includes embedding the query.

Reports MRR@10, Recall@1/@10, nDCG@10, the share of queries with no hit and of those answered by the
any-word fallback, and latency. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.measure import percentiles
from benchmarks.report import heading, table_row
from benchmarks.run import ROOT, console, es_node, progress, show_and_record, stamped, stop_es_node
from indexer.embedder import E5Embedder, Embedder, Vector, embedding_text
from indexer.engine import EngineConfig, SearchEngine
from indexer.french import FrenchStemmer
from indexer.vectors import Semantic
from schemas.monograph import Monograph, MonographCreate
from schemas.search import SearchMode, SearchQuery

PIAF_PATH = ROOT.parent / "shared" / "data" / "piaf-v1.1.json"
JUDGED_PATH = Path(__file__).with_name("judged_queries.jsonl")
SEED_PATH = ROOT / "seed" / "monographs.jsonl"
RESULTS = Path(__file__).with_name("results")
DEPTH = 10
EMBEDDINGS_CACHE = Path.home() / ".cache" / "impact-pratiques" / "embeddings"
EMBED_BATCH = 16
NOW = datetime(2026, 1, 1, tzinfo=UTC)

# Judged ids are the seed's external ids; grades 3 exactly it, 2 relevant, 1 partly.
Judgments = dict[str, int]


@dataclass(frozen=True)
class Case:
    query: str
    judgments: Judgments
    kind: str = "question"


@dataclass
class Collection:
    name: str
    documents: list[Monograph]
    cases: list[Case]
    note: str = ""


@dataclass
class Scores:
    """Per-query measures, averaged by `summary`."""

    reciprocal_ranks: list[float] = field(default_factory=list)
    recall_1: list[float] = field(default_factory=list)
    recall_10: list[float] = field(default_factory=list)
    ndcg_10: list[float] = field(default_factory=list)
    zero_hits: int = 0
    relaxed: int = 0
    latencies_s: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)

    def add(self, case: Case, ranked: list[str], relaxed: bool, elapsed_s: float) -> None:
        relevant = {doc for doc, grade in case.judgments.items() if grade >= 2} or set(case.judgments)
        first = next((rank for rank, doc in enumerate(ranked[:DEPTH], 1) if doc in relevant), None)
        rr = 1 / first if first else 0.0
        self.reciprocal_ranks.append(rr)
        self.recall_1.append(len(relevant & set(ranked[:1])) / len(relevant))
        self.recall_10.append(len(relevant & set(ranked[:DEPTH])) / len(relevant))
        self.ndcg_10.append(ndcg(ranked[:DEPTH], case.judgments))
        self.zero_hits += not ranked
        self.relaxed += relaxed
        self.latencies_s.append(elapsed_s)
        self.by_kind.setdefault(case.kind, []).append(rr)

    def summary(self) -> dict[str, Any]:
        n = len(self.reciprocal_ranks) or 1
        return {
            "queries": len(self.reciprocal_ranks),
            "mrr_10": 100 * sum(self.reciprocal_ranks) / n,
            "recall_1": 100 * sum(self.recall_1) / n,
            "recall_10": 100 * sum(self.recall_10) / n,
            "ndcg_10": 100 * sum(self.ndcg_10) / n,
            "zero_hit_pct": 100 * self.zero_hits / n,
            "relaxed_pct": 100 * self.relaxed / n,
            "latency_ms": percentiles(self.latencies_s) if self.latencies_s else {},
            "mrr_by_kind": {k: 100 * sum(v) / len(v) for k, v in sorted(self.by_kind.items())},
        }


def ndcg(ranked: list[str], judgments: Judgments) -> float:
    gains = [(2 ** judgments.get(doc, 0) - 1) / math.log2(rank + 1) for rank, doc in enumerate(ranked, 1)]
    ideal = sorted(judgments.values(), reverse=True)[: len(ranked) or DEPTH]
    best = sum((2**g - 1) / math.log2(rank + 1) for rank, g in enumerate(ideal, 1))
    return sum(gains) / best if best else 0.0


# -- the collections -------------------------------------------------------------------------------


def _document(id: str, title: str, summary: str, **fields: Any) -> Monograph:
    return Monograph(
        id=id,
        status="published",
        version=1,
        created_at=NOW,
        updated_at=NOW,
        published_at=NOW,
        title=title,
        summary=summary,
        territory={"name": "France"},
        territory_types=["urbain"],
        actor_categories=["association"],
        odd=[4],
        **fields,
    )


def piaf(path: Path = PIAF_PATH, questions: int | None = None, paragraphs: int | None = None) -> Collection:
    """PIAF's paragraphs as documents and its questions as cases; `questions` takes an even slice,
    `paragraphs` only the first ones in file order (and their questions)."""
    data = json.loads(path.read_bytes())
    documents: list[Monograph] = []
    cases: list[Case] = []
    every = (paragraph | {"title": article["title"]} for article in data["data"] for paragraph in article["paragraphs"])
    for paragraph in itertools.islice(every, paragraphs):
        doc_id = f"piaf-{len(documents):05d}"
        documents.append(_document(doc_id, paragraph["title"][:200], paragraph["context"]))
        cases += [Case(qa["question"], {doc_id: 1}) for qa in paragraph["qas"] if qa["question"].strip()]
    if questions and questions < len(cases):
        step = len(cases) / questions
        cases = [cases[int(i * step)] for i in range(questions)]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return Collection("PIAF v1.1", documents, cases, note=f"sha256 {digest[:16]}…")


def seed_documents(path: Path = SEED_PATH) -> list[Monograph]:
    documents = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record_ = json.loads(line)
        external_id = record_.pop("external_id")
        record_.pop("published_at", None)  # dated by `NOW`, as every judged document
        content = MonographCreate(**record_).model_dump()
        system = {"id": external_id, "status": "published", "version": 1}
        documents.append(Monograph(**(content | system), created_at=NOW, updated_at=NOW, published_at=NOW))
    return documents


def judged(path: Path = JUDGED_PATH) -> Collection:
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            entry = json.loads(line)
            cases.append(Case(entry["query"], entry["judgments"], entry.get("kind", "?")))
    return Collection("judged (seed)", seed_documents(), cases)


# -- the BM25 baseline ------------------------------------------------------------------------------


class Bm25:
    """Okapi BM25 (k1 1.2, b 0.75) over title + summary with our French analysis: the textbook baseline."""

    def __init__(self, documents: list[Monograph], stemmer: FrenchStemmer, k1: float = 1.2, b: float = 0.75):
        self.stemmer, self.k1, self.b = stemmer, k1, b
        self.ids = [d.id for d in documents]
        self.postings: dict[str, list[tuple[int, int]]] = {}
        self.lengths: list[int] = []
        for number, doc in enumerate(documents):
            terms = stemmer.text(f"{doc.title} {doc.summary}").split()
            self.lengths.append(len(terms))
            for term, count in Counter(terms).items():
                self.postings.setdefault(term, []).append((number, count))
        self.average = sum(self.lengths) / max(len(self.lengths), 1)

    def search(self, text: str, size: int = DEPTH) -> list[str]:
        n = len(self.ids)
        scores: defaultdict[int, float] = defaultdict(float)
        for term in set(self.stemmer.text(text).split()):
            postings = self.postings.get(term, [])
            idf = math.log(1 + (n - len(postings) + 0.5) / (len(postings) + 0.5))
            for number, tf in postings:
                norm = tf + self.k1 * (1 - self.b + self.b * self.lengths[number] / self.average)
                scores[number] += idf * tf * (self.k1 + 1) / norm
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        return [self.ids[number] for number, _ in ranked[:size]]


# -- running ----------------------------------------------------------------------------------------


def evaluate(collection: Collection, search: Callable[[str], tuple[list[str], bool]], label: str) -> Scores:
    scores = Scores()
    with progress(f"{collection.name}: {label}", len(collection.cases)) as bar:
        for case in collection.cases:
            start = time.perf_counter()
            ranked, relaxed = search(case.query)
            scores.add(case, ranked, relaxed, time.perf_counter() - start)
            bar.advance(bar.task_ids[0])
    return scores


def engine_search(
    engine: SearchEngine, mode: SearchMode = SearchMode.LEXICAL
) -> Callable[[str], tuple[list[str], bool]]:
    def search(text: str) -> tuple[list[str], bool]:
        query = SearchQuery(q=text[:500], size=DEPTH, facets=False, highlight=False, mode=mode)
        result = engine.search(query)
        return [hit.id for hit in result.hits], result.relaxed

    return search


def embed_documents(documents: list[Monograph], embedder: Embedder) -> dict[str, Vector]:
    """Every document's vector, from the cache when these very texts were embedded before."""
    texts = [embedding_text(d) for d in documents]
    digest = hashlib.sha256("\x00".join([embedder.name, *texts]).encode()).hexdigest()[:24]
    cached = EMBEDDINGS_CACHE / f"{embedder.name}-{digest}.npy"
    if cached.is_file():
        matrix = np.load(cached)
    else:
        rows = []
        started = time.perf_counter()
        with progress(f"embedding {len(texts):,} documents", len(texts)) as bar:
            for start in range(0, len(texts), EMBED_BATCH):
                rows.append(embedder.passages(texts[start : start + EMBED_BATCH]))
                bar.advance(bar.task_ids[0], len(rows[-1]))
        matrix = np.vstack(rows) if rows else np.zeros((0, embedder.dimensions), dtype=np.float32)
        elapsed = time.perf_counter() - started
        console.print(
            f"embedded {len(texts):,} documents in {elapsed:.0f} s ({elapsed / max(len(texts), 1) * 1000:.0f} ms each)"
        )
        cached.parent.mkdir(parents=True, exist_ok=True)
        np.save(cached, matrix)
    return {d.id: matrix[row] for row, d in enumerate(documents)}


def attach_vectors(engine: SearchEngine, embedder: Embedder, vectors: dict[str, Vector]) -> None:
    engine.attach_semantic(Semantic(embedder, lambda ids: {i: vectors[i] for i in ids if i in vectors}))


def system_name(engine: str, mode: SearchMode) -> str:
    return engine if mode == SearchMode.LEXICAL else f"{engine} hybrid"


def open_engines(names: Iterable[str], es_url: str | None) -> Iterator[tuple[str, SearchEngine]]:
    for name in names:
        if name == "embedded":
            from indexer.embedded import EmbeddedEngine

            yield name, EmbeddedEngine()
        elif name == "elasticsearch" and es_url:
            from indexer.elasticsearch_engine import ElasticsearchEngine

            config = EngineConfig(
                backend="elasticsearch", elasticsearch_url=es_url, elasticsearch_index_prefix="impact-relevance"
            )
            engine = ElasticsearchEngine(config)
            engine.rebuild([])
            yield name, engine


def load(engine: SearchEngine, documents: list[Monograph], label: str) -> None:
    with progress(f"indexing {len(documents):,} documents: {label}", len(documents)) as bar:
        engine.rebuild(documents, progress=lambda n: bar.advance(bar.task_ids[0], n))


def run_collection(
    collection: Collection, engines: list[str], es_url: str | None, modes: list[SearchMode]
) -> dict[str, Any]:
    stemmer = FrenchStemmer()
    results: dict[str, Any] = {"documents": len(collection.documents), "note": collection.note}
    baseline = Bm25(collection.documents, stemmer)
    results["bm25"] = evaluate(collection, lambda q: (baseline.search(q), False), "BM25 baseline").summary()
    embedder = E5Embedder() if SearchMode.HYBRID in modes else None
    vectors = embed_documents(collection.documents, embedder) if embedder is not None else {}
    for name, engine in open_engines(engines, es_url):
        if embedder is not None:
            attach_vectors(engine, embedder, vectors)
        load(engine, collection.documents, name)
        for mode in modes:
            system = system_name(name, mode)
            results[system] = evaluate(collection, engine_search(engine, mode), system).summary()
        engine.close()
    return results


def systems(entry: dict[str, Any]) -> list[str]:
    """The systems measured on one set, the baseline first."""
    return [name for name, value in entry.items() if isinstance(value, dict) and "mrr_10" in value]


def report(results: dict[str, Any]) -> str:
    lines = heading("Relevance", results, f"Command: `{results['command']}`.")
    for name, entry in results["collections"].items():
        lines += [
            f"## {name}: {entry['documents']:,} documents, {entry['bm25']['queries']:,} queries {entry['note']}",
            "",
            table_row(["system", "MRR@10", "R@1", "R@10", "nDCG@10", "no hit", "partial match", "p50/p95 ms"]),
            table_row(["---"] * 8),
        ]
        for system in systems(entry):
            s = entry[system]
            lat = s["latency_ms"]
            lines.append(
                table_row(
                    [
                        "BM25 + French stems (baseline)" if system == "bm25" else system,
                        f"{s['mrr_10']:.1f}",
                        f"{s['recall_1']:.1f}",
                        f"{s['recall_10']:.1f}",
                        f"{s['ndcg_10']:.1f}",
                        f"{s['zero_hit_pct']:.1f} %",
                        f"{s['relaxed_pct']:.1f} %",
                        f"{lat.get('p50', 0):.1f} / {lat.get('p95', 0):.1f}",
                    ]
                )
            )
        kinds = sorted({k for s in entry.values() if isinstance(s, dict) for k in s.get("mrr_by_kind", {})})
        if len(kinds) > 1:
            measured = systems(entry)
            lines += ["", table_row(["MRR@10 by kind", *measured]), table_row(["---"] * (len(measured) + 1))]
            for kind in kinds:
                lines.append(table_row([kind, *(f"{entry[s]['mrr_by_kind'].get(kind, 0):.1f}" for s in measured)]))
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="embedded,elasticsearch", help="comma-separated")
    parser.add_argument("--es-url", default=os.environ.get("IMPACT_ELASTICSEARCH_URL"))
    parser.add_argument("--piaf", type=Path, default=PIAF_PATH)
    parser.add_argument("--questions", type=int, default=None, help="an even slice of PIAF's questions")
    parser.add_argument("--sets", default="piaf,judged", help="comma-separated: piaf, judged")
    parser.add_argument("--modes", default="lexical,hybrid", help="comma-separated: lexical, hybrid")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args(argv)
    engines = [e for e in args.engines.split(",") if e]
    modes = [SearchMode(m) for m in args.modes.split(",") if m]
    collections: list[Collection] = []
    sets = args.sets.split(",")
    if "piaf" in sets:
        if args.piaf.exists():
            collections.append(piaf(args.piaf, args.questions))
        else:
            console.print(f"PIAF skipped: {args.piaf} is absent (see ../shared/data/README.md)")
    if "judged" in sets:
        collections.append(judged())
    # Elasticsearch: the given node, or one started for the run (like `make bench`).
    es_url = es_node(args.es_url) if "elasticsearch" in engines else None
    try:
        measured = {c.name: run_collection(c, engines, es_url, modes) for c in collections}
    finally:
        if es_url and not args.es_url:
            stop_es_node()
    results = stamped("relevance", argv, collections=measured)
    markdown = report(results)
    show_and_record(results, markdown, args.out, "relevance", args.no_record)
    summary = "; ".join(
        f"{name}: " + ", ".join(f"{s} MRR@10 {e[s]['mrr_10']:.1f}" for s in systems(e))
        for name, e in results["collections"].items()
    )
    console.print(f"relevance: {summary}")
    return results


if __name__ == "__main__":
    main()
