"""`python -m benchmarks.timeline [--es-url URL]`: where the time of one search request goes, stage by stage, on real
calls.

`benchmarks.run` times each stage on its own, warm; `benchmarks.ablation` finds a stage's cost by leaving it out.
Neither says where the rest goes. Here each search of the mix is sent to the raw engine and to the whole API in
turn, in one started app, and the API's request is stamped at each stage's boundary (the functions there wrapped
for the run: `BOUNDARIES`): from its arrival to the router (the middleware), to the engine call (routing, the
query read), to the words parsed, to the request built, to the request sent, to the engine's answer (on
Elasticsearch, the node's: network and search), to the answer read (the JSON parsed, the engine's raw result),
then the hits with their highlights, did-you-mean, the facet lists, the result, the answer's JSON and the
middleware on the way out. A stage's median is over the requests that passed every boundary (a search sorted by
date has no did-you-mean, for one). The wrappers cost about 0.5 µs each, a few µs a request in all.

Timed so, a stage costs two to four times what it costs timed on its own, warm: the engine's work, and on
Elasticsearch the node's, leaves the caches cold (benchmarks/results/perf-20261205-session32.md).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import wraps
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
from indexer.embedded import EmbeddedEngine
from indexer.french import FrenchStemmer
from indexer.query import Synonyms

# A stage ends at its boundary: (stage, module, attribute, at its call or its return). In the order a request
# passes them; `None` as the module: the engine's own (below).
Boundary = tuple[str, str | None, str, str]
BOUNDARIES: tuple[Boundary, ...] = (
    ("middleware in", "starlette.routing:Router", "__call__", "call"),
    ("routing and query read", "api.engine_calls:EngineCalls", "search", "call"),
    ("words parsed", "indexer.pipeline", "first_plan", "return"),
    ("request built", "indexer.compiled_requests:CompiledRequests", "__call__", "return"),
    ("request sent", None, "sent", "call"),
    ("engine", None, "answered", "call"),
    ("answer read", "indexer.pipeline", "build_highlighter", "call"),
    ("hits and highlights", "indexer.pipeline", "corrected_query", "call"),
    ("did-you-mean", "indexer.pipeline", "corrected_query", "return"),
    ("facet lists", "indexer.pipeline", "written_facets", "return"),
    ("result", "api.engine_calls:EngineCalls", "search", "return"),
    ("answer's JSON", "api.v1.search", "response_body", "return"),
)
# Where each engine sends its request and gets its answer: (module:class, attribute, at its call or its return).
ENGINE_BOUNDARIES = {
    "elasticsearch": {
        "sent": ("indexer.es_http_node:_Connection", "exchange", "call"),
        "answered": ("indexer.es_http_node:_Connection", "_answered", "call"),
    },
    "embedded": {
        "sent": ("indexer.embedded:EmbeddedEngine", "tantivy_calls", "call"),
        "answered": ("indexer.embedded:EmbeddedEngine", "tantivy_calls", "return"),
    },
}
LAST = "middleware out"


def _owner(path: str) -> Any:
    module_name, _, class_name = path.partition(":")
    module = __import__(module_name, fromlist=["_"])
    return getattr(module, class_name) if class_name else module


def _stamping(
    function: Callable[..., Any], stamps: dict[str, float], at_call: str | None, at_return: str | None
) -> Any:
    """`function`, stamping `at_call` when called and `at_return` when it returns (once each a request: the first)."""
    if hasattr(function, "__code__") and function.__code__.co_flags & 0x80:  # a coroutine function

        @wraps(function)
        async def stamped_async(*args: Any, **kwargs: Any) -> Any:
            if at_call:
                stamps.setdefault(at_call, time.perf_counter())
            answer = await function(*args, **kwargs)
            if at_return:
                stamps.setdefault(at_return, time.perf_counter())
            return answer

        return stamped_async

    @wraps(function)
    def stamped_call(*args: Any, **kwargs: Any) -> Any:
        if at_call:
            stamps.setdefault(at_call, time.perf_counter())
        answer = function(*args, **kwargs)
        if at_return:
            stamps.setdefault(at_return, time.perf_counter())
        return answer

    return stamped_call


@contextmanager
def stamped_boundaries(backend: str, stamps: dict[str, float]) -> Iterator[None]:
    """Every boundary of `BOUNDARIES` stamped into `stamps` (by stage name) while inside."""
    wanted: dict[tuple[str, str], dict[str, str]] = {}
    for stage, path, name, when in BOUNDARIES:
        if path is None:
            path, name, when = ENGINE_BOUNDARIES[backend][name]
        wanted.setdefault((path, name), {})[when] = stage
    with ExitStack() as stack:
        for (path, name), stages in wanted.items():
            owner = _owner(path)
            original = getattr(owner, name)
            setattr(owner, name, _stamping(original, stamps, stages.get("call"), stages.get("return")))
            stack.callback(setattr, owner, name, original)
        yield


def stage_times(started: float, stamps: dict[str, float], ended: float) -> dict[str, float] | None:
    """Each stage's time (s) from one request's stamps, or None when it did not pass every boundary in order."""
    times, previous = {}, started
    for stage, *_ in BOUNDARIES:
        stamp = stamps.get(stage)
        if stamp is None or stamp < previous:
            return None
        times[stage], previous = stamp - previous, stamp
    times[LAST] = ended - previous
    return times


async def measure(env: dict[str, str], rounds: int) -> dict[str, Any]:
    from api.main import create_app  # the app of this tree, with the settings of `env`

    settings = settings_of(env)
    queries = query_mix(CorpusGenerator())
    app = create_app(settings)
    raw_samples: list[float] = []
    api_samples: list[float] = []
    stages: dict[str, list[float]] = {name: [] for name in (*(stage for stage, *_ in BOUNDARIES), LAST)}
    async with app.router.lifespan_context(app):
        engine = app.state.engine
        plans = [_planned(engine, q, Synonyms.from_file(), FrenchStemmer()) for q in queries]
        raw = (
            raw_embedded_calls(engine, plans)
            if isinstance(engine, EmbeddedEngine)
            else raw_elasticsearch_calls(settings, plans)
        )
        params = [query_bytes(q.query_string()) for q in queries]
        stamps: dict[str, float] = {}
        with (
            progress("Raw and the API stamped, in turn", (rounds + 1) * len(raw)) as shown,
            stamped_boundaries(engine.backend, stamps),
        ):
            for round_number in range(rounds + 1):  # the first round warms both up, untimed
                for number, call in enumerate(raw):
                    # Which goes first turns from one query to the next.
                    for side in ("raw", "api") if (number + round_number) % 2 else ("api", "raw"):
                        stamps.clear()
                        started = time.perf_counter()
                        if side == "raw":
                            call()
                        else:
                            status, body = await asgi_get(app, "/api/v1/search", params[number])
                            assert status == 200, body[:300]
                        ended = time.perf_counter()
                        if not round_number:
                            continue
                        if side == "raw":
                            raw_samples.append(ended - started)
                            continue
                        api_samples.append(ended - started)
                        times = stage_times(started, stamps, ended)
                        for stage, seconds in (times or {}).items():
                            stages[stage].append(seconds)
                    shown.advance(shown.task_ids[0])
    return {
        "backend": settings.search_backend,
        "raw": percentiles(raw_samples),
        "api": percentiles(api_samples),
        "stamped": len(stages[LAST]),
        "stages": {
            stage: {"p50": statistics.median(s) * 1000, "mean": statistics.fmean(s) * 1000} if s else None
            for stage, s in stages.items()
        },
    }


def report(results: dict[str, Any]) -> str:
    lines = heading(
        "Where a search request's time goes, on real calls",
        results,
        f"`{results['command']}`: {results['backend']} engine, index of {results['size']:,} practices, "
        f"{results['rounds']} rounds of the query mix, the raw engine and the whole API in turn on each query; "
        f"the stages of the {results['stamped']:,} API requests that passed every boundary.",
    )
    raw, api = results["raw"]["p50"], results["api"]["p50"]
    rows = [
        [stage, f"{measured['p50']:.3f}", f"{measured['mean']:.3f}"] if measured else [stage, "–", "–"]
        for stage, measured in results["stages"].items()
    ]
    summed = sum(measured["p50"] for measured in results["stages"].values() if measured)
    rows.append(["sum of the medians", f"{summed:.3f}", ""])
    lines += [
        *table(["stage (up to its end)", "p50 ms", "mean ms"], rows),
        "",
        f"Raw engine p50 {raw:.2f} ms; the whole API p50 {api:.2f} ms ({api - raw:+.2f} ms, "
        f"{100 * (api - raw) / raw:+.0f} %).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    return main_in_app("timeline", __doc__, argv, measure, report)


if __name__ == "__main__":
    main()
