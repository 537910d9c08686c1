"""The soak and abuse harnesses run end to end against a real API process on a tiny store, for a few
seconds each; only the shape of their result files is checked, never a number."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks import abuse, soak

CLASS_KEYS = {"requests", "ok", "errors", "rate_limited", "status_codes", "latency_ms"}
LATENCY_KEYS = {"p50", "p95", "p99", "max", "n"}
SNAPSHOT_KEYS = {"rss_mb", "rss_anon_mb", "rss_file_mb", "fds", "fd_kinds", "fd_targets", "tcp", "tcp_connections"}
CASE_KEYS = {"requests", "status_codes", "error_codes", "time_ms", "max_bytes", "max_request_bytes"}


def saved(directory: Path, prefix: str) -> tuple[dict[str, Any], str]:
    result = json.loads(next(directory.glob(f"{prefix}-2*.json")).read_text())
    markdown = next(directory.glob(f"{prefix}-2*.md")).read_text()
    assert markdown == (directory / f"{prefix}-latest.md").read_text()
    return result, markdown


def test_soak_harness_writes_its_json_and_markdown(tmp_path: Path) -> None:
    soak.main(
        [
            *("--minutes", "0.05", "--generated", "20", "--sample-seconds", "0.5"),
            *("--ramp-start", "4", "--ramp-max-steps", "2", "--ramp-step-seconds", "1.5", "--refine", "1"),
            *("--out", str(tmp_path)),
        ]
    )
    result, markdown = saved(tmp_path, "soak")
    assert {"date", "machine", "plan", "mix", "api_settings", "store", "ramp", "soak", "consistency", "goals"} <= set(
        result
    )
    assert {"summary", "api_log", "seconds"} <= set(result)
    ramp = result["ramp"]
    assert {"steps", "chosen_rate", "none_held", "first_failed_rate"} <= set(ramp)
    assert ramp["steps"] and {"target_rate", "sent_per_s", "overall", "held", "why"} <= set(ramp["steps"][0])
    run = result["soak"]
    assert {"target_rate", "sent_per_s", "operations", "classes", "reads", "writes", "overall", "timeline"} <= set(run)
    assert set(run["classes"]) <= set(soak.CLASSES) and "search" in run["classes"]
    for entry in [*run["classes"].values(), run["reads"], run["writes"], run["overall"]]:
        assert set(entry) >= CLASS_KEYS
        assert set(entry["latency_ms"]) >= LATENCY_KEYS
    assert {"start", "at_2min", "end_of_load", "end"} <= set(run["process"])
    for mark in run["process"].values():
        assert set(mark) >= SNAPSHOT_KEYS
    assert run["timeline"] and {"t_s", "rss_mb", "fds", "tcp_connections", "window_p99_ms"} <= set(run["timeline"][0])
    assert {"method", "index_equals_store", "detail", "health_backlog", "store_counts"} <= set(result["consistency"])
    assert {
        "zero_errors",
        "p99_under_1s",
        "rss_growth_pct_2min_to_end",
        "rss_growth_under_10pct",
        "fds_no_growth",
        "connections_no_growth",
        "index_equals_store",
        "all_sent",
    } <= set(result["goals"])
    assert "fd_change_start_to_end" in run
    assert "## Ramp" in markdown and "| search |" in markdown and "## Goals" in markdown


def test_abuse_harness_writes_its_json_and_markdown(tmp_path: Path) -> None:
    abuse.main(
        [
            *("--size", "40", "--wrong-keys", "30", "--facet-values", "300", "--facet-repeats", "2"),
            *("--feeds", "10", "--baseline-seconds", "1", "--cooldown-seconds", "0.2", "--min-case-seconds", "1"),
            *("--workdir", str(tmp_path / "work"), "--out", str(tmp_path / "out")),
        ]
    )
    result, markdown = saved(tmp_path / "out", "abuse")
    assert {"date", "machine", "plan", "store", "cases", "normal_user", "api_process", "summary", "api_log"} <= set(
        result
    )
    cases = result["cases"]
    assert set(cases) == {"wrong_keys", "facet_lists", "concurrent_feeds"}
    assert set(cases["wrong_keys"]) >= CASE_KEYS and cases["wrong_keys"]["probes_after"]
    assert set(cases["concurrent_feeds"]) >= CASE_KEYS | {"waves", "first_wave"}
    assert set(cases["facet_lists"]["all"]) >= CASE_KEYS and cases["facet_lists"]["rounds"] >= 1
    routes = {name.split()[0] for name in cases["facet_lists"]["per_request"]}
    assert routes == set(abuse.FACET_ROUTES)
    for window in ("baseline", "wrong_keys", "facet_lists", "concurrent_feeds", "whole_run"):
        assert {"requests", "not_200", "status_codes", "time_ms"} <= set(result["normal_user"][window])
        assert set(result["normal_user"][window]["time_ms"]) >= LATENCY_KEYS
    for memory in result["api_process"].values():
        assert {"rss_before_mb", "peak_rss_mb", "rss_after_mb"} <= set(memory)
    assert "## Attacks" in markdown and "## The normal user" in markdown
    # The work directory keeps its prepared store: a second run at the same size reuses it.
    assert (tmp_path / "work" / "prepared.txt").is_file()
