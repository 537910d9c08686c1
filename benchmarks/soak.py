"""`python -m benchmarks.soak --minutes 10`: one real API process (SQLite + embedded engine) under a mixed,
open-loop load for minutes: 90 % reads (search, fiche, /embed page, feed), 10 % writes and moderation.
A short ramp first finds the highest rate the machine sustains with p99 under 1 s; the soak then holds it
and watches errors, latencies, the API process's memory, file descriptors and connections, and checks at
the end that the index equals the store. See benchmarks/README.md (section *Soak*)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import resource
import shutil
import tempfile
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from benchmarks.corpus import CorpusGenerator
from benchmarks.loopback import (
    Prepared,
    bound_client,
    fd_difference,
    health,
    log_problems,
    prepare,
    process_snapshot,
    stats,
    wait_backlog_empty,
)
from benchmarks.queries import query_mix
from benchmarks.report import record, table_row
from benchmarks.run import console, machine
from indexer.embedded import EmbeddedEngine
from tests.reliability.processes import ApiProcess
from tests.reliability.workload import index_equals_store

ROOT = Path(__file__).resolve().parent.parent
HTTP_TIMEOUT = 30.0  # every request of the load fails (and counts as an error) after this many seconds
P99_GOAL_S = 1.0
# The share of each operation in the load (per 100 operations): 90 reads, 10 writes and moderation.
MIX = {"search": 45, "fiche": 20, "embed": 15, "feed": 10, "submit": 4, "publish": 2, "reject": 1, "edit": 3}
READS = ("search", "fiche", "embed", "feed")
# Request classes recorded: the operations, plus the editor's GET (for the ETag) before each edit.
CLASSES = (*READS, "submit", "publish", "reject", "edit", "edit_read")
EXPECTED = {"submit": 201}  # every other class answers 200
# The API keeps its default rate limits. The load is spread over loopback addresses (127.0.1.x), each at most
# this many operations per second: a fifth of the default per-client read limit (1,200/min, i.e. 20/s), a
# tenth of the write limit for its writes (300/min). 429s, if any, are counted apart from errors.
PER_ADDRESS_RATE = 4.0
MAX_ADDRESSES = 250
CONNECTIONS_PER_ADDRESS = 8
# The API's defaults, rate limits on; lexical search (embedding 100k practices in the background would be
# the load measured: hybrid search has its own benchmark, benchmarks/hybrid.py).
API_ENV: dict[str, str] = {"IMPACT_EMBEDDER": "none"}


@dataclass(frozen=True)
class Plan:
    minutes: float
    rate: float | None  # fixed soak rate (no ramp)
    ramp_start: float
    ramp_factor: float
    ramp_step_s: float
    ramp_max_steps: int
    refine: int
    generated: int
    sample_every_s: float
    max_in_flight: int
    seed: int
    # Unmeasured load at the soak rate before the soak: pools (database connections, worker threads) and
    # caches reach their working size, so "start" is the steady state a leak would grow from.
    warmup_s: float = 60.0


# -- recording ------------------------------------------------------------------------------


@dataclass
class ClassRecord:
    latencies: list[float] = field(default_factory=list)
    codes: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    rate_limited: int = 0
    error_samples: list[str] = field(default_factory=list)


class Recorder:
    """Latencies, status codes and errors per request class; a window of recent latencies for the live view."""

    def __init__(self) -> None:
        self.classes = {name: ClassRecord() for name in CLASSES}
        self.window: list[float] = []
        self.requests = 0
        self.errors = 0
        self.rate_limited = 0

    def record(self, name: str, status: int | None, seconds: float, error: str | None = None) -> None:
        entry = self.classes[name]
        self.requests += 1
        entry.codes[str(status) if status is not None else "transport"] += 1
        if status == 429:
            entry.rate_limited += 1
            self.rate_limited += 1
            return
        if status != EXPECTED.get(name, 200):
            entry.errors += 1
            self.errors += 1
            if len(entry.error_samples) < 5:
                entry.error_samples.append(error or f"HTTP {status}")
            return
        entry.latencies.append(seconds)
        self.window.append(seconds)

    def take_window(self) -> list[float]:
        window, self.window = self.window, []
        return window

    def summary(self) -> dict[str, Any]:
        def of(records: list[ClassRecord]) -> dict[str, Any]:
            latencies = [s for r in records for s in r.latencies]
            codes: Counter[str] = Counter()
            for r in records:
                codes.update(r.codes)
            return {
                "requests": sum(codes.values()),
                "ok": len(latencies),
                "errors": sum(r.errors for r in records),
                "rate_limited": sum(r.rate_limited for r in records),
                "status_codes": dict(sorted(codes.items())),
                "latency_ms": stats(latencies),
            }

        classes = {name: of([r]) | {"error_samples": r.error_samples} for name, r in self.classes.items() if r.codes}
        return {
            "classes": classes,
            "reads": of([self.classes[n] for n in READS]),
            "writes": of([r for n, r in self.classes.items() if n not in READS]),
            "overall": of(list(self.classes.values())),
        }


# -- the workload -----------------------------------------------------------------------------


def query_string(params: list[tuple[str, Any]], drop: tuple[str, ...] = ()) -> list[tuple[str, Any]]:
    return [(k, v) for k, v in params if k not in drop]


class Workload:
    """What each operation sends: varied searches (the benchmark's 240-query mix), fiches of published
    monographs, contributors' submissions, editors' publications, rejections and edits (If-Match)."""

    def __init__(self, url: str, prepared: Prepared, published_ids: list[str], seed: int) -> None:
        self.url = url
        self.editor = {"X-API-Key": prepared.editor_key}
        self.contributor = {"X-API-Key": prepared.contributor_key}
        self.rng = random.Random(seed)
        self.queries = [q.query_string() for q in query_mix(CorpusGenerator(), total=240, seed=seed)]
        self.published = list(published_ids)
        self.editable = [i for i in published_ids]  # edited one at a time each (no 409 between our own edits)
        self.editing: set[str] = set()
        self.pending: deque[str] = deque()
        self.bodies = CorpusGenerator(seed=seed + 1000)
        self.run_tag = f"{seed}-{int(time.time())}"
        self.written = 0
        self.names: list[str] = list(MIX)
        self.weights: list[int] = list(MIX.values())

    def pick(self) -> str:
        return self.rng.choices(self.names, self.weights)[0]

    def body(self) -> dict[str, Any]:
        self.written += 1
        monograph = self.bodies.monograph(self.written)
        return dict(monograph.content().model_dump(mode="json"))

    async def run(self, op: str, http: httpx.AsyncClient, recorder: Recorder) -> None:
        if op in ("publish", "reject") and not self.pending:
            op = "submit"  # nothing to moderate yet
        if op == "edit":
            await self.edit(http, recorder)
            return
        kwargs: dict[str, Any]
        if op == "search":
            method, path, kwargs = "GET", "/api/v1/search", {"params": self.rng.choice(self.queries)}
        elif op == "fiche":
            method, path, kwargs = "GET", f"/api/v1/monographs/{self.rng.choice(self.published)}", {}
        elif op == "embed":
            params = query_string(self.rng.choice(self.queries), drop=("page", "size"))
            if self.rng.random() < 0.5:
                params.append(("facets", "hide"))
            method, path, kwargs = "GET", "/embed", {"params": params}
        elif op == "feed":
            params = query_string(self.rng.choice(self.queries), drop=("page", "sort"))
            kind = self.rng.choice(("atom", "rss"))
            method, path, kwargs = "GET", f"/feeds/search.{kind}", {"params": params}
        elif op == "submit":
            body = self.body() | {"external_id": f"soak-{self.run_tag}-{self.written}"}
            method, path, kwargs = "POST", "/api/v1/monographs", {"json": body, "headers": self.contributor}
        else:
            target = self.pending.popleft()
            body = {"reason": "Fiche incomplète : résultats non chiffrés."} if op == "reject" else {}
            method, path = "POST", f"/api/v1/monographs/{target}/{op}"
            kwargs = {"json": body, "headers": self.editor}
        answer = await self.send(http, recorder, op, method, path, **kwargs)
        if answer is None:
            return
        if op == "submit" and answer.status_code == 201:
            self.pending.append(answer.json()["id"])
        elif op == "publish" and answer.status_code == 200:
            self.published.append(target)
            self.editable.append(target)

    async def edit(self, http: httpx.AsyncClient, recorder: Recorder) -> None:
        """The editor reads the fiche (ETag), then replaces its content with If-Match."""
        target = next((i for i in (self.rng.choice(self.editable) for _ in range(5)) if i not in self.editing), None)
        if target is None:
            return
        self.editing.add(target)
        try:
            current = await self.send(
                http, recorder, "edit_read", "GET", f"/api/v1/monographs/{target}", headers=self.editor
            )
            if current is None or current.status_code != 200:
                return
            body = self.body()
            body["title"] = f"{body['title'][:150]} (révision {self.written})"
            headers = self.editor | {"If-Match": current.headers["ETag"]}
            await self.send(http, recorder, "edit", "PUT", f"/api/v1/monographs/{target}", json=body, headers=headers)
        finally:
            self.editing.discard(target)

    async def send(
        self, http: httpx.AsyncClient, recorder: Recorder, name: str, method: str, path: str, **kwargs: Any
    ) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            answer = await http.request(method, f"{self.url}{path}", **kwargs)
        except httpx.HTTPError as exc:
            recorder.record(name, None, time.perf_counter() - started, f"{name}: {type(exc).__name__}: {exc}")
            return None
        elapsed = time.perf_counter() - started
        error = None
        if answer.status_code != EXPECTED.get(name, 200):
            error = f"{method} {path[:60]} → {answer.status_code}: {answer.text[:200]}"
        recorder.record(name, answer.status_code, elapsed, error)
        return answer


# -- progress -------------------------------------------------------------------------------


class Bar:
    """One bar for the run (phases done) and one for the phase running (seconds), with live counts."""

    def __init__(self, phases: int) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:.0f}/{task.total:.0f}"),
            TimeElapsedColumn(),
            TextColumn("{task.fields[status]}"),
            console=console,
            transient=True,
        )
        self.run: TaskID = self.progress.add_task("soak benchmark (phases)", total=phases, status="")
        self.phase: TaskID = self.progress.add_task("", total=1, status="")

    def start(self, description: str, seconds: float) -> None:
        self.progress.reset(self.phase, total=max(seconds, 1e-3), description=f"  {description} (s)", status="")

    def tick(self, elapsed: float, status: str) -> None:
        self.progress.update(self.phase, completed=elapsed, status=status)

    def done(self, phases: int = 1) -> None:
        self.progress.advance(self.run, phases)


# -- one open-loop phase ----------------------------------------------------------------------


def addresses(count: int) -> list[str]:
    """127.0.1.1, 127.0.1.2…: distinct clients for the API's per-address limits."""
    return [f"127.0.{1 + i // 250}.{1 + i % 250}" for i in range(count)]


@contextlib.asynccontextmanager
async def client_pool(rate: float) -> AsyncIterator[list[httpx.AsyncClient]]:
    count = min(MAX_ADDRESSES, max(2, math.ceil(rate / PER_ADDRESS_RATE)))
    async with contextlib.AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(bound_client(a, CONNECTIONS_PER_ADDRESS, HTTP_TIMEOUT))
            for a in addresses(count)
        ]


async def open_loop(
    workload: Workload,
    rate: float,
    seconds: float,
    plan: Plan,
    bar: Bar,
    label: str,
    sample: Callable[[float, Recorder, int], None] | None = None,
) -> dict[str, Any]:
    """Operations sent on schedule (`rate` per second) whatever the answers; an operation whose turn comes
    while `max_in_flight` are still running is skipped (counted): the load generator never queues."""
    recorder = Recorder()
    in_flight: set[asyncio.Task[None]] = set()
    lags: list[float] = []
    skipped = 0
    async with client_pool(rate) as pool:
        started = time.perf_counter() + 0.05
        next_sample = plan.sample_every_s
        count = max(1, round(rate * seconds))
        for n in range(count):
            scheduled = started + n / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            now = time.perf_counter()
            lags.append(max(0.0, now - scheduled))
            if len(in_flight) >= plan.max_in_flight:
                skipped += 1
            else:
                op = workload.pick()
                task = asyncio.create_task(workload.run(op, pool[n % len(pool)], recorder))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
            elapsed = now - started
            if n % 20 == 0:
                bar.tick(elapsed, live_status(recorder, len(in_flight)))
            if sample is not None and elapsed >= next_sample:
                sample(elapsed, recorder, len(in_flight))
                next_sample += plan.sample_every_s
        sent_span = time.perf_counter() - started
        if in_flight:
            await asyncio.gather(*in_flight)
        drained = time.perf_counter() - started
    result = recorder.summary()
    result |= {
        "label": label,
        "target_rate": rate,
        "seconds": seconds,
        "operations": count,
        "sent_per_s": (count - skipped) / sent_span if sent_span > 0 else 0.0,
        "skipped_in_flight_cap": skipped,
        "drain_s": drained - sent_span,
        "scheduler_lag_ms": stats(lags),
        "addresses": min(MAX_ADDRESSES, max(2, math.ceil(rate / PER_ADDRESS_RATE))),
    }
    return result


def live_status(recorder: Recorder, in_flight: int) -> str:
    window = sorted(recorder.window[-2000:])
    p99 = window[min(len(window) - 1, round(0.99 * (len(window) - 1)))] * 1000 if window else 0.0
    return (
        f"{recorder.requests} requests, {recorder.errors} errors, {recorder.rate_limited} × 429, "
        f"p99 {p99:.0f} ms (recent), {in_flight} in flight"
    )


def verdict(phase: dict[str, Any]) -> tuple[bool, str]:
    """Whether a ramp step held: p99 under the goal, no error, no 429, every operation sent on time."""
    overall = phase["overall"]
    reasons = []
    if overall["latency_ms"]["p99"] >= P99_GOAL_S * 1000:
        reasons.append(f"p99 {overall['latency_ms']['p99']:.0f} ms")
    if overall["errors"]:
        reasons.append(f"{overall['errors']} errors")
    if overall["rate_limited"]:
        reasons.append(f"{overall['rate_limited']} × 429")
    if phase["skipped_in_flight_cap"]:
        reasons.append(f"{phase['skipped_in_flight_cap']} not sent (in-flight cap)")
    if phase["sent_per_s"] < 0.95 * phase["target_rate"]:
        reasons.append(f"sent {phase['sent_per_s']:.1f}/s only")
    return (not reasons, "; ".join(reasons) or "held")


# -- the run --------------------------------------------------------------------------------


async def settle(url: str) -> float:
    waited, _ = await asyncio.to_thread(wait_backlog_empty, url, 60.0)
    await asyncio.sleep(1.0)
    return waited


async def ramp(workload: Workload, plan: Plan, bar: Bar, url: str) -> dict[str, Any]:
    """Rates ×`ramp_factor` from `ramp_start` until a step fails, then `refine` bisections between the
    last step that held and the first that failed; the chosen rate is the highest that held."""
    steps: list[dict[str, Any]] = []

    async def step(rate: float) -> bool:
        bar.start(f"ramp: {rate:.0f} operations/s", plan.ramp_step_s)
        result = await open_loop(workload, rate, plan.ramp_step_s, plan, bar, f"ramp {rate:.1f}")
        held, why = verdict(result)
        result |= {"held": held, "why": why, "settle_s": await settle(url)}
        steps.append(result)
        bar.done()
        console.print(
            f"  ramp {rate:6.1f} ops/s: p50/p95/p99 "
            f"{result['overall']['latency_ms']['p50']:.0f}/{result['overall']['latency_ms']['p95']:.0f}/"
            f"{result['overall']['latency_ms']['p99']:.0f} ms, {result['overall']['errors']} errors: {why}"
        )
        return held

    rate, best, failed = plan.ramp_start, None, None
    for _ in range(plan.ramp_max_steps):
        if await step(rate):
            best = rate
            rate *= plan.ramp_factor
        else:
            failed = rate
            break
    bar.done(plan.ramp_max_steps - len(steps))
    for _ in range(plan.refine):
        if best is None or failed is None:
            bar.done()
            continue
        middle = (best + failed) / 2
        if await step(middle):
            best = middle
        else:
            failed = middle
    return {
        "steps": steps,
        "chosen_rate": best if best is not None else plan.ramp_start,
        "none_held": best is None,
        "first_failed_rate": failed,
    }


async def soak(
    workload: Workload, rate: float, plan: Plan, bar: Bar, api: ApiProcess, index_dir: Path
) -> dict[str, Any]:
    assert api.process is not None
    pid = api.process.pid
    seconds = plan.minutes * 60
    reference_s = min(120.0, seconds * 0.2)  # "minute 2"; earlier in short development runs
    timeline: list[dict[str, Any]] = []
    marks: dict[str, Any] = {"start": process_snapshot(pid, index_dir)}

    def sample(elapsed: float, recorder: Recorder, in_flight: int) -> None:
        snap = process_snapshot(pid, index_dir)
        window = recorder.take_window()
        timeline.append(
            {
                "t_s": round(elapsed, 1),
                "rss_mb": round(snap["rss_mb"], 1),
                "rss_anon_mb": round(snap["rss_anon_mb"], 1),
                "rss_file_mb": round(snap["rss_file_mb"], 1),
                "fds": snap["fds"],
                "tcp_connections": snap["tcp_connections"],
                "threads": snap["threads"],
                "in_flight": in_flight,
                "requests": recorder.requests,
                "errors": recorder.errors,
                "rate_limited": recorder.rate_limited,
                "window_p99_ms": round(stats(window)["p99"], 1),
                "load_average": os.getloadavg()[0],
            }
        )
        if "at_2min" not in marks and elapsed >= reference_s:
            marks["at_2min"] = snap | {"elapsed_s": elapsed}
        marks["end_of_load"] = snap | {"elapsed_s": elapsed}

    bar.start(f"soak: {rate:.1f} operations/s for {plan.minutes:g} min", seconds)
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    result = await open_loop(workload, rate, seconds, plan, bar, "soak", sample)
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    marks.setdefault("at_2min", marks.get("end_of_load"))
    bar.done()
    bar.start("drain the index outbox, then compare the index with the store", 1)
    result["settle_s"] = await settle(api.url)
    await asyncio.sleep(2.0)  # the server closes the load's keep-alive connections
    marks["end"] = process_snapshot(pid, index_dir)
    result["timeline"] = timeline
    result["process"] = marks
    result["harness_cpu_s"] = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    result["api_cpu_s"] = marks["end"]["cpu_s"] - marks["start"]["cpu_s"]
    result["fd_change_start_to_end"] = fd_difference(marks["start"], marks["end"])
    return result


def consistency(url: str, prepared: Prepared) -> dict[str, Any]:
    """With the API still running and its outbox empty: a read-only EmbeddedEngine on the data directory
    (it never takes the writer) against the store, same ids and versions; and /health's count."""
    waited, last = wait_backlog_empty(url, 120.0)
    store = prepared.store()
    engine = EmbeddedEngine(prepared.data_dir / "index")
    try:
        same, detail = index_equals_store(store, engine)
        counts = store.counts_by_status()
    finally:
        engine.close()
        store.close()
    return {
        "method": "engine.versions() of a read-only EmbeddedEngine on the data dir == store.published_versions() "
        "(ids and versions), with the API running and /health backlog 0",
        "index_equals_store": same,
        "detail": detail,
        "waited_for_backlog_s": waited,
        "health_status": last.get("status"),
        "health_problems": last.get("problems", []),
        "health_backlog": last.get("index", {}).get("backlog"),
        "health_dead_letters": last.get("index", {}).get("dead_letters"),
        "health_engine_documents": last.get("engine", {}).get("documents"),
        "store_counts": counts,
    }


def goals(results: dict[str, Any]) -> dict[str, Any]:
    s = results["soak"]
    start, at2, end_load, end = (s["process"][k] for k in ("start", "at_2min", "end_of_load", "end"))
    growth = 100 * (end_load["rss_mb"] - at2["rss_mb"]) / at2["rss_mb"] if at2["rss_mb"] else 0.0
    return {
        "zero_errors": s["overall"]["errors"] == 0,
        "p99_under_1s": s["overall"]["latency_ms"]["p99"] < P99_GOAL_S * 1000,
        "rss_growth_pct_2min_to_end": growth,
        "rss_growth_under_10pct": growth < 10,
        "fds_start_end": [start["fds"], end["fds"]],
        "fds_no_growth": end["fds"] <= start["fds"],
        "tcp_connections_start_end": [start["tcp_connections"], end["tcp_connections"]],
        "connections_no_growth": end["tcp_connections"] <= start["tcp_connections"],
        "index_equals_store": results["consistency"]["index_equals_store"],
        "no_429": s["overall"]["rate_limited"] == 0,
        "all_sent": s["skipped_in_flight_cap"] == 0,
    }


def summary_line(results: dict[str, Any]) -> str:
    s, g = results["soak"], results["goals"]
    o = s["overall"]["latency_ms"]
    per_class = ", ".join(
        f"{name} {c['latency_ms']['p50']:.0f}/{c['latency_ms']['p95']:.0f}/{c['latency_ms']['p99']:.0f}"
        for name, c in s["classes"].items()
    )
    p = s["process"]
    return (
        f"soak {results['plan']['minutes']:g} min at {s['target_rate']:.1f} ops/s (sent {s['sent_per_s']:.1f}/s): "
        f"{s['overall']['requests']} requests, {s['overall']['errors']} errors, {s['overall']['rate_limited']} × 429, "
        f"{s['skipped_in_flight_cap']} not sent; "
        f"p50/p95/p99 {o['p50']:.0f}/{o['p95']:.0f}/{o['p99']:.0f} ms ({per_class}); "
        f"RSS {p['at_2min']['rss_mb']:.0f} → {p['end_of_load']['rss_mb']:.0f} MB "
        f"({g['rss_growth_pct_2min_to_end']:+.1f} %); "
        f"fds {p['start']['fds']} → {p['end']['fds']}; TCP connections {p['start']['tcp_connections']} → "
        f"{p['end']['tcp_connections']}; index = store: {results['consistency']['index_equals_store']}"
    )


async def measure(plan: Plan, prepared: Prepared, api: ApiProcess, bar: Bar) -> dict[str, Any]:
    store = prepared.store()
    try:
        published_ids = [i for i, _ in store.published_versions()]
    finally:
        store.close()
    workload = Workload(api.url, prepared, published_ids, plan.seed)
    out: dict[str, Any] = {}
    # Warm-up (unmeasured): every route once, so start-up costs are not in the first step.
    await open_loop(workload, 5.0, 3.0, plan, bar, "warm-up")
    await settle(api.url)
    if plan.rate is None:
        out["ramp"] = await ramp(workload, plan, bar, api.url)
        rate = out["ramp"]["chosen_rate"]
    else:
        out["ramp"] = None
        bar.done(plan.ramp_max_steps + plan.refine)
        rate = plan.rate
    if plan.warmup_s > 0:
        bar.start(f"warm-up at {rate:.1f} operations/s for {plan.warmup_s:g} s (unmeasured)", plan.warmup_s)
        await open_loop(workload, rate, plan.warmup_s, plan, bar, "warm-up")
        await settle(api.url)
        await asyncio.sleep(2.0)  # the server closes the warm-up's keep-alive connections
        bar.done()
    out["soak"] = await soak(workload, rate, plan, bar, api, prepared.data_dir / "index")
    return out


def run(plan: Plan, out: Path) -> dict[str, Any]:
    started = time.perf_counter()
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine() | {"load_average_at_start": os.getloadavg()},
        "plan": plan.__dict__,
        "mix": MIX,
        "api_settings": {
            "rate_limits": "defaults (on): reads 1200/min + 600/10 s, writes 300/min + 60/10 s per client address",
            "load_addresses": f"127.0.1.x, one per {PER_ADDRESS_RATE:g} operations/s of the target rate",
            "engine": "embedded",
            "store": "sqlite",
            "env": API_ENV,
        },
    }
    work = Path(tempfile.mkdtemp(prefix="impact-soak-"))
    bar = Bar(2 + plan.ramp_max_steps + plan.refine + 1 + (plan.warmup_s > 0))
    try:
        with bar.progress:
            bar.start("seed, generate and index the store", 1)

            def progress(what: str, done: int, total: int) -> None:
                bar.progress.update(bar.phase, description=f"  {what}", completed=done, total=total)

            prepared = prepare(work, plan.generated, API_ENV, progress)
            results["store"] = {
                "published": prepared.published,
                "generated": prepared.generated,
                "seed": prepared.published - prepared.generated,
                "setup_s": prepared.seconds,
            }
            bar.done()
            api = ApiProcess(work, API_ENV, name="soak-api").start()
            try:
                results["api_start_health"] = health(api.url).get("status")
                results |= asyncio.run(measure(plan, prepared, api, bar))
                results["consistency"] = consistency(api.url, prepared)
                bar.done()
            finally:
                api.stop()
                results["api_log"] = log_problems(api.log)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["load_average_at_end"] = os.getloadavg()
    results["seconds"] = time.perf_counter() - started
    results["goals"] = goals(results)
    results["summary"] = summary_line(results)
    results["files"] = [str(f) for f in record(results, report(results), out, "soak")]
    return results


# -- report ---------------------------------------------------------------------------------


def _load_range(timeline: list[dict[str, Any]]) -> str:
    loads = [t["load_average"] for t in timeline]
    if not loads:
        return "–"
    return f"min {min(loads):.1f}, mean {sum(loads) / len(loads):.1f}, max {max(loads):.1f}"


def _changes(change: dict[str, int]) -> str:
    return ", ".join(f"{name} {delta:+d}" for name, delta in change.items())


def _yes(value: bool) -> str:
    return "yes" if value else "**NO**"


def report(results: dict[str, Any]) -> str:
    m, plan, s, g = results["machine"], results["plan"], results["soak"], results["goals"]
    load = " ".join(f"{v:.1f}" for v in m["load_average_at_start"])
    lines = [
        f"# Soak {results['date']}",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, Python {m['python']} "
        f"(load average at start: {load}; at end: {' '.join(f'{v:.1f}' for v in results['load_average_at_end'])}). "
        f"Run: {results['seconds']:.0f} s.",
        "",
        f"One API process (uvicorn, SQLite + embedded engine) on loopback, {results['store']['published']} "
        f"published monographs at start ({results['store']['seed']} seed + {results['store']['generated']} "
        f"generated). Rate limits: {results['api_settings']['rate_limits']}; the load leaves from "
        f"{s['addresses']} loopback addresses ({results['api_settings']['load_addresses']}). "
        "Mix per 100 operations: " + ", ".join(f"{k} {v}" for k, v in results["mix"].items()) + " (an edit is the "
        "editor's GET, `edit_read`, then a PUT with If-Match).",
        "",
        f"`{results['summary']}`",
        "",
    ]
    if results.get("ramp"):
        r = results["ramp"]
        lines += [
            f"## Ramp ({plan['ramp_step_s']:g} s per step, open loop)",
            "",
            table_row(["operations/s target / sent", "requests", "p50 / p95 / p99 ms", "errors", "429", "verdict"]),
            table_row(["---"] * 6),
        ]
        for step in r["steps"]:
            o = step["overall"]
            lines.append(
                table_row(
                    [
                        f"{step['target_rate']:.1f} / {step['sent_per_s']:.1f}",
                        o["requests"],
                        f"{o['latency_ms']['p50']:.0f} / {o['latency_ms']['p95']:.0f} / {o['latency_ms']['p99']:.0f}",
                        o["errors"],
                        o["rate_limited"],
                        step["why"],
                    ]
                )
            )
        lines += [
            "",
            f"Chosen: **{r['chosen_rate']:.1f} operations/s** (the highest step with p99 under "
            f"{P99_GOAL_S:g} s, no error, no 429, every operation sent on time)"
            + (" — no step held: soaked at the ramp's first rate." if r["none_held"] else "."),
            "",
        ]
    lines += [
        f"## Soak: {s['target_rate']:.1f} operations/s for {plan['minutes']:g} min",
        "",
        (
            f"Warm-up first: {plan['warmup_s']:g} s at the soak rate, unmeasured (pools and caches at their working "
            "size, so the start of the soak is the steady state a leak would grow from). "
            if plan.get("warmup_s")
            else ""
        )
        + f"Sent {s['sent_per_s']:.1f} operations/s ({s['operations']} operations, "
        f"{s['skipped_in_flight_cap']} not sent "
        f"for the in-flight cap); last answers {s['drain_s']:.1f} s after the last send. "
        f"API CPU {s['api_cpu_s']:.0f} s, "
        f"load generator CPU {s['harness_cpu_s']:.0f} s over {plan['minutes'] * 60:.0f} s on {m['cores']} cores; "
        f"machine load average (1 min) during the soak: {_load_range(s['timeline'])} (other work on the machine "
        "takes cores from the API too).",
        "",
        table_row(["class", "requests", "errors", "429", "p50 ms", "p95 ms", "p99 ms", "max ms", "status codes"]),
        table_row(["---"] * 9),
    ]
    for name, c in [
        *s["classes"].items(),
        ("**reads**", s["reads"]),
        ("**writes**", s["writes"]),
        ("**all**", s["overall"]),
    ]:
        ms = c["latency_ms"]
        codes = ", ".join(f"{k}: {v}" for k, v in c["status_codes"].items())
        lines.append(
            table_row(
                [
                    name,
                    c["requests"],
                    c["errors"],
                    c["rate_limited"],
                    f"{ms['p50']:.0f}",
                    f"{ms['p95']:.0f}",
                    f"{ms['p99']:.0f}",
                    f"{ms['max']:.0f}",
                    codes,
                ]
            )
        )
    samples = [e for c in s["classes"].values() for e in c.get("error_samples", [])]
    if samples:
        lines += ["", "Error samples:", "", *[f"- `{e[:300]}`" for e in samples[:10]]]
    p = s["process"]
    lines += [
        "",
        "## API process",
        "",
        table_row(
            ["", "start of soak", f"minute {p['at_2min'].get('elapsed_s', 0) / 60:.1f}", "end of load", "end (idle)"]
        ),
        table_row(["---"] * 5),
    ]
    for label, key, fmt in [
        ("RSS MB", "rss_mb", "{:.1f}"),
        ("of which anonymous MB", "rss_anon_mb", "{:.1f}"),
        ("of which file-backed MB (mapped index)", "rss_file_mb", "{:.1f}"),
        ("open file descriptors", "fds", "{}"),
        ("TCP connections (listening socket apart)", "tcp_connections", "{}"),
        ("threads", "threads", "{}"),
    ]:
        lines.append(table_row([label, *(fmt.format(p[k][key]) for k in ("start", "at_2min", "end_of_load", "end"))]))
    c = results["consistency"]
    lines += [
        "",
        "## Goals",
        "",
        table_row(["goal", "measured", "met"]),
        table_row(["---"] * 3),
        table_row(["0 errors", s["overall"]["errors"], _yes(g["zero_errors"])]),
        table_row(["p99 under 1 s", f"{s['overall']['latency_ms']['p99']:.0f} ms", _yes(g["p99_under_1s"])]),
        table_row(
            [
                "RSS growth minute 2 → end under 10 %",
                f"{g['rss_growth_pct_2min_to_end']:+.1f} %",
                _yes(g["rss_growth_under_10pct"]),
            ]
        ),
        table_row(
            [
                "open fds: no growth",
                " → ".join(map(str, g["fds_start_end"]))
                + (f" ({_changes(s['fd_change_start_to_end'])})" if s["fd_change_start_to_end"] else ""),
                _yes(g["fds_no_growth"]),
            ]
        ),
        table_row(
            [
                "TCP connections: no growth",
                " → ".join(map(str, g["tcp_connections_start_end"])),
                _yes(g["connections_no_growth"]),
            ]
        ),
        table_row(["index = store at the end", c["detail"], _yes(c["index_equals_store"])]),
        table_row(["no 429 (limits out of the way)", s["overall"]["rate_limited"], _yes(g["no_429"])]),
        table_row(["every operation sent (under 1,000 in flight)", s["skipped_in_flight_cap"], _yes(g["all_sent"])]),
        "",
        f"Index = store: {c['method']}. /health after the run: {c['health_status']}, backlog {c['health_backlog']}, "
        f"dead letters {c['health_dead_letters']}, engine documents {c['health_engine_documents']}; "
        f"store: {c['store_counts']}.",
        "",
        f"API log: {results['api_log']['error_lines']} ERROR/Traceback lines, {results['api_log']['warning_lines']} "
        "WARNING lines" + (" (first ones in the JSON file)." if results["api_log"]["error_lines"] else "."),
        "",
        "Timeline (every sample: RSS, fds, connections, recent p99) and every number: the JSON file of the same "
        "timestamp. Method: benchmarks/README.md (section *Soak*).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0, help="soak duration")
    parser.add_argument("--rate", type=float, help="soak at this many operations/s (skips the ramp)")
    parser.add_argument("--ramp-start", type=float, default=10.0, help="first ramp rate (operations/s)")
    parser.add_argument("--ramp-factor", type=float, default=1.4, help="each ramp step's rate over the previous")
    parser.add_argument("--ramp-step-seconds", type=float, default=8.0, help="duration of each ramp step")
    parser.add_argument("--ramp-max-steps", type=int, default=10, help="ramp steps before bisection at most")
    parser.add_argument(
        "--refine", type=int, default=1, help="bisections between the last step held and the first failed"
    )
    parser.add_argument("--generated", type=int, default=400, help="generated published monographs added to the seed")
    parser.add_argument("--sample-seconds", type=float, default=5.0, help="API process sampling period")
    parser.add_argument("--max-in-flight", type=int, default=1000, help="operations running at once at most")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the operation mix")
    parser.add_argument(
        "--warmup-seconds", type=float, default=60.0, help="unmeasured load at the soak rate before the soak"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    plan = Plan(
        minutes=args.minutes,
        rate=args.rate,
        ramp_start=args.ramp_start,
        ramp_factor=args.ramp_factor,
        ramp_step_s=args.ramp_step_seconds,
        ramp_max_steps=args.ramp_max_steps,
        refine=args.refine,
        generated=args.generated,
        sample_every_s=args.sample_seconds,
        max_in_flight=args.max_in_flight,
        seed=args.seed,
        warmup_s=args.warmup_seconds,
    )
    results = run(plan, args.out)
    console.print(report(results), markup=False, highlight=False, soft_wrap=True)
    console.print(results["summary"], markup=False, highlight=False, soft_wrap=True)
    console.print(f"results: {', '.join(results['files'])} and {args.out / 'soak-latest.md'}")


if __name__ == "__main__":
    main()
