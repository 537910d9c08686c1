"""The asynchronous client's HTTP node (`indexer/es_http_node.py`) against a real HTTP server on a loopback
socket whose every answer a test scripts: keep-alive, chunked and compressed answers, connections the server
closes or cuts, answers too slow or not HTTP, the cap on connections, HEAD, TLS. The Elasticsearch suites run
every awaited search through the same node against a real node (and through a proxy that cuts connections)."""

from __future__ import annotations

import asyncio
import gzip
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme
import uvloop
from elastic_transport import ConnectionError, ConnectionTimeout, HttpHeaders, NodeConfig, TlsError
from elasticsearch import AsyncElasticsearch

from indexer.es_http_node import HttptoolsAsyncNode


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    connection: int
    reader: asyncio.StreamReader = field(repr=False, compare=False)


Script = Callable[[Request, asyncio.StreamWriter], Awaitable[None]]


def answer(body: bytes = b'{"ok": true}', status: str = "200 OK", *extra: str) -> bytes:
    head = [f"HTTP/1.1 {status}", "content-type: application/json", f"content-length: {len(body)}", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def ok(request: Request, writer: asyncio.StreamWriter) -> None:
    writer.write(answer(b'{"path": "%s"}' % request.target.encode()))


@dataclass
class Server:
    """An HTTP/1.1 server answering each request with the next script (`ok` when none is left)."""

    scripts: list[Script] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    connections: int = 0
    open_now: int = 0
    most_open: int = 0
    port: int = 0
    tls: ssl.SSLContext | None = None

    async def start(self) -> asyncio.Server:
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        self.port = server.sockets[0].getsockname()[1]
        return server

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number, self.open_now = self.connections, self.open_now + 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            while not writer.is_closing():
                head = await reader.readuntil(b"\r\n\r\n")
                line, *lines = head.decode("latin-1").split("\r\n")
                method, target, _ = line.split(" ")
                headers = {k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines if x)}
                body = await reader.readexactly(int(headers.get("content-length", 0)))
                request = Request(method, target, headers, body, number, reader)
                self.requests.append(request)
                await (self.scripts.pop(0) if self.scripts else ok)(request, writer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionResetError, ssl.SSLError, OSError):
            pass
        except asyncio.CancelledError:
            pass  # the test's loop ending while the client still holds the connection
        finally:
            self.open_now -= 1
            writer.close()


def node(server: Server, **config: Any) -> HttptoolsAsyncNode:
    scheme = "https" if server.tls else "http"
    return HttptoolsAsyncNode(NodeConfig(scheme, "127.0.0.1", server.port, **config))


async def answered_on_a_new_connection(made: HttptoolsAsyncNode, server: Server, path: str = "/next") -> None:
    """The node's next call answered on a second connection (the first one not reused), then the node closed."""
    after = await made.perform_request("GET", path, request_timeout=5)
    await made.close()
    assert after.body == b'{"path": "%s"}' % path.encode()
    assert [r.connection for r in server.requests] == [1, 2]


# Every test runs on asyncio's own event loop and on uvloop's (the API's, under uvicorn).
LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop] | None] = {"asyncio": None, "uvloop": uvloop.new_event_loop}
_loop: list[Callable[[], asyncio.AbstractEventLoop] | None] = [None]


@pytest.fixture(autouse=True, params=sorted(LOOPS))
def event_loop_kind(request: pytest.FixtureRequest) -> None:
    _loop[0] = LOOPS[request.param]


def run(coroutine: Awaitable[None]) -> None:
    with asyncio.Runner(loop_factory=_loop[0]) as runner:
        runner.run(coroutine)  # type: ignore[arg-type]


def served(test: Callable[[Server], Awaitable[None]], server: Server | None = None) -> None:
    async def serving() -> None:
        given = server or Server()
        async with await given.start():
            await test(given)

    run(serving())


async def until(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Waits for `condition` (the server's side of a connection ends a moment after the client's)."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "not in time"
        await asyncio.sleep(0.01)


def test_a_connection_is_kept_and_carries_one_request_after_the_other() -> None:
    async def test(server: Server) -> None:
        made = node(server, path_prefix="/es", headers={"authorization": "ApiKey c2VjcmV0"})
        first = await made.perform_request("POST", "/idx/_search", b'{"size": 1}', request_timeout=5)
        second = await made.perform_request("GET", "/_cluster/health", None, request_timeout=5)
        await made.close()
        assert (first.meta.status, first.body) == (200, b'{"path": "/es/idx/_search"}')
        assert second.body == b'{"path": "/es/_cluster/health"}'
        assert [r.connection for r in server.requests] == [1, 1]
        sent = server.requests[0]
        assert (sent.method, sent.body) == ("POST", b'{"size": 1}')
        assert sent.headers["host"] == f"127.0.0.1:{server.port}"
        assert sent.headers["authorization"] == "ApiKey c2VjcmV0"
        assert sent.headers["content-length"] == "11"
        assert first.meta.headers["content-type"] == "application/json"

    served(test)


def test_a_header_given_twice_is_kept_whole_and_a_line_break_is_never_sent() -> None:
    async def warned(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(
            answer(b"{}", "200 OK", 'Warning: 299 Elasticsearch "first"', 'Warning: 299 Elasticsearch "second"')
        )

    async def test(server: Server) -> None:
        made = node(server)
        warnings = await made.perform_request("GET", "/", request_timeout=5)
        with pytest.raises(ValueError, match="line break"):
            await made.perform_request("GET", "/", headers=HttpHeaders({"x-opaque-id": "a\r\nx-injected: 1"}))
        with pytest.raises(ValueError, match="line break"):
            await made.perform_request("GET", "/ HTTP/1.1\r\nx-injected: 1\r\n\r\nGET /", request_timeout=5)
        await made.close()
        assert warnings.meta.headers["warning"] == '299 Elasticsearch "first", 299 Elasticsearch "second"'
        assert len(server.requests) == 1

    served(test, Server(scripts=[warned]))


def test_chunked_and_compressed_answers_are_read_whole() -> None:
    async def chunked(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
        for part in (b'{"hits": ', b"[1, 2, 3]", b"}"):
            writer.write(b"%x\r\n%s\r\n" % (len(part), part))
            await writer.drain()
            await asyncio.sleep(0.01)
        writer.write(b"0\r\n\r\n")

    async def compressed(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(answer(gzip.compress(b'{"packed": "\xc3\xa9t\xc3\xa9"}'), "200 OK", "content-encoding: gzip"))

    async def test(server: Server) -> None:
        made = node(server)
        first = await made.perform_request("GET", "/a", request_timeout=5)
        second = await made.perform_request("GET", "/b", request_timeout=5)
        await made.close()
        assert first.body == b'{"hits": [1, 2, 3]}'
        assert second.body.decode() == '{"packed": "été"}'
        assert server.connections == 1

    served(test, Server(scripts=[chunked, compressed]))


def test_an_answer_asking_to_close_the_connection_is_the_connections_last() -> None:
    async def closing(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(answer(b"{}", "200 OK", "connection: close"))

    async def test(server: Server) -> None:
        made = node(server)
        for path in ("/1", "/2", "/3"):
            await made.perform_request("GET", path, request_timeout=5)
        await made.close()
        assert [r.connection for r in server.requests] == [1, 2, 2]

    served(test, Server(scripts=[closing]))


def test_an_idle_connection_the_server_dropped_gives_way_to_a_new_one() -> None:
    async def then_hang_up(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(answer())
        await writer.drain()
        await asyncio.sleep(0.02)
        writer.close()  # the server's idle timeout, after the answer

    async def test(server: Server) -> None:
        made = node(server)
        await made.perform_request("GET", "/1", request_timeout=5)
        await asyncio.sleep(0.1)
        await answered_on_a_new_connection(made, server)

    served(test, Server(scripts=[then_hang_up]))


def test_a_connection_cut_in_the_middle_of_an_answer_is_a_connection_error() -> None:
    async def cut(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(answer(b'{"hits": [1, 2, 3]}')[:-8])
        await writer.drain()
        writer.transport.abort()

    async def test(server: Server) -> None:
        made = node(server)
        with pytest.raises(ConnectionError, match="ConnectionResetError"):
            await made.perform_request("GET", "/cut", request_timeout=5)
        await answered_on_a_new_connection(made, server)

    served(test, Server(scripts=[cut]))


def test_a_refused_connection_is_a_connection_error() -> None:
    async def test() -> None:
        server = Server()
        async with await server.start():
            pass  # closed: its port now refuses
        made = node(server)
        with pytest.raises(ConnectionError):
            await made.perform_request("GET", "/", request_timeout=5)
        await made.close()

    run(test())


def test_an_answer_that_is_not_http_is_a_connection_error() -> None:
    async def garbage(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")

    async def test(server: Server) -> None:
        made = node(server)
        with pytest.raises(ConnectionError, match="HttpParserError"):
            await made.perform_request("GET", "/", request_timeout=5)
        await made.close()

    served(test, Server(scripts=[garbage]))


def test_a_late_answer_times_out_and_never_reaches_the_next_request() -> None:
    async def late(request: Request, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.5)
        writer.write(answer(b'{"late": true}'))

    async def test(server: Server) -> None:
        made = node(server)
        started = time.monotonic()
        with pytest.raises(ConnectionTimeout):
            await made.perform_request("GET", "/slow", request_timeout=0.2)
        # Not much before the timeout (uvloop's timers have a millisecond's granularity: 199.5 ms seen), nor after.
        assert 0.19 <= time.monotonic() - started < 0.45
        await until(lambda: server.open_now == 0)  # the first connection was closed, not left open
        await answered_on_a_new_connection(made, server)

    served(test, Server(scripts=[late]))


def test_a_cancelled_call_closes_its_connection() -> None:
    closed: list[bool] = []

    async def unanswered(request: Request, writer: asyncio.StreamWriter) -> None:
        try:
            closed.append(await asyncio.wait_for(request.reader.read(), 2) == b"")
        except TimeoutError:
            closed.append(False)

    async def test(server: Server) -> None:
        made = node(server)
        call = asyncio.create_task(made.perform_request("GET", "/slow", request_timeout=5))
        await asyncio.sleep(0.1)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        await answered_on_a_new_connection(made, server)
        assert closed == [True]

    served(test, Server(scripts=[unanswered]))


def test_calls_beyond_the_connections_per_node_wait_for_one() -> None:
    async def slow(request: Request, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.05)
        await ok(request, writer)

    async def test(server: Server) -> None:
        made = node(server, connections_per_node=2)
        answers = await asyncio.gather(*(made.perform_request("GET", f"/{n}", request_timeout=5) for n in range(6)))
        await made.close()
        assert sorted(a.body for a in answers) == sorted(b'{"path": "/%d"}' % n for n in range(6))
        assert server.connections == 2 and server.most_open == 2

    served(test, Server(scripts=[slow] * 6))


def test_a_head_answer_has_no_body_whatever_its_length_says() -> None:
    async def head(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 250\r\n\r\n")

    async def test(server: Server) -> None:
        made = node(server)
        exists = await made.perform_request("HEAD", "/idx", request_timeout=5)
        after = await made.perform_request("GET", "/after", request_timeout=5)
        await made.close()
        assert (exists.meta.status, exists.body) == (200, b"")
        assert after.body == b'{"path": "/after"}'
        assert [r.connection for r in server.requests] == [1, 2]

    served(test, Server(scripts=[head]))


def test_bytes_after_an_answer_are_never_read_as_the_next_ones() -> None:
    async def two_at_once(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(answer(b'{"first": 1}') + answer(b'{"stale": 1}'))

    async def one_and_a_half(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(answer(b'{"first": 2}') + answer(b'{"stale": 2}')[:-5])

    async def test(server: Server) -> None:
        made = node(server)
        first = await made.perform_request("GET", "/1", request_timeout=5)
        second = await made.perform_request("GET", "/2", request_timeout=5)
        third = await made.perform_request("GET", "/3", request_timeout=5)
        await made.close()
        assert (first.body, second.body, third.body) == (b'{"first": 1}', b'{"first": 2}', b'{"path": "/3"}')
        assert first.meta.headers["content-length"] == "12"
        assert [r.connection for r in server.requests] == [1, 2, 3]

    served(test, Server(scripts=[two_at_once, one_and_a_half]))


def test_an_interim_answer_is_skipped_for_the_real_one() -> None:
    async def continued(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        await writer.drain()
        writer.write(answer(b'{"real": true}'))

    async def test(server: Server) -> None:
        made = node(server)
        real = await made.perform_request("POST", "/_search", b"{}", request_timeout=5)
        await made.perform_request("GET", "/again", request_timeout=5)
        await made.close()
        assert (real.meta.status, real.body) == (200, b'{"real": true}')
        assert [r.connection for r in server.requests] == [1, 1]

    served(test, Server(scripts=[continued]))


def test_an_answer_without_length_ends_with_its_connection_and_one_without_body_keeps_it() -> None:
    async def until_closed(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n" + b'{"to": "the end"}')
        await writer.drain()
        writer.close()

    async def no_content(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")

    async def test(server: Server) -> None:
        made = node(server)
        whole = await made.perform_request("GET", "/1", request_timeout=5)
        empty = await made.perform_request("DELETE", "/2", request_timeout=5)
        after = await made.perform_request("GET", "/3", request_timeout=5)
        await made.close()
        assert (whole.body, empty.meta.status, empty.body) == (b'{"to": "the end"}', 204, b"")
        assert after.body == b'{"path": "/3"}'
        assert [r.connection for r in server.requests] == [1, 2, 2]

    served(test, Server(scripts=[until_closed, no_content]))


def test_a_kept_connection_closed_as_it_is_taken_is_replaced_for_a_get_not_a_post() -> None:
    async def hang_up(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.close()  # the node's idle timeout, as the request came

    async def test(server: Server) -> None:
        made = node(server)
        await made.perform_request("GET", "/1", request_timeout=5)
        again = await made.perform_request("GET", "/2", request_timeout=5)
        await made.perform_request("POST", "/3", b"{}", request_timeout=5)
        with pytest.raises(ConnectionError, match="ConnectionResetError"):
            await made.perform_request("POST", "/4", b"{}", request_timeout=5)
        await made.close()
        assert again.body == b'{"path": "/2"}'
        assert [(r.target, r.connection) for r in server.requests] == [
            ("/1", 1),
            ("/2", 1),
            ("/2", 2),
            ("/3", 2),
            ("/4", 2),
        ]

    served(test, Server(scripts=[ok, hang_up, ok, ok, hang_up]))


def test_the_wait_for_a_connection_counts_in_the_timeout() -> None:
    async def slow(request: Request, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.5)
        await ok(request, writer)

    async def test(server: Server) -> None:
        made = node(server, connections_per_node=1)
        first = asyncio.create_task(made.perform_request("GET", "/slow", request_timeout=5))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        with pytest.raises(ConnectionTimeout):
            await made.perform_request("GET", "/waiting", request_timeout=0.1)
        assert time.monotonic() - started < 0.4
        assert (await first).body == b'{"path": "/slow"}'
        await made.close()
        assert [r.target for r in server.requests] == ["/slow"]

    served(test, Server(scripts=[slow]))


def test_closing_the_node_ends_the_calls_in_flight_and_keeps_no_connection() -> None:
    async def slow(request: Request, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.3)
        await ok(request, writer)

    async def test(server: Server) -> None:
        made = node(server, connections_per_node=1)
        in_flight = asyncio.create_task(made.perform_request("GET", "/1", request_timeout=5))
        waiting = asyncio.create_task(made.perform_request("GET", "/2", request_timeout=5))
        await asyncio.sleep(0.1)
        await made.close()
        with pytest.raises(ConnectionError):
            await in_flight
        assert (await waiting).body == b'{"path": "/2"}'
        await until(lambda: server.open_now == 0)

    served(test, Server(scripts=[slow, slow]))


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


def tls_server(authority: trustme.CA) -> Server:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    return Server(tls=context)


def test_tls_to_a_node_whose_certificate_the_given_authority_signed(authority: trustme.CA, tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca))

    async def test(server: Server) -> None:
        made = node(server, ca_certs=str(ca))
        first = await made.perform_request("GET", "/secure", request_timeout=5)
        second = await made.perform_request("GET", "/again", request_timeout=5)
        await made.close()
        assert (first.body, second.body) == (b'{"path": "/secure"}', b'{"path": "/again"}')
        assert server.connections == 1

    served(test, tls_server(authority))


def test_tls_to_a_node_of_another_authority_is_a_tls_error(authority: trustme.CA, tmp_path: Path) -> None:
    other = tmp_path / "other.pem"
    trustme.CA().cert_pem.write_to_path(str(other))

    async def test(server: Server) -> None:
        made = node(server, ca_certs=str(other))
        with pytest.raises(TlsError):
            await made.perform_request("GET", "/secure", request_timeout=5)
        await made.close()

    served(test, tls_server(authority))


def test_the_client_tries_the_next_node_when_one_refuses() -> None:
    async def elasticsearch(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(answer(b'{"path": "/"}', "200 OK", "x-elastic-product: Elasticsearch"))

    async def test(server: Server) -> None:
        dead = Server()
        async with await dead.start():
            pass
        client = AsyncElasticsearch(
            [f"http://127.0.0.1:{dead.port}", f"http://127.0.0.1:{server.port}"],
            node_class=HttptoolsAsyncNode,
            max_retries=2,
            randomize_nodes_in_pool=False,
        )
        answered = await client.perform_request("GET", "/", headers={"accept": "application/json"})
        await client.close()
        assert answered.body == {"path": "/"}
        assert len(server.requests) == 1

    served(test, Server(scripts=[elasticsearch]))
