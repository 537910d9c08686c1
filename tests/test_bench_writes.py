"""The writes benchmark runs end to end on SQLite + embedded with tiny durations (numbers are not checked)."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.writes import main

LATENCY_KEYS = {
    "target_rate",
    "acknowledged",
    "response_ms",
    "response_at_least_bound_share",
    "visible_at_ack_share",
    "ack_to_searchable_ms",
    "not_found",
    "errors",
}
THROUGHPUT_KEYS = {"throughput_per_s", "latency_ms", "errors", "completed"}


def test_writes_benchmark_writes_its_json_and_markdown(tmp_path: Path) -> None:
    main(["--configs", "sqlite-embedded", "--seconds", "2", "--rates", "5", "--deadline", "10", "--out", str(tmp_path)])
    saved = json.loads(next(tmp_path.glob("writes-*.json")).read_text())
    assert {"date", "machine", "plan", "configs", "ratios", "summary"} <= saved.keys()
    entry = saved["configs"]["sqlite-embedded"]
    assert "error" not in entry, entry.get("error")
    assert entry["latency"]["5"].keys() >= LATENCY_KEYS
    assert {"p50", "p95", "max"} <= entry["latency"]["5"]["ack_to_searchable_ms"].keys()
    assert entry["throughput"]["writes"].keys() >= THROUGHPUT_KEYS
    assert entry["throughput"]["searches"].keys() >= THROUGHPUT_KEYS
    assert {"index_equals_store", "detail"} <= entry["consistency"].keys()
    markdown = next(tmp_path.glob("writes-2*.md")).read_text()
    assert markdown == (tmp_path / "writes-latest.md").read_text()
    assert "| sqlite-embedded |" in markdown and "ack → searchable" in markdown
