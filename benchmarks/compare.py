"""`python -m benchmarks.compare BEFORE.json AFTER.json`: two `benchmarks.run` results side by side.

Each run measured the raw engine itself, so our costs are compared as what they add to raw in their
own run (machine load moves raw and ours together). Prints Markdown; `--out` also records it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from benchmarks.report import heading, table_row


def _added(latency: dict[str, Any], name: str) -> str:
    """p50 of one path, and what it adds to the raw engine's p50 in the same run."""
    p50, raw = latency[name]["p50"], latency["raw"]["p50"]
    return f"{p50:.2f} ({p50 - raw:+.2f}, ×{p50 / max(raw, 1e-9):.2f})"


def _latency_row(label: str, latency: dict[str, Any]) -> str:
    return table_row(
        [
            label,
            f"{latency['raw']['p50']:.2f} / {latency['raw']['p95']:.2f}",
            _added(latency, "engine_search"),
            f"{latency['engine_search']['p95']:.2f}",
            _added(latency, "api_asgi"),
            f"{latency['api_asgi']['p95']:.2f}",
        ]
    )


def _http_rows(label: str, http: dict[str, Any]) -> list[str]:
    return [
        table_row(
            [
                label,
                run["clients"],
                f"{run['throughput_rps']:.0f}",
                f"{run['latency_ms']['p50']:.1f}",
                f"{run['latency_ms']['p99']:.1f}",
                run["errors"],
            ]
        )
        for run in http["runs"]
    ]


def compare(before: dict[str, Any], after: dict[str, Any], labels: tuple[str, str], command: str) -> str:
    """The Markdown comparison of two runs (sizes and engines both measured)."""
    lines = heading("Before / after", after, f"Command, run for each back to back: `{command}`.")
    for size in [s for s in after["sizes"] if s in before["sizes"]]:
        for engine in [e for e in ("embedded", "elasticsearch") if e in after["sizes"][size]]:
            runs = [(label, run["sizes"][size].get(engine)) for label, run in zip(labels, (before, after), strict=True)]
            measured = [(label, entry) for label, entry in runs if entry]
            lines += [
                f"## {engine}, {int(size):,} monographs",
                "",
                "p50 ms, then (what it adds to raw p50 in its own run, × raw):",
                "",
                table_row(["code", "raw p50 / p95", "engine.search p50", "p95", "API in-process p50", "p95"]),
                table_row(["---"] * 6),
            ]
            lines += [_latency_row(label, entry["latency"]) for label, entry in measured]
            stages = [(label, entry["latency"].get("stages")) for label, entry in measured]
            if all(s for _, s in stages):
                # Stages both runs timed (an older run may lack the newer ones), in the first run's order.
                names = [n for n in stages[0][1] if all(n in s for _, s in stages)]
                lines += ["", table_row(["stage p50 ms", *names]), table_row(["---"] * (len(names) + 1))]
                lines += [table_row([label, *(f"{s[n]['p50']:.3f}" for n in names)]) for label, s in stages]
            lines += [
                "",
                table_row(["uvicorn", "clients", "req/s", "p50 ms", "p99 ms", "errors"]),
                table_row(["---"] * 6),
            ]
            for label, entry in measured:
                lines += _http_rows(label, entry["http"])
            lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("before", type=Path, help="results JSON of the code before")
    parser.add_argument("after", type=Path, help="results JSON of the code after")
    parser.add_argument("--labels", default="before,after", help="the two rows' names, comma-separated")
    parser.add_argument("--command", default="python -m benchmarks.run", help="the command both ran, for the record")
    parser.add_argument("--out", type=Path, help="also write the comparison to this Markdown file")
    args = parser.parse_args(argv)
    before, after = (json.loads(path.read_text()) for path in (args.before, args.after))
    first, second = args.labels.split(",", 1)
    markdown = compare(before, after, (first, second), args.command)
    if args.out:
        args.out.write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
