"""The API process caps glibc's malloc arenas: measured in a real child process, whose threads then share
at most that many arenas (glibc's own statistics, `malloc_info`)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from api.memory import limit_malloc_arenas

PROBE = textwrap.dedent(
    """
    import ctypes, ctypes.util, os, re, sys, tempfile, threading
    from api.memory import limit_malloc_arenas
    print("capped" if limit_malloc_arenas(int(sys.argv[1])) else "default")
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.fdopen.restype = ctypes.c_void_p
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    barrier = threading.Barrier(8)
    def work():
        blocks = [ctypes.create_string_buffer(4096) for _ in range(2000)]  # malloc from this thread
        barrier.wait()
    threads = [threading.Thread(target=work) for _ in range(8)]
    [t.start() for t in threads]; [t.join() for t in threads]
    with tempfile.TemporaryFile("w+") as out:
        stream = libc.fdopen(os.dup(out.fileno()), b"w")
        libc.malloc_info(0, stream); libc.fclose(stream)
        out.seek(0)
        print(len(re.findall(r'<heap nr="', out.read())))
    """
)


def arenas_used(cap: int) -> tuple[str, int]:
    done = subprocess.run([sys.executable, "-c", PROBE, str(cap)], capture_output=True, text=True, check=True)
    state, heaps = done.stdout.split()
    return state, int(heaps)


def test_the_cap_holds_in_a_threaded_process() -> None:
    assert arenas_used(2) == ("capped", 2)
    state, heaps = arenas_used(0)  # the default: threads that contend get arenas of their own
    assert state == "default" and heaps > 2


def test_zero_leaves_the_default() -> None:
    assert limit_malloc_arenas(0) is False
