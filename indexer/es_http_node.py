"""The asynchronous Elasticsearch client's HTTP/1.1 node: keep-alive connections of the event loop, answers read
by httptools (llhttp, the parser uvicorn serves the API with).

The client's default asynchronous node (`AiohttpHttpNode`) goes through aiohttp's whole client for each call
(session, connector, timers, stream readers, response object): about 0.3 ms of CPU a search, and 0.3–0.4 ms
of latency, on a call whose node time is 4–5 ms (`benchmarks/results/perf-20261204-session25.md`). This node
keeps what a search needs: a pool of at most `connections_per_node` connections, each carrying one request at
a time; the request written in one piece; the answer parsed as it arrives; the whole exchange (waiting for a
connection, connecting, writing, reading) within the call's timeout.

Its errors are the client's: `ConnectionTimeout` past the timeout, `TlsError`, and `ConnectionError` for a
refused, reset or cut connection or an answer that is not HTTP, so the client's retries and node marking work
as with aiohttp. A connection whose exchange did not end cleanly (timeout, cancellation, error, HEAD, an answer
asking to close) is closed, never reused. The node is `AiohttpHttpNode` otherwise: its TLS set-up is reused,
and a node pinned to a certificate fingerprint (`ssl_assert_fingerprint`, which asyncio's TLS cannot check)
makes its calls through aiohttp.
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


class _Connection(asyncio.Protocol):
    """One connection to the node: one exchange at a time, its answer parsed as it arrives."""

    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._answer: asyncio.Future[Answer] | None = None
        self._headers: list[tuple[str, str]] = []
        self._body: list[bytes] = []
        self._head = False
        self.open = True

    # -- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's are not asyncio.Transport subclasses

    def data_received(self, data: bytes) -> None:
        if self._answer is None or self._answer.done():
            self.close()  # bytes nobody asked for: the connection is out of step
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._failed(NodeConnectionError("not HTTP", errors=(exc,)))

    def eof_received(self) -> bool:
        self._failed(NodeConnectionError("closed", errors=(ConnectionResetError("the node closed the connection"),)))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        self._failed(NodeConnectionError("lost", errors=(exc or ConnectionResetError("the connection was closed"),)))

    # -- httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        if self._head:  # no body follows, whatever its length says: this parser would wait for one
            self._answered(keep_alive=False)

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        if not self._head:
            self._answered(keep_alive=self._parser.should_keep_alive())

    # --

    def _answered(self, keep_alive: bool) -> None:
        answer, self._answer = self._answer, None
        if answer is not None and not answer.done():
            body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
            answer.set_result((self._parser.get_status_code(), self._headers, body, keep_alive))
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
        self._headers, self._body, self._head = [], [], head
        self._answer = asyncio.get_running_loop().create_future()
        self._transport.write(request)
        return await self._answer


class HttptoolsAsyncNode(AiohttpHttpNode):
    """`AiohttpHttpNode`'s calls made on this module's connections (see the module's documentation)."""

    _CLIENT_META_HTTP_CLIENT = ("ht", client_meta_version(httptools.__version__))

    def __init__(self, config: NodeConfig):
        super().__init__(config)
        self._idle: list[_Connection] = []
        self._made: set[_Connection] = set()
        self._slots: asyncio.Semaphore | None = None
        host = f"[{self.host}]" if ":" in self.host else self.host
        self._host_header = f"{host}:{self.port}" if self.port is not None else host
        self._server_hostname = self.host if self._ssl_context is not None else None

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
            async with asyncio.timeout(timeout):
                status, answer_headers, data = await self._exchange(method, target, body, request_headers)
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
        self, method: str, target: str, body: bytes | None, headers: HttpHeaders
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._connections_per_node)
        lines = [f"{method} {self.path_prefix}{target} HTTP/1.1", f"host: {self._host_header}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if any("\r" in line or "\n" in line for line in lines):
            raise ValueError("a request line or header holds a line break")
        if body or method in ("POST", "PUT"):
            lines.append(f"content-length: {len(body or b'')}")
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")
        async with self._slots:
            connection = await self._connection()
            try:
                status, answer_headers, data, keep_alive = await connection.exchange(request, method == "HEAD")
            except BaseException:
                connection.close()
                self._made.discard(connection)
                raise
        if keep_alive and connection.open:
            self._idle.append(connection)
        else:
            self._made.discard(connection)
        return status, answer_headers, _decoded(answer_headers, data)

    async def _connection(self) -> _Connection:
        while self._idle:
            connection = self._idle.pop()
            if connection.open:
                return connection
            self._made.discard(connection)
        _, connection = await asyncio.get_running_loop().create_connection(
            _Connection, self.host, self.port, ssl=self._ssl_context, server_hostname=self._server_hostname
        )
        self._made.add(connection)
        return connection

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
