"""`Recent`: one computation per `max_age`, shared by the callers arriving while it runs."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from api.recent import Recent


def test_callers_arriving_during_a_computation_get_its_answer() -> None:
    calls = 0

    def slow() -> int:
        nonlocal calls
        calls += 1
        time.sleep(0.2)
        return calls

    recent = Recent(slow, max_age=60)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: recent.get(), range(8)))
    assert calls == 1 and answers == [1] * 8


def test_a_value_older_than_max_age_is_computed_again() -> None:
    values = iter(range(10))
    recent = Recent(lambda: next(values), max_age=0.1)
    assert recent.get() == 0 and recent.get() == 0
    time.sleep(0.15)
    assert recent.get() == 1
    assert Recent(lambda: next(values), max_age=0).get() != Recent(lambda: next(values), max_age=0).get()


def test_an_error_is_raised_to_the_caller_and_not_kept() -> None:
    outcomes = iter([RuntimeError("database down"), 7])

    def compute() -> int:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    recent = Recent(compute, max_age=60)
    with pytest.raises(RuntimeError, match="database down"):
        recent.get()
    assert recent.get() == 7
