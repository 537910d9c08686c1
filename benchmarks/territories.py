"""Territory autocomplete latency, in-process, over the whole referential (goal: p95 ≤ 5 ms).

The query mix replays what people type into an autocomplete box, one request per keystroke: names of
territories drawn at random (communes, EPCI, départements, weighted towards the populous ones people
look for) typed from their second character on, in the ways people type them (folded and lower case,
`st` for saint, the EPCI's legal form, a typo in a long word, a code), plus the issue's examples.

    python -m benchmarks.territories [--territories 400] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import random
import time
from pathlib import Path
from typing import Any

from benchmarks.measure import percentiles
from benchmarks.progress import PhaseBar
from benchmarks.report import record, table_row
from benchmarks.run import console, machine
from indexer.french import fold
from schemas.territory import TerritoryKind
from territories.autocomplete import territory_index, typos_allowed
from territories.referential import TerritoryRecord

GOAL_P95_MS = 5.0
RESULTS = Path(__file__).resolve().parent / "results"
EXAMPLES = ("st denis", "ferte sous", "cc diois", "die", "26113", "drome", "paris", "marseile", "ste marie")


def typed_forms(record: TerritoryRecord, rng: random.Random) -> list[tuple[str, str]]:
    """`(kind of typing, full text)` for one territory: how people write its name."""
    name = record.name
    forms = [("as written", name), ("folded", fold(name).replace("-", " "))]
    if "Saint" in name:
        forms.append(("st", fold(name).replace("sainte", "ste").replace("saint", "st").replace("-", " ")))
    if record.kind == TerritoryKind.EPCI and record.nature in ("CC", "CA", "CU"):
        rest = name.split(" ", 3)[-1]  # after "Communauté de communes" / "Communauté d'agglomération du"
        forms.append(("legal form", f"{record.nature.lower()} {fold(rest)}"))
    words = fold(name).split()
    long_words = [i for i, w in enumerate(words) if typos_allowed(w)]
    if long_words:
        i = rng.choice(long_words)
        j = rng.randrange(1, len(words[i]) - 1)
        words[i] = words[i][:j] + words[i][j + 1] + words[i][j] + words[i][j + 2 :]  # two letters swapped
        forms.append(("typo", " ".join(words)))
    forms.append(("code", record.code))
    return forms


def query_mix(territories: int, seed: int = 7) -> list[tuple[str, str]]:
    """`(kind of typing, text as sent)`: every keystroke of every form, from the second character."""
    index = territory_index()
    rng = random.Random(seed)
    typed_kinds = (TerritoryKind.COMMUNE, TerritoryKind.EPCI, TerritoryKind.DEPARTEMENT)
    pool = [r for r in index.records if r.kind in typed_kinds]
    # Half the territories among the 2,000 most populous (what people look for most), half uniformly.
    chosen = rng.sample(pool[:2_000], territories // 2) + rng.sample(pool[2_000:], territories - territories // 2)
    mix = [("example", text) for text in EXAMPLES]
    for territory in chosen:
        for kind, text in typed_forms(territory, rng):
            mix += [(kind, text[:end]) for end in range(2, len(text) + 1)]
    return mix


def measure(territories: int, rounds: int) -> dict[str, Any]:
    bar = PhaseBar("territory autocomplete", 2 + rounds, "queries")
    with bar.progress:
        bar.start("referential and index (first use)", 1)
        started = time.perf_counter()
        index = territory_index()
        build_s = time.perf_counter() - started
        bar.done()
        bar.start("query mix", 1)
        mix = query_mix(territories)
        bar.done()
        samples: dict[str, list[float]] = {}
        found_none = 0
        for round_number in range(rounds):
            report = bar.start(f"round {round_number + 1}/{rounds}", len(mix))
            for done, (kind, text) in enumerate(mix, 1):
                started = time.perf_counter()
                found = index.search(text, (), 10)
                samples.setdefault(kind, []).append(time.perf_counter() - started)
                found_none += not found
                if done % 200 == 0:
                    report(done)
            bar.done()
    every = [s for values in samples.values() for s in values]
    return {
        "machine": machine() | {"load_average_at_start": os.getloadavg()},
        "territories_typed": territories,
        "rounds": rounds,
        "queries": len(mix),
        "first_use_s": round(build_s, 2),
        "records": len(index.records),
        "empty_answers_pct": round(100 * found_none / max(len(every), 1), 1),
        "latency_ms": percentiles(every),
        "latency_ms_by_kind": {kind: percentiles(values) for kind, values in sorted(samples.items())},
    }


def summary_line(results: dict[str, Any]) -> str:
    latency = results["latency_ms"]
    verdict = "meets" if latency["p95"] <= GOAL_P95_MS else "misses"
    return (
        f"territory autocomplete: {latency['n']:,} queries over {results['records']:,} territories, "
        f"p50 {latency['p50']:.2f} ms, p95 {latency['p95']:.2f} ms, p99 {latency['p99']:.2f} ms "
        f"({verdict} the p95 ≤ {GOAL_P95_MS:g} ms goal); first use {results['first_use_s']} s"
    )


def report(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        f"# Territory autocomplete benchmark {time.strftime('%Y-%m-%dT%H:%M:%S%z')}",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, Python {m['python']} "
        f"(load average at start: {' '.join(f'{x:.1f}' for x in m['load_average_at_start'])}). "
        f"In-process `TerritoryIndex.search(q, limit=10)`; {results['queries']:,} keystroke queries "
        f"({results['territories_typed']} territories typed) × {results['rounds']} rounds; "
        f"{results['empty_answers_pct']} % of answers empty (typos in words still under 4 letters: not forgiven).",
        "",
        f"`{results['summary']}`",
        "",
        table_row(["typing", "queries", "p50 ms", "p95 ms", "p99 ms", "mean ms"]),
        table_row(["---"] * 6),
    ]
    for kind, p in results["latency_ms_by_kind"].items():
        lines.append(table_row([kind, p["n"], *(f"{p[key]:.2f}" for key in ("p50", "p95", "p99", "mean"))]))
    return "\n".join([*lines, ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--territories", type=int, default=400, help="territories whose names are typed")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    results = measure(args.territories, args.rounds)
    results["summary"] = summary_line(results)
    markdown = report(results)
    files = record(results, markdown, args.out, "territories")
    console.print(markdown, markup=False, highlight=False, soft_wrap=True)
    console.print(results["summary"], markup=False, highlight=False, soft_wrap=True)
    console.print(f"results: {', '.join(str(f) for f in files)} and {args.out / 'territories-latest.md'}")


if __name__ == "__main__":
    main()
