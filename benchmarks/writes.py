"""`python -m benchmarks.writes`: how long an acknowledged write takes to become searchable, and
write and search throughput, for SQLite + embedded (one API process) and PostgreSQL +
Elasticsearch (1, 2 and 4 API processes), side by side in one run. See benchmarks/README.md."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import secrets
import shutil
import ssl
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from elasticsearch import Elasticsearch

from api.settings import Settings
from api.store import Store
from benchmarks.measure import percentiles
from benchmarks.progress import PhaseBar
from benchmarks.report import record, table_row
from benchmarks.run import console, machine
from indexer.engine import EngineConfig
from indexer.factory import create_engine
from tests.postgres_node import fresh_database
from tests.reliability.conftest import editor_key
from tests.reliability.processes import ApiProcess
from tests.reliability.workload import body, index_equals_store

ROOT = Path(__file__).resolve().parent.parent
HTTP_TIMEOUT = 30.0  # every HTTP call of the harness fails after this many seconds
# The per-IP rate limit is off: every request comes from this one address.
# Lexical: background embedding would compete with the writes measured (hybrid: benchmarks/hybrid.py).
BASE_ENV = {"IMPACT_RATE_LIMIT_PER_MINUTE": "0", "IMPACT_EMBEDDER": "none"}
# The write's bounded wait for its change to be searchable (the API's default, left as it is).
VISIBILITY_BOUND_S = float(Settings.model_fields["write_visibility_timeout"].default)
OUTBOX_INTERVAL_S = float(Settings.model_fields["outbox_interval"].default)
TOKEN_LETTERS = "bcdfghjklmnpqrstvwxz"  # consonants only: no French word, no stopword, no synonym
FAILED = (Exception, pytest.fail.Exception)  # tests.live helpers report a dead server with pytest.fail

# A small query mix over the 64 seed monographs: words, phrase, typo, acronym, facets, sort.
SEARCH_MIX: list[dict[str, Any]] = [
    {"q": "tiers-lieu"},
    {"q": "alimentation circuits courts"},
    {"q": '"économie circulaire"'},
    {"q": "covoiturage", "territory_type": "montagne"},
    {"q": "santé rurale"},
    {"q": "covoiturrage"},
    {"q": "PVD"},
    {"q": "énergie citoyenne", "region": "Bretagne"},
    {"territory_type": "littoral", "sort": "recent"},
    {"q": "emploi insertion", "actor_category": "ess"},
    {"q": "eau potable", "size": 10},
    {"q": "mobilité solidaire", "odd": ["10", "11"]},
]


@dataclass(frozen=True)
class Config:
    name: str
    engine: str  # embedded | elasticsearch
    processes: int

    @property
    def store(self) -> str:
        return "sqlite" if self.engine == "embedded" else "postgresql"


CONFIGS = {
    c.name: c
    for c in [
        Config("sqlite-embedded", "embedded", 1),  # the embedded index allows one writer: one process
        Config("pg-es-1", "elasticsearch", 1),
        Config("pg-es-2", "elasticsearch", 2),
        Config("pg-es-4", "elasticsearch", 4),
    ]
}


@dataclass(frozen=True)
class Plan:
    rates: list[float]
    latency_s: float
    throughput_s: float
    deadline_s: float
    writers: int
    searchers: int


def stats(samples_s: list[float]) -> dict[str, float]:
    """p50/p95/p99/mean/max in milliseconds, and n."""
    return percentiles(samples_s) | {"max": max(samples_s) * 1000 if samples_s else 0.0}


def token() -> str:
    """A word found in exactly one monograph: far (more than two edits) from every other token."""
    return "wq" + "".join(secrets.choice(TOKEN_LETTERS) for _ in range(10))


# -- progress -------------------------------------------------------------------------------


async def ticking(tick: Callable[[float], None], finished: asyncio.Event) -> None:
    started = time.perf_counter()
    while not finished.is_set():
        tick(time.perf_counter() - started)
        await asyncio.sleep(0.25)


# One TLS context for every client (the servers are plain HTTP, but each client would otherwise load
# the CA bundle: 0.1 s of CPU apiece).
TLS = ssl.create_default_context()


def client(connections: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(timeout=httpx.Timeout(HTTP_TIMEOUT, connect=5.0), limits=limits, verify=TLS)


@contextlib.asynccontextmanager
async def clients(count: int, connections: int) -> AsyncIterator[list[httpx.AsyncClient]]:
    """Several small clients: one pool holding hundreds of requests in flight costs the harness
    more CPU than the requests themselves (httpcore scans its whole queue at each event)."""
    async with contextlib.AsyncExitStack() as stack:
        yield [await stack.enter_async_context(client(connections)) for _ in range(count)]


# -- 1. acknowledged write to searchable (open loop) ---------------------------------------


@dataclass
class Write:
    n: int
    token: str
    scheduled: float
    sent: float = 0.0
    acked: float | None = None
    monograph_id: str | None = None
    error: str | None = None
    visible_at_ack: bool = False
    seen: float | None = None  # when the first search that found it was sent
    next_poll: float = 0.0
    polling: bool = False


def poll_every(age_s: float) -> float:
    """How often a write not yet seen is searched again: 50 ms for 2 s, then 200 ms, then 1 s."""
    return 0.05 if age_s < 2 else 0.2 if age_s < 10 else 1.0


async def open_loop(
    urls: list[str], key: str, rate: float, seconds: float, deadline_s: float, tick: Callable[[float], None]
) -> dict[str, Any]:
    """Creates at a fixed rate whatever the answers (round-robin over the processes); each
    acknowledged write is searched once at once, then by the poller until found or `deadline_s`."""
    count = max(1, round(rate * seconds))
    writes: list[Write] = []
    waiting: list[Write] = []
    search_errors = 0
    headers = {"X-API-Key": key}
    async with clients(16, 100) as pool:
        poll_slots = asyncio.Semaphore(8)

        async def search(w: Write) -> None:
            nonlocal search_errors
            assert w.acked is not None
            url = urls[(w.n + 1) % len(urls)]  # another process than the writer's, when there are several
            at = time.perf_counter()
            found: bool | None = None
            try:
                http = pool[w.n % len(pool)]
                answer = await http.get(f"{url}/api/v1/search", params={"q": f'"{w.token}"', "size": 10})
                if answer.status_code == 200:
                    found = any(hit["id"] == w.monograph_id for hit in answer.json()["hits"])
            except httpx.HTTPError:
                pass
            search_errors += found is None
            if found:
                w.seen = at
            else:
                w.next_poll = time.perf_counter() + poll_every(at - w.acked)

        async def polled(w: Write) -> None:
            async with poll_slots:
                await search(w)
            w.polling = False

        async def write(w: Write) -> None:
            url = urls[w.n % len(urls)]
            w.sent = time.perf_counter()
            try:
                http = pool[w.n % len(pool)]
                answer = await http.post(f"{url}/api/v1/monographs", json=body(w.token, w.n), headers=headers)
            except httpx.HTTPError as exc:
                w.error = f"{type(exc).__name__}: {exc}"
                return
            if answer.status_code != 201:
                w.error = f"{answer.status_code}: {answer.text[:200]}"
                return
            w.acked = time.perf_counter()
            w.monograph_id = answer.json()["id"]
            await search(w)  # once, the moment the 201 is back
            w.visible_at_ack = w.seen is not None
            if w.seen is None:
                waiting.append(w)

        async def poller(writers_done: asyncio.Event) -> None:
            polls: set[asyncio.Task[None]] = set()
            while not (writers_done.is_set() and not waiting):
                now = time.perf_counter()
                for w in list(waiting):
                    if w.polling:
                        continue
                    assert w.acked is not None
                    if w.seen is not None or now - w.acked > deadline_s:
                        waiting.remove(w)
                    elif w.next_poll <= now:
                        w.polling = True
                        task = asyncio.create_task(polled(w))
                        polls.add(task)
                        task.add_done_callback(polls.discard)
                await asyncio.sleep(0.01)

        writers_done = asyncio.Event()
        polling = asyncio.create_task(poller(writers_done))
        started = time.perf_counter() + 0.1
        tasks = []
        for n in range(count):
            scheduled = started + n / rate
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            w = Write(n, token(), scheduled)
            writes.append(w)
            tasks.append(asyncio.create_task(write(w)))
            tick(time.perf_counter() - started)
        await asyncio.gather(*tasks)
        writers_done.set()
        await polling
    return summarise_open_loop(writes, rate, seconds, deadline_s, search_errors)


def summarise_open_loop(
    writes: list[Write], rate: float, seconds: float, deadline_s: float, search_errors: int
) -> dict[str, Any]:
    acked = [w for w in writes if w.acked is not None]
    response = [w.acked - w.sent for w in acked if w.acked is not None]
    to_searchable = [w.seen - w.acked for w in acked if w.seen is not None and w.acked is not None]
    first = min(w.sent for w in writes)
    sent_span = max(w.sent for w in writes) - first
    acked_span = max((w.acked for w in acked if w.acked is not None), default=first) - first
    return {
        "target_rate": rate,
        "seconds": seconds,
        "writes": len(writes),
        "sent_per_s": (len(writes) - 1) / sent_span if sent_span > 0 else float(len(writes)),
        "acknowledged": len(acked),
        "acked_per_s": len(acked) / acked_span if acked_span > 0 else 0.0,
        "errors": len(writes) - len(acked),
        "error_samples": [w.error for w in writes if w.error][:3],
        "response_ms": stats(response),
        "response_at_least_bound_share": sum(r >= VISIBILITY_BOUND_S for r in response) / max(len(response), 1),
        "visible_at_ack_share": sum(w.visible_at_ack for w in acked) / max(len(acked), 1),
        "ack_to_searchable_ms": stats(to_searchable),
        "not_found": len(acked) - len(to_searchable),
        "not_found_after_s": deadline_s,
        "search_errors": search_errors,
        "scheduler_lag_ms": stats([w.sent - w.scheduled for w in writes]),
    }


# -- 2. throughput (closed loop) -----------------------------------------------------------


async def closed_loop(
    loops: int,
    processes: int,
    seconds: float,
    tick: Callable[[float], None],
    call: Callable[[httpx.AsyncClient, int], Awaitable[str | None]],
    bound_s: float | None = None,
) -> dict[str, Any]:
    """`loops` loops each send their next request as soon as the previous one answered (each with its
    own client, a connection per process)."""
    latencies: list[float] = []
    errors: list[str] = []
    counter = itertools.count()
    async with clients(loops, processes) as pool:
        stop_at = time.perf_counter() + seconds

        async def loop(http: httpx.AsyncClient) -> None:
            while time.perf_counter() < stop_at:
                n = next(counter)
                started = time.perf_counter()
                try:
                    error = await call(http, n)
                except httpx.HTTPError as exc:
                    error = f"{type(exc).__name__}: {exc}"
                if error:
                    errors.append(error)
                else:
                    latencies.append(time.perf_counter() - started)

        finished = asyncio.Event()
        ticker = asyncio.create_task(ticking(tick, finished))
        started = time.perf_counter()
        await asyncio.gather(*(loop(http) for http in pool))
        elapsed = time.perf_counter() - started
        finished.set()
        await ticker
    result = {
        "clients": loops,
        "seconds": elapsed,
        "completed": len(latencies),
        "errors": len(errors),
        "error_samples": errors[:3],
        "throughput_per_s": len(latencies) / elapsed,
        "latency_ms": stats(latencies),
    }
    if bound_s is not None:
        result["response_at_least_bound_share"] = sum(t >= bound_s for t in latencies) / max(len(latencies), 1)
    return result


async def write_throughput(
    urls: list[str], key: str, writers: int, seconds: float, tick: Callable[[float], None]
) -> dict[str, Any]:
    headers, tag = {"X-API-Key": key}, token()

    async def create(http: httpx.AsyncClient, n: int) -> str | None:
        answer = await http.post(f"{urls[n % len(urls)]}/api/v1/monographs", json=body(tag, n), headers=headers)
        return None if answer.status_code == 201 else f"{answer.status_code}: {answer.text[:200]}"

    return await closed_loop(writers, len(urls), seconds, tick, create, bound_s=VISIBILITY_BOUND_S)


async def search_throughput(
    urls: list[str], searchers: int, seconds: float, tick: Callable[[float], None]
) -> dict[str, Any]:
    async def search(http: httpx.AsyncClient, n: int) -> str | None:
        answer = await http.get(f"{urls[n % len(urls)]}/api/v1/search", params=SEARCH_MIX[n % len(SEARCH_MIX)])
        return None if answer.status_code == 200 else f"{answer.status_code}: {answer.text[:200]}"

    return await closed_loop(searchers, len(urls), seconds, tick, search)


def mix_totals(url: str) -> list[int]:
    """How many monographs each search of the mix finds (it must find something on the seed)."""
    with httpx.Client(timeout=HTTP_TIMEOUT) as http:
        return [http.get(f"{url}/api/v1/search", params=params).json()["total"] for params in SEARCH_MIX]


def warm_up(urls: list[str], key: str | None) -> None:
    """A few searches per process (and writes, given a key) before measuring them: connections,
    JIT, caches. The search phase runs before any write, on the seed alone."""
    with httpx.Client(timeout=HTTP_TIMEOUT) as http:
        for i, url in enumerate(urls * 3):
            if key is None:
                for params in SEARCH_MIX:
                    http.get(f"{url}/api/v1/search", params=params).raise_for_status()
            else:
                answer = http.post(f"{url}/api/v1/monographs", json=body(token(), i), headers={"X-API-Key": key})
                answer.raise_for_status()


# -- servers and deployments ----------------------------------------------------------------


@contextmanager
def node(script: str, env: dict[str, str], given_url: str | None) -> Iterator[str]:
    """The given server, or one started with scripts/<script> (stopped after, unless it already ran)."""
    if given_url:
        yield given_url
        return
    command = ["bash", str(ROOT / "scripts" / script)]
    node_env = os.environ | env
    running = subprocess.run([*command, "status"], env=node_env, capture_output=True, timeout=60).returncode == 0
    started = subprocess.run([*command, "start"], env=node_env, capture_output=True, text=True, timeout=900)
    if started.returncode != 0:
        raise RuntimeError(f"{script} start failed:\n{started.stderr[-3000:]}")
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        if not running:
            subprocess.run([*command, "stop"], env=node_env, capture_output=True, timeout=300)


def drop_indices(es_url: str, prefix: str) -> None:
    """Every index of this prefix (each name given: wildcard deletes may be refused by the node)."""
    es = Elasticsearch(es_url, request_timeout=HTTP_TIMEOUT)
    try:
        found = es.indices.get(index=f"{prefix}*", expand_wildcards="all", allow_no_indices=True)
        for name in found:
            es.indices.delete(index=name, ignore_unavailable=True)
    finally:
        es.close()


@dataclass
class Deployment:
    config: Config
    apis: list[ApiProcess]
    key: str
    store_url: str
    engine_config: EngineConfig
    seed: str
    urls: list[str] = field(default_factory=list)


@contextmanager
def deploy(config: Config, workdir: Path, pg_url: str | None, es_url: str | None) -> Iterator[Deployment]:
    """Seeded store and index, then the API processes; everything removed at the end (processes,
    PostgreSQL database, Elasticsearch indexes, files)."""
    with ExitStack() as stack:
        env = dict(BASE_ENV)
        if config.engine == "elasticsearch":
            assert pg_url and es_url
            store_url = stack.enter_context(fresh_database(pg_url))
            prefix = f"bench-writes-{uuid.uuid4().hex[:8]}"
            stack.callback(drop_indices, es_url, prefix)
            env |= {
                "IMPACT_DATABASE_URL": store_url,
                "IMPACT_SEARCH_BACKEND": "elasticsearch",
                "IMPACT_ELASTICSEARCH_URL": es_url,
                "IMPACT_ELASTICSEARCH_INDEX_PREFIX": prefix,
            }
            engine_config = EngineConfig(
                backend="elasticsearch", elasticsearch_url=es_url, elasticsearch_index_prefix=prefix
            )
        else:
            store_url = f"sqlite:///{(workdir / 'p0' / 'data' / 'impact.db').resolve()}"
            engine_config = EngineConfig(index_path=workdir / "p0" / "data" / "index")
        apis = [ApiProcess(workdir / f"p{i}", env, name=f"api{i}") for i in range(config.processes)]
        for api in apis:
            (api.workdir / "data").mkdir(parents=True)
        seeded = apis[0].cli("seed")
        if seeded.returncode != 0:
            raise RuntimeError(f"impact seed failed:\n{seeded.stdout}\n{seeded.stderr[-3000:]}")
        key = editor_key(store_url)
        for api in apis:
            stack.callback(api.stop)
            api.start(wait=False)
        for api in apis:
            api.wait_up()
        yield Deployment(
            config, apis, key, store_url, engine_config, seeded.stderr.strip().splitlines()[-1], [a.url for a in apis]
        )


def settle(store_url: str, timeout: float = 60.0) -> float:
    """Wait until the outbox is empty (one phase's index work never spills into the next); seconds waited."""
    store = Store(store_url, migrate_schema=False)
    started = time.perf_counter()
    try:
        while store.backlog() and time.perf_counter() - started < timeout:
            time.sleep(0.1)
    finally:
        store.close()
    return time.perf_counter() - started


def consistency(deployment: Deployment) -> dict[str, Any]:
    """After the processes stopped: does the index hold exactly the published monographs?"""
    store = Store(deployment.store_url, migrate_schema=False)
    engine = create_engine(deployment.engine_config)
    try:
        same, detail = index_equals_store(store, engine)
        return {"index_equals_store": same, "detail": detail, "backlog": store.backlog()}
    finally:
        engine.close()
        store.close()


# -- one configuration ----------------------------------------------------------------------


def measure(config: Config, plan: Plan, bar: PhaseBar, pg_url: str | None, es_url: str | None) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"impact-bench-writes-{config.name}-"))
    entry: dict[str, Any] = {"engine": config.engine, "store": config.store, "processes": config.processes}
    entry["load_average_before"] = os.getloadavg()
    try:
        started = time.perf_counter()
        bar.start(f"{config.name}: seed and start {config.processes} process(es)", 1)
        with deploy(config, workdir, pg_url, es_url) as deployment:
            entry["setup_s"] = time.perf_counter() - started
            entry["seed"] = deployment.seed
            urls = deployment.urls
            warm_up(urls, None)
            bar.done()

            entry["search_mix_totals"] = mix_totals(urls[0])
            tick = bar.start(f"{config.name}: {plan.searchers} searchers", plan.throughput_s)
            searches = asyncio.run(search_throughput(urls, plan.searchers, plan.throughput_s, tick))
            bar.done()

            warm_up(urls, deployment.key)
            settle(deployment.store_url)

            entry["latency"] = {}
            for rate in plan.rates:
                tick = bar.start(f"{config.name}: {rate:g} writes/s, open loop", plan.latency_s)
                result = asyncio.run(open_loop(urls, deployment.key, rate, plan.latency_s, plan.deadline_s, tick))
                result["settle_s"] = settle(deployment.store_url)
                entry["latency"][f"{rate:g}"] = result
                bar.done()

            tick = bar.start(f"{config.name}: {plan.writers} writers", plan.throughput_s)
            writes = asyncio.run(write_throughput(urls, deployment.key, plan.writers, plan.throughput_s, tick))
            bar.done()
            entry["throughput"] = {"searches": searches, "writes": writes}
            settle(deployment.store_url)
            entry["health"] = [ApiHealth.of(api) for api in deployment.apis]
            for api in deployment.apis:
                api.stop()
            entry["consistency"] = consistency(deployment)
            entry["load_average_after"] = os.getloadavg()
    except FAILED as exc:
        entry["error"] = f"{type(exc).__name__}: {exc}"[-3000:]
        console.print(f"[red]{config.name} failed[/red]: {entry['error']}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return entry


class ApiHealth:
    @staticmethod
    def of(api: ApiProcess) -> dict[str, Any]:
        try:
            health = api.health()
        except (httpx.HTTPError, ValueError) as exc:
            return {"status": "unreachable", "problems": [str(exc)]}
        return {"status": health.get("status"), "problems": health.get("problems", [])}


# -- the run --------------------------------------------------------------------------------


def ratios(configs: dict[str, Any]) -> dict[str, Any]:
    """Each PostgreSQL + Elasticsearch configuration against SQLite + embedded, and 2/4 processes against 1."""

    def rate(name: str, kind: str) -> float | None:
        entry = configs.get(name, {})
        value = entry.get("throughput", {}).get(kind, {}).get("throughput_per_s")
        return float(value) if value else None

    out: dict[str, Any] = {}
    for name in configs:
        if not name.startswith("pg-es-"):
            continue
        row: dict[str, float | None] = {}
        for kind in ("writes", "searches"):
            mine, sqlite, one = rate(name, kind), rate("sqlite-embedded", kind), rate("pg-es-1", kind)
            row[f"{kind}_vs_sqlite_embedded"] = mine / sqlite if mine and sqlite else None
            if name != "pg-es-1":
                row[f"{kind}_vs_1_process"] = mine / one if mine and one else None
        out[name] = row
    return out


def summary_line(results: dict[str, Any]) -> str:
    parts = []
    not_found = 0
    for name, entry in results["configs"].items():
        if "error" in entry:
            parts.append(f"{name} FAILED")
            continue
        p95 = "/".join(f"{r['ack_to_searchable_ms']['p95']:.0f}" for r in entry["latency"].values())
        ack = "/".join(f"{100 * r['visible_at_ack_share']:.0f}%" for r in entry["latency"].values())
        not_found += sum(r["not_found"] for r in entry["latency"].values())
        t = entry["throughput"]
        parts.append(
            f"{name}: ack→searchable p95 {p95} ms, visible at ack {ack}, "
            f"{t['writes']['throughput_per_s']:.0f} writes/s, {t['searches']['throughput_per_s']:.0f} searches/s"
        )
    rates = "/".join(f"{r:g}" for r in results["plan"]["rates"])
    return f"writes benchmark (rates {rates}/s): " + "; ".join(parts) + f"; not found within deadline: {not_found}"


def run(configs: list[Config], plan: Plan, pg_url: str | None, es_url: str | None, out: Path) -> dict[str, Any]:
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine() | {"load_average_at_start": os.getloadavg()},
        "plan": plan.__dict__,
        "api_settings": {
            "write_visibility_timeout_s": VISIBILITY_BOUND_S,
            "outbox_interval_s": OUTBOX_INTERVAL_S,
            **{k: v for k, v in BASE_ENV.items()},
        },
        "search_mix": SEARCH_MIX,
        "configs": {},
    }
    needs_servers = any(c.engine == "elasticsearch" for c in configs)
    started = time.perf_counter()
    with ExitStack() as servers:
        if needs_servers:
            console.print("starting (or reusing) PostgreSQL and Elasticsearch…")
            pg_url = servers.enter_context(node("pg-node.sh", {"IMPACT_PG_PORT": "5435"}, pg_url))
            es_url = servers.enter_context(
                node("es-node.sh", {"IMPACT_ES_PORT": "9261", "IMPACT_ES_HEAP": "1g"}, es_url)
            )
        bar = PhaseBar("writes benchmark", len(configs) * (3 + len(plan.rates)), unit="s")
        with bar.progress:
            for config in configs:
                entry = measure(config, plan, bar, pg_url, es_url)
                results["configs"][config.name] = entry
                if "error" not in entry:
                    console.print(f"  {config.name}: done in {entry['setup_s']:.0f} s setup + measures")
    results["seconds"] = time.perf_counter() - started
    results["ratios"] = ratios(results["configs"])
    results["summary"] = summary_line(results)
    results["files"] = [str(f) for f in record(results, report(results), out, "writes")]
    return results


# -- report ---------------------------------------------------------------------------------


def _ms(s: dict[str, float], *keys: str) -> str:
    return " / ".join(f"{s[k]:.0f}" for k in keys)


def _x(value: float | None) -> str:
    return f"×{value:.2f}" if value else "–"


def report(results: dict[str, Any]) -> str:
    m, plan = results["machine"], results["plan"]
    load = " ".join(f"{v:.1f}" for v in m["load_average_at_start"])
    lines = [
        f"# Writes benchmark {results['date']}",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, Python {m['python']} "
        f"(load average at start: {load}). Run: {results['seconds']:.0f} s.",
        "",
        f"API settings: write visibility bound {results['api_settings']['write_visibility_timeout_s']:g} s, "
        f"outbox interval {results['api_settings']['outbox_interval_s']:g} s (defaults), per-IP rate limit off.",
        "",
        f"`{results['summary']}`",
        "",
        f"## Acknowledged write → searchable (open loop, {plan['latency_s']:g} s per rate)",
        "",
        table_row(
            [
                "config",
                "writes/s target / sent / acked",
                "acked",
                "write response p50 / p95 / max ms",
                f"responses ≥ {results['api_settings']['write_visibility_timeout_s']:g} s (the wait's bound)",
                "searchable at the 201",
                "ack → searchable p50 / p95 / max ms",
                f"not found in {plan['deadline_s']:g} s",
                "errors",
            ]
        ),
        table_row(["---"] * 9),
    ]
    for name, entry in results["configs"].items():
        if "error" in entry:
            lines.append(table_row([name, f"FAILED: {entry['error'][:200]}"] + [""] * 7))
            continue
        for r in entry["latency"].values():
            lines.append(
                table_row(
                    [
                        name,
                        f"{r['target_rate']:g} / {r['sent_per_s']:.1f} / {r['acked_per_s']:.1f}",
                        r["acknowledged"],
                        _ms(r["response_ms"], "p50", "p95", "max"),
                        f"{100 * r['response_at_least_bound_share']:.0f} %",
                        f"{100 * r['visible_at_ack_share']:.1f} %",
                        _ms(r["ack_to_searchable_ms"], "p50", "p95", "max"),
                        r["not_found"],
                        r["errors"],
                    ]
                )
            )
    lines += [
        "",
        f"## Throughput (closed loop, {plan['throughput_s']:g} s each)",
        "",
        table_row(
            [
                "config",
                "processes",
                f"writes/s ({plan['writers']} writers)",
                "write p50 / p95 ms",
                "writes ≥ 1 s",
                f"searches/s ({plan['searchers']} searchers)",
                "search p50 / p95 ms",
                "writes vs SQLite+embedded",
                "searches vs SQLite+embedded",
                "writes vs 1 process",
                "searches vs 1 process",
            ]
        ),
        table_row(["---"] * 11),
    ]
    for name, entry in results["configs"].items():
        if "error" in entry:
            continue
        w, s = entry["throughput"]["writes"], entry["throughput"]["searches"]
        ratio = results["ratios"].get(name, {})
        lines.append(
            table_row(
                [
                    name,
                    entry["processes"],
                    f"{w['throughput_per_s']:.1f}" + (f" ({w['errors']} errors)" if w["errors"] else ""),
                    _ms(w["latency_ms"], "p50", "p95"),
                    f"{100 * w['response_at_least_bound_share']:.0f} %",
                    f"{s['throughput_per_s']:.0f}" + (f" ({s['errors']} errors)" if s["errors"] else ""),
                    _ms(s["latency_ms"], "p50", "p95"),
                    _x(ratio.get("writes_vs_sqlite_embedded")),
                    _x(ratio.get("searches_vs_sqlite_embedded")),
                    _x(ratio.get("writes_vs_1_process")),
                    _x(ratio.get("searches_vs_1_process")),
                ]
            )
        )
    lines += [
        "",
        "## After the run",
        "",
        table_row(["config", "index = store", "health", "setup s", "machine load (1 min) before / after"]),
        table_row(["---"] * 5),
    ]
    for name, entry in results["configs"].items():
        if "error" in entry:
            continue
        health = ", ".join(sorted({h["status"] for h in entry["health"]}))
        lines.append(
            table_row(
                [
                    name,
                    f"{entry['consistency']['index_equals_store']} ({entry['consistency']['detail']})",
                    health,
                    f"{entry['setup_s']:.0f}",
                    f"{entry['load_average_before'][0]:.1f} / {entry['load_average_after'][0]:.1f}",
                ]
            )
        )
    lines += [
        "",
        "Method: benchmarks/README.md (section *Writes: acknowledged → searchable*). Raw numbers, per phase: "
        "the JSON file of the same timestamp.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--configs", default=",".join(CONFIGS), help=f"comma-separated, among {', '.join(CONFIGS)}")
    parser.add_argument("--rates", default="10,50", help="open-loop write rates (writes/s), comma-separated")
    parser.add_argument("--seconds", type=float, help="every phase's duration (overrides the two below)")
    parser.add_argument("--latency-seconds", type=float, default=20.0, help="open-loop duration per rate")
    parser.add_argument("--throughput-seconds", type=float, default=15.0, help="each closed-loop phase")
    parser.add_argument("--deadline", type=float, default=30.0, help="a write not searchable by then is 'not found'")
    parser.add_argument("--writers", type=int, default=8, help="concurrent writers of the write throughput")
    parser.add_argument("--searchers", type=int, default=16, help="concurrent searchers of the search throughput")
    parser.add_argument("--pg-url", default=os.environ.get("IMPACT_BENCH_PG_URL"), help="PostgreSQL server to use")
    parser.add_argument("--es-url", default=os.environ.get("IMPACT_BENCH_ES_URL"), help="Elasticsearch node to use")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    unknown = [c for c in args.configs.split(",") if c not in CONFIGS]
    if unknown:
        parser.error(f"unknown configuration(s) {unknown}; choose among {', '.join(CONFIGS)}")
    plan = Plan(
        rates=[float(r) for r in args.rates.split(",")],
        latency_s=args.seconds or args.latency_seconds,
        throughput_s=args.seconds or args.throughput_seconds,
        deadline_s=args.deadline,
        writers=args.writers,
        searchers=args.searchers,
    )
    results = run([CONFIGS[c] for c in args.configs.split(",")], plan, args.pg_url, args.es_url, args.out)
    console.print(report(results), markup=False, highlight=False, soft_wrap=True)
    console.print(results["summary"], markup=False, highlight=False, soft_wrap=True)
    console.print(f"results: {', '.join(results['files'])} and {args.out / 'writes-latest.md'}")


if __name__ == "__main__":
    main()
