"""`python -m benchmarks.es_client_ab --es-url URL`: the `_search` calls of the query mix made by each way of
calling Elasticsearch, in turn: the blocking client (the raw side of `benchmarks.run`), the asynchronous client
with aiohttp's node (the client's default) and with `HttptoolsAsyncNode` (ours, `indexer/es_http_node.py`).

The same request bodies (our exact ones), each call's latency and the process's CPU time per call, so what a
client costs beside the node's own time shows. The index is `bench-SIZE`, made from a generated corpus unless
the node holds it (as `benchmarks.throughput_ab --es-url`); the calls of one search follow each other, the
order of the clients turning from one round to the next.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import uvloop
from elastic_transport import AiohttpHttpNode
from elasticsearch import AsyncElasticsearch, Elasticsearch
from elasticsearch.serializer import OrjsonSerializer

from benchmarks.corpus import CorpusGenerator
from benchmarks.measure import percentiles
from benchmarks.queries import query_mix
from benchmarks.report import heading, table
from benchmarks.run import ROOT, progress, show_and_record, stamped
from benchmarks.throughput_ab import prepared
from indexer.elasticsearch_engine import JSON_HEADERS, ElasticsearchEngine
from indexer.engine import EngineConfig
from indexer.es_http_node import HttptoolsAsyncNode
from indexer.pipeline import plan_search

CLIENTS = ("blocking (urllib3)", "asynchronous, aiohttp", "asynchronous, httptools (ours)")


def bodies(es_url: str, prefix: str) -> list[bytes]:
    """The `_search` bodies our engine sends for the query mix's first passes."""
    engine = ElasticsearchEngine(
        EngineConfig(backend="elasticsearch", elasticsearch_url=es_url, elasticsearch_index_prefix=prefix)
    )
    try:
        queries = query_mix(CorpusGenerator())
        return [
            engine.build_request(plan_search(engine, q.params.to_query(), engine.synonyms, engine.stemmer))
            for q in queries
        ]
    finally:
        engine.close()


async def measure(es_url: str, index: str, requests: list[bytes], rounds: int) -> dict[str, Any]:
    options: dict[str, Any] = {"serializer": OrjsonSerializer(), "request_timeout": 60}
    blocking = Elasticsearch(es_url, **options)
    awaited = {
        CLIENTS[1]: AsyncElasticsearch(es_url, node_class=AiohttpHttpNode, **options),
        CLIENTS[2]: AsyncElasticsearch(es_url, node_class=HttptoolsAsyncNode, **options),
    }
    path = f"/{index}/_search"

    def call(body: bytes) -> dict[str, Any]:
        return {"method": "POST", "path": path, "headers": JSON_HEADERS, "body": body, "endpoint_id": "search"}

    async def one(name: str, body: bytes) -> None:
        if name == CLIENTS[0]:
            blocking.perform_request(**call(body))
        else:
            await awaited[name].perform_request(**call(body))

    latency: dict[str, list[float]] = {name: [] for name in CLIENTS}
    cpu: dict[str, float] = dict.fromkeys(CLIENTS, 0.0)
    try:
        with progress("Searches, each client in turn", (rounds + 1) * len(requests)) as shown:
            for number in range(rounds + 1):  # the first round warms every client up, untimed
                order = CLIENTS[number % 3 :] + CLIENTS[: number % 3]
                for body in requests:
                    for name in order:
                        wall, processor = time.perf_counter(), time.process_time()
                        await one(name, body)
                        if number:
                            latency[name].append(time.perf_counter() - wall)
                            cpu[name] += time.process_time() - processor
                    shown.advance(shown.task_ids[0])
    finally:
        blocking.close()
        for client in awaited.values():
            await client.close()
    return {
        name: percentiles(latency[name]) | {"cpu_ms": 1000 * cpu[name] / max(len(latency[name]), 1)} for name in CLIENTS
    }


def report(results: dict[str, Any]) -> str:
    lines = heading(
        "Elasticsearch clients, side by side",
        results,
        f"`{results['command']}`: index of {results['size']:,} practices, {results['rounds']} rounds of the "
        f"query mix ({results['searches']} `_search` bodies), the clients in turn on each.",
    )
    base: dict[str, float] = results["clients"][CLIENTS[0]]
    rows: list[list[Any]] = [
        [
            name,
            f"{m['p50']:.2f}",
            f"{m['p95']:.2f}",
            f"{m['p50'] - base['p50']:+.2f}",
            f"{m['cpu_ms']:.2f}",
        ]
        for name, m in results["clients"].items()
    ]
    header = ["client", "p50 ms", "p95 ms", "p50 over the blocking client", "CPU ms a call"]
    return "\n".join([*lines, *table(header, rows), ""])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--es-url", required=True, help="the Elasticsearch node")
    parser.add_argument("--size", type=int, default=10_000, help="practices in the index (bench-SIZE)")
    parser.add_argument("--rounds", type=int, default=4, help="timed passes over the query mix")
    parser.add_argument("--workdir", type=Path, help="reuse (or keep) the corpus and store the index is made from")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--no-record", action="store_true", help="print only")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="impact-clients-") as temporary:
        prepared(args.workdir or Path(temporary) / "work", args.size, args.es_url)
    prefix = f"bench-{args.size}"
    requests = bodies(args.es_url, prefix)
    clients = uvloop.run(measure(args.es_url, prefix, requests, args.rounds))
    results = stamped("es_client_ab", argv, size=args.size, rounds=args.rounds, searches=len(requests), clients=clients)
    show_and_record(results, report(results), args.out, "es-client-ab", args.no_record)
    return results


if __name__ == "__main__":
    main()
