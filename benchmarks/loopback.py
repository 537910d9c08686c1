"""Shared by `soak.py` and `abuse.py`: a store prepared for a real API process on loopback, HTTP clients
bound to chosen loopback addresses (each one client for the API's per-address limits), and what /proc says
about the API process (memory, file descriptors, TCP connections, CPU)."""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from api.store import Role, Store
from benchmarks.corpus import CorpusGenerator
from benchmarks.measure import RESIDENT_PARTS, percentiles, proc_status, process_cpu_s
from tests.live import ROOT, impact_env

# One TLS context for every client (the servers are plain HTTP, but each client would otherwise load the
# CA bundle: 0.1 s of CPU apiece).
TLS = ssl.create_default_context()
KEEPALIVE_EXPIRY_S = 2.0
PREPARED_MARKER = "prepared.txt"  # in a work directory whose store and index are ready, with what they hold
# tcp states in /proc/net/tcp (hex) → names
TCP_STATES = {
    "01": "established",
    "02": "syn_sent",
    "03": "syn_recv",
    "04": "fin_wait1",
    "05": "fin_wait2",
    "06": "time_wait",
    "07": "close",
    "08": "close_wait",
    "09": "last_ack",
    "0A": "listen",
    "0B": "closing",
}


def stats(samples_s: list[float]) -> dict[str, float]:
    """p50/p95/p99/mean/max in milliseconds, and n."""
    return percentiles(samples_s) | {"max": max(samples_s) * 1000 if samples_s else 0.0}


def bound_client(address: str, connections: int, timeout: float) -> httpx.AsyncClient:
    """An HTTP client whose connections leave from `address` (any 127.x.y.z works on Linux loopback).

    Idle connections are dropped after 2 s: uvicorn closes them after 5 s (`--timeout-keep-alive`), and a
    client keeping them as long (httpx's default) now and then sends a request on a connection the server
    is closing at that very moment (a ReadError that is the race, not the API)."""
    limits = httpx.Limits(
        max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=KEEPALIVE_EXPIRY_S
    )
    transport = httpx.AsyncHTTPTransport(local_address=address, verify=TLS, limits=limits)
    return httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(timeout, connect=5.0))


# -- the store -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """A data directory holding a seeded store of `published` monographs, its index built, and two keys."""

    workdir: Path
    data_dir: Path
    store_url: str
    editor_key: str
    contributor_key: str
    published: int
    generated: int
    seconds: float
    reused: bool

    def store(self) -> Store:
        return Store(self.store_url, migrate_schema=False)


def cli(data_dir: Path, env: dict[str, str], *args: str, timeout: float = 3600) -> str:
    """`impact ARGS` on this data directory (cwd outside the repo, so no developer `.env` applies)."""
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env=impact_env(data_dir, env) | {"PYTHONPATH": str(ROOT)},
        cwd=data_dir.parent,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"impact {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def prepare(
    workdir: Path, generated: int, env: dict[str, str], progress: Callable[[str, int, int], None] | None = None
) -> Prepared:
    """`impact seed` (64 real monographs), `generated` published monographs from `benchmarks/corpus.py`
    restored into the store in bulk (`Store.restore`), `impact rebuild`, then an editor and a contributor key.

    A work directory already prepared with the same number of generated monographs is reused as it is
    (only new keys are made): the 100k store of `abuse.py` takes minutes to build."""
    started = time.perf_counter()
    data_dir = workdir / "data"
    store_url = f"sqlite:///{(data_dir / 'impact.db').resolve()}"
    marker = workdir / PREPARED_MARKER
    reused = marker.is_file() and marker.read_text().split()[0] == str(generated)
    if not reused:
        data_dir.mkdir(parents=True, exist_ok=True)
        cli(data_dir, env, "seed")
        if generated:
            store = Store(store_url)
            try:
                corpus = CorpusGenerator(seed=11)
                batch = 2_000
                for start in range(0, generated, batch):
                    count = min(batch, generated - start)
                    store.restore(corpus.generate(count, start=start))
                    if progress:
                        progress("store (restore)", start + count, generated)
            finally:
                store.close()
        if progress:
            progress("index (impact rebuild)", 0, 1)
        cli(data_dir, env, "rebuild")
        if progress:
            progress("index (impact rebuild)", 1, 1)
    store = Store(store_url, migrate_schema=False)
    try:
        editor, _ = store.create_key("Éditeur (benchmark)", Role.EDITOR)
        contributor, _ = store.create_key("Contributeur (benchmark)", Role.CONTRIBUTOR)
        published = sum(1 for _ in store.published_versions())
    finally:
        store.close()
    if not reused:
        marker.write_text(f"{generated} generated, {published} published\n")
    return Prepared(
        workdir, data_dir, store_url, editor, contributor, published, generated, time.perf_counter() - started, reused
    )


# -- the API process, seen from /proc ----------------------------------------------------------


def _socket_states(pid: int, inodes: set[str]) -> dict[str, int]:
    """TCP sockets of this process (by the inodes of its socket fds) counted by state."""
    counts: dict[str, int] = {}
    for table in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{table}") as lines:
                next(lines)
                for line in lines:
                    fields = line.split()
                    if len(fields) > 9 and fields[9] in inodes:
                        state = TCP_STATES.get(fields[3], fields[3])
                        counts[state] = counts.get(state, 0) + 1
        except FileNotFoundError:
            continue
    return counts


def process_snapshot(pid: int, index_dir: Path | None = None) -> dict[str, Any]:
    """RSS (and its anonymous / file-backed parts: tantivy maps its segments), open file descriptors by kind,
    TCP connections by state (listening socket apart), CPU seconds used so far."""
    status = proc_status(pid, (*RESIDENT_PARTS, "VmHWM", "Threads"))
    inodes: set[str] = set()
    kinds = {"sockets": 0, "index_files": 0, "other": 0}
    targets: dict[str, int] = {}
    index_prefix = str(index_dir.resolve()) if index_dir else None
    fd_dir = f"/proc/{pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(f"{fd_dir}/{fd}")
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            kinds["sockets"] += 1
            inodes.add(target[8:-1])
        elif index_prefix and target.startswith(index_prefix):
            kinds["index_files"] += 1
        else:
            kinds["other"] += 1
        if not target.startswith("socket:["):
            name = re.sub(r"^(pipe|anon_inode):\[?([a-z_]*)\d*\]?$", r"\1:\2", target)
            targets[name] = targets.get(name, 0) + 1
    tcp = _socket_states(pid, inodes)
    return {
        "at": time.time(),
        "rss_mb": status.get("VmRSS", 0) / 1024,
        "rss_anon_mb": status.get("RssAnon", 0) / 1024,
        "rss_file_mb": status.get("RssFile", 0) / 1024,
        "peak_rss_mb": status.get("VmHWM", 0) / 1024,
        "threads": status.get("Threads", 0),
        "fds": sum(kinds.values()),
        "fd_kinds": kinds,
        "fd_targets": dict(sorted(targets.items())),
        "tcp": tcp,
        "tcp_connections": sum(n for state, n in tcp.items() if state != "listen"),
        "cpu_s": process_cpu_s(pid),
    }


def health(url: str) -> dict[str, Any]:
    try:
        answer = httpx.get(f"{url}/api/v1/health", timeout=10)
        return dict(answer.json()) | {"http_status": answer.status_code}
    except (httpx.HTTPError, ValueError) as exc:
        return {"status": "unreachable", "problems": [f"{type(exc).__name__}: {exc}"]}


def wait_backlog_empty(url: str, timeout: float = 120.0) -> tuple[float, dict[str, Any]]:
    """Poll /health until the index outbox is empty; (seconds waited, last health)."""
    started = time.perf_counter()
    while True:
        last = health(url)
        if last.get("index", {}).get("backlog") == 0 or time.perf_counter() - started > timeout:
            return time.perf_counter() - started, last
        time.sleep(0.5)


def log_problems(log: Path) -> dict[str, Any]:
    """Server errors the API logged (tracebacks, ERROR lines): their count and the first few."""
    if not log.is_file():
        return {"error_lines": 0, "samples": []}
    lines = log.read_text(errors="replace").splitlines()
    bad = [i for i, line in enumerate(lines) if "ERROR" in line or line.startswith("Traceback")]
    samples = ["\n".join(lines[i : i + 12])[:1500] for i in bad[:3]]
    return {"error_lines": len(bad), "warning_lines": sum("WARNING" in line for line in lines), "samples": samples}


def fd_difference(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    """Open files (sockets apart) by target: how many more (or fewer) `after` holds than `before`."""
    names = set(before["fd_targets"]) | set(after["fd_targets"])
    change = {n: after["fd_targets"].get(n, 0) - before["fd_targets"].get(n, 0) for n in sorted(names)}
    return {n: d for n, d in change.items() if d}
