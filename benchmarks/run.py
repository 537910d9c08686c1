"""`python -m benchmarks.run`: index, search and serve a synthetic corpus on each engine, and
measure our code against the raw engine side by side in one run. See benchmarks/README.md."""

from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, cast

import httpx
import orjson
from elasticsearch import Elasticsearch, helpers
from elasticsearch.serializer import OrjsonSerializer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.main import create_app
from api.settings import Settings, practice_pages
from api.store import Store
from api.v1.search import response_body
from benchmarks.corpus import CorpusGenerator
from benchmarks.http_load import asgi_get, load, query_bytes, run_like_uvicorn
from benchmarks.measure import (
    PeakRss,
    call_places,
    dir_mb,
    percentiles,
    process_cpu_s,
    profile_summary,
    resident_mb,
    rss_mb,
    timed,
)
from benchmarks.queries import BenchQuery, query_mix
from benchmarks.report import record, write_report
from indexer import es_query
from indexer.elasticsearch_engine import BULK_CHUNK_BYTES, BULK_CHUNK_DOCS, ElasticsearchEngine
from indexer.embedded import EmbeddedEngine
from indexer.engine import EngineConfig, SearchEngine
from indexer.es_http_node import HttptoolsAsyncNode
from indexer.es_mapping import document, index_settings, mappings
from indexer.facets import written_facets
from indexer.french import FrenchStemmer
from indexer.highlight import NATIVE, build_highlighter

try:
    from indexer.hits import hit_from_source, written_hits
except ImportError:  # code before 2026-12-05, measured by today's harness (benchmarks/README.md, before / after)
    from indexer.highlight import hit_from_source  # type: ignore[attr-defined,no-redef]

    written_hits = None  # type: ignore[assignment]
from indexer.pipeline import Executor, RawSearch, SearchPlan, plan_search
from indexer.query import Synonyms
from indexer.spelling import corrected_query
from schemas.monograph import Monograph
from schemas.search import SearchParams, SearchQuery, SearchResult
from tests.live import api_command

ROOT = Path(__file__).resolve().parent.parent
PROFILER_ATTACH_S = 1.0
console = Console(stderr=True)


def progress(description: str, total: int | None) -> Progress:
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    bar.add_task(description, total=total)
    return bar


def read_corpus(path: Path) -> Iterator[Monograph]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            yield Monograph.model_validate_json(line)


def with_bar(items: Iterator[Any], description: str, total: int) -> Iterator[Any]:
    with progress(description, total) as bar:
        for item in items:
            yield item
            bar.advance(bar.task_ids[0])


# -- corpus and store ---------------------------------------------------------------------


def write_corpus(size: int, workdir: Path, stemmer: FrenchStemmer, with_es_docs: bool) -> dict[str, Any]:
    """The corpus as JSON Lines (and, for the raw bulk, the Elasticsearch documents ready-made)."""
    corpus, es_docs = workdir / "corpus.jsonl", workdir / "es-docs.jsonl"
    generator = CorpusGenerator()
    started = time.perf_counter()
    with (
        corpus.open("w", encoding="utf-8") as out,
        es_docs.open("w", encoding="utf-8") if with_es_docs else open(os.devnull, "w") as es_out,
    ):
        for monograph in with_bar(generator.generate(size), f"Generating {size:,} monographs", size):
            out.write(monograph.model_dump_json() + "\n")
            if with_es_docs:
                es_out.write(json.dumps({"_id": monograph.id, **document(monograph, stemmer)}, ensure_ascii=False))
                es_out.write("\n")
    return {
        "documents": size,
        "raw_json_mb": corpus.stat().st_size / 2**20,
        "generation_s": time.perf_counter() - started,
    }


def load_store(size: int, workdir: Path) -> dict[str, Any]:
    store = Store(f"sqlite:///{workdir / 'data' / 'impact.db'}")
    seconds = timed(lambda: store.restore(with_bar(read_corpus(workdir / "corpus.jsonl"), "Store", size)))
    store.close()
    return {"seconds": seconds, "docs_per_s": size / seconds}


# -- indexing -------------------------------------------------------------------------------


def index_embedded(size: int, workdir: Path) -> dict[str, Any]:
    engine = EmbeddedEngine(workdir / "data" / "index")
    before = rss_mb()
    seconds = timed(lambda: engine.rebuild(with_bar(read_corpus(workdir / "corpus.jsonl"), "Embedded index", size)))
    result = {
        "ours_docs_per_s": size / seconds,
        "ours_s": seconds,
        "index_mb": dir_mb(workdir / "data" / "index"),
        "indexing_rss_growth_mb": rss_mb() - before,
    }
    engine.close()
    return result


def settings_of(env: dict[str, str]) -> Settings:
    """The settings these `IMPACT_…` variables give (the others from the environment, as the API reads them)."""
    fields: dict[str, Any] = {name.removeprefix("IMPACT_").lower(): value for name, value in env.items()}
    return Settings(**fields)


def elasticsearch_env(url: str, prefix: str) -> dict[str, str]:
    """The API's settings (as its environment) for the benchmark's index `prefix` on the node at `url`."""
    return {
        "IMPACT_SEARCH_BACKEND": "elasticsearch",
        "IMPACT_ELASTICSEARCH_URL": url,
        "IMPACT_ELASTICSEARCH_INDEX_PREFIX": prefix,
    }


def index_elasticsearch(size: int, workdir: Path, url: str, prefix: str) -> dict[str, Any]:
    engine = ElasticsearchEngine(
        EngineConfig(
            backend="elasticsearch", elasticsearch_url=url, elasticsearch_index_prefix=prefix, elasticsearch_timeout=120
        )
    )
    ours = timed(lambda: engine.rebuild(with_bar(read_corpus(workdir / "corpus.jsonl"), "ES, our indexer", size)))
    client = Elasticsearch(url, request_timeout=120, serializer=OrjsonSerializer())
    raw_index = f"{prefix}-raw"
    client.indices.delete(index=raw_index, ignore_unavailable=True)
    settings = index_settings(engine.has_analysis_common) | {"refresh_interval": "-1"}
    client.indices.create(index=raw_index, settings=settings, mappings=mappings())

    def actions() -> Iterator[dict[str, Any]]:
        with (workdir / "es-docs.jsonl").open(encoding="utf-8") as lines:
            for line in with_bar(iter(lines), "ES, raw streaming_bulk", size):
                source = json.loads(line)
                yield {"_index": raw_index, "_id": source.pop("_id"), "_source": source}

    def raw_bulk() -> None:
        for _ in helpers.streaming_bulk(
            client, actions(), chunk_size=BULK_CHUNK_DOCS, max_chunk_bytes=BULK_CHUNK_BYTES
        ):
            pass
        client.indices.put_settings(index=raw_index, settings={"refresh_interval": "1s"})
        client.indices.refresh(index=raw_index)

    raw = timed(raw_bulk)
    stats = client.indices.stats(index=engine.current_index() or prefix, metric="store")
    client.indices.delete(index=raw_index)
    settle(client, prefix)
    engine.close()
    return {
        "ours_docs_per_s": size / ours,
        "raw_docs_per_s": size / raw,
        "ours_s": ours,
        "raw_s": raw,
        "ours_vs_raw": raw / ours,
        "index_mb": stats["_all"]["primaries"]["store"]["size_in_bytes"] / 2**20,
    }


def node_description(url: str) -> dict[str, Any]:
    """The Elasticsearch cluster measured: its version, nodes and their heap."""
    with Elasticsearch(url, request_timeout=30) as client:
        version = client.info()["version"]["number"]
        nodes = client.nodes.stats(metric="jvm")["nodes"].values()
        heap = sum(n["jvm"]["mem"]["heap_max_in_bytes"] for n in nodes) / 2**20
        return {"version": version, "nodes": len(nodes), "heap_mb": heap}


def settle(client: Elasticsearch, index: str, patience_s: float = 120.0) -> None:
    """Wait (bounded) until the node has finished merging the index's segments after the bulk: searches
    timed during merges measured the merges."""
    deadline = time.monotonic() + patience_s
    while time.monotonic() < deadline:
        merges = client.indices.stats(index=index, metric="merge")["_all"]["total"]["merges"]
        if not merges["current"]:
            break
        time.sleep(1)
    client.indices.refresh(index=index)


# -- search latency -------------------------------------------------------------------------


async def in_turn(
    raw: list[Callable[[], Any]],
    ours: list[Callable[[], Any]],
    api: list[Callable[[], Awaitable[tuple[int, bytes]]]],
    rounds: int,
) -> tuple[list[float], list[float], list[float]]:
    """The raw calls, `engine.search` and the API timed in turn, after one untimed round of each: ours a
    third of the mix away, the API two thirds (never right after the same raw request, whose data would
    still be warm). All three see the same machine, the same engine and the same node, even while
    Elasticsearch merges after a bulk or the machine's speed drifts."""
    count = len(raw)
    third = count // 3
    samples: tuple[list[float], list[float], list[float]] = ([], [], [])
    for round_number in range(rounds + 1):
        for number, call in enumerate(raw):
            raw_s, our_s = timed(call), timed(ours[(number + third) % count])
            started = time.perf_counter()
            status, body = await api[(number + 2 * third) % count]()
            api_s = time.perf_counter() - started
            assert status == 200, body[:500]
            if round_number:
                for kept, sample in zip(samples, (raw_s, our_s, api_s), strict=True):
                    kept.append(sample)
    return samples


# Stages of our search path timed on their own (besides the raw engine call and the totals), on either engine.
STAGES = ("parse", "request", "hits_highlight", "facets", "did_you_mean", "serialise")


def _counted(raw: RawSearch) -> RawSearch:
    """`raw` with its facet counts (code before 2026-12-03, measured by today's harness, made them at once)."""
    return raw.counted() if hasattr(raw, "counted") else raw


def raw_embedded_calls(engine: EmbeddedEngine, plans: list[SearchPlan]) -> list[Callable[[], Any]]:
    """Exactly the tantivy calls our code makes (`tantivy_calls`: the facets counted beside the ranking),
    requests built beforehand, up to tantivy's answers: the facet counts are waited for, not read into buckets
    (our Python, as reading Elasticsearch's aggregations is)."""
    searcher = engine._index.searcher()
    requests = [engine.build_request(plan) for plan in plans]
    if not hasattr(engine, "tantivy_calls"):  # older code measured by today's harness: its buckets read
        return [partial(lambda r: _counted(engine.execute_request(searcher, r)), r) for r in requests]

    def raw(request: Any) -> Any:
        found, counts = engine.tantivy_calls(searcher, request)
        return found, counts() if counts is not None else None

    return [partial(raw, r) for r in requests]


def raw_elasticsearch_calls(settings: Settings, plans: list[SearchPlan]) -> list[Callable[[], Any]]:
    """Exactly the bodies our code sends, built beforehand, through the official client."""
    client = Elasticsearch(settings.elasticsearch_url, request_timeout=60, serializer=OrjsonSerializer())
    index = settings.elasticsearch_index_prefix
    bodies = [es_query.search_body(plan, FrenchStemmer()) for plan in plans]
    return [partial(client.search, index=index, body=b) for b in bodies]


def search_stages(
    engine: EmbeddedEngine | ElasticsearchEngine, queries: list[BenchQuery], rounds: int, settings: Settings
) -> dict[str, Any]:
    """Each stage of our search path timed on its own: parse with the known-words lookup, request building
    (tantivy queries, or the `_search` body serialised), hits with highlights, facets, did-you-mean,
    serialisation. The engine's answers they work on are its own (`execute`), asked once beforehand."""
    synonyms, stemmer = engine.synonyms, FrenchStemmer()
    plans = [plan_search(engine, q.params.to_query(), synonyms, stemmer) for q in queries]
    raws = [_counted(engine.execute(plan)) for plan in plans]
    # As `/search` asks: the page's hits and the facets written as the answer's JSON.
    pages = practice_pages(settings)
    results = [engine.search(as_search_asks(q.params, pages)) for q in queries]
    stages: dict[str, list[float]] = {name: [] for name in STAGES}
    # Older code measured by today's harness (benchmarks/README.md, before / after) may not expose it.
    build = getattr(engine, "build_request", None)
    for _ in range(rounds):
        for query, plan, raw, result in zip(queries, plans, raws, results, strict=True):
            stages["parse"].append(timed(partial(_planned, engine, query, synonyms, stemmer)))
            if build is not None:
                stages["request"].append(timed(partial(build, plan)))
            stages["hits_highlight"].append(timed(partial(page_written, plan, raw, stemmer, pages)))
            # What `/search` does: the facet lists written as the answer's JSON (`written_facets`).
            stages["facets"].append(timed(partial(written_facets, raw.buckets, plan.query.filters, True, False)))
            stages["did_you_mean"].append(timed(partial(_corrected, plan, raw, stemmer)))
            stages["serialise"].append(timed(partial(response_body, query.params, result, settings)))
    return {name: percentiles(s) for name, s in stages.items() if s}


def _planned(engine: SearchEngine, query: BenchQuery, synonyms: Synonyms, stemmer: FrenchStemmer) -> SearchPlan:
    """The `parse` stage: the query read from its parameters, parsed, its known words looked up."""
    return plan_search(cast(Executor, engine), query.params.to_query(), synonyms, stemmer)


def _corrected(plan: SearchPlan, raw: RawSearch, stemmer: FrenchStemmer) -> str | None:
    """The `did_you_mean` stage."""
    return corrected_query(plan.query.q, plan.parsed, (h for h, _ in raw.hits), stemmer)


def hits_of(plan: SearchPlan, raw: RawSearch, stemmer: FrenchStemmer, native: bool = NATIVE) -> list[Any]:
    """A search's page of hits with their highlights, as the pipeline builds it (compiled unless `native` is
    False)."""
    highlighter = build_highlighter(plan.parsed, stemmer, native=native)
    return [hit_from_source(source, score, highlighter) for source, score in raw.hits[: plan.query.size]]


def as_search_asks(params: SearchParams, pages: str) -> SearchQuery:
    """The query `/search` gives the engine for `params`: its page of hits and facets written as the answer's JSON
    (`engine.search` is timed as the API calls it). Code before 2026-12-05, measured by today's harness, asked for
    its facets only."""
    if "as_json_for" in inspect.signature(params.to_query).parameters:
        return params.to_query(as_json_for=pages)
    return params.to_query(facets_as_json=True)  # type: ignore[call-arg]


def page_written(plan: SearchPlan, raw: RawSearch, stemmer: FrenchStemmer, pages: str) -> bytes:
    """A search's page of hits with their highlights, written as `/search` writes it (`written_hits`; before
    2026-12-05, measured by today's harness, the models `/search` converted to dictionaries)."""
    query = plan.query
    highlighter = build_highlighter(plan.parsed, stemmer) if query.highlight else None
    page = [(source, score if plan.scored else None) for source, score in raw.hits[: query.size]]
    if written_hits is None:
        return orjson.dumps([hit_from_source(*hit, highlighter) for hit in page], default=vars)
    return written_hits(page, highlighter, query.like, pages)


async def measure_in_app(settings: Settings, queries: list[BenchQuery], rounds: int) -> dict[str, Any]:
    """In one started app: the raw engine with our exact requests, `engine.search` and the whole API
    in-process (each search handed to the ASGI app as a server would, no client library), timed in turn
    on the app's own engine; then each stage of our path."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        engine: SearchEngine = app.state.engine
        plans = [_planned(engine, q, Synonyms.from_file(), FrenchStemmer()) for q in queries]
        if isinstance(engine, EmbeddedEngine):
            raw = raw_embedded_calls(engine, plans)
        else:
            raw = raw_elasticsearch_calls(settings, plans)
        raw_samples, our_samples, api_samples = await in_turn(
            raw,
            [partial(lambda q: engine.search(as_search_asks(q.params, practice_pages(settings))), q) for q in queries],
            [partial(asgi_get, app, "/api/v1/search", query_bytes(q.query_string())) for q in queries],
            rounds,
        )
        latency = {
            "raw": percentiles(raw_samples),
            "engine_search": percentiles(our_samples),
            "api_asgi": percentiles(api_samples),
        }
        assert isinstance(engine, EmbeddedEngine | ElasticsearchEngine)
        latency["stages"] = search_stages(engine, queries, rounds, settings)
        latency["stages"] |= await api_layer(app, engine, queries, rounds)
    return latency


async def api_layer(app: Any, engine: SearchEngine, queries: list[BenchQuery], rounds: int) -> dict[str, Any]:
    """The API's own share, two ways. `api_layer`: the same requests with the engine's answers replayed (each
    computed beforehand, handed back in the order the requests come), so what is timed is the middleware,
    routing, reading the query, the hop to a worker thread and back, and writing the answer. `api_in` /
    `api_out`: around the real engine call, from the request to the call (middleware, routing, the query
    read, the hop to a worker thread) and from its end to the answer (the hop back, serialisation,
    middleware). An engine that the API awaits (`search_async`, Elasticsearch) is timed and replayed there, and
    its real calls split at the node (`engine_in`, `engine_out`: `_split_at_the_node`)."""
    answers = [engine.search(q.params.to_query()) for q in queries]
    replay = iter(answers * rounds)

    async def replayed_async(query: SearchQuery) -> SearchResult:
        return next(replay)

    replayed, _, _ = await _api_pass(app, engine, queries, rounds, lambda query: next(replay), replayed_async)
    assert next(replay, None) is None, "each search request calls engine.search once"
    awaited = getattr(engine, "search_async", None)
    split: dict[str, list[float]] = {"engine_in": [], "engine_out": []}
    node_calls: list[tuple[float, float]] = []
    if awaited is not None:
        awaited = _split_at_the_node(awaited, node_calls, split)
    with _node_calls_timed(node_calls):
        _, before_call, after_call = await _api_pass(app, engine, queries, rounds, engine.search, awaited)
    stages = {
        "api_layer": percentiles(replayed),
        "api_in": percentiles(before_call),
        "api_out": percentiles(after_call),
    }
    if node_calls:
        stages |= {name: percentiles(samples) for name, samples in split.items()}
    return stages


@contextmanager
def _node_calls_timed(marks: list[tuple[float, float]]) -> Iterator[None]:
    """The start and end of each call of the asynchronous Elasticsearch node while inside (the request written,
    its answer read: what the node and the network take), added to `marks`."""
    original = HttptoolsAsyncNode.perform_request

    async def timed_call(node: HttptoolsAsyncNode, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await original(node, *args, **kwargs)
        finally:
            marks.append((started, time.perf_counter()))

    HttptoolsAsyncNode.perform_request = timed_call  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        HttptoolsAsyncNode.perform_request = original  # type: ignore[method-assign]


def _split_at_the_node(
    search_async: Callable[[SearchQuery], Awaitable[SearchResult]],
    node_calls: list[tuple[float, float]],
    split: dict[str, list[float]],
) -> Callable[[SearchQuery], Awaitable[SearchResult]]:
    """`search_async`, its searches of one node call (`node_calls`, `_node_calls_timed`) split there: `engine_in`,
    from the call of `search_async` to the request leaving (parsing, the request looked up, the client's own work);
    `engine_out`, from the answer's last byte to the result (the client reading the JSON, hits, highlights,
    facets). Timed on real calls, after the node's: unlike the stages timed on their own, with the caches the
    node's work left cold."""

    async def split_search(query: SearchQuery) -> SearchResult:
        made = len(node_calls)
        started = time.perf_counter()
        try:
            return await search_async(query)
        finally:
            ended, calls = time.perf_counter(), node_calls[made:]
            if len(calls) == 1:
                split["engine_in"].append(calls[0][0] - started)
                split["engine_out"].append(ended - calls[0][1])

    return split_search


async def _api_pass(
    app: Any,
    engine: SearchEngine,
    queries: list[BenchQuery],
    rounds: int,
    search: Callable[[SearchQuery], SearchResult],
    search_async: Callable[[SearchQuery], Awaitable[SearchResult]] | None = None,
) -> tuple[list[float], list[float], list[float]]:
    """Each request's whole time, and its times before and after its engine call, with `search` as the
    engine's `search` (and `search_async` as its `search_async`, when it has one)."""
    calls: list[tuple[float, float]] = []

    def timed_search(query: SearchQuery) -> SearchResult:
        started = time.perf_counter()
        try:
            return search(query)
        finally:
            calls.append((started, time.perf_counter()))

    async def timed_async(query: SearchQuery) -> SearchResult:
        assert search_async is not None
        started = time.perf_counter()
        try:
            return await search_async(query)
        finally:
            calls.append((started, time.perf_counter()))

    engine.search = timed_search  # type: ignore[method-assign]
    awaited = getattr(engine, "search_async", None) is not None
    if awaited:
        engine.search_async = timed_async  # type: ignore[attr-defined]
    whole: list[float] = []
    before_call: list[float] = []
    after_call: list[float] = []
    try:
        for _ in range(rounds):
            for query in queries:
                made, params = len(calls), query_bytes(query.query_string())
                started = time.perf_counter()
                status, body = await asgi_get(app, "/api/v1/search", params)
                ended = time.perf_counter()
                assert status == 200, body[:500]
                assert len(calls) == made + 1, "each search request calls engine.search once"
                call_started, call_ended = calls[-1]
                whole.append(ended - started)
                before_call.append(call_started - started)
                after_call.append(ended - call_ended)
    finally:
        del engine.search
        if awaited:
            del engine.search_async  # type: ignore[attr-defined]
    return whole, before_call, after_call


def serve(
    settings_env: dict[str, str],
    queries: list[BenchQuery],
    clients: list[int],
    root: Path = ROOT,
    with_profile: bool = True,
    spell_s: float = 0.0,
) -> dict[str, Any]:
    """uvicorn on loopback, running the code of `root`: RSS at rest and under load, throughput and latency per
    concurrency (the busiest load profiled with py-spy when `with_profile`); measured after a slow spell of
    `spell_s` seconds under the busiest load when asked (`slow_spell`)."""
    port = 18000 + os.getpid() % 1000
    env = os.environ | settings_env
    process = subprocess.Popen(
        [*api_command(port), "--log-level", "warning"],
        env=env,
        cwd=root,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        rest = resident_mb(process.pid)
        paths = [q.query_string() for q in queries]
        if spell_s:
            slow_spell(url, paths, max(clients), spell_s)
        runs = []
        profile: list[dict[str, Any]] = []
        with PeakRss(process.pid) as peak:
            for concurrency in clients:
                total = max(len(paths), 20 * concurrency)
                cpu, places = process_cpu_s(process.pid), engine_call_places(url)
                run = load(url, "/api/v1/search", paths, concurrency, total)
                run["server_cpu_s"] = process_cpu_s(process.pid) - cpu
                run["engine_calls"] = {p: n - places.get(p, 0) for p, n in engine_call_places(url).items()}
                runs.append(run)
        # The busiest load profiled with py-spy (sampling the server from outside), once more: not the measured
        # run, whose tail latency py-spy's attaching stretched (p99 0.16 → 0.9 s at 10k), nor its memory peak.
        spy = _start_profiler(process.pid) if with_profile and clients else None
        if spy:
            load(url, "/api/v1/search", paths, max(clients), max(len(paths), 20 * max(clients)))
            profile = _stop_profiler(*spy)
        return {
            "rss_at_rest_mb": rest.get("VmRSS", 0.0),
            "rss_at_rest_parts_mb": rest,
            "rss_under_load_mb": peak.peak,
            "rss_under_load_parts_mb": peak.parts,
            "runs": runs,
            "profile": profile,
        }
    finally:
        process.terminate()
        process.wait(timeout=30)


def slow_spell(url: str, paths: list[list[tuple[str, Any]]], clients: int, seconds: float) -> None:
    """`clients` searching while a CPU hog per core runs for `seconds`: a cloud machine's slow spell, which may
    leave the server in a state the load alone would not (`api/engine_calls.py`)."""
    hog = f"import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass"
    hogs = [subprocess.Popen([sys.executable, "-c", hog]) for _ in range(os.cpu_count() or 2)]
    while any(h.poll() is None for h in hogs):
        load(url, "/api/v1/search", paths, clients, 10 * clients)
    for h in hogs:
        h.wait()


def engine_call_places(url: str) -> dict[str, float]:
    """The server's engine calls so far by where they ran, `loop` or `thread` (from `/metrics`; none from a
    revision without the counter)."""
    return call_places(httpx.get(f"{url}/api/v1/metrics", timeout=10).text)


def _start_profiler(pid: int) -> tuple[subprocess.Popen[bytes], Path] | None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        return None
    out = Path(tempfile.mkdtemp(prefix="impact-spy-")) / "profile.txt"
    command = [
        spy,
        "record",
        "--pid",
        str(pid),
        "--format",
        "raw",
        "--output",
        str(out),
        "--rate",
        "200",
        "--threads",
        "--nonblocking",
    ]
    spy_process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # py-spy takes a moment to attach: a short load (a small corpus answers hundreds of searches a second)
    # could end before its first sample.
    time.sleep(PROFILER_ATTACH_S)
    return spy_process, out


def _stop_profiler(spy: subprocess.Popen[bytes], out: Path) -> list[dict[str, Any]]:
    spy.send_signal(2)  # py-spy writes its profile on Ctrl-C
    spy.wait(timeout=30)
    return profile_summary(out) if out.exists() else []


def startup_time(workdir: Path) -> dict[str, Any]:
    """From the README's run command to a seeded, searchable system (warm machine)."""
    env = os.environ | {
        "IMPACT_DATA_DIR": str(workdir / "startup"),
        "IMPACT_API_PORT": "18999",
        "IMPACT_UI_PORT": "18998",
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        ["make", "-s", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        while time.perf_counter() - started < 300:
            try:
                body = httpx.get("http://127.0.0.1:18999/api/v1/search", params={"q": "tiers-lieux"}, timeout=2).json()
                if body.get("total", 0) > 0:
                    return {"seconds": time.perf_counter() - started}
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.2)
        return {"seconds": None, "error": "not searchable within 300 s"}
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)


# -- orchestration --------------------------------------------------------------------------


NODE_ENV = {"IMPACT_ES_PORT": "9260", "IMPACT_ES_HEAP": "1g"}
NODE_SCRIPT = ["bash", str(ROOT / "scripts" / "es-node.sh")]


def es_node(url: str | None) -> str:
    """The given node, or one started for the run (stopped by `stop_es_node`)."""
    if url:
        return url
    started = subprocess.run(
        [*NODE_SCRIPT, "start"], capture_output=True, text=True, env=os.environ | NODE_ENV, check=True
    )
    return started.stdout.strip().splitlines()[-1]


def stop_es_node() -> None:
    subprocess.run([*NODE_SCRIPT, "stop"], capture_output=True, env=os.environ | NODE_ENV, check=False)


def stamped(module: str, argv: list[str] | None, **measured: Any) -> dict[str, Any]:
    """A run's results: when, on what machine, by which command, and what it measured."""
    command = f"python -m benchmarks.{module} " + " ".join(argv if argv is not None else sys.argv[1:])
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return {"date": date, "machine": machine(), "command": command, **measured}


def show_and_record(results: dict[str, Any], markdown: str, out: Path, name: str, no_record: bool) -> None:
    """Print a run's tables, and record them with its numbers unless told not to."""
    print(markdown)
    if not no_record:
        for path in record(results, markdown, out, name):
            console.print(f"recorded {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def main_in_app(
    module: str,
    description: str | None,
    argv: list[str] | None,
    measure: Callable[[dict[str, str], int], Coroutine[Any, Any, dict[str, Any]]],
    report: Callable[[dict[str, Any]], str],
    **recorded: Any,
) -> dict[str, Any]:
    """The command line of a benchmark timed in one started app (`ablation`, `timeline`): the engine (`--es-url`),
    the corpus's size, rounds and work directory; `measure(env, rounds)` run as uvicorn runs the app, its results
    stamped (with `recorded`), shown and recorded under `module`'s name."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--es-url", help="the Elasticsearch node (the embedded engine without it)")
    parser.add_argument("--size", type=int, default=10_000, help="practices in the store and index")
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the query mix")
    parser.add_argument("--workdir", type=Path, help="reuse (or keep) the corpus, store and index")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--no-record", action="store_true", help="print only")
    args = parser.parse_args(argv)
    from benchmarks.throughput_ab import prepared  # it builds on this module

    with tempfile.TemporaryDirectory(prefix=f"impact-{module}-") as temporary:
        env = prepared(args.workdir or Path(temporary) / "work", args.size, args.es_url)
        measured = run_like_uvicorn(measure(env, args.rounds))
    results = stamped(module, argv, size=args.size, rounds=args.rounds, **recorded, **measured)
    show_and_record(results, report(results), args.out, module.replace("_", "-"), args.no_record)
    return results


def machine() -> dict[str, Any]:
    with open("/proc/cpuinfo") as cpuinfo:
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "?")
    with open("/proc/meminfo") as meminfo:
        memory_kb = int(next(line.split()[1] for line in meminfo if line.startswith("MemTotal")))
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 2**20, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def run(
    sizes: list[int],
    engines: list[str],
    rounds: int,
    clients: list[int],
    es_url: str | None,
    out: Path,
    with_startup: bool,
) -> dict[str, Any]:
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "sizes": {},
    }
    stemmer = FrenchStemmer()
    queries = query_mix(CorpusGenerator())
    url = es_node(es_url) if "elasticsearch" in engines else None
    try:
        _measure_sizes(results, sizes, engines, rounds, clients, url, stemmer, queries)
    finally:
        if url and not es_url:
            stop_es_node()
    if with_startup:
        workdir = Path(tempfile.mkdtemp(prefix="impact-bench-startup-"))
        results["startup"] = startup_time(workdir)
        shutil.rmtree(workdir, ignore_errors=True)
    results["queries"] = {"count": len(queries), "kinds": sorted({q.kind for q in queries}), "rounds": rounds}
    record(results, write_report(results), out, "results", latest="latest.md")
    return results


def _measure_sizes(
    results: dict[str, Any],
    sizes: list[int],
    engines: list[str],
    rounds: int,
    clients: list[int],
    url: str | None,
    stemmer: FrenchStemmer,
    queries: list[BenchQuery],
) -> None:
    for size in sizes:
        console.print(f"[bold]{size:,} monographs[/bold]")
        workdir = Path(tempfile.mkdtemp(prefix=f"impact-bench-{size}-"))
        (workdir / "data").mkdir()
        entry: dict[str, Any] = {"corpus": write_corpus(size, workdir, stemmer, "elasticsearch" in engines)}
        entry["store_load"] = load_store(size, workdir)
        for name in engines:
            prefix = f"bench-{size}"
            # Every request comes from one address here: the per-client rate limit is off.
            # Lexical: this compares our layers with the raw engine's lexical call (hybrid: benchmarks/hybrid.py).
            env = {
                "IMPACT_DATA_DIR": str(workdir / "data"),
                "IMPACT_RATE_LIMIT_PER_MINUTE": "0",
                "IMPACT_EMBEDDER": "none",
            }
            if name == "embedded":
                indexing = index_embedded(size, workdir)
            else:
                assert url
                indexing = index_elasticsearch(size, workdir, url, prefix)
                entry["elasticsearch_node"] = node_description(url)
                env |= elasticsearch_env(url, prefix)
            settings = settings_of(env)
            latency = run_like_uvicorn(measure_in_app(settings, queries, rounds))
            latency["api_overhead_p50_ms"] = latency["api_asgi"]["p50"] - latency["raw"]["p50"]
            latency["api_overhead_p50_pct"] = 100 * latency["api_overhead_p50_ms"] / max(latency["raw"]["p50"], 1e-9)
            entry[name] = {"indexing": indexing, "latency": latency, "http": serve(env, queries, clients)}
            console.print(
                f"  {name}: indexing {indexing['ours_docs_per_s']:,.0f} docs/s, raw p50 "
                f"{latency['raw']['p50']:.2f} ms, API p50 {latency['api_asgi']['p50']:.2f} ms"
            )
        results["sizes"][str(size)] = entry
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000", help="corpus sizes, comma-separated")
    parser.add_argument("--engines", default="embedded,elasticsearch", help="embedded and/or elasticsearch")
    parser.add_argument("--rounds", type=int, default=2, help="passes over the query mix for latency")
    parser.add_argument("--clients", default="1,8,32", help="concurrent HTTP clients, comma-separated")
    parser.add_argument("--es-url", default=os.environ.get("IMPACT_ELASTICSEARCH_URL"), help="existing node")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up measurement")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = run(
        [int(s) for s in args.sizes.split(",")],
        args.engines.split(","),
        args.rounds,
        [int(c) for c in args.clients.split(",")],
        args.es_url,
        args.out,
        not args.no_startup,
    )
    console.print(write_report(results))
    console.print(f"benchmark done in {time.perf_counter() - started:.0f} s; results in {args.out}")


if __name__ == "__main__":
    main()
