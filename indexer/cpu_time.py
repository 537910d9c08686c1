"""The CPU time a thread spends on a call, counting the work helper threads did for it.

What a search costs the machine, unlike its elapsed time, does not grow while its thread waits for the
GIL or for a core: `api/engine_calls.py` decides where searches run from it. A call that hands work to a
helper thread (the embedded engine counts facets beside the ranking) adds the helper's CPU time to its
own thread's account with `helped`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_account = threading.local()


def spent() -> float:
    """CPU seconds this thread has spent so far, its helpers' included."""
    return time.thread_time() + getattr(_account, "helped_s", 0.0)


def helped(seconds: float) -> None:
    """Count `seconds` a helper thread spent for this thread's current call."""
    _account.helped_s = getattr(_account, "helped_s", 0.0) + seconds


def timed(call: Callable[..., T], *args: object) -> tuple[T, float]:
    """`call(*args)` and the CPU seconds it took in this thread (for a helper to report with `helped`)."""
    started = time.thread_time()
    result = call(*args)
    return result, time.thread_time() - started
