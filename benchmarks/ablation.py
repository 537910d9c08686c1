"""`python -m benchmarks.ablation [--es-url URL]`: what each stage of our search path costs on real calls, found
by leaving it out.

`benchmarks.run` times each stage on its own, warm (`hits_highlight`, `facets`, `serialise`, the API layer with
the engine's answers replayed), and on Elasticsearch splits real calls at the node. On real calls our stages cost
more than timed warm (the node's answer arrives in caches its work has left cold), and the split at the node
does not say which stage takes what. Here, in one started app, each query of the mix is sent to the raw engine,
then to the whole API and to the API without one stage, in an order that turns from one query to the next:

- `facets`: no facet list built (the engine still counts them, and its answer still holds them);
- `highlights`: hits built without highlighting;
- `middleware`: the request handed to the router, past the HTTP middleware (security headers, load shedding,
  metrics, conditional GET, body guard, client address, trusted hosts, error handlers);
- all three together.

What a stage costs is the whole API's p50 minus the p50 without it. The stage is left out by replacing the
pipeline function that builds it for the duration of one request, so this measures the code as it is; the
answers without a stage are not valid answers, and this never runs in the API.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from benchmarks.corpus import CorpusGenerator
from benchmarks.http_load import asgi_get, query_bytes
from benchmarks.measure import percentiles
from benchmarks.queries import query_mix
from benchmarks.report import heading, table
from benchmarks.run import (
    _planned,
    main_in_app,
    progress,
    raw_elasticsearch_calls,
    raw_embedded_calls,
    settings_of,
)
from indexer import pipeline
from indexer.embedded import EmbeddedEngine
from indexer.french import FrenchStemmer
from indexer.query import Synonyms

STAGES = ("facets", "highlights", "middleware")
Variant = tuple[str, ...]
VARIANTS: tuple[Variant, ...] = ((), ("facets",), ("highlights",), ("middleware",), STAGES)


@contextmanager
def _replaced(owner: Any, name: str, value: Any) -> Iterator[None]:
    original = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, original)


def _without(stages: Variant) -> ExitStack:
    """The pipeline's functions replaced for the stages left out (the middleware is skipped by the caller)."""
    stack = ExitStack()
    if "facets" in stages:
        stack.enter_context(_replaced(pipeline, "build_facets", lambda counts, filters: {}))
        stack.enter_context(_replaced(pipeline, "written_facets", lambda counts, filters, facets, years: "{}"))
    if "highlights" in stages:
        stack.enter_context(_replaced(pipeline, "build_highlighter", lambda *args, **kwargs: None))
    return stack


def label(variant: Variant) -> str:
    return "whole API" if not variant else "without " + " and ".join(variant)


def side_request(app: Any, variant: Variant, params: bytes) -> Awaitable[tuple[int, bytes]]:
    """One search request of a side (the caller leaves out the pipeline's stages: `_without`)."""

    async def router_only(scope: dict[str, Any], receive: Any, send: Any) -> None:
        scope["app"] = app  # what Starlette's application sets before its middleware
        await app.router(scope, receive, send)

    return asgi_get(router_only if "middleware" in variant else app, "/api/v1/search", params)


async def measure(env: dict[str, str], rounds: int) -> dict[str, Any]:
    from api.main import create_app  # the app of this tree, with the settings of `env`

    settings = settings_of(env)
    queries = query_mix(CorpusGenerator())
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        engine = app.state.engine
        plans = [_planned(engine, q, Synonyms.from_file(), FrenchStemmer()) for q in queries]
        if isinstance(engine, EmbeddedEngine):
            raw = raw_embedded_calls(engine, plans)
        else:
            raw = raw_elasticsearch_calls(settings, plans)

        params = [query_bytes(q.query_string()) for q in queries]
        samples: dict[str, list[float]] = {name: [] for name in ("raw", *map(label, VARIANTS))}
        sides = len(VARIANTS) + 1
        with progress("Raw, the whole API and without each stage, in turn", (rounds + 1) * len(raw)) as shown:
            for round_number in range(rounds + 1):  # the first round warms every side up, untimed
                for number, call in enumerate(raw):
                    turn = (number + round_number) % sides
                    for side in range(turn, turn + sides):
                        variant = VARIANTS[side % sides - 1] if side % sides else None
                        started = time.perf_counter()
                        if variant is None:
                            call()
                        else:
                            with _without(variant):
                                status, body = await side_request(app, variant, params[number])
                            assert status == 200, body[:300]
                        if round_number:
                            samples["raw" if variant is None else label(variant)].append(time.perf_counter() - started)
                    shown.advance(shown.task_ids[0])
    return {"backend": settings.search_backend, "latency": {name: percentiles(s) for name, s in samples.items()}}


def report(results: dict[str, Any]) -> str:
    lines = heading(
        "What each stage of the search path costs on real calls",
        results,
        f"`{results['command']}`: {results['backend']} engine, index of {results['size']:,} practices, "
        f"{results['rounds']} rounds of the query mix ({results['searches']} searches), the raw engine, the whole "
        "API and the API without each stage in turn on each query.",
    )
    latency = results["latency"]
    raw, whole = latency["raw"]["p50"], latency[label(())]["p50"]
    rows: list[list[Any]] = []
    for name, measured in latency.items():
        p50 = measured["p50"]
        over = "" if name == "raw" else f"{p50 - raw:+.2f} ({100 * (p50 - raw) / raw:+.0f} %)"
        saved = "" if name in ("raw", label(())) else f"{whole - p50:.2f}"
        rows.append([name, f"{p50:.2f}", f"{measured['p95']:.2f}", over, saved])
    header = ["side", "p50 ms", "p95 ms", "p50 over raw", "the stage's cost (whole − this, ms)"]
    return "\n".join([*lines, *table(header, rows), ""])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    return main_in_app("ablation", __doc__, argv, measure, report, searches=len(query_mix(CorpusGenerator())))


if __name__ == "__main__":
    main()
