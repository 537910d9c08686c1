"""Where the routes' engine calls run (`api/engine_calls.py`): short searches on the embedded engine in the
event loop's thread, alone or together (together only while they are shorter still); slow ones and every
blocking Elasticsearch call in worker threads, at most `IMPACT_SEARCH_CONCURRENCY` of them at once (a search on
Elasticsearch, lexical or hybrid, is awaited in the loop). Never both at once: a search arriving while one runs in a
worker thread gets one too, or, when searches are short again, waits for it to end and runs in the loop. A
call's cost is its CPU time, not its elapsed time."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import orjson
import pytest

from api.engine_calls import INLINE_ALONE_MAX_S, INLINE_TOGETHER_MAX_S, EngineCalls
from api.main import create_app
from api.settings import Settings
from benchmarks.http_load import asgi_get
from indexer.elasticsearch_engine import ElasticsearchEngine
from indexer.embedded import EmbeddedEngine
from schemas.search import SearchParams
from tests.corpus import monograph
from tests.cpu_work import busy


class Engine:
    def __init__(self, in_process: bool) -> None:
        self.in_process = in_process


def where() -> str:
    """Where it is called: `loop` in the event loop's thread, `worker` in a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return "worker"
    return "loop"


def test_each_engine_says_whether_it_computes_in_process() -> None:
    assert EmbeddedEngine.in_process is True
    assert ElasticsearchEngine.in_process is False  # it waits on a node: never in the loop


def test_a_call_alone_on_an_in_process_engine_runs_in_the_loop() -> None:
    calls = EngineCalls(2)
    assert anyio.run(calls.run, Engine(True), where) == "loop"
    assert calls.in_progress == 0


def test_an_engine_that_waits_on_a_server_gets_a_worker_thread_even_alone() -> None:
    assert anyio.run(EngineCalls(2).run, Engine(False), where) == "worker"
    assert anyio.run(EngineCalls(2).run, object(), where) == "worker"  # an engine that does not say


def together(calls: EngineCalls, call: Callable[[], str], count: int) -> list[str]:
    """`count` calls handed to `calls` at once, on an in-process engine: where each ran."""
    places: list[str] = []

    async def one() -> None:
        places.append(await calls.run(Engine(True), call))

    async def all_at_once() -> None:
        async with anyio.create_task_group() as group:
            for _ in range(count):
                group.start_soon(one)

    anyio.run(all_at_once)
    return places


def test_short_calls_arriving_together_run_in_the_loop_one_after_the_other() -> None:
    calls = EngineCalls(4)
    running, most = 0, 0

    def counted() -> str:
        nonlocal running, most
        running += 1
        most = max(most, running)
        time.sleep(0.001)
        running -= 1
        return where()

    assert together(calls, counted, 3) == ["loop"] * 3 and most == 1
    assert calls.in_progress == 0 and calls.in_threads == 0


def test_calls_arriving_together_get_worker_threads_once_the_engine_takes_longer() -> None:
    """Between the two limits (100,000 practices): alone in the loop, together in worker threads."""
    calls = EngineCalls(4)
    calls.typical_s = (INLINE_TOGETHER_MAX_S + INLINE_ALONE_MAX_S) / 2
    assert together(calls, where, 3) == ["worker"] * 3 and calls.in_progress == 0 and calls.in_threads == 0
    assert anyio.run(calls.run, Engine(True), where) == "loop"  # alone again afterwards


def one_beside_a_call_in_a_thread(calls: EngineCalls, typical_s: float, work_s: float = 0.0) -> tuple[str, bool]:
    """A call handed to `calls` while another runs in a worker thread (computing `work_s`, then waiting to be
    released), the average then `typical_s`: where it ran, and whether it ran before the other ended."""
    calls.typical_s = 2 * INLINE_ALONE_MAX_S  # a slow spell: the first call gets a thread
    release = threading.Event()

    def first() -> str:
        busy(work_s)
        release.wait(5)
        return where()

    def second() -> tuple[str, bool]:
        return where(), not release.is_set()

    async def scenario() -> tuple[str, bool]:
        answers: list[tuple[str, bool]] = []
        with anyio.fail_after(10):
            async with anyio.create_task_group() as group:

                async def in_a_thread() -> None:
                    assert await calls.run(Engine(True), first) == "worker"

                async def then() -> None:
                    answers.append(await calls.run(Engine(True), second))

                group.start_soon(in_a_thread)
                while not calls.in_threads:
                    await anyio.sleep(0.001)
                calls.typical_s = typical_s
                group.start_soon(then)
                while not answers and calls._threads_done is None:  # it ran, or it waits for the first
                    await anyio.sleep(0.001)
                release.set()
        return answers[0]

    answer = anyio.run(scenario)
    assert calls.in_threads == 0 and calls.in_progress == 0
    return answer


def test_while_a_call_runs_in_a_worker_thread_the_others_do_too() -> None:
    """A call in the loop would hold the GIL against the thread's: calls are never split between them."""
    between = (INLINE_TOGETHER_MAX_S + INLINE_ALONE_MAX_S) / 2
    assert one_beside_a_call_in_a_thread(EngineCalls(4), between) == ("worker", True)
    assert one_beside_a_call_in_a_thread(EngineCalls(4), 2 * INLINE_ALONE_MAX_S) == ("worker", True)


def test_once_calls_are_short_again_the_next_waits_for_those_in_threads_then_runs_in_the_loop() -> None:
    assert one_beside_a_call_in_a_thread(EngineCalls(4), 0.0) == ("loop", False)


def test_a_call_that_waited_decides_again_once_the_threads_end() -> None:
    """The call that ended in its thread computed 0.2 s: the average is then too long for the loop."""
    calls = EngineCalls(4)
    assert one_beside_a_call_in_a_thread(calls, 0.0, work_s=0.2) == ("worker", False)
    assert calls.typical_s > INLINE_ALONE_MAX_S


def test_a_call_arriving_while_others_wait_for_the_threads_waits_behind_them() -> None:
    """Once a call waits for those in threads to end, a later one does not go past it to a thread, even with the
    average too long for the loop again: the threads would never all end under a steady load, and the waiting
    call would wait for as long as the load lasted."""
    calls = EngineCalls(4)
    calls.typical_s = 2 * INLINE_ALONE_MAX_S  # a slow spell: the first call gets a thread
    release = threading.Event()
    ran: dict[str, bool] = {}

    def first() -> str:
        release.wait(5)
        return where()

    def noted(name: str) -> Callable[[], None]:
        def call() -> None:
            ran[name] = release.is_set()

        return call

    async def scenario() -> None:
        with anyio.fail_after(10):
            async with anyio.create_task_group() as group:

                async def in_a_thread() -> None:
                    assert await calls.run(Engine(True), first) == "worker"

                group.start_soon(in_a_thread)
                while not calls.in_threads:
                    await anyio.sleep(0.001)
                calls.typical_s = 0.0  # short again: the next call waits for the thread to end
                group.start_soon(calls.run, Engine(True), noted("waiting"))
                while calls._threads_done is None:
                    await anyio.sleep(0.001)
                calls.typical_s = (INLINE_TOGETHER_MAX_S + INLINE_ALONE_MAX_S) / 2  # too long for the loop again
                group.start_soon(calls.run, Engine(True), noted("later"))
                await anyio.sleep(0.05)
                assert ran == {}, "nothing runs while the first call holds its thread"
                release.set()

    anyio.run(scenario)
    assert ran == {"waiting": True, "later": True}
    assert calls.in_threads == 0 and calls.in_progress == 0


def test_calls_waiting_for_a_failed_thread_call_run_and_one_cancelled_leaves_nothing_counted() -> None:
    calls = EngineCalls(4)
    calls.typical_s = 2 * INLINE_ALONE_MAX_S
    release = threading.Event()

    def failing() -> None:
        release.wait(5)
        raise ValueError("engine error")

    async def scenario() -> list[str]:
        places: list[str] = []
        with anyio.fail_after(10):
            async with anyio.create_task_group() as group:

                async def in_a_thread() -> None:
                    with pytest.raises(ValueError, match="engine error"):
                        await calls.run(Engine(True), failing)

                async def waiting() -> None:
                    places.append(await calls.run(Engine(True), where))

                async def cancelled() -> None:
                    with anyio.move_on_after(0.05):
                        await calls.run(Engine(True), where)
                        places.append("not cancelled")

                group.start_soon(in_a_thread)
                while not calls.in_threads:
                    await anyio.sleep(0.001)
                calls.typical_s = 0.0
                for task in (waiting, waiting, waiting, cancelled):
                    group.start_soon(task)
                await anyio.sleep(0.1)  # the cancelled one gave up
                assert calls.in_progress == 4 and not places
                release.set()
        return places

    assert anyio.run(scenario) == ["loop"] * 3
    assert calls.in_threads == 0 and calls.in_progress == 0


def test_a_steady_load_sent_to_threads_by_a_slow_spell_comes_back_to_the_loop() -> None:
    """Four clients calling without pause, each call 0.5 ms of CPU: a slow spell sent them to threads, where
    a call always ran when the next arrived. Their CPU time brings the average down, and the loop takes
    over once the calls in threads end."""
    calls = EngineCalls(4)
    calls.typical_s = 2 * INLINE_ALONE_MAX_S
    places: list[list[str]] = [[] for _ in range(4)]

    def search() -> str:
        busy(0.0005)
        return where()

    async def client(mine: list[str]) -> None:
        for _ in range(60):
            mine.append(await calls.run(Engine(True), search))

    async def steady_load() -> None:
        async with anyio.create_task_group() as group:
            for mine in places:
                group.start_soon(client, mine)

    anyio.run(steady_load)
    assert all(mine[0] == "worker" and mine[-10:] == ["loop"] * 10 for mine in places), places
    assert calls.typical_s <= INLINE_TOGETHER_MAX_S


def test_a_call_costs_its_cpu_time_not_the_time_it_waited() -> None:
    """A call waiting (as a thread waits for the GIL) leaves the average where it was; computing raises it."""
    calls = EngineCalls(2)
    for _ in range(10):
        anyio.run(calls.run, Engine(True), lambda: time.sleep(0.03))
    assert calls.typical_s < INLINE_TOGETHER_MAX_S
    for _ in range(10):
        anyio.run(calls.run, Engine(True), lambda: busy(0.03))
    assert calls.typical_s > INLINE_ALONE_MAX_S


def test_a_failed_call_in_a_worker_thread_leaves_no_thread_counted() -> None:
    calls = EngineCalls(2)
    calls.typical_s = 2 * INLINE_ALONE_MAX_S

    def failing() -> None:
        assert where() == "worker"
        raise ValueError("engine error")

    with pytest.raises(ValueError, match="engine error"):
        anyio.run(calls.run, Engine(True), failing)
    assert calls.in_threads == 0 and calls.in_progress == 0


def test_worker_threads_are_capped_by_the_concurrency() -> None:
    calls = EngineCalls(2)
    calls.typical_s = 2 * INLINE_ALONE_MAX_S  # calls too slow for the loop
    lock = threading.Lock()
    running, most = 0, 0

    def sleepy() -> str:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return where()

    places = together(calls, sleepy, 6)
    assert most == 2 and places == ["worker"] * 6


class AwaitingEngine:
    """An engine whose searches are awaited (`AwaitedSearch`): each waits until `answer` is set."""

    in_process = False

    def __init__(self) -> None:
        self.waiting = 0
        self.most = 0
        self.answer = anyio.Event()

    async def search_async(self, query: object) -> str:
        self.waiting += 1
        self.most = max(self.most, self.waiting)
        try:
            await self.answer.wait()
        finally:
            self.waiting -= 1
        return "answered"

    def search(self, query: object) -> str:
        raise AssertionError("an engine that can await a search was called in a thread")


def test_awaited_searches_are_capped_by_the_concurrency_and_a_cancelled_one_gives_its_place_back() -> None:
    calls = EngineCalls(2)
    engine = AwaitingEngine()
    answers: list[str] = []

    async def one(scope: anyio.CancelScope | None = None) -> None:
        with scope or anyio.CancelScope():
            answers.append(await calls.search(engine, object()))  # type: ignore[arg-type]

    async def scenario() -> None:
        first = anyio.CancelScope()
        async with anyio.create_task_group() as group:
            group.start_soon(one, first)
            await anyio.wait_all_tasks_blocked()
            for _ in range(4):
                group.start_soon(one)
            await anyio.wait_all_tasks_blocked()
            assert engine.waiting == 2 and calls.limiter.borrowed_tokens == 2  # the others wait for a place
            first.cancel()  # a client gone, or a deadline: its place goes to the next
            await anyio.wait_all_tasks_blocked()
            assert engine.waiting == 2 and calls.limiter.borrowed_tokens == 2
            engine.answer.set()
        assert calls.limiter.borrowed_tokens == 0

    anyio.run(scenario)
    assert engine.most == 2 and answers == ["answered"] * 4


def test_an_awaited_search_with_a_free_place_starts_before_the_loop_runs_anything_else() -> None:
    """No trip round the event loop before the engine is called (anyio's `acquire` makes one: on real calls,
    about 0.06 ms of a search); a search that must wait for a place still waits (test above)."""
    calls = EngineCalls(2)
    order: list[str] = []

    class Recording:
        in_process = False

        async def search_async(self, query: object) -> str:
            order.append("engine")
            return "answered"

    async def other() -> None:
        order.append("other task")

    async def scenario() -> None:
        scheduled = asyncio.create_task(other())  # runs at the loop's next turn
        assert await calls.search(Recording(), object()) == "answered"  # type: ignore[arg-type]
        await scheduled
        assert calls.limiter.borrowed_tokens == 0

    asyncio.run(scenario())
    assert order == ["engine", "other task"]


def test_a_failed_call_alone_leaves_nothing_in_progress() -> None:
    calls = EngineCalls(2)

    def failing() -> None:
        raise ValueError("engine error")

    with pytest.raises(ValueError, match="engine error"):
        anyio.run(calls.run, Engine(True), failing)
    assert calls.in_progress == 0
    assert anyio.run(calls.run, Engine(True), where) == "loop"


def test_a_lone_call_gets_a_worker_thread_while_the_engine_is_slow_and_the_loop_again_once_it_is_fast() -> None:
    """At a million practices a search takes tens of milliseconds: the loop is not held that long."""
    calls = EngineCalls(2)

    def slow() -> str:
        busy(0.06)
        return where()

    async def scenario() -> list[str]:
        return [await calls.run(Engine(True), slow) for _ in range(8)] + [
            await calls.run(Engine(True), where) for _ in range(30)
        ]

    places = anyio.run(scenario)
    slow_places, fast_places = places[:8], places[8:]
    assert slow_places[0] == "loop" and slow_places[-1] == "worker"
    turned = slow_places.index("worker")
    assert slow_places[turned:] == ["worker"] * (8 - turned)  # the average only grows while calls are slow
    assert fast_places[0] == "worker" and fast_places[-1] == "loop"
    assert calls.typical_s <= INLINE_ALONE_MAX_S


def test_the_search_route_runs_short_searches_in_the_loop_and_longer_ones_together_in_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real app on the embedded engine: a search alone and three handed to the app at once answer from
    the loop's thread on a small index; once searches take longer (the moving average between the limits),
    three at once run in worker threads. All answer the same."""
    settings = Settings(data_dir=tmp_path / "data", rate_limit_per_minute=0, embedder="none")
    app = create_app(settings)
    places: list[str] = []

    async def scenario() -> list[tuple[int, bytes]]:
        async with app.router.lifespan_context(app):
            engine: EmbeddedEngine = app.state.engine
            engine.index([monograph("covoit", "Covoiturage solidaire en vallée", "Des trajets partagés.")])
            search = engine.search

            def recorded(query: Any) -> Any:
                places.append(where())
                return search(query)

            monkeypatch.setattr(engine, "search", recorded)
            searches = [("q", "covoiturage")]
            calls: EngineCalls = app.state.engine_calls
            calls.typical_s = 0.0  # a first search slowed by a busy machine must not decide for the others
            answers = [await asgi_get(app, "/api/v1/search", searches)]
            calls.typical_s = 0.0
            answers += await asyncio.gather(*(asgi_get(app, "/api/v1/search", searches) for _ in range(3)))
            calls.typical_s = (INLINE_TOGETHER_MAX_S + INLINE_ALONE_MAX_S) / 2
            answers += await asyncio.gather(*(asgi_get(app, "/api/v1/search", searches) for _ in range(3)))
            return answers

    answers = asyncio.run(scenario())
    assert places == ["loop"] * 4 + ["worker"] * 3
    assert all(status == 200 for status, _ in answers)
    assert len({body for _, body in answers}) == 1 and b'"total":1' in answers[0][1]


def test_the_search_and_suggest_routes_await_a_lexical_elasticsearch_search_in_the_loop(
    tmp_path: Path, es_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Elasticsearch the routes await the search with the asynchronous client: the blocking `search` (a
    worker thread's) is never called, the answer is the one it would give, and the metrics count the calls in
    the loop."""
    settings = Settings(
        data_dir=tmp_path / "data",
        rate_limit_per_minute=0,
        embedder="none",
        search_backend="elasticsearch",
        elasticsearch_url=es_url,
        elasticsearch_index_prefix=f"calls-{uuid.uuid4().hex[:8]}",
    )
    app = create_app(settings)
    blocking: list[str] = []

    async def scenario() -> tuple[list[tuple[int, bytes]], bytes]:
        async with app.router.lifespan_context(app):
            engine: ElasticsearchEngine = app.state.engine
            try:
                engine.index([monograph("covoit", "Covoiturage solidaire en vallée", "Des trajets partagés.")])
                search = engine.search
                expected = search(SearchParams(q="covoiturage").to_query()).model_dump_json()

                def recorded(query: Any) -> Any:
                    blocking.append(where())
                    return search(query)

                monkeypatch.setattr(engine, "search", recorded)
                searches = [("q", "covoiturage")]
                answers = await asyncio.gather(*(asgi_get(app, "/api/v1/search", searches) for _ in range(3)))
                answers.append(await asgi_get(app, "/api/v1/suggest", [("q", "covoit")]))
                return answers, expected.encode()
            finally:
                engine.client.indices.delete(index=f"{engine.alias}-v*", ignore_unavailable=True, allow_no_indices=True)

    answers, expected = asyncio.run(scenario())
    assert blocking == []
    assert all(status == 200 for status, _ in answers) and b'"total":1' in answers[0][1]
    assert len({body for _, body in answers[:3]}) == 1 and b"Covoiturage solidaire" in answers[3][1]
    shown = ("id", "score", "highlight")
    assert [[hit[k] for k in shown] for hit in orjson.loads(answers[0][1])["hits"]] == [
        [hit[k] for k in shown] for hit in orjson.loads(expected)["hits"]
    ]
    registry = app.state.metrics.registry
    assert registry.get_sample_value("impact_engine_calls_total", {"place": "loop"}) == 4
    assert registry.get_sample_value("impact_engine_calls_total", {"place": "thread"}) == 0
