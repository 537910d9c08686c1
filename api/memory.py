"""The process's memory allocator: fewer glibc malloc arenas, so memory freed by one thread is reused by
the others instead of lying in per-thread arenas.

glibc gives each thread that contends for the heap an arena of its own (up to 8 per core); the worker
threads, tantivy's indexing threads and the embedder each leave freed memory in theirs, and the resident
size creeps up. Measured by indexing 2,000 practices in small commits in one process: anonymous memory
grew 39 MB with glibc's default arenas, 20 MB with 2. The same effect as `MALLOC_ARENA_MAX`, set from inside
the process so that every way of starting it (uvicorn, the CLI, tests) gets it.

Off by default (`IMPACT_MALLOC_ARENAS=0`): in 10-minute soaks at 90 operations/s (`benchmarks/soak.py`, with
its warm-up) the resident size stayed flat without the cap too (−0.6 %), and both soaks run with 2 arenas
had bursts of latency (p99 2.9 and 6.2 s) that the one without did not (p99 0.56 s), possibly threads
queueing on the two arenas' locks — not proven either way on this shared machine.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # glibc's <malloc.h>


def limit_malloc_arenas(arenas: int) -> bool:
    """Cap glibc's malloc arenas (0: leave the default); False where the C library is not glibc."""
    if arenas <= 0:
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.gnu_get_libc_version  # noqa: B018 - only glibc has it (and mallopt's M_ARENA_MAX)
    except (OSError, AttributeError, TypeError):
        return False  # not glibc (musl, macOS): nothing to set
    done = bool(libc.mallopt(M_ARENA_MAX, arenas))
    if not done:
        log.warning("could not cap malloc arenas at %d", arenas)
    return done
