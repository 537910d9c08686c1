"""`Recent`: one computation per `max_age`, shared by the callers arriving while it runs."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from api.recent import Recent


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_callers_arriving_during_the_first_computation_get_its_answer() -> None:
    calls, release = 0, threading.Event()

    def slow() -> int:
        nonlocal calls
        calls += 1
        release.wait(5)
        return calls

    recent = Recent(slow, max_age=60)
    with ThreadPoolExecutor(8) as pool:
        answers = [pool.submit(recent.get) for _ in range(8)]
        threading.Timer(0.5, release.set).start()
        assert [answer.result() for answer in answers] == [1] * 8
    assert calls == 1


def test_a_value_older_than_max_age_is_computed_again() -> None:
    clock, values = Clock(), iter(range(10))
    recent = Recent(lambda: next(values), max_age=5, clock=clock)
    assert recent.get() == 0
    clock.now = 4.9
    assert recent.get() == 0
    clock.now = 5.0
    assert recent.get() == 1
    every_time = Recent(lambda: next(values), max_age=0, clock=clock)
    assert every_time.get() != every_time.get()


def test_while_a_new_value_is_computed_callers_get_the_previous_one() -> None:
    clock, started, release = Clock(), threading.Event(), threading.Event()
    values = iter([1, 2])

    def compute() -> int:
        value = next(values)
        if value == 2:
            started.set()
            release.wait(5)
        return value

    recent = Recent(compute, max_age=5, clock=clock)
    assert recent.get() == 1
    clock.now = 10
    with ThreadPoolExecutor(1) as pool:
        refreshing = pool.submit(recent.get)
        assert started.wait(5)
        assert recent.get() == 1  # not blocked behind the refresh
        release.set()
        assert refreshing.result() == 2
    assert recent.get() == 2


def test_an_error_reaches_every_caller_that_waited_for_it_and_is_not_kept() -> None:
    attempts, release = 0, threading.Event()

    def failing_then_working() -> int:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            release.wait(5)
            raise RuntimeError("database down")
        return 7

    recent = Recent(failing_then_working, max_age=60)
    with ThreadPoolExecutor(6) as pool:
        calls = [pool.submit(recent.get) for _ in range(6)]
        threading.Timer(0.5, release.set).start()
        for call in calls:
            with pytest.raises(RuntimeError, match="database down"):
                call.result()
    assert attempts == 1  # one attempt for the six callers, not one after another
    assert recent.get() == 7 and attempts == 2
