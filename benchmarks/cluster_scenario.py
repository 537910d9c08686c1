"""Scale-out scenario (not CI): a 3-node Elasticsearch cluster on loopback, PostgreSQL, two API
processes, a write workload and concurrent searches, one data node killed with SIGKILL mid-write.

    scripts/es-cluster-scenario.sh                    # the whole scenario, cleaned up at the end
    .venv/bin/python -m benchmarks.cluster_scenario --help

Round 1 kills the node holding the index's primary shard, which neither API process talks to.
Round 2 kills the node the first API process talks to (`IMPACT_ELASTICSEARCH_URL` takes one URL).
Each round restarts the killed node while writes go on and measures: writes acknowledged and
refused, searches answered and failed while the node is down, the cluster status over time
(green → yellow → green), and the time until the index equals the store again. At the end the
index must equal the store exactly (`index_equals_store`), and every acknowledged version must
be in the store. Results: benchmarks/results/cluster-scenario-<timestamp>.md and .json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import threading
import time
import types
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from elasticsearch import Elasticsearch
from psycopg import sql

from api.store import Role, Store
from indexer.elasticsearch_engine import ElasticsearchEngine
from indexer.engine import EngineConfig
from tests.reliability import workload
from tests.reliability.processes import ApiProcess
from tests.reliability.workload import index_equals_store, write_workload

ROOT = Path(__file__).resolve().parent.parent
ES_CLUSTER = ROOT / "scripts" / "es-cluster.sh"
PG_NODE = ROOT / "scripts" / "pg-node.sh"
RESULTS = ROOT / "benchmarks" / "results"
T0 = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - T0:7.1f} s] {message}", flush=True)


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


# ---------------------------------------------------------------------------------------------------------
# Processes: the cluster (scripts/es-cluster.sh), PostgreSQL (scripts/pg-node.sh)
# ---------------------------------------------------------------------------------------------------------


class Cluster:
    def __init__(self, nodes: int, http_base: int, transport_base: int, run_root: Path) -> None:
        self.size = nodes
        self.urls = [f"http://127.0.0.1:{http_base + i}" for i in range(nodes)]
        self.names = [f"impact-es-{http_base + i}" for i in range(nodes)]
        self.env = os.environ | {
            "IMPACT_ES_CLUSTER_NODES": str(nodes),
            "IMPACT_ES_CLUSTER_HTTP_BASE": str(http_base),
            "IMPACT_ES_CLUSTER_TRANSPORT_BASE": str(transport_base),
            "IMPACT_ES_CLUSTER_RUN_ROOT": str(run_root),
            # A node takes 20 s to start on an idle 2-core machine, over 3 minutes on a busy one.
            "IMPACT_ES_CLUSTER_TIMEOUT": os.environ.get("IMPACT_ES_CLUSTER_TIMEOUT", "600"),
        }
        self.down: set[int] = set()
        self.client = httpx.Client(timeout=5)

    def script(self, *args: str, timeout: float = 1500) -> str:
        done = subprocess.run(
            ["bash", str(ES_CLUSTER), *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            raise RuntimeError(f"es-cluster.sh {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def node_of(self, name: str) -> int:
        return self.names.index(name)

    def get(self, path: str, node: int | None = None, timeout: float = 3) -> Any:
        """GET from `node`, or from the first node up that answers."""
        order = [node] if node is not None else [i for i in range(self.size) if i not in self.down]
        error: Exception | None = None
        for i in order:
            try:
                answer = self.client.get(f"{self.urls[i]}{path}", timeout=timeout)
                answer.raise_for_status()
                return answer.json()
            except httpx.HTTPError as exc:
                error = exc
        raise RuntimeError(f"no node answered {path}: {error}")

    def kill(self, i: int) -> None:
        self.down.add(i)
        self.script("kill", str(i + 1), timeout=60)

    def start_node(self, i: int) -> None:
        self.script("start", str(i + 1))
        self.down.discard(i)

    def shards(self, index: str) -> dict[str, str]:
        """'primary' / 'replica' → node name (or UNASSIGNED)."""
        rows = self.get(f"/_cat/shards/{index}?format=json&h=prirep,state,node")
        found: dict[str, str] = {}
        for row in rows:
            role = "primary" if row["prirep"] == "p" else "replica"
            found[role] = row.get("node") or row["state"]
        return found

    def master(self) -> str:
        return str(self.get("/_cat/master?format=json")[0]["node"])


def pg_status(env: dict[str, str]) -> int:
    return subprocess.run(["bash", str(PG_NODE), "status"], env=env, capture_output=True).returncode


def pg_start(env: dict[str, str]) -> str:
    done = subprocess.run(["bash", str(PG_NODE), "start"], env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"pg-node.sh start failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip().splitlines()[-1]


def conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


# ---------------------------------------------------------------------------------------------------------
# Observers: cluster/backlog sampler, searchers, and a counting HTTP client for the write workload
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Sample:
    t: float
    status: str = "no answer"
    nodes: int | None = None
    unassigned: int | None = None
    initializing: int | None = None
    delayed: int | None = None
    master: str | None = None
    backlog: int | None = None
    api_health: list[str] = field(default_factory=list)


class Poller(threading.Thread):
    """Takes a Sample every `every` s (or as fast as the sample allows) until stopped."""

    def __init__(self, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.every = every
        self.samples: list[Sample] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def one(self) -> Sample:
        raise NotImplementedError

    def run(self) -> None:
        while not self.stop.is_set():
            sample = self.one()
            with self.lock:
                self.samples.append(sample)
            self.stop.wait(max(0.0, self.every - (time.monotonic() - sample.t)))

    def since(self, t: float) -> list[Sample]:
        with self.lock:
            return [s for s in self.samples if s.t >= t]

    def first(self, condition: Any, after: float, timeout: float = 60) -> float | None:
        """Time of the first sample after `after` meeting `condition`, waiting up to `timeout` s for one."""
        deadline = time.monotonic() + timeout
        while True:
            found = next((s.t for s in self.since(after) if condition(s)), None)
            if found is not None or time.monotonic() > deadline:
                return found
            time.sleep(0.25)


class ClusterSampler(Poller):
    """Cluster health and elected master, from the first live node that answers."""

    def __init__(self, cluster: Cluster) -> None:
        super().__init__()
        self.cluster = cluster

    def one(self) -> Sample:
        sample = Sample(time.monotonic())
        with contextlib.suppress(Exception):
            health = self.cluster.get("/_cluster/health", timeout=2)
            sample.status, sample.nodes = health["status"], health["number_of_nodes"]
            sample.unassigned, sample.initializing = health["unassigned_shards"], health["initializing_shards"]
            sample.delayed = health["delayed_unassigned_shards"]
            sample.master = self.cluster.master()
        return sample


class AppSampler(Poller):
    """The outbox backlog (in the store) and each API process's /health."""

    def __init__(self, store: Store, apis: list[ApiProcess]) -> None:
        super().__init__()
        self.store, self.apis = store, apis

    def one(self) -> Sample:
        sample = Sample(time.monotonic())
        with contextlib.suppress(Exception):
            sample.backlog = self.store.backlog()
        for api in self.apis:
            try:
                answer = httpx.get(f"{api.url}/api/v1/health", timeout=5)
                sample.api_health.append(f"{answer.status_code} {answer.json()['status']}")
            except Exception as exc:
                sample.api_health.append(type(exc).__name__)
        return sample


@dataclass
class Call:
    t: float
    who: str  # API index (searches) or HTTP method (writes)
    outcome: str  # status code, or the transport error's class
    ms: float
    port: int | None = None  # the API process's port (writes)


class Searcher(threading.Thread):
    """GET /api/v1/search on one API process, in a loop."""

    def __init__(self, api: ApiProcess, index: int, pause: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.api, self.index, self.pause = api, index, pause
        self.calls: list[Call] = []
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=15) as client:
            n = 0
            while not self.stop.is_set():
                n += 1
                t = time.monotonic()
                try:
                    answer = client.get(f"{self.api.url}/api/v1/search", params={"q": "pratique", "size": 5})
                    outcome = str(answer.status_code)
                except httpx.TransportError as exc:
                    outcome = type(exc).__name__
                self.calls.append(Call(t, str(self.index), outcome, (time.monotonic() - t) * 1000))
                self.stop.wait(self.pause)


WRITES: list[Call] = []
WRITES_LOCK = threading.Lock()


class CountingClient(httpx.Client):
    """httpx.Client that logs every POST/PUT (time, status or transport error, latency): the
    workload only keeps what was acknowledged, not when, nor what was refused."""

    def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        if request.method not in ("POST", "PUT"):
            return super().send(request, **kwargs)
        t, port = time.monotonic(), request.url.port
        try:
            answer = super().send(request, **kwargs)
        except httpx.TransportError as exc:
            with WRITES_LOCK:
                WRITES.append(Call(t, request.method, type(exc).__name__, (time.monotonic() - t) * 1000, port))
            raise
        with WRITES_LOCK:
            WRITES.append(Call(t, request.method, str(answer.status_code), (time.monotonic() - t) * 1000, port))
        return answer


@contextlib.contextmanager
def counted_writes() -> Iterator[None]:
    """Point tests.reliability.workload's `httpx` (that module only) at CountingClient."""
    original = workload.httpx
    workload.httpx = types.SimpleNamespace(Client=CountingClient, TransportError=httpx.TransportError)  # type: ignore[assignment]
    try:
        yield
    finally:
        workload.httpx = original


def acked(call: Call) -> bool:
    return (call.who == "POST" and call.outcome in ("200", "201")) or (call.who == "PUT" and call.outcome == "200")


def write_summary(calls: list[Call]) -> dict[str, Any]:
    outcomes = Counter(f"{c.who} {c.outcome}" for c in calls)
    ms = [c.ms for c in calls if acked(c)]
    return {
        "requests": len(calls),
        "acknowledged": sum(1 for c in calls if acked(c)),
        "conflicts_409_retried": sum(1 for c in calls if c.outcome == "409"),
        "errors": sum(1 for c in calls if not acked(c) and c.outcome != "409"),
        "outcomes": dict(sorted(outcomes.items())),
        "ack_ms_p50": pct(ms, 0.5),
        "ack_ms_p99": pct(ms, 0.99),
        "ack_ms_max": round(max(ms), 1) if ms else None,
    }


def search_summary(calls: list[Call]) -> dict[str, Any]:
    ok = [c.ms for c in calls if c.outcome == "200"]
    return {
        "requests": len(calls),
        "answered": len(ok),
        "failed": len(calls) - len(ok),
        "outcomes": dict(sorted(Counter(c.outcome for c in calls).items())),
        "ms_p50": pct(ok, 0.5),
        "ms_p99": pct(ok, 0.99),
        "ms_max": round(max(ok), 1) if ok else None,
    }


# ---------------------------------------------------------------------------------------------------------
# One round: writes + searches, a node killed, then restarted, then convergence
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Round:
    name: str
    victim: int
    why: str
    operations: int
    kill_at: int
    restart_at: int
    result: dict[str, Any] = field(default_factory=dict)


def wait_for(condition: Any, timeout: float, every: float = 0.25) -> float | None:
    """Seconds until `condition()` holds, or None after `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        with contextlib.suppress(Exception):
            if condition():
                return time.monotonic()
        time.sleep(every)
    return None


def run_round(
    spec: Round,
    cluster: Cluster,
    apis: list[ApiProcess],
    targets: list[int],
    key: str,
    store: Store,
    engine: ElasticsearchEngine,
    index: str,
) -> dict[str, Any]:
    victim = spec.victim
    before = {"shards": cluster.shards(index), "master": cluster.master()}
    say(
        f"{spec.name}: victim {cluster.names[victim]} ({spec.why}); shards {before['shards']}, "
        f"master {before['master']}; APIs talk to {[cluster.names[t] for t in targets]}"
    )
    clusterwatch, appwatch = ClusterSampler(cluster), AppSampler(store, apis)
    searchers = [Searcher(api, i) for i, api in enumerate(apis)]
    marks: dict[str, float] = {}
    restarter: list[threading.Thread] = []
    lock = threading.Lock()
    failures: list[str] = []

    def restart() -> None:
        try:
            marks["restart_issued"] = time.monotonic()
            say(f"{spec.name}: restarting {cluster.names[victim]}")
            cluster.start_node(victim)
            marks["node_answering"] = time.monotonic()
            say(
                f"{spec.name}: {cluster.names[victim]} answers again, {marks['node_answering'] - marks['kill']:.1f} s "
                "after the kill"
            )
        except Exception as exc:
            failures.append(f"restart: {exc}")

    def during(n: int) -> None:
        with lock:
            if n >= spec.kill_at and "kill" not in marks:
                marks["kill"] = time.monotonic()
                cluster.kill(victim)
                say(f"{spec.name}: SIGKILL {cluster.names[victim]} after {n} writes")
            elif n >= spec.restart_at and "kill" in marks and not restarter:
                restarter.append(threading.Thread(target=restart, daemon=True))
                restarter[0].start()

    with WRITES_LOCK:
        WRITES.clear()
    for thread in (clusterwatch, appwatch, *searchers):
        thread.start()
    time.sleep(2)  # a baseline of searches and samples before the writes
    marks["writes_start"] = time.monotonic()
    say(f"{spec.name}: {spec.operations} writes over {len(apis)} API processes, searches in a loop")
    with counted_writes():
        done = write_workload([a.url for a in apis], key, spec.operations, tag=spec.name, on_progress=during)
    marks["writes_end"] = time.monotonic()
    kill = marks["kill"]
    say(f"{spec.name}: writes done in {marks['writes_end'] - marks['writes_start']:.1f} s")

    def caught_up() -> bool:
        return store.backlog() == 0 and index_equals_store(store, engine)[0]

    # The index catches up with the store on its own, whether or not the killed node is back yet.
    at = wait_for(caught_up, timeout=600, every=0.5)
    if at is None:
        raise RuntimeError(f"{spec.name}: index never equalled the store: {index_equals_store(store, engine)[1]}")
    marks["caught_up"] = at
    caught_up_while_down = victim in cluster.down
    say(
        f"{spec.name}: index equals store {at - marks['writes_end']:.1f} s after the last write"
        + (f" ({cluster.names[victim]} still down)" if caught_up_while_down else "")
    )
    if restarter:
        restarter[0].join()
    else:
        restart()
    if failures:
        raise RuntimeError("; ".join(failures))

    def healthy() -> bool:
        health = cluster.get("/_cluster/health")
        return bool(health["number_of_nodes"] == cluster.size and health["status"] == "green")

    if wait_for(healthy, timeout=600) is None:
        raise RuntimeError(f"{spec.name}: the cluster never came back to {cluster.size} nodes, green")
    # When the node rejoined and the cluster turned green again, from the samples (every 0.5 s or so).
    rejoined = clusterwatch.first(lambda x: x.nodes == cluster.size, after=marks["restart_issued"])
    not_green = clusterwatch.first(lambda x: x.status != "green", after=kill, timeout=0) or kill
    green = clusterwatch.first(lambda x: x.status == "green", after=not_green)
    marks["rejoined"] = rejoined or time.monotonic()
    marks["green"] = green or time.monotonic()
    if wait_for(caught_up, timeout=600, every=0.5) is None:
        raise RuntimeError(f"{spec.name}: index differs from the store: {index_equals_store(store, engine)[1]}")
    marks["converged"] = max(marks["green"], marks["rejoined"], marks["caught_up"])
    say(
        f"{spec.name}: {cluster.names[victim]} rejoined {marks['rejoined'] - kill:.1f} s and the cluster was "
        f"green {marks['green'] - kill:.1f} s after the kill"
    )
    time.sleep(2)  # a few searches and samples after convergence
    watching: list[Poller | Searcher] = [clusterwatch, appwatch, *searchers]
    for thread in watching:
        thread.stop.set()
    for thread in watching:
        thread.join()
    same, detail = index_equals_store(store, engine)
    stored = dict(store.published_versions())
    kept = sum(1 for i, v in done.versions.items() if stored.get(i, 0) >= v)
    if kept != len(done.versions):
        raise RuntimeError(f"{spec.name}: {len(done.versions) - kept} acknowledged writes are not in the store")
    say(f"{spec.name}: index equals store: {same} ({detail})")

    # Timeline: one line per change of (status, node count), times from the kill.
    samples = clusterwatch.since(0)
    transitions: list[dict[str, Any]] = []
    previous: tuple[str, int | None] | None = None
    for x in samples:
        if (x.status, x.nodes) != previous:
            transitions.append(
                {
                    "t_s": round(x.t - kill, 1),
                    "status": x.status,
                    "nodes": x.nodes,
                    "unassigned": x.unassigned,
                    "initializing": x.initializing,
                    "delayed": x.delayed,
                    "master": x.master,
                }
            )
            previous = (x.status, x.nodes)
    after_kill = [x.t for x in samples if x.t >= kill]
    gaps = [b - a for a, b in zip([kill, *after_kill], after_kill, strict=False)]
    left = clusterwatch.first(lambda x: x.nodes is not None and x.nodes < cluster.size, after=kill, timeout=0)
    down_until = marks["rejoined"]

    def phase(t: float) -> str:
        return "before kill" if t < kill else "node down" if t < down_until else "after rejoin"

    phases = ["before kill", "node down", "after rejoin"]
    with WRITES_LOCK:
        writes = list(WRITES)
    search_calls = [c for searcher in searchers for c in searcher.calls]
    app = appwatch.since(0)
    app_down = [x for x in app if kill <= x.t < down_until]
    result = {
        "victim": cluster.names[victim],
        "why": spec.why,
        "victim_was_master": before["master"] == cluster.names[victim],
        "api_targets": [cluster.names[t] for t in targets],
        "shards_before": before["shards"],
        "shards_after": cluster.shards(index),
        "masters_seen": sorted({x.master for x in samples if x.master}),
        "operations": spec.operations,
        "kill_after_writes": spec.kill_at,
        "restart_after_writes": spec.restart_at,
        "workload": {
            "acknowledged_monographs": len(done.versions),
            "acknowledged_in_store_at_least_that_version": kept,
            "workload_errors": len(done.errors),
            "first_errors": done.errors[:5],
        },
        "seconds": {
            "writes": round(marks["writes_end"] - marks["writes_start"], 1),
            "kill_after_writes_started": round(kill - marks["writes_start"], 1),
            "kill_to_node_seen_gone": round(left - kill, 1) if left else None,
            "kill_to_not_green": round(not_green - kill, 1) if not_green > kill else None,
            "longest_without_cluster_health_after_kill": round(max(gaps), 1) if gaps else None,
            "kill_to_restart_issued": round(marks["restart_issued"] - kill, 1),
            "restart_to_node_answering": round(marks["node_answering"] - marks["restart_issued"], 1),
            "kill_to_rejoined (node down)": round(down_until - kill, 1),
            "kill_to_green": round(marks["green"] - kill, 1),
            "last_write_to_index_equals_store": round(marks["caught_up"] - marks["writes_end"], 1),
            "kill_to_converged (3 nodes, green, index = store)": round(marks["converged"] - kill, 1),
        },
        "index_caught_up_while_node_down": caught_up_while_down,
        "writes": {"all": write_summary(writes)}
        | {p: write_summary([c for c in writes if phase(c.t) == p]) for p in phases},
        "writes_while_down_by_api": {
            f"api{i + 1}": write_summary([c for c in writes if phase(c.t) == "node down" and c.port == api.port])
            for i, api in enumerate(apis)
        },
        "searches": {"all": search_summary(search_calls)}
        | {
            p: {
                f"api{i + 1}": search_summary([c for c in search_calls if phase(c.t) == p and c.who == str(i)])
                for i in range(len(apis))
            }
            for p in phases
        },
        "backlog_max": max((x.backlog or 0) for x in app),
        "backlog_max_while_down": max(((x.backlog or 0) for x in app_down), default=0),
        "api_health_while_down": {
            f"api{i + 1}": dict(Counter(x.api_health[i] for x in app_down if len(x.api_health) > i))
            for i in range(len(apis))
        },
        "cluster_transitions": transitions,
        "index_equals_store": same,
        "index_detail": detail,
    }
    spec.result = result
    return result


# ---------------------------------------------------------------------------------------------------------
# The scenario
# ---------------------------------------------------------------------------------------------------------


def probe_multiple_urls(urls: list[str]) -> str:
    """What our engine does with several URLs in IMPACT_ELASTICSEARCH_URL (no network: the client parses it)."""
    joined = ",".join(urls[:2])
    try:
        ElasticsearchEngine(EngineConfig(backend="elasticsearch", elasticsearch_url=joined)).close()
    except Exception as exc:
        return f"IMPACT_ELASTICSEARCH_URL={joined!r} → {type(exc).__name__}: {exc}"
    return f"IMPACT_ELASTICSEARCH_URL={joined!r} is accepted"


def api_env(database_url: str, es_url: str, prefix: str) -> dict[str, str]:
    return {
        "IMPACT_DATABASE_URL": database_url,
        "IMPACT_SEARCH_BACKEND": "elasticsearch",
        "IMPACT_ELASTICSEARCH_URL": es_url,
        "IMPACT_ELASTICSEARCH_INDEX_PREFIX": prefix,
        "IMPACT_OUTBOX_INTERVAL": "0.2",
        "IMPACT_OUTBOX_MAX_BACKOFF": "1",
        "IMPACT_RATE_LIMIT_PER_MINUTE": "0",
    }


def scenario(args: argparse.Namespace, cleanup: list[Any], report: dict[str, Any]) -> None:
    run_root = Path(args.run_root)
    run_root.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(args.nodes, args.http_base, args.transport_base, run_root / "es")
    report["multiple_urls"] = probe_multiple_urls(cluster.urls)
    say(f"probe: {report['multiple_urls']}")

    # 1. The cluster, from empty data dirs.
    t = time.monotonic()
    say(f"phase 1: {args.nodes}-node Elasticsearch cluster on {', '.join(cluster.urls)} (heap {args.heap} each)")
    os.environ["IMPACT_ES_HEAP"] = args.heap
    cluster.env["IMPACT_ES_HEAP"] = args.heap
    cleanup.append(("es", cluster))
    cluster.script("reset")
    cluster.script("start")
    nodes = cluster.get("/_cat/nodes?format=json&h=name,node.role,master,heap.max")
    report["cluster"] = {"start_s": round(time.monotonic() - t, 1), "nodes": nodes, "master": cluster.master()}
    say(f"phase 1: cluster formed in {report['cluster']['start_s']} s, master {report['cluster']['master']}")

    # 2. PostgreSQL, a fresh database, an editor key.
    t = time.monotonic()
    pg_env = os.environ | {"IMPACT_PG_PORT": str(args.pg_port)}
    if pg_status(pg_env) != 0:
        cleanup.append(("pg", pg_env))
    server = pg_start(pg_env)
    database = f"cluster_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(conninfo(server), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    cleanup.append(("db", (server, database)))
    database_url = server.rsplit("/", 1)[0] + f"/{database}"
    store = Store(database_url)
    cleanup.append(("close", store))
    key, _ = store.create_key("Éditeur scénario cluster", Role.EDITOR)
    say(f"phase 2: PostgreSQL on port {args.pg_port}, database {database} ({time.monotonic() - t:.1f} s)")

    # 3. The index, created by our engine, then given replicas through the REST API.
    prefix = f"cluster-{uuid.uuid4().hex[:6]}"
    # The scenario's own engine (index creation, checks) is given a client that knows every node (so it
    # fails over when one is killed) and waits longer than the API's 10 s: on a busy machine creating an
    # index in the cluster (primary started, cluster state published to 3 nodes) took more than 10 s.
    engine = ElasticsearchEngine(
        EngineConfig(backend="elasticsearch", elasticsearch_index_prefix=prefix),
        client=Elasticsearch(cluster.urls, request_timeout=60, max_retries=3, retry_on_timeout=True),
    )
    cleanup.append(("close", engine))
    index = engine.ensure_index()
    created = cluster.get(f"/{index}/_settings")[index]["settings"]["index"]
    report["index"] = {
        "name": index,
        "alias": prefix,
        "created_with": {"shards": created["number_of_shards"], "replicas": created["number_of_replicas"]},
    }
    say(f"phase 3: index {index} created by our engine with {created['number_of_replicas']} replica(s)")
    put = httpx.put(
        f"{cluster.urls[0]}/{index}/_settings", json={"index": {"number_of_replicas": args.replicas}}, timeout=30
    )
    put.raise_for_status()
    health = httpx.get(
        f"{cluster.urls[0]}/_cluster/health/{index}",
        params={"wait_for_status": "green", "timeout": "120s"},
        timeout=130,
    ).json()
    shards = cluster.shards(index)
    report["index"] |= {"replicas_set_to": args.replicas, "status": health["status"], "shards": shards}
    say(f"phase 3: number_of_replicas → {args.replicas}: index {health['status']}, shards {shards}")

    # 4. Two API processes, on the two nodes that do not hold the primary (one URL each).
    primary = cluster.node_of(shards["primary"])
    others = [i for i in range(cluster.size) if i != primary]
    targets = [others[i % len(others)] for i in range(args.apis)]
    apis = [
        ApiProcess(
            run_root / f"api{i + 1}", api_env(database_url, cluster.urls[targets[i]], prefix), name=f"api{i + 1}"
        )
        for i in range(args.apis)
    ]
    for api in apis:
        (api.workdir / "data").mkdir(parents=True, exist_ok=True)
        cleanup.append(("api", api))
        api.start(wait=False)
    for api in apis:
        api.wait_up()
    (run_root / "api.pids").write_text("".join(f"{api.process.pid}\n" for api in apis if api.process))
    after_start = cluster.get(f"/{prefix}/_settings")
    report["index"]["after_api_start"] = {
        name: s["settings"]["index"]["number_of_replicas"] for name, s in after_start.items()
    }
    say(
        "phase 4: API processes "
        + ", ".join(f"{a.url} → {cluster.names[t]}" for a, t in zip(apis, targets, strict=True))
        + f"; index behind the alias: {report['index']['after_api_start']}"
    )

    # 5. Round 1: the primary's node, which no API process talks to.
    rounds = [
        Round(
            "r1",
            primary,
            "holds the primary shard; no API process talks to it",
            args.operations,
            args.operations // 4,
            args.operations * 3 // 4,
        )
    ]
    if args.second_round:
        ops = args.second_operations
        rounds.append(Round("r2", targets[0], "the node API process 1 talks to", ops, ops // 5, ops * 3 // 4))
    report["rounds"] = {}
    for spec in rounds:
        if spec.name == "r2":
            spec.why += (
                f" (it holds: {[r for r, n in cluster.shards(index).items() if n == cluster.names[spec.victim]]})"
            )
        say(f"phase {4 + len(report['rounds']) + 1}: round {spec.name}")
        report["rounds"][spec.name] = run_round(spec, cluster, apis, targets, key, store, engine, index)

    # Final checks: the index equals the store; every acknowledged write is in the store.
    same, detail = index_equals_store(store, engine)
    stats = store.outbox_stats()
    final_settings = cluster.get(f"/{prefix}/_settings")
    report["final"] = {
        "index_equals_store": same,
        "detail": detail,
        "store_count": store.count(),
        "indexed": len(engine.versions()),
        "backlog": stats.pending,
        "dead_letters": stats.dead,
        "index_behind_alias": {n: s["settings"]["index"]["number_of_replicas"] for n, s in final_settings.items()},
        "cluster_status": cluster.get("/_cluster/health")["status"],
    }
    say(f"final: index equals store: {same} ({detail}); dead letters {stats.dead}")
    if not same:
        raise RuntimeError(f"the index differs from the store: {detail}")


def clean(cleanup: list[Any]) -> None:
    for kind, thing in reversed(cleanup):
        try:
            if kind == "api":
                thing.stop()
            elif kind == "close":
                thing.close()
            elif kind == "db":
                server, database = thing
                with psycopg.connect(conninfo(server), autocommit=True) as admin:
                    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
            elif kind == "es":
                say("cleanup: stopping the Elasticsearch cluster")
                thing.script("stop", timeout=300)
            elif kind == "pg":
                say("cleanup: stopping PostgreSQL")
                subprocess.run(["bash", str(PG_NODE), "stop"], env=thing, capture_output=True, timeout=180)
        except Exception as exc:  # clean up everything else regardless
            print(f"cleanup of {kind} failed: {exc}", file=sys.stderr)


# ---------------------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------------------


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# Cluster scenario {report['started']}",
        "",
        f"Machine: {report['machine']}. Total {report.get('total_s', '?')} s. Outcome: **{report['outcome']}**.",
        "",
        f"Command: `{report['command']}`",
        "",
        "## Set-up",
        "",
    ]
    cluster = report.get("cluster", {})
    if cluster:
        lines.append(
            f"- {len(cluster['nodes'])} Elasticsearch 9.5.4 nodes (integ-test zip, heap "
            f"{report['args']['heap']} each, all master-eligible data nodes) formed in {cluster['start_s']} s; "
            f"first master {cluster['master']}."
        )
    index = report.get("index", {})
    if index:
        lines.append(
            f"- Index `{index['name']}` created by `ElasticsearchEngine.ensure_index` with "
            f"{index['created_with']['shards']} shard, **{index['created_with']['replicas']} replicas** "
            f"(`indexer/es_mapping.index_settings`); set to {index['replicas_set_to']} through "
            f"`PUT /{index['name']}/_settings` → {index['status']}, shards {index['shards']}."
        )
    lines.append(f"- Several URLs: {report.get('multiple_urls')}")
    lines.append("")
    for name, r in report.get("rounds", {}).items():
        s = r["seconds"]
        lines += [
            f"## Round {name}: SIGKILL {r['victim']} ({r['why']})",
            "",
            f"APIs talk to {r['api_targets']}. Shards before {r['shards_before']}, after {r['shards_after']}. "
            f"Victim was master: {r['victim_was_master']}; masters seen: {r['masters_seen']}. "
            f"{r['operations']} writes, kill after {r['kill_after_writes']}, restart after "
            f"{r['restart_after_writes']}.",
            "",
            "| timing | s |",
            "| --- | --- |",
        ]
        lines += [f"| {k.replace('_', ' ')} | {v} |" for k, v in s.items()]
        lines += [
            "",
            "| writes (POST/PUT) | requests | acknowledged | 409 retried | errors | ack p50 ms | p99 ms | max ms |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        rows = list(r["writes"].items()) + [(f"node down, {a}", w) for a, w in r["writes_while_down_by_api"].items()]
        for phase, w in rows:
            lines.append(
                f"| {phase} | {w['requests']} | {w['acknowledged']} | {w['conflicts_409_retried']} | {w['errors']} | "
                f"{w['ack_ms_p50']} | {w['ack_ms_p99']} | {w['ack_ms_max']} |"
            )
        lines += [
            "",
            "| searches | API | requests | answered | failed | outcomes | p50 ms | p99 ms | max ms |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for phase, per_api in r["searches"].items():
            by_api = {"both": per_api} if phase == "all" else per_api
            for api, q in by_api.items():
                lines.append(
                    f"| {phase} | {api} | {q['requests']} | {q['answered']} | {q['failed']} | {q['outcomes']} | "
                    f"{q['ms_p50']} | {q['ms_p99']} | {q['ms_max']} |"
                )
        lines += [
            "",
            f"Workload: {r['workload']['acknowledged_monographs']} monographs acknowledged "
            f"({r['workload']['acknowledged_in_store_at_least_that_version']} in the store at that version or newer), "
            f"{r['workload']['workload_errors']} errors {r['workload']['first_errors']}. Outbox backlog max "
            f"{r['backlog_max']} ({r['backlog_max_while_down']} while the node was down). API /health while down: "
            f"{r['api_health_while_down']}. Index equals store after the round: {r['index_equals_store']} "
            f"({r['index_detail']}).",
            "",
            "Cluster status over time (t from the kill, one line per change of status or node count):",
            "",
            "| t s | status | nodes | unassigned | initializing | delayed | master |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {x['t_s']} | {x['status']} | {x['nodes']} | {x['unassigned']} | {x['initializing']} | "
            f"{x['delayed']} | {x['master']} |"
            for x in r["cluster_transitions"]
        ]
        lines.append("")
    final = report.get("final")
    if final:
        lines += [
            "## End",
            "",
            f"Index equals store: **{final['index_equals_store']}** ({final['detail']}); store "
            f"{final['store_count']} monographs, index {final['indexed']} documents, backlog {final['backlog']}, "
            f"dead letters {final['dead_letters']}, replicas of the index behind the alias "
            f"{final['index_behind_alias']}, cluster {final['cluster_status']}.",
            "",
        ]
    if report.get("error"):
        lines += ["## Error", "", "```", report["error"], "```", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    env = os.environ.get
    # The wrapper script reads the same variables, so its clean-up targets the same processes.
    parser.add_argument("--nodes", type=int, default=int(env("IMPACT_ES_CLUSTER_NODES", "3")))
    parser.add_argument("--http-base", type=int, default=int(env("IMPACT_ES_CLUSTER_HTTP_BASE", "9271")))
    parser.add_argument("--transport-base", type=int, default=int(env("IMPACT_ES_CLUSTER_TRANSPORT_BASE", "9371")))
    parser.add_argument("--heap", default=env("IMPACT_ES_HEAP", "512m"))
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--pg-port", type=int, default=int(env("IMPACT_PG_PORT", "5436")))
    parser.add_argument("--apis", type=int, default=2)
    parser.add_argument("--operations", type=int, default=1000)
    parser.add_argument("--second-operations", type=int, default=500)
    parser.add_argument("--no-second-round", dest="second_round", action="store_false")
    parser.add_argument("--run-root", default=env("IMPACT_SCENARIO_RUN_ROOT", "/tmp/impact-cluster-scenario"))
    parser.add_argument("--results", default=str(RESULTS))
    args = parser.parse_args()

    def terminate(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, terminate)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    report: dict[str, Any] = {
        "started": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {memory:.1f} GB, "
        f"Python {platform.python_version()}",
        "command": " ".join(["scripts/es-cluster-scenario.sh", *sys.argv[1:]]),
        "args": vars(args),
        "outcome": "failed",
    }
    cleanup: list[Any] = []
    code = 1
    try:
        scenario(args, cleanup, report)
        report["outcome"] = "passed: nothing acknowledged was lost"
        code = 0
    except BaseException as exc:
        report["error"] = f"{type(exc).__name__}: {exc}"
        say(f"FAILED: {report['error']}")
    finally:
        say("cleanup: API processes, database, cluster, PostgreSQL")
        clean(cleanup)
        report["total_s"] = round(time.monotonic() - T0, 1)
        out = Path(args.results)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"cluster-scenario-{stamp}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        (out / f"cluster-scenario-{stamp}.md").write_text(markdown(report))
    summary(report)
    say(f"results: {out / f'cluster-scenario-{stamp}.md'} (and .json); total {report['total_s']} s")
    return code


def summary(report: dict[str, Any]) -> None:
    print("\n==== summary ====")
    print(f"outcome: {report['outcome']}")
    index = report.get("index")
    if index:
        print(f"index created with {index['created_with']['replicas']} replicas; set to {index['replicas_set_to']}")
    for name, r in report.get("rounds", {}).items():
        w, s = r["writes"], r["seconds"]
        down = r["searches"]["node down"]
        statuses = [x["status"] for x in r["cluster_transitions"]]
        statuses = [x for i, x in enumerate(statuses) if i == 0 or statuses[i - 1] != x]
        print(
            f"{name}: killed {r['victim']} ({r['why']}); writes acknowledged {w['all']['acknowledged']}/"
            f"{w['all']['requests']}, errors {w['all']['errors']} (while down: {w['node down']['acknowledged']} acked, "
            f"{w['node down']['errors']} errors)"
        )
        print(
            "    searches while down: "
            + ", ".join(f"{api} {q['answered']} answered / {q['failed']} failed" for api, q in down.items())
        )
        print(
            f"    status: {' → '.join(statuses)}; node down {s['kill_to_rejoined (node down)']} s, "
            f"kill→green {s['kill_to_green']} s, last write→index = store {s['last_write_to_index_equals_store']} s"
        )
    final = report.get("final")
    if final:
        print(f"end: index equals store: {final['index_equals_store']} ({final['detail']})")
    if report.get("error"):
        print(f"error: {report['error']}")


if __name__ == "__main__":
    sys.exit(main())
