"""The Markdown table of a benchmark run, with each goal and how far we are from it; recording runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def table_row(cells: list[Any]) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def table(header: list[str], rows: list[list[Any]]) -> list[str]:
    """A Markdown table's lines: the header, its rule, one line per row."""
    return [table_row(header), table_row(["---"] * len(header)), *(table_row(row) for row in rows)]


def heading(title: str, results: dict[str, Any], extra: str = "") -> list[str]:
    """A report's title and the machine it ran on (and, say, the command)."""
    m = results["machine"]
    machine = f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, Python {m['python']}."
    return [f"# {title} {results['date']}", "", f"{machine} {extra}".strip(), ""]


def _cpu_cells(run: dict[str, Any]) -> list[str]:
    """Server CPU per request and the cores each side used (runs recorded before 2026-12-01 have none)."""
    if "server_cpu_s" not in run:
        return ["–", "–"]
    seconds = run["seconds"]
    return [
        f"{1000 * run['server_cpu_s'] / run['requests']:.2f}",
        f"{run['server_cpu_s'] / seconds:.2f} / {run['client_cpu_s'] / seconds:.2f}",
    ]


def loop_share(run: dict[str, Any]) -> str:
    """The share of a load's engine calls that ran in the event loop's thread (`api/engine_calls.py`); "–" for
    runs recorded before 2026-12-02 or of a revision without the counter."""
    calls = run.get("engine_calls") or {}
    total = sum(calls.values())
    return f"{calls.get('loop', 0) / total:.0%}" if total else "–"


def write_report(results: dict[str, Any]) -> str:
    lines = heading("Benchmark", results)
    for size, entry in results["sizes"].items():
        corpus = entry["corpus"]
        lines += [
            f"## {int(size):,} monographs ({corpus['raw_json_mb']:.0f} MB of JSON)",
            "",
            f"Store load (SQLite, batched): {entry['store_load']['docs_per_s']:,.0f} docs/s.",
            "",
            *node_text(entry.get("elasticsearch_node")),
            table_row(
                [
                    "engine",
                    "indexing ours (docs/s)",
                    "raw bulk (docs/s)",
                    "ours/raw",
                    "index MB",
                    "raw p50/p95/p99 ms",
                    "engine.search p50/p95",
                    "API ASGI p50/p95/p99 ms",
                    "API overhead p50",
                ]
            ),
            table_row(["---"] * 9),
        ]
        for engine in ("embedded", "elasticsearch"):
            if engine not in entry:
                continue
            ix, lat = entry[engine]["indexing"], entry[engine]["latency"]
            raw, eng, api = lat["raw"], lat["engine_search"], lat["api_asgi"]
            lines.append(
                table_row(
                    [
                        engine,
                        f"{ix['ours_docs_per_s']:,.0f}",
                        f"{ix['raw_docs_per_s']:,.0f}" if "raw_docs_per_s" in ix else "–",
                        f"{ix['ours_vs_raw']:.0%}" if "ours_vs_raw" in ix else "–",
                        f"{ix['index_mb']:.0f}",
                        f"{raw['p50']:.2f} / {raw['p95']:.2f} / {raw['p99']:.2f}",
                        f"{eng['p50']:.2f} / {eng['p95']:.2f}",
                        f"{api['p50']:.2f} / {api['p95']:.2f} / {api['p99']:.2f}",
                        f"{lat['api_overhead_p50_ms']:+.2f} ms ({lat['api_overhead_p50_pct']:+.0f} %)",
                    ]
                )
            )
        for engine, title in (("embedded", "Embedded"), ("elasticsearch", "Elasticsearch")):
            lines += stages_text(title, entry.get(engine, {}).get("latency", {}))
        lines += [
            "",
            table_row(
                [
                    "engine",
                    "clients",
                    "throughput (req/s)",
                    "p50 ms",
                    "p95 ms",
                    "p99 ms",
                    "errors",
                    "server CPU ms/req",
                    "cores used (server / client)",
                    "calls in the loop",
                    "RSS rest / load MB",
                ]
            ),
            table_row(["---"] * 11),
        ]
        for engine in ("embedded", "elasticsearch"):
            if engine not in entry:
                continue
            http = entry[engine]["http"]
            for run in http["runs"]:
                lat = run["latency_ms"]
                lines.append(
                    table_row(
                        [
                            engine,
                            run["clients"],
                            f"{run['throughput_rps']:.0f}",
                            f"{lat['p50']:.1f}",
                            f"{lat['p95']:.1f}",
                            f"{lat['p99']:.1f}",
                            run["errors"],
                            *_cpu_cells(run),
                            loop_share(run),
                            f"{http['rss_at_rest_mb']:.0f} / {http['rss_under_load_mb']:.0f}",
                        ]
                    )
                )
        lines.append("")
        for engine in ("embedded", "elasticsearch"):
            http = entry.get(engine, {}).get("http", {})
            if http.get("rss_at_rest_parts_mb"):
                lines += [resident_text(engine, http["rss_at_rest_parts_mb"]), ""]
            if http.get("rss_under_load_parts_mb"):
                lines += [resident_text(engine, http["rss_under_load_parts_mb"], "at its peak under load"), ""]
        for engine in ("embedded", "elasticsearch"):
            profile = entry.get(engine, {}).get("http", {}).get("profile")
            if profile:
                heaviest = f"the heaviest load ({engine}, py-spy, busy samples; a run of its own, not a measured one)"
                lines += [f"Profile of the API under {heaviest}:", ""]
                lines += [f"- {p['share_of_busy']:.0%} `{p['frame']}`" for p in profile[:8]]
                lines.append("")
    if "startup" in results:
        lines += [f"Start-up, `make run` to a searchable seeded system (warm): {startup_text(results['startup'])}.", ""]
    lines += [
        "Goals: API overhead p50 ≤ 10 % on Elasticsearch and ≤ 1.5 ms on embedded; embedded `engine.search` "
        "p95 ≤ 15 ms at 100k (text + 3 facets); uvicorn, 32 clients, embedded, 10k: ≥ 200 req/s with p99 ≤ 300 ms; "
        "our ES bulk ≥ 80 % of raw; API RSS ≤ 500 MB at 100k on embedded.",
        "",
    ]
    return "\n".join(lines)


def node_text(node: dict[str, Any] | None) -> list[str]:
    if not node:
        return []
    return [f"Elasticsearch {node['version']}, {node['nodes']} node(s), {node['heap_mb']:,.0f} MB of heap in all.", ""]


def resident_text(engine: str, parts: dict[str, float], when: str = "at rest") -> str:
    """What the API's resident memory at rest (or at its peak under load) is made of."""
    mapped = "shared libraries and, on the embedded engine, mostly its index's segments (page cache, shared "
    mapped += "with the system and reclaimed under memory pressure)"
    return (
        f"API resident memory {when} ({engine}): {parts.get('VmRSS', 0):.0f} MB = {parts.get('RssAnon', 0):.0f} MB "
        f"of its own + {parts.get('RssFile', 0):.0f} MB of files it maps ({mapped})"
        + (f" + {parts['RssShmem']:.0f} MB shared" if parts.get("RssShmem") else "")
        + "."
    )


def startup_text(startup: dict[str, Any]) -> str:
    seconds = startup.get("seconds")
    return f"{seconds:.1f} s" if seconds is not None else f"not measured ({startup.get('error', 'no answer')})"


def record(results: dict[str, Any], markdown: str, out: Path, name: str, latest: str | None = None) -> list[Path]:
    """Write a run's numbers and tables to `out`: `{name}-<timestamp>.json` and `.md`, and the
    tables again as `latest` (default `{name}-latest.md`). Returns the two timestamped files."""
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    numbers, tables = out / f"{name}-{stamp}.json", out / f"{name}-{stamp}.md"
    numbers.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    tables.write_text(markdown)
    (out / (latest or f"{name}-latest.md")).write_text(markdown)
    return [numbers, tables]


def stages_text(title: str, latency: dict[str, Any]) -> list[str]:
    """One engine's search path per stage, p50 / mean (none when the run did not time them). Means add up
    where p50s do not: a stage that costs nothing on most queries and much on a few (did-you-mean) has a
    p50 of zero."""
    stages = latency.get("stages")
    if not stages:
        return []
    parts = [f"{name} {p['p50']:.2f} / {p['mean']:.2f}" for name, p in stages.items()]
    parts.insert(2, f"raw engine {latency['raw']['p50']:.2f} / {latency['raw']['mean']:.2f}")
    totals = [("`engine.search`", latency["engine_search"]), ("API in-process", latency["api_asgi"])]
    return [
        "",
        f"{title} search path, p50 / mean ms per stage, each timed on its own: `request` is built once per "
        "distinct pass (a search asked again reuses it); `api_layer` is the API with the engine's answers "
        "replayed, `api_in` / `api_out` the API before / after a real engine call, `engine_in` / `engine_out` "
        "(Elasticsearch) that call before its request leaves / after its answer is read, timed on real calls "
        "(the node's work leaves the caches cold: more than the same stages timed on their own); `serialise` "
        "is part of both. "
        + " · ".join(parts)
        + "; "
        + ", ".join(f"{name} {p['p50']:.2f} / {p['mean']:.2f}" for name, p in totals)
        + ".",
    ]
