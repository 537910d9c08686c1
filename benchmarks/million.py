"""`python -m benchmarks.million [--size 1000000] [--workdir DIR] [--resume]`: the embedded engine at a size too big
for `benchmarks.run`'s all-or-nothing run. The same steps (generate, store, index, latency with stages, API
in-process, uvicorn at 1 and 8 clients), each saved to `--out` as soon as it finishes, so a failure or a
stop later keeps what was measured (`--resume` runs only what `--out` lacks). The 1M runs:
`results/results-1m-20261201.md`, `results/results-1m-20261202.md`."""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import run
from benchmarks.corpus import CorpusGenerator
from benchmarks.http_load import run_like_uvicorn
from benchmarks.queries import query_mix
from indexer.french import FrenchStemmer


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=None, help="where corpus, store and index go (~16 GB at 1M)")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "impact-million.json")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the steps `--out` already holds (same --size and --workdir) and run the others: after a stop, "
        "or to measure the search steps again with newer code on the same store and index",
    )
    args = parser.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="impact-million-"))
    (work / "data").mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": run.machine(),
        "size": args.size,
    }
    if args.resume and args.out.exists():
        earlier = json.loads(args.out.read_text())
        if earlier.get("size") != args.size:
            parser.error(f"--resume: {args.out} measured {earlier.get('size')} practices, not {args.size}")
        failed = {n for n, v in earlier.items() if isinstance(v, dict) and "error" in v}
        kept = [n for n in earlier if f"{n}_wall_s" in earlier and n not in failed]
        results |= {"resumed_from": earlier["date"]} | {k: earlier[k] for n in kept for k in (n, f"{n}_wall_s")}

    def step(name: str, measure: Callable[[], Any]) -> None:
        if name in results:
            run.console.print(f"{name}: kept from {results['resumed_from']}")
            return
        started = time.perf_counter()
        try:
            results[name] = measure()
        except Exception as exc:  # keep what the earlier steps measured
            results[name] = {"error": repr(exc)[:500]}
        results[f"{name}_wall_s"] = time.perf_counter() - started
        args.out.write_text(json.dumps(results, indent=2))
        run.console.print(f"{name}: {json.dumps(results[name])[:300]}")

    queries = query_mix(CorpusGenerator())
    env = {"IMPACT_DATA_DIR": str(work / "data"), "IMPACT_RATE_LIMIT_PER_MINUTE": "0", "IMPACT_EMBEDDER": "none"}
    settings = run.settings_of(env)
    step("corpus", lambda: run.write_corpus(args.size, work, FrenchStemmer(), False))
    step("store_load", lambda: run.load_store(args.size, work))
    step("indexing", lambda: run.index_embedded(args.size, work))
    step("latency", lambda: run_like_uvicorn(run.measure_in_app(settings, queries, 1)))
    step("http", lambda: run.serve(env, queries, [1, 8]))
    run.console.print(f"done; results in {args.out}, data in {work}")
    return results


if __name__ == "__main__":
    main()
