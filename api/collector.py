"""Python's cyclic garbage collector and what start-up builds.

Start-up builds about 300,000 long-lived objects (the territories referential and its autocomplete
index, the engine's tables, FastAPI's routes). Each full collection walks all of them: 160 ms with the
GIL held, about every 500 searches, a pause every request in flight waits out (0.3 ms a search on
average, and the slowest percentile). `gc.freeze()` moves them out of the collector's reach once
start-up is done; what requests create is collected as before.
"""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    """Collect start-up's garbage, then keep the collector away from every object alive now."""
    gc.collect()
    gc.freeze()


def unfreeze() -> None:
    """On shutdown: frozen objects become collectable again (tests start many apps in one process)."""
    gc.unfreeze()
