"""The asynchronous Elasticsearch client's HTTP/1.1 node: keep-alive connections of the event loop, answers read
by httptools (llhttp, the parser uvicorn serves the API with).

The client's default asynchronous node (`AiohttpHttpNode`) goes through aiohttp's whole client for each call
(session, connector, timers, stream readers, response object). This node keeps what a search needs, and takes
0.25 ms of CPU and about 0.2 ms of latency off each search (`benchmarks/results/perf-20261204-session25.md`):
a pool of at most `connections_per_node` connections, each carrying one request at a time; the request
written in one piece; the answer parsed as it arrives; the whole exchange (waiting for a connection,
connecting, writing, reading) within the call's timeout.

Its errors are the client's: `ConnectionTimeout` past the timeout, `TlsError`, and `ConnectionError` for a
refused, reset or cut connection or an answer that is not HTTP, so the client's retries and node marking work
as with aiohttp. A connection whose exchange did not end cleanly (timeout, cancellation, error, HEAD, an answer
asking to close, bytes beyond the answer) is closed, never reused: no answer can reach another request. As
aiohttp: an interim answer (`100 Continue`) is skipped, a body without length ends with its connection, and a
request that may be sent twice goes again on a new connection when the kept one it was written on closes
before answering. The node is `AiohttpHttpNode` otherwise: its TLS set-up is reused, and a node pinned to a
certificate fingerprint (`ssl_assert_fingerprint`, which asyncio's TLS cannot check) makes its calls through
aiohttp.
"""

from __future__ import annotations

import asyncio
import gzip
import ssl
import zlib
from typing import cast

import httptools
from elastic_transport import ApiResponseMeta, ConnectionTimeout, HttpHeaders, NodeConfig, TlsError
from elastic_transport import ConnectionError as NodeConnectionError
from elastic_transport._node._base import BUILTIN_EXCEPTIONS, RERAISE_EXCEPTIONS, NodeApiResponse
from elastic_transport._node._http_aiohttp import AiohttpHttpNode
from elastic_transport.client_utils import DEFAULT, DefaultType, client_meta_version

Answer = tuple[int, list[tuple[str, str]], bytes, bool]
# Methods a request may be sent twice with, when the kept connection it went on was closed before any answer.
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
# Headers the node writes itself: a caller's would be a second copy.
OWN_HEADERS = frozenset({"host", "content-length"})


class _Connection(asyncio.Protocol):
    """One connection to the node: one exchange at a time, its answer parsed as it arrives."""

    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._answer: asyncio.Future[Answer] | None = None
        self._headers: list[tuple[str, str]] = []
        self._body: list[bytes] = []
        self._head = False
        self._until_eof = False  # the answer's body ends where the connection does (no length, not chunked)
        self.received = False  # a byte of the current exchange's answer came
        self.was_idle = False  # the current exchange went on a kept connection
        self.open = True

    # -- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's are not asyncio.Transport subclasses

    def data_received(self, data: bytes) -> None:
        if self._answer is None or self._answer.done():
            self.close()  # bytes nobody asked for: the connection is out of step
            return
        self.received = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._failed(NodeConnectionError("not HTTP", errors=(exc,)))

    def eof_received(self) -> bool:
        if self._until_eof:
            self._answered(keep_alive=False)
        else:
            reset = ConnectionResetError("the node closed the connection")
            self._failed(NodeConnectionError("closed", errors=(reset,)))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        self._failed(NodeConnectionError("lost", errors=(exc or ConnectionResetError("the connection was closed"),)))

    # -- httptools callbacks

    def on_message_begin(self) -> None:
        if self._answer is None:  # a second answer in the bytes of the first: the parser stops here
            raise RuntimeError("an answer to no request")

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        if self._head:  # no body follows, whatever its length says: this parser would wait for one
            self._answered(keep_alive=False)
            return
        status = self._parser.get_status_code()
        framed = {name.lower() for name, _ in self._headers} & {"content-length", "transfer-encoding"}
        self._until_eof = not framed and status >= 200 and status not in (204, 304)

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        if 100 <= self._parser.get_status_code() < 200 and self._parser.get_status_code() != 101:
            self._headers, self._body = (
                [],
                [],
            )  # an interim answer (100 Continue, 103 Early Hints): the real one follows
        elif not self._head:
            self._answered(keep_alive=self._parser.should_keep_alive())

    # --

    def _answered(self, keep_alive: bool) -> None:
        answer, self._answer = self._answer, None
        if answer is not None and not answer.done():
            answer.set_result((self._parser.get_status_code(), self._headers, b"".join(self._body), keep_alive))
        if not keep_alive:
            self.close()

    def _failed(self, error: Exception) -> None:
        answer, self._answer = self._answer, None
        if answer is not None and not answer.done():
            answer.set_exception(error)
        self.close()

    def close(self) -> None:
        self.open = False
        if self._transport is not None:
            self._transport.abort()

    async def exchange(self, request: bytes, head: bool) -> Answer:
        """Writes `request`, returns the answer's status, headers, body and whether the connection stays open."""
        assert self._transport is not None and self.open
        self._headers, self._body, self._head, self._until_eof, self.received = [], [], head, False, False
        self._answer = asyncio.get_running_loop().create_future()
        self._transport.write(request)
        return await self._answer


class HttptoolsAsyncNode(AiohttpHttpNode):
    """`AiohttpHttpNode`'s calls made on this module's connections (see the module's documentation)."""

    _CLIENT_META_HTTP_CLIENT = ("ht", client_meta_version(httptools.__version__))

    def __init__(self, config: NodeConfig):
        super().__init__(config)
        # The pool of the event loop that made it (a node used from another loop starts a pool of its own).
        self._pool_loop: asyncio.AbstractEventLoop | None = None
        self._idle: list[_Connection] = []
        self._made: set[_Connection] = set()
        self._slots = asyncio.Semaphore(self._connections_per_node)
        self._closed = False
        host = f"[{self.host}]" if ":" in self.host else self.host
        self._host_header = f"{host}:{self.port}" if self.port is not None else host

    async def perform_request(  # type: ignore[override]
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: HttpHeaders | None = None,
        request_timeout: DefaultType | float | None = DEFAULT,
    ) -> NodeApiResponse:
        if self._ssl_assert_fingerprint:
            return await super().perform_request(method, target, body, headers, request_timeout)
        timeout = self.config.request_timeout if request_timeout is DEFAULT else request_timeout
        request_headers = self._headers.copy()
        if headers:
            request_headers.update(headers)
        if body and self._http_compress:
            body = gzip.compress(body)
            request_headers["content-encoding"] = "gzip"
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            # As aiohttp's `ClientTimeout(total=0)`: no timeout.
            async with asyncio.timeout(timeout if timeout is not None and timeout > 0 else None):
                status, answer_headers, data = await self._exchange(loop, method, target, body, request_headers)
        except RERAISE_EXCEPTIONS:
            raise
        except Exception as exc:
            error = self._client_error(exc)
            if error is None:
                raise
            self._log_request(method=method, target=target, headers=request_headers, body=body, exception=error)
            raise error from None
        meta = ApiResponseMeta(
            node=self.config,
            duration=loop.time() - started,
            http_version="1.1",
            status=status,
            headers=_merged(answer_headers),
        )
        self._log_request(method=method, target=target, headers=request_headers, body=body, meta=meta, response=data)
        return NodeApiResponse(meta, data)

    async def _exchange(
        self, loop: asyncio.AbstractEventLoop, method: str, target: str, body: bytes | None, headers: HttpHeaders
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        if loop is not self._pool_loop:
            self._pool_loop, self._idle, self._made = loop, [], set()
            self._slots = asyncio.Semaphore(self._connections_per_node)
        request = self._request(method, target, body, headers)
        async with self._slots:
            # A kept connection the node closed as it was taken (its idle timeout) is replaced once, for a
            # method that may be sent twice and when no byte of an answer came (aiohttp does the same).
            for first_try in (True, False):
                connection = await self._connection(fresh=not first_try)
                try:
                    status, answer_headers, data, keep_alive = await connection.exchange(request, method == "HEAD")
                except NodeConnectionError:
                    self._drop(connection)
                    if first_try and connection.was_idle and not connection.received and method in IDEMPOTENT:
                        continue
                    raise
                except BaseException:
                    self._drop(connection)
                    raise
                break
        if keep_alive and connection.open and not self._closed:
            self._idle.append(connection)
        else:
            self._drop(connection)
        return status, answer_headers, _decoded(answer_headers, data)

    def _request(self, method: str, target: str, body: bytes | None, headers: HttpHeaders) -> bytes:
        lines = [f"{method} {self.path_prefix}{target} HTTP/1.1", f"host: {self._host_header}"]
        lines += [f"{name}: {value}" for name, value in headers.items() if name.lower() not in OWN_HEADERS]
        if any("\r" in line or "\n" in line for line in lines):
            raise ValueError("a request line or header holds a line break")
        if body or method in ("POST", "PUT"):
            lines.append(f"content-length: {len(body or b'')}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")

    async def _connection(self, fresh: bool) -> _Connection:
        while self._idle and not fresh:
            connection = self._idle.pop()
            if connection.open:
                connection.was_idle = True
                return connection
            self._made.discard(connection)
        _, connection = await asyncio.get_running_loop().create_connection(
            _Connection, self.host, self.port, ssl=self._ssl_context
        )
        self._made.add(connection)
        return connection

    def _drop(self, connection: _Connection) -> None:
        connection.close()
        self._made.discard(connection)

    @staticmethod
    def _client_error(exc: Exception) -> Exception | None:
        """The client's error for `exc`, or None for one to raise as it is (a bug, not the connection)."""
        if isinstance(exc, NodeConnectionError | ConnectionTimeout | TlsError):
            return exc
        if isinstance(exc, TimeoutError):
            return ConnectionTimeout("Connection timed out during request", errors=(exc,))
        if isinstance(exc, ssl.SSLError):
            return TlsError(str(exc), errors=(exc,))
        if isinstance(exc, OSError):
            return NodeConnectionError(str(exc), errors=(exc,))
        if isinstance(exc, BUILTIN_EXCEPTIONS):
            return None
        return NodeConnectionError(str(exc), errors=(exc,))

    async def close(self) -> None:  # type: ignore[override]
        """Closes every connection, those of calls in flight too (they fail); a call after this one closes its
        connection when it ends instead of keeping it."""
        self._closed = True
        for connection in self._made:
            connection.close()
        self._made.clear()
        self._idle.clear()
        await super().close()


def _merged(headers: list[tuple[str, str]]) -> HttpHeaders:
    """The answer's headers, a name given several times (Elasticsearch's `Warning`s) as one comma-joined value."""
    merged: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        merged[key] = f"{merged[key]}, {value}" if key in merged else value
    return HttpHeaders(merged)


def _decoded(headers: list[tuple[str, str]], data: bytes) -> bytes:
    """The body without its content encoding (gzip or deflate, as aiohttp decodes them)."""
    encoding = next((value.strip().lower() for name, value in headers if name.lower() == "content-encoding"), "")
    if encoding == "gzip":
        return gzip.decompress(data)
    if encoding == "deflate":
        return zlib.decompress(data)
    return data
