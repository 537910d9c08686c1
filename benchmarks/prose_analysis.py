"""`python -m benchmarks.prose_analysis --es-url URL`: does the node's analysis of the prose fields still
add relevance next to our own stems, and what does it cost at indexing?

Elasticsearch indexes each text field twice: `<field>_stems` (our Snowball stems, the same as the
embedded engine's) and `<field>` analysed by the node, which a `match` clause reads too. On a node
with analysis-common that is the French chain (light_french); on a minimal node (ours in tests) the
hunspell fr_FR chain, slow to index. Three variants, side by side in one run, each on the same node:

- `hunspell`: the minimal node's chain as shipped;
- `plain`: the prose analysed by `lowercase` + stopwords only (no stemming);
- `stems only`: `plain`, and the prose `match` clause left out of queries (our stems alone).

For each: bulk indexing throughput of a generated corpus through `ElasticsearchEngine.rebuild`, and
lexical MRR@10 on PIAF and on the judged set (`benchmarks/relevance.py`), with the judged queries whose
first relevant practice moved.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import indexer.es_mapping as es_mapping
import indexer.es_query as es_query
from benchmarks import relevance
from benchmarks.corpus import CorpusGenerator
from benchmarks.report import heading, record, table_row
from benchmarks.run import console, machine
from indexer.elasticsearch_engine import ElasticsearchEngine
from indexer.engine import EngineConfig
from indexer.french import FrenchStemmer
from indexer.query import Clause, Phrase

RESULTS = Path(__file__).resolve().parent / "results"
_analysis = es_mapping.analysis_settings
_field_query = es_query.field_query


def _plain(has_analysis_common: bool) -> dict[str, Any]:
    settings = _analysis(has_analysis_common)
    settings["filter"].pop("fr_hunspell", None)
    settings["analyzer"]["impact_text"]["filter"] = ["lowercase", "fr_stop"]
    return settings


def _stems_only(field: str, phrase: Phrase, clause: Clause, stemmer: FrenchStemmer) -> dict[str, Any] | None:
    query = _field_query(field, phrase, clause, stemmer)
    if query is not None and "bool" in query:
        query["bool"]["should"] = [c for c in query["bool"]["should"] if "match" not in c]
    return query


VARIANTS: dict[str, list[Callable[[], Any]]] = {
    "hunspell": [],
    "plain": [lambda: mock.patch.object(es_mapping, "analysis_settings", _plain)],
    "stems only": [
        lambda: mock.patch.object(es_mapping, "analysis_settings", _plain),
        lambda: mock.patch.object(es_query, "field_query", _stems_only),
    ],
}


@contextlib.contextmanager
def variant(name: str) -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        for patch in VARIANTS[name]:
            stack.enter_context(patch())
        yield


def first_relevant(ranked: list[str], case: relevance.Case) -> float:
    relevant = {doc for doc, grade in case.judgments.items() if grade >= 2} or set(case.judgments)
    return next((1 / rank for rank, doc in enumerate(ranked[: relevance.DEPTH], 1) if doc in relevant), 0.0)


def measure(name: str, url: str, corpus: list[Any], judged: relevance.Collection) -> dict[str, Any]:
    prefix = "prose-" + name.replace(" ", "-")
    config = EngineConfig(
        backend="elasticsearch", elasticsearch_url=url, elasticsearch_index_prefix=prefix, elasticsearch_timeout=120
    )
    with variant(name):
        engine = ElasticsearchEngine(config)
        started = time.perf_counter()
        engine.rebuild(corpus)
        docs_per_s = len(corpus) / (time.perf_counter() - started)
        engine.rebuild(judged.documents)
        search = relevance.engine_search(engine)
        ranks = {case.query: first_relevant(search(case.query)[0], case) for case in judged.cases}
        engine.close()
        scores = relevance.main(["--engines", "elasticsearch", "--es-url", url, "--modes", "lexical", "--no-record"])
    collections = {
        title: {"mrr_10": entry["elasticsearch"]["mrr_10"], "by_kind": entry["elasticsearch"].get("mrr_by_kind", {})}
        for title, entry in scores["collections"].items()
    }
    console.print(
        f"{name}: {docs_per_s:,.0f} docs/s; " + ", ".join(f"{t} {c['mrr_10']:.2f}" for t, c in collections.items())
    )
    return {"bulk_docs_per_s": docs_per_s, "collections": collections, "judged_rr": ranks}


def report(results: dict[str, Any]) -> str:
    names = list(results["variants"])
    titles = list(results["variants"][names[0]]["collections"])
    lines = heading("Prose analysis on Elasticsearch", results, f"Command: `{results['command']}`.")
    lines += [
        table_row(["variant", f"bulk docs/s ({results['corpus']:,} generated)", *(f"{t} MRR@10" for t in titles)]),
        table_row(["---"] * (2 + len(titles))),
    ]
    for name in names:
        entry = results["variants"][name]
        cells = [f"{entry['collections'][t]['mrr_10']:.2f}" for t in titles]
        lines.append(table_row([name, f"{entry['bulk_docs_per_s']:,.0f}", *cells]))
    lines += ["", "Judged queries whose first relevant practice moved (reciprocal rank):", ""]
    lines += [table_row(["query", *names]), table_row(["---"] * (1 + len(names)))]
    for query in results["variants"][names[0]]["judged_rr"]:
        ranks = [results["variants"][n]["judged_rr"][query] for n in names]
        if len(set(ranks)) > 1:
            lines.append(table_row([query, *(f"{r:.2f}" for r in ranks)]))
    return "\n".join([*lines, ""])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--es-url", required=True)
    parser.add_argument("--corpus", type=int, default=5000, help="generated monographs for the bulk timing")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    corpus = list(CorpusGenerator().generate(args.corpus))
    judged = relevance.judged()
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "command": " ".join(["python -m benchmarks.prose_analysis", *(sys.argv[1:] if argv is None else argv)]),
        "corpus": args.corpus,
        "variants": {name: measure(name, args.es_url, corpus, judged) for name in VARIANTS},
    }
    markdown = report(results)
    record(results, markdown, args.out, "prose-analysis")
    console.print(markdown)
    return results


if __name__ == "__main__":
    main()
