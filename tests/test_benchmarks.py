"""The benchmark harness itself runs end to end on a tiny corpus (numbers are not checked here)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from benchmarks import million
from benchmarks.compare import compare
from benchmarks.corpus import CorpusGenerator
from benchmarks.measure import profile_summary, resident_mb, rss_mb
from benchmarks.queries import query_mix
from benchmarks.report import startup_text
from benchmarks.run import STAGES, run

# Printed at the end of the session (tests/conftest.py), never asserted: a tiny corpus on a busy CI machine
# says little about speed, but a tenfold change in a ratio shows in the log.
BENCH_SUMMARY: list[str] = []


@contextmanager
def indices_removed(es_url: str, size: int) -> Iterator[None]:
    """A benchmark's indices of `size` practices (`bench-{size}*`) deleted once it ends, however it ends."""
    try:
        yield
    finally:
        with Elasticsearch(es_url) as client:
            made = list(client.indices.get(index=f"bench-{size}*", ignore_unavailable=True))
            if made:  # by name: a node may refuse deleting by wildcard (`action.destructive_requires_name`)
                client.indices.delete(index=",".join(made))


def test_corpus_is_deterministic_and_realistic() -> None:
    first = [m.model_dump() for m in CorpusGenerator(seed=3).generate(20)]
    again = [m.model_dump() for m in CorpusGenerator(seed=3).generate(20)]
    assert first == again
    sizes = [len(m.model_dump_json()) for m in CorpusGenerator().generate(50)]
    assert 2_000 < sum(sizes) / len(sizes) < 8_000


def test_query_mix_covers_every_kind() -> None:
    queries = query_mix(CorpusGenerator())
    assert len(queries) >= 200
    assert {q.kind for q in queries} == {
        "one_word",
        "several_words",
        "phrase",
        "typo",
        "acronym",
        "like_territory",
        "deep_page",
        "facets_only",
    }


def test_resident_memory_counts_what_the_process_holds() -> None:
    before = resident_mb()
    held = bytearray(64 * 2**20)  # zero-filled: every page touched
    after = resident_mb()
    assert after["RssAnon"] - before["RssAnon"] >= 60, (before, after)
    assert after["VmRSS"] - before["VmRSS"] >= 60 and rss_mb() >= after["VmRSS"] - 1
    del held


def test_harness_runs_end_to_end(tmp_path: Path) -> None:
    results = run([300], ["embedded"], rounds=1, clients=[1, 4], es_url=None, out=tmp_path, with_startup=False)
    entry = results["sizes"]["300"]["embedded"]
    assert entry["indexing"]["ours_docs_per_s"] > 0 and entry["latency"]["raw"]["n"] >= 200
    assert [r["clients"] for r in entry["http"]["runs"]] == [1, 4] and entry["http"]["runs"][0]["errors"] == 0
    assert entry["http"]["profile"], "py-spy recorded no profile of the loaded API"
    runs = ", ".join(
        f"{r['clients']} clients {r['throughput_rps']:.0f} req/s "
        f"({1000 * r['server_cpu_s'] / r['requests']:.2f} ms of server CPU each)"
        for r in entry["http"]["runs"]
    )
    BENCH_SUMMARY.append(f"{ratios_text('embedded, 300 monographs', entry['latency'])}; uvicorn {runs}")
    saved = json.loads(next(tmp_path.glob("results-*.json")).read_text())
    assert saved["sizes"]["300"]["corpus"]["documents"] == 300
    assert "| embedded |" in (tmp_path / "latest.md").read_text()
    assert "API resident memory at rest (embedded):" in (tmp_path / "latest.md").read_text()
    # Two runs side by side (here the run and itself): latency, stages and each uvicorn load, per code.
    comparison = compare(saved, saved, ("main", "perf"), "make bench")
    assert "## embedded, 300 monographs" in comparison
    assert comparison.count("| main |") == comparison.count("| perf |") == 4


@pytest.mark.elasticsearch
def test_harness_runs_end_to_end_on_elasticsearch(tmp_path: Path, es_url: str) -> None:
    """The same run on a real node: the raw client call, ours and the API, each stage of our path."""
    with indices_removed(es_url, 300):
        results = run([300], ["elasticsearch"], rounds=1, clients=[2], es_url=es_url, out=tmp_path, with_startup=False)
    latency = results["sizes"]["300"]["elasticsearch"]["latency"]
    # `engine_in` / `engine_out`: the API's searches of one node call (those of two passes aside).
    split = {"engine_in", "engine_out"}
    assert set(latency["stages"]) == {*STAGES, "api_layer", "api_in", "api_out", *split}
    assert all(latency["stages"][name]["n"] >= 200 for name in latency["stages"] if name not in split)
    assert all(120 <= latency["stages"][name]["n"] <= 240 for name in split), latency["stages"]["engine_in"]
    report = (tmp_path / "latest.md").read_text()
    assert "Elasticsearch search path, p50 / mean ms per stage" in report and "node(s)" in report
    BENCH_SUMMARY.append(ratios_text("elasticsearch, 300 monographs", latency))


def ratios_text(what: str, latency: dict[str, Any]) -> str:
    """A run's p50 ratios to the raw engine and its stages, for the session's summary."""
    raw = max(latency["raw"]["p50"], 1e-9)
    stages = " · ".join(f"{name} {p['p50']:.2f}" for name, p in latency["stages"].items())
    return (
        f"{what}, p50: raw {raw:.2f} ms, engine.search ×{latency['engine_search']['p50'] / raw:.2f}, "
        f"API in-process ×{latency['api_asgi']['p50'] / raw:.2f} (+{latency['api_overhead_p50_ms']:.2f} ms); "
        f"stages {stages}"
    )


def test_throughput_before_and_after_runs_end_to_end(tmp_path: Path) -> None:
    """`benchmarks.throughput_ab` against this very commit: both sides served in turn, the earlier one from a
    worktree that is gone afterwards."""
    from benchmarks import throughput_ab

    arguments = ["--before", "HEAD", "--size", "200", "--rounds", "1", "--clients", "1,2", "--out", str(tmp_path)]
    results = throughput_ab.main(arguments)
    assert [row["clients"] for row in results["summary"]] == [1, 2]
    for side in ("before", "after"):
        (served,) = results["runs"][side]
        assert all(served[count]["errors"] == 0 and served[count]["throughput_rps"] > 0 for count in (1, 2))
    assert all(row["rps_ratio"] > 0 for row in results["summary"])
    recorded = (tmp_path / "throughput-ab-latest.md").read_text()
    assert "before = `HEAD`" in recorded and "| 2 |" in recorded
    worktrees = subprocess.run(["git", "worktree", "list"], capture_output=True, text=True, check=True).stdout
    assert "impact-ab-" not in worktrees


@pytest.mark.elasticsearch
def test_throughput_before_and_after_runs_on_elasticsearch(tmp_path: Path, es_url: str) -> None:
    """The same on a real node: the index made once from the store's corpus, both sides served from it."""
    from benchmarks import throughput_ab

    arguments = ["--before", "HEAD", "--size", "150", "--rounds", "1", "--clients", "2", "--es-url", es_url]
    with indices_removed(es_url, 150):
        results = throughput_ab.main([*arguments, "--workdir", str(tmp_path / "work"), "--out", str(tmp_path)])
        with Elasticsearch(es_url) as client:
            assert client.count(index="bench-150")["count"] == 150
    assert results["engine"] == "elasticsearch"
    for side in ("before", "after"):
        (served,) = results["runs"][side]
        assert served[2]["errors"] == 0 and served[2]["throughput_rps"] > 0
    assert "(elasticsearch)" in (tmp_path / "throughput-ab-latest.md").read_text()


@pytest.mark.elasticsearch
def test_the_elasticsearch_clients_are_measured_side_by_side(tmp_path: Path, es_url: str) -> None:
    """`benchmarks.es_client_ab`: each client makes every search of the mix, the index made once."""
    from benchmarks import es_client_ab

    arguments = ["--es-url", es_url, "--size", "120", "--rounds", "1", "--workdir", str(tmp_path / "work")]
    with indices_removed(es_url, 120):
        results = es_client_ab.main([*arguments, "--out", str(tmp_path)])
    assert results["searches"] > 100
    measured = results["clients"]
    assert set(measured) == set(es_client_ab.CLIENTS)
    assert all(m["n"] == results["searches"] and m["p50"] > 0 and m["cpu_ms"] > 0 for m in measured.values())
    assert "p50 over the blocking client" in (tmp_path / "es-client-ab-latest.md").read_text()


def test_highlight_before_and_after_runs_end_to_end(tmp_path: Path) -> None:
    """`benchmarks.highlight_ab`: both highlighters in turn on the same pages, which they must build alike."""
    from benchmarks import highlight_ab
    from indexer import highlight

    if not highlight.NATIVE:
        pytest.skip("the compiled highlighter is not built (test_highlight_native.py says so, or fails in CI)")
    results = highlight_ab.main(["--size", "300", "--rounds", "2", "--out", str(tmp_path)])
    assert results["searches"] > 100 and results["hits_per_page"] > 1
    samples = {side: results["ms"][side] for side in ("python", "compiled")}
    assert all(s["n"] == 2 * results["searches"] and s["p50"] > 0 for s in samples.values())
    recorded = (tmp_path / "highlight-ab-latest.md").read_text()
    assert "| p50 |" in recorded and "Python / compiled" in recorded


def test_hybrid_benchmark_runs_end_to_end(tmp_path: Path) -> None:
    from benchmarks import hybrid

    results = hybrid.main(["--sizes", "300", "--rounds", "1", "--embed-sample", "16", "--out", str(tmp_path)])
    entry = results["sizes"][0]
    assert entry["size"] == 300 and set(entry["latency_ms"]) == {"lexical", "hybrid", "query embedding"}
    assert entry["hybrid_answers"]["hybrid"] > 0  # the vectors were used
    assert all(rate > 0 for rate in entry["indexing_per_s"].values())
    assert results["embedding"]["sample"] == 16 and results["embedding"]["seconds_each"] > 0
    recorded = (tmp_path / "hybrid-latest.md").read_text()
    assert "| 300 | hybrid |" in recorded and "ms per monograph" in recorded


def test_million_runs_its_steps_and_resumes_after_a_stop(tmp_path: Path) -> None:
    """`benchmarks.million` at a tiny size: every step measured; `--resume` keeps what `--out` holds and runs
    only what is missing (a step that failed, or was not reached, or was taken out to measure it again)."""
    out, work = tmp_path / "million.json", tmp_path / "work"
    first = million.main(["--size", "40", "--workdir", str(work), "--out", str(out)])
    steps = ("corpus", "store_load", "indexing", "latency", "http")
    assert all(name in first and "error" not in first[name] for name in steps), first
    earlier = json.loads(out.read_text())
    del earlier["http"], earlier["http_wall_s"]
    earlier["latency"] = {"error": "stopped"}
    out.write_text(json.dumps(earlier))
    again = million.main(["--size", "40", "--workdir", str(work), "--out", str(out), "--resume"])
    assert again["resumed_from"] == first["date"]
    assert {name: again[name] for name in steps[:3]} == {name: first[name] for name in steps[:3]}
    assert "error" not in again["latency"] and again["http"]["runs"][0]["errors"] == 0
    with pytest.raises(SystemExit):
        million.main(["--size", "41", "--workdir", str(work), "--out", str(out), "--resume"])


def test_the_start_up_line_is_rounded_or_says_why_it_is_missing() -> None:
    assert startup_text({"seconds": 6.6030713060026756}) == "6.6 s"
    assert startup_text({"seconds": None, "error": "not searchable within 300 s"}) == (
        "not measured (not searchable within 300 s)"
    )


def test_a_profile_reads_whole_and_decimal_sample_counts(tmp_path: Path) -> None:
    """py-spy's raw lines end with a sample count, once written `14.0` (CI): both read, idle waits left out."""
    raw = tmp_path / "profile.txt"
    raw.write_text("main;a (x.py:1) 3\nmain;b (x.py:2) 1.0\nmain;epoll (selectors.py:1) 50\n\n")
    assert profile_summary(raw) == [
        {"share_of_busy": 0.75, "frame": "a (x.py:1)"},
        {"share_of_busy": 0.25, "frame": "b (x.py:2)"},
    ]


def test_each_stage_is_left_out_in_turn_on_real_searches(tmp_path: Path) -> None:
    """`benchmarks.ablation`: the raw engine, the whole API and the API without each stage, on every search."""
    from benchmarks import ablation

    arguments = ["--size", "150", "--rounds", "1", "--workdir", str(tmp_path / "work"), "--out", str(tmp_path)]
    results = ablation.main(arguments)
    latency = results["latency"]
    assert set(latency) == {"raw", *map(ablation.label, ablation.VARIANTS)}
    assert all(m["n"] == results["searches"] and m["p50"] > 0 for m in latency.values())
    assert "without facets and highlights and middleware" in (tmp_path / "ablation-latest.md").read_text()


def test_a_side_without_a_stage_answers_without_it(tmp_path: Path) -> None:
    """What the ablation times really lacks the stage it names, and only that one (else its costs say nothing)."""
    from api.main import create_app
    from benchmarks import ablation
    from benchmarks.http_load import run_like_uvicorn
    from benchmarks.run import settings_of
    from benchmarks.throughput_ab import prepared

    app = create_app(settings_of(prepared(tmp_path / "work", 150)))
    params = [("q", "agricole")]  # a word of many generated practices, without filters: hits and facets

    async def answers() -> dict[ablation.Variant, dict[str, Any]]:
        answered = {}
        async with app.router.lifespan_context(app):
            for variant in ablation.VARIANTS:
                with ablation._without(variant):
                    status, body = await ablation.side_request(app, variant, params)
                assert status == 200
                answered[variant] = json.loads(body)
            counted = app.state.metrics.registry.get_sample_value(
                "impact_http_requests_total", {"route": "/api/v1/search", "method": "GET", "status": "200"}
            )
            # Every side but the one past the middleware went through it (request metrics are middleware).
            assert counted == sum("middleware" not in variant for variant in ablation.VARIANTS)
        return answered

    answered = run_like_uvicorn(answers())
    marked = {variant: "<mark>" in json.dumps(answer["hits"]) for variant, answer in answered.items()}
    faceted = {variant: any(answer["facets"].values()) for variant, answer in answered.items()}
    assert marked == {variant: "highlights" not in variant for variant in ablation.VARIANTS}
    assert faceted == {variant: "facets" not in variant for variant in ablation.VARIANTS}
    assert len({answer["total"] for answer in answered.values()}) == 1 and answered[()]["total"] > 1


def _times_every_stage(results: dict[str, Any], out: Path) -> None:
    from starlette.routing import Router

    from benchmarks import timeline
    from indexer import pipeline

    # Most searches of the mix pass every boundary (those sorted by date have no did-you-mean).
    assert results["stamped"] > 100 and results["api"]["p50"] > 0 and results["raw"]["p50"] > 0
    stages = results["stages"]
    assert list(stages) == [stage for stage, *_ in timeline.BOUNDARIES] + [timeline.LAST]
    assert all(measured is not None and measured["p50"] >= 0 for measured in stages.values())
    assert stages["engine"]["mean"] > 0 and stages["hits and highlights"]["mean"] > 0
    assert "| facet lists |" in (out / "timeline-latest.md").read_text()
    # The functions stamped are the code's own again afterwards.
    assert not hasattr(Router.__call__, "__wrapped__") and not hasattr(pipeline.written_facets, "__wrapped__")


def test_a_request_s_stages_are_timed_on_real_searches(tmp_path: Path) -> None:
    """`benchmarks.timeline`: the raw engine and the whole API in turn, each API request stamped at every stage."""
    from benchmarks import timeline

    arguments = ["--size", "150", "--rounds", "1", "--workdir", str(tmp_path / "work"), "--out", str(tmp_path)]
    _times_every_stage(timeline.main(arguments), tmp_path)


@pytest.mark.elasticsearch
def test_a_request_s_stages_are_timed_on_real_searches_on_elasticsearch(tmp_path: Path, es_url: str) -> None:
    """The same on a real node, the request stamped as it leaves and as the node's answer arrives."""
    from benchmarks import timeline

    arguments = ["--es-url", es_url, "--size", "130", "--rounds", "1", "--workdir", str(tmp_path / "work")]
    with indices_removed(es_url, 130):
        results = timeline.main([*arguments, "--out", str(tmp_path)])
    assert results["backend"] == "elasticsearch"
    _times_every_stage(results, tmp_path)
