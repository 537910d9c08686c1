"""A lean HTTP/1.1 load generator for throughput runs on the same machine as the server.

httpx costs about a millisecond of CPU per request on the client side: on 2 cores, a load generator
written with it takes a good part of the core the server's engine threads could use, and the
throughput measured is the client's as much as the server's. This one sends pre-built requests on
keep-alive connections (asyncio streams, uvloop when installed) and reads each answer by its
`Content-Length`: a few tens of microseconds per request. It reports its own CPU time, so a run says
how much of the machine the client took.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

from benchmarks.measure import percentiles

T = TypeVar("T")


def request_bytes(host: str, path: str, params: Sequence[tuple[str, Any]]) -> bytes:
    """One GET request, ready to send on a keep-alive connection."""
    target = f"{path}?{urlencode(list(params))}" if params else path
    return f"GET {target} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n\r\n".encode("ascii")


async def _answer(reader: asyncio.StreamReader) -> int:
    """Read one answer (status line, headers, a `Content-Length` body); its status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
            break
    if length is None:
        raise ValueError("the benchmark client reads only answers with a Content-Length")
    await reader.readexactly(length)
    return status


async def _run(url: str, requests: list[bytes], clients: int, total: int) -> dict[str, Any]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))

    async def client() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for i in counter:
                start = time.perf_counter()
                writer.write(requests[i % len(requests)])
                status = await _answer(reader)
                latencies.append(time.perf_counter() - start)
                errors += status != 200
        finally:
            writer.close()

    cpu, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    return {
        "clients": clients,
        "requests": total,
        "errors": errors,
        "seconds": elapsed,
        "throughput_rps": total / elapsed,
        "latency_ms": percentiles(latencies),
        "client_cpu_s": time.process_time() - cpu,
    }


def run_like_uvicorn(main: Coroutine[Any, Any, T]) -> T:
    """`main` run to its end in the event loop uvicorn serves the API with: uvloop when installed (uvicorn's
    `--loop auto`), else asyncio's own."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        return asyncio.run(main)
    return uvloop.run(main)


def load(url: str, path: str, params: list[list[tuple[str, Any]]], clients: int, total: int) -> dict[str, Any]:
    """`clients` keep-alive connections send `total` requests of `path` (query strings in turn)."""
    host = urlsplit(url).netloc
    requests = [request_bytes(host, path, p) for p in params]
    return run_like_uvicorn(_run(url, requests, clients, total))


def query_bytes(params: Sequence[tuple[str, Any]]) -> bytes:
    """A query string as a client sends it (`asgi_get` takes it so: encoding it is the client's work, not the
    API's, and timed requests are encoded before they are timed)."""
    return urlencode(list(params)).encode("ascii")


async def asgi_get(app: Any, path: str, params: Sequence[tuple[str, Any]] | bytes) -> tuple[int, bytes]:
    """One GET handed straight to an ASGI app, in-process: the app's own cost, no client library's
    (httpx's `ASGITransport` adds about half a millisecond of its own per request). `params`: the query string's
    pairs, or its bytes (`query_bytes`)."""
    query = params if isinstance(params, bytes) else query_bytes(params)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("ascii"),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"accept", b"application/json")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    received = False

    async def receive() -> dict[str, Any]:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client never disconnects
        raise AssertionError("unreachable")

    status, body = 0, bytearray()

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    await app(scope, receive, send)
    return status, bytes(body)
