"""Small measuring tools: percentiles, process memory and CPU, directory sizes, profiles, where a server's
engine calls ran."""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families


def percentiles(samples_s: list[float]) -> dict[str, float]:
    """p50/p95/p99/mean in milliseconds."""
    ms = sorted(s * 1000 for s in samples_s)
    if not ms:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "mean": 0.0, "n": 0}

    def pick(q: float) -> float:
        return ms[min(len(ms) - 1, round(q * (len(ms) - 1)))]

    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "mean": statistics.fmean(ms), "n": len(ms)}


def timed(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process (this one by default), from /proc."""
    return resident_mb(pid).get("VmRSS", 0.0)


RESIDENT_PARTS = ("VmRSS", "RssAnon", "RssFile", "RssShmem")


def resident_mb(pid: int | None = None) -> dict[str, float]:
    """A process's resident memory and its parts (this one by default): `RssAnon` its own memory, `RssFile`
    the pages of files it maps (shared libraries; on the embedded engine, mostly its index's segments: page
    cache, shared with the system and reclaimable under pressure), `RssShmem` shared memory."""
    return {name: kb / 1024 for name, kb in proc_status(pid or os.getpid(), RESIDENT_PARTS).items()}


def proc_status(pid: int, names: tuple[str, ...]) -> dict[str, int]:
    """The named numbers of `/proc/<pid>/status` (memory in kB), those present."""
    values: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in names:
                values[name] = int(rest.split()[0])
    return values


def dir_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1024 / 1024


class PeakRss:
    """Samples a process's RSS in a thread while a block runs: its peak, and its parts then (`resident_mb`)."""

    def __init__(self, pid: int, every: float = 0.05):
        self.pid, self.every, self.peak = pid, every, 0.0
        self.parts: dict[str, float] = {}
        self._stop = threading.Event()

    def __enter__(self) -> PeakRss:
        def sample() -> None:
            while not self._stop.is_set():
                parts = resident_mb(self.pid)
                if parts.get("VmRSS", 0.0) > self.peak:
                    self.peak, self.parts = parts["VmRSS"], parts
                time.sleep(self.every)

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def process_cpu_s(pid: int | None = None) -> float:
    """CPU seconds (user + system) a process has used, from /proc."""
    with open(f"/proc/{pid or os.getpid()}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


IDLE_FRAMES = ("Condition.wait", "select (selectors", "_run_once", "WorkerThread.run", "epoll")


def profile_summary(raw_path: Path, top: int = 15) -> list[dict[str, Any]]:
    """Busiest frames (self time) of a py-spy raw profile, idle waits left out."""
    counts: dict[str, float] = {}
    busy = 0.0
    for line in raw_path.read_text().splitlines():
        if not line.strip():
            continue
        stack, samples = line.rsplit(" ", 1)
        leaf = stack.split(";")[-1]
        if any(idle in leaf for idle in IDLE_FRAMES):
            continue
        # Usually a whole number, but py-spy may write one as `14.0` (CI saw it once).
        weight = float(samples)
        counts[leaf] = counts.get(leaf, 0.0) + weight
        busy += weight
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])[:top]
    return [{"share_of_busy": n / busy, "frame": frame} for frame, n in ranked]


def call_places(metrics: str) -> dict[str, float]:
    """The engine calls by where they ran, read from `/metrics`' Prometheus text."""
    return {
        sample.labels["place"]: sample.value
        for family in text_string_to_metric_families(metrics)
        if family.name == "impact_engine_calls"
        for sample in family.samples
        if sample.name == "impact_engine_calls_total"
    }
