"""`python -m benchmarks.throughput_ab --before REV`: uvicorn throughput and latency of this tree and of an
earlier revision, served in turn from the same store and index, at 1, 8 and 32 clients.

A 2-core cloud machine's speed drifts by a third from one minute to the next, so two runs made apart
compare the machine as much as the code. Here each round serves the workdir from the earlier revision
(a git worktree of it, run by this interpreter), then from this tree, with the same query mix, and the
rounds alternate. The report gives, per concurrency, each side's median over the rounds and their
ratio, and every round's numbers. Embedded engine, or Elasticsearch with `--es-url` (the node's index
`bench-SIZE`, made from the same corpus as the store unless it holds as many practices); lexical search
(`IMPACT_EMBEDDER=none`), rate limit off (every request comes from one address). `--spell SECONDS`
measures each side after a slow spell of the machine (a CPU hog per core under the busiest load): how a
server recovers from one.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch

from benchmarks.corpus import CorpusGenerator
from benchmarks.queries import query_mix
from benchmarks.report import heading, loop_share, table
from benchmarks.run import (
    ROOT,
    console,
    elasticsearch_env,
    index_elasticsearch,
    index_embedded,
    load_store,
    progress,
    serve,
    show_and_record,
    stamped,
    write_corpus,
)
from indexer.french import FrenchStemmer

SIDES = ("before", "after")


def prepared(workdir: Path, size: int, es_url: str | None = None) -> dict[str, str]:
    """The API's environment for `workdir` holding a store and an index of `size` generated practices, embedded
    or on the node at `es_url` (each made unless there)."""
    env = {"IMPACT_DATA_DIR": str(workdir / "data"), "IMPACT_RATE_LIMIT_PER_MINUTE": "0", "IMPACT_EMBEDDER": "none"}
    if not (workdir / "data" / "index").exists():
        (workdir / "data").mkdir(parents=True, exist_ok=True)
        write_corpus(size, workdir, FrenchStemmer(), with_es_docs=es_url is not None)
        load_store(size, workdir)
        index_embedded(size, workdir)
    if es_url is None:
        return env
    prefix = f"bench-{size}"
    with Elasticsearch(es_url, request_timeout=60) as client:
        held = client.count(index=prefix)["count"] if client.indices.exists_alias(name=prefix) else None
    if held != size:
        if not (workdir / "es-docs.jsonl").exists():
            write_corpus(size, workdir, FrenchStemmer(), with_es_docs=True)
        index_elasticsearch(size, workdir, es_url, prefix)
    return env | elasticsearch_env(es_url, prefix)


def checkout(revision: str, where: Path) -> Path:
    """A detached worktree of `revision` (removed by `remove_checkout`)."""
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), revision], check=True)
    return where


def remove_checkout(where: Path) -> None:
    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(where)], check=False)


Runs = dict[str, list[dict[int, dict[str, Any]]]]  # per side, per round: each concurrency's run


def measure(env: dict[str, str], before: Path, rounds: int, clients: list[int], spell_s: float = 0.0) -> Runs:
    """Each round serves the API of environment `env` from `before`'s tree, then from this one: the runs of each
    side (measured after a slow spell of `spell_s` seconds when asked)."""
    queries = query_mix(CorpusGenerator())
    runs: Runs = {side: [] for side in SIDES}
    with progress("Serving, before and after in turn", rounds * len(SIDES)) as shown:
        for number in range(rounds):
            for side, root in zip(SIDES, (before, ROOT), strict=True):
                served = serve(
                    env | {"PYTHONPATH": str(root)}, queries, clients, root=root, with_profile=False, spell_s=spell_s
                )
                runs[side].append({run["clients"]: run for run in served["runs"]})
                shown.advance(shown.task_ids[0])
            heaviest = max(clients)
            before_rps, after_rps = (runs[side][-1][heaviest]["throughput_rps"] for side in SIDES)
            console.print(f"round {number + 1}: {heaviest} clients, {before_rps:.0f} → {after_rps:.0f} req/s")
    return runs


def summary(runs: Runs, clients: list[int]) -> list[dict[str, Any]]:
    """Per concurrency: each side's medians over the rounds (throughput, p50, p99, server CPU per request)."""
    rows = []
    for count in clients:
        row: dict[str, Any] = {"clients": count}
        for side in SIDES:
            measured = [round_[count] for round_ in runs[side]]
            row[side] = {
                "rps": statistics.median(r["throughput_rps"] for r in measured),
                "p50_ms": statistics.median(r["latency_ms"]["p50"] for r in measured),
                "p99_ms": statistics.median(r["latency_ms"]["p99"] for r in measured),
                "cpu_ms": statistics.median(1000 * r["server_cpu_s"] / r["requests"] for r in measured),
                "rps_rounds": [round(r["throughput_rps"]) for r in measured],
                "in_loop": [loop_share(r) for r in measured],
            }
        row["rps_ratio"] = row["after"]["rps"] / max(row["before"]["rps"], 1e-9)
        rows.append(row)
    return rows


def report(results: dict[str, Any]) -> str:
    lines = heading(
        "Throughput, before and after",
        results,
        f"`{results['command']}`: {results['size']:,} practices ({results.get('engine', 'embedded')}), "
        f"{results['rounds']} alternated rounds, "
        f"before = `{results['before']}`, after = this tree."
        + (
            f" Each side measured after a slow spell: {results['spell_s']:g} s of a CPU hog per core under the "
            "busiest load."
            if results.get("spell_s")
            else ""
        ),
    )
    rows = [
        [
            r["clients"],
            f"{r['before']['rps']:.0f} → {r['after']['rps']:.0f}",
            f"×{r['rps_ratio']:.2f}",
            f"{r['before']['p50_ms']:.1f} → {r['after']['p50_ms']:.1f}",
            f"{r['before']['p99_ms']:.1f} → {r['after']['p99_ms']:.1f}",
            f"{r['before']['cpu_ms']:.2f} → {r['after']['cpu_ms']:.2f}",
            f"{r['before']['rps_rounds']} / {r['after']['rps_rounds']}",
            f"{' '.join(r['before']['in_loop'])} / {' '.join(r['after']['in_loop'])}",
        ]
        for r in results["summary"]
    ]
    header = [
        "clients",
        "req/s (median)",
        "ratio",
        "p50 ms",
        "p99 ms",
        "server CPU ms/req",
        "req/s per round",
        "calls in the loop per round",
    ]
    return "\n".join([*lines, *table(header, rows), ""])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", required=True, help="the earlier revision (a commit, tag or branch)")
    parser.add_argument("--size", type=int, default=10_000, help="practices in the generated corpus")
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds (each side served once each)")
    parser.add_argument("--clients", default="1,8,32", help="concurrent HTTP clients, comma-separated")
    parser.add_argument("--workdir", type=Path, help="reuse (or keep) this corpus, store and index")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument(
        "--spell",
        type=float,
        default=0.0,
        help="seconds of a slow spell (a CPU hog per core) under the busiest load before each side's measures",
    )
    parser.add_argument("--es-url", help="measure on Elasticsearch: this node (the embedded engine otherwise)")
    parser.add_argument("--no-record", action="store_true", help="print only")
    args = parser.parse_args(argv)
    clients = [int(c) for c in args.clients.split(",")]
    with tempfile.TemporaryDirectory(prefix="impact-ab-") as temporary:
        env = prepared(args.workdir or Path(temporary) / "work", args.size, args.es_url)
        before = checkout(args.before, Path(temporary) / "before")
        try:
            runs = measure(env, before, args.rounds, clients, args.spell)
        finally:
            remove_checkout(before)
    results = stamped(
        "throughput_ab",
        argv,
        before=args.before,
        engine="elasticsearch" if args.es_url else "embedded",
        size=args.size,
        rounds=args.rounds,
        spell_s=args.spell,
        runs=runs,
        summary=summary(runs, clients),
    )
    show_and_record(results, report(results), args.out, "throughput-ab", args.no_record)
    return results


if __name__ == "__main__":
    main()
