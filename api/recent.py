"""`Recent`: a value worked out again at most once per `max_age` seconds, however often it is asked for.

For what a public request shows but should not compute each time, when the computation grows with the
store (`/health`'s monographs per status: a count of the whole table, 12 ms at 100,000 practices).
One caller at a time computes. Callers arriving meanwhile get the previous value when there is one, or
else wait for that computation's outcome, its value or its error: a stalled database costs each of them
one wait, never one attempt after another.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

T = TypeVar("T")


class Recent(Generic[T]):
    def __init__(self, compute: Callable[[], T], max_age: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._compute = compute
        self.max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._value: T | None = None
        self._at = float("-inf")
        self._running: Future[T] | None = None

    def get(self) -> T:
        """The value computed less than `max_age` seconds ago, or a new one (an error is raised, not kept).
        The value is shared: read it, do not change it."""
        with self._lock:
            if self._value is not None and self._clock() - self._at < self.max_age:
                return self._value
            running = self._running
            if running is not None and self._value is not None:
                return self._value  # being computed again: the previous value meanwhile
            if running is None:
                self._running = mine = Future[T]()
        if running is not None:
            return running.result()
        try:
            value = self._compute()
        except BaseException as exc:
            with self._lock:
                self._running = None
            mine.set_exception(exc)
            raise
        with self._lock:
            self._value, self._at, self._running = value, self._clock(), None
        mine.set_result(value)
        return value
