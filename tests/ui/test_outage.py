"""When the API is down or too slow, every page says so in French and stops: no traceback."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.live import free_port
from tests.ui.conftest import APP
from ui import client

PAGES = [None, "views/fiche.py", "views/dashboard.py", "views/export.py", "views/contribute.py"]


def run_page(path: str | None) -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=30)
    if path is not None:
        app.run()
        app.switch_page(path)
        app.query_params = {"id": "une-pratique"}
    return app.run()


@pytest.fixture
def closed_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMPACT_API_BASE_URL", f"http://127.0.0.1:{free_port()}")
    st.cache_data.clear()


@pytest.fixture
def silent_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A socket that accepts connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        monkeypatch.setenv("IMPACT_API_BASE_URL", f"http://127.0.0.1:{server.getsockname()[1]}")
        monkeypatch.setattr(client, "TIMEOUT", httpx.Timeout(0.5))
        st.cache_data.clear()
        yield


@pytest.mark.usefixtures("closed_port")
@pytest.mark.parametrize("path", PAGES, ids=lambda p: p or "views/search.py")
def test_an_unreachable_api_gets_a_french_message(path: str | None) -> None:
    app = run_page(path)

    assert not app.exception
    assert [e.value for e in app.error] == [
        "Le service IMPACT-Pratiques est momentanément indisponible. Réessayez dans quelques instants."
    ]


@pytest.mark.usefixtures("silent_api")
def test_a_silent_api_gets_a_french_message() -> None:
    app = run_page(None)

    assert not app.exception
    assert [e.value for e in app.error] == [
        "Le service met trop de temps à répondre. Réessayez dans quelques instants."
    ]


@pytest.fixture
def throttling_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A server answering every request as the API's rate limit does: 429, Retry-After, its JSON error."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Throttling(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"error": {"code": "rate_limited", "message": "too many requests"}}).encode()
            self.send_response(429)
            self.send_header("Retry-After", "7")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Throttling)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("IMPACT_API_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}")
    st.cache_data.clear()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.usefixtures("throttling_api")
def test_an_api_asking_to_slow_down_is_not_blamed_on_the_address() -> None:
    """A 429 said « Vérifiez les paramètres de l'adresse »: every visitor of the UI is one client of the API, so a
    busy spell showed everyone a message blaming their link."""
    app = run_page(None)

    assert not app.exception
    assert [e.value for e in app.error] == [
        "Le service reçoit trop de demandes en ce moment. Réessayez dans quelques instants."
    ]
