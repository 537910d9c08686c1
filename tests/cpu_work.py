"""Work that costs CPU time, unlike sleeping: what a search does (`indexer/cpu_time.py`)."""

from __future__ import annotations

import time


def busy(seconds: float) -> None:
    """Compute for `seconds` of this thread's CPU time."""
    started = time.thread_time()
    while time.thread_time() - started < seconds:
        pass
