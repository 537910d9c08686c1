"""`Recent`: a value worked out again at most once per `max_age` seconds, however often it is asked for.

For what a public request shows but should not compute each time, when the computation grows with the
store (`/health`'s monographs per status: a count of the whole table, 12 ms at 100,000 practices). One
caller at a time computes; those arriving meanwhile wait for its answer instead of counting too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Recent(Generic[T]):
    def __init__(self, compute: Callable[[], T], max_age: float) -> None:
        self._compute = compute
        self.max_age = max_age
        self._lock = threading.Lock()
        self._value: T | None = None
        self._at = float("-inf")

    def get(self) -> T:
        """The value computed less than `max_age` seconds ago, or a new one (an error is raised, not kept)."""
        with self._lock:
            if self._value is None or time.monotonic() - self._at >= self.max_age:
                self._value = self._compute()
                self._at = time.monotonic()
            return self._value
