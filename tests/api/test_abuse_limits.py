"""Abuse limits in-process: failed-key throttling, a rate limit on every route class, the client address
behind proxies, trusted hosts, CORS for configured origins, /docs without a CDN, small 500s gone.

The same behaviours over a real socket (uvicorn) are in test_abuse_live.py."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from limits.storage import MemoryStorage

from api.embed.preset_records import save_preset
from api.errors import VersionConflict
from api.http.client_address import (
    FORWARDED_UNVERIFIED,
    REMEMBERED_MAX_BYTES,
    ClientAddress,
    TrustedProxies,
    limit_key,
    parse_networks,
)
from api.http.rate_limit import Windows, parse_limits
from api.main import create_app
from api.settings import Settings
from api.store import Role, Store
from tests.api.conftest import payload

PARTNER = "https://backoffice.reseau-partenaire.fr"


@pytest.fixture
def app(tmp_path: Path, database_url: str, request: pytest.FixtureRequest) -> Iterator[FastAPI]:
    overrides: dict[str, Any] = getattr(request, "param", {})
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, outbox_interval=0.2, **overrides)
    application = create_app(settings)
    with TestClient(application):  # runs the lifespan once; the clients below share it
        yield application


def client_at(app: FastAPI, address: str) -> TestClient:
    """A client whose connection comes from `address`."""
    return TestClient(app, client=(address, 40000), raise_server_exceptions=False)


def new_key(app: FastAPI, role: Role = Role.EDITOR) -> str:
    key, _ = app.state.store.create_key(f"clé {role.value}", role)
    return key


# -- 1. failed authentications ----------------------------------------------------------------------


def test_wrong_keys_are_throttled_per_address(app: FastAPI, caplog: pytest.LogCaptureFixture) -> None:
    attacker, other = client_at(app, "203.0.113.7"), client_at(app, "198.51.100.9")
    valid = new_key(app)
    caplog.set_level(logging.INFO, logger="api.http.auth_throttle")
    statuses = []
    for i in range(60):
        response = attacker.get("/api/v1/keys/me", headers={"X-API-Key": f"imp_{i:012x}_{'x' * 43}"})
        statuses.append(response.status_code)
    assert statuses[:20] == [401] * 20 and set(statuses[20:]) == {429}, statuses
    refused = attacker.get("/api/v1/monographs", headers={"Authorization": "Bearer nimportequoi"})
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "too_many_failed_authentications"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    # Even the right key is not checked from that address meanwhile; anonymous reads go on.
    assert attacker.get("/api/v1/keys/me", headers={"X-API-Key": valid}).status_code == 429
    assert attacker.get("/api/v1/referentials").status_code == 200
    # Another client with a valid key is not affected.
    assert other.get("/api/v1/keys/me", headers={"X-API-Key": valid}).json()["role"] == "editor"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "throttled" in r.getMessage()]
    assert len(warnings) == 1 and "203.0.113.7" in warnings[0].getMessage()  # logged once, not 40 times
    assert sum("failed API key from 203.0.113.7" in r.getMessage() for r in caplog.records) == 20


def test_concurrent_wrong_keys_get_no_more_401_than_the_limit(app: FastAPI) -> None:
    attacker = client_at(app, "203.0.113.8")
    barrier = threading.Barrier(40)
    statuses: list[int] = []

    def guess(i: int) -> None:
        barrier.wait()
        statuses.append(attacker.get("/api/v1/keys/me", headers={"X-API-Key": f"imp_{i:012x}_{'x' * 43}"}).status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [401] * 20 + [429] * 20, statuses


@pytest.mark.parametrize("app", [{"trusted_proxies": "10.0.0.2"}], indirect=True)
def test_wrong_secrets_for_one_key_id_are_throttled_from_any_address(app: FastAPI) -> None:
    target = new_key(app)
    other_key = new_key(app, Role.CONTRIBUTOR)
    key_id = target.split("_")[1]
    proxy = client_at(app, "10.0.0.2")
    statuses = [
        proxy.get(
            "/api/v1/keys/me",
            headers={"X-API-Key": f"imp_{key_id}_{'y' * 42}{i % 10}", "X-Forwarded-For": f"192.0.2.{i}"},
        ).status_code
        for i in range(1, 31)
    ]
    assert statuses[:20] == [401] * 20 and set(statuses[20:]) == {429}, statuses
    fresh = {"X-Forwarded-For": "192.0.2.200"}
    assert proxy.get("/api/v1/keys/me", headers=fresh | {"X-API-Key": f"imp_{key_id}_{'z' * 43}"}).status_code == 429
    assert proxy.get("/api/v1/keys/me", headers=fresh | {"X-API-Key": other_key}).status_code == 200


@pytest.mark.parametrize("app", [{"auth_failures_per_client": "", "auth_failures_per_key": ""}], indirect=True)
def test_failed_auth_throttling_can_be_turned_off(app: FastAPI) -> None:
    attacker = client_at(app, "203.0.113.7")
    assert {attacker.get("/api/v1/keys/me", headers={"X-API-Key": "faux"}).status_code for _ in range(30)} == {401}


# -- 2. a limit on every route class ------------------------------------------------------------------

SMALL = {
    "rate_limit_per_minute": 6,
    "rate_limit_burst": 3,
    "rate_limit_writes": "3/minute",
    "rate_limit_keys": "3/minute",
    "rate_limit_operations": "3/minute",
    "rate_limit_docs": "3/minute",
    "rate_limit_export": "3/minute",
}


@pytest.mark.parametrize("app", [SMALL], indirect=True)
@pytest.mark.parametrize(
    ("method", "path", "limit"),
    [
        ("GET", "/api/v1/search?q=eau", "reads"),
        ("GET", "/embed", "reads"),
        ("GET", "/feeds/search.atom", "reads"),
        ("GET", "/api/v1/monographs/inconnue", "reads"),
        ("POST", "/api/v1/monographs", "writes"),
        ("PUT", "/api/v1/presets/essai", "writes"),
        ("GET", "/api/v1/keys/me", "keys"),
        ("GET", "/api/v1/health", "operations"),
        ("GET", "/api/v1/metrics", "operations"),
        ("GET", "/docs", "docs"),
        ("GET", "/openapi.json", "docs"),
        ("GET", "/api/v1/export?format=jsonl", "export"),
    ],
)
def test_every_route_class_is_limited(app: FastAPI, method: str, path: str, limit: str) -> None:
    client = client_at(app, "203.0.113.7")
    body = {"json": payload()} if method != "GET" else {}
    for _ in range(3):
        assert client.request(method, path, **body).status_code != 429
    response = client.request(method, path, **body)
    assert response.status_code == 429, (path, response.status_code)
    assert int(response.headers["retry-after"]) >= 1
    if response.headers["content-type"].startswith("application/json"):
        assert response.json()["error"]["details"]["limit"] == limit
    # Counted per client, and per class: another address, or another class, still goes through.
    assert client_at(app, "203.0.113.8").request(method, path, **body).status_code != 429
    other_class = "/api/v1/health" if limit != "operations" else "/api/v1/referentials"
    assert client.get(other_class).status_code != 429


@pytest.mark.parametrize("app", [SMALL | {"rate_limit_per_minute": 0}], indirect=True)
def test_rate_limit_per_minute_0_turns_every_class_off(app: FastAPI) -> None:
    client = client_at(app, "203.0.113.7")
    for path in ("/api/v1/health", "/openapi.json", "/api/v1/keys/me"):
        assert all(client.get(path).status_code != 429 for _ in range(6)), path


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"rate_limit_writes": "beaucoup"}, "IMPACT_RATE_LIMIT_WRITES"),
        ({"auth_failures_per_key": "3 par jour"}, "IMPACT_AUTH_FAILURES_PER_KEY"),
        ({"trusted_proxies": "10.0.0.0/8, proxy.local"}, "IMPACT_TRUSTED_PROXIES"),
        ({"allowed_hosts": "api.*.fr"}, "IMPACT_ALLOWED_HOSTS"),
        ({"rate_limit_storage_uri": "nulle-part://"}, "IMPACT_RATE_LIMIT_STORAGE_URI"),
    ],
)
def test_wrong_limit_settings_fail_at_start(tmp_path: Path, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        create_app(Settings(data_dir=tmp_path / "data", **overrides))


# -- 3. client address ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trusted", "peer", "xff", "client"),
    [
        ("", "203.0.113.7", [], "203.0.113.7"),
        ("", "203.0.113.7", ["1.2.3.4"], "203.0.113.7"),  # an untrusted peer's header is ignored
        ("10.0.0.0/8", "203.0.113.7", ["1.2.3.4"], "203.0.113.7"),
        ("10.0.0.0/8", "10.0.0.2", ["1.2.3.4"], "1.2.3.4"),
        ("10.0.0.0/8", "10.0.0.2", ["6.6.6.6, 1.2.3.4, 10.0.0.9"], "1.2.3.4"),  # nearest untrusted hop
        ("10.0.0.0/8", "10.0.0.2", ["6.6.6.6", "1.2.3.4:5678"], "1.2.3.4"),  # several headers, a port
        ("10.0.0.0/8", "10.0.0.2", ["10.0.0.7"], "10.0.0.7"),  # only proxies: the farthest
        ("10.0.0.0/8", "10.0.0.2", ["1.2.3.4, n'importe quoi"], FORWARDED_UNVERIFIED),
        ("10.0.0.0/8", "10.0.0.2", ["[2001:db8::1]:443"], "2001:db8::1"),
        # The ASGI server already put a forwarded entry in place of the peer (uvicorn trusts loopback):
        ("", "1.2.3.4", ["1.2.3.4"], FORWARDED_UNVERIFIED),
        ("", "1.2.3.4", ["1.2.3.4, 127.0.0.1"], FORWARDED_UNVERIFIED),
        ("127.0.0.1", "1.2.3.4", ["1.2.3.4"], "1.2.3.4"),
        ("127.0.0.1", "1.2.3.4", ["1.2.3.4, 127.0.0.1"], "1.2.3.4"),
        ("127.0.0.1", "1.2.3.4", ["9.9.9.9, 1.2.3.4, 5.5.5.5"], FORWARDED_UNVERIFIED),  # a client naming itself
    ],
)
def test_client_address(trusted: str, peer: str, xff: list[str], client: str) -> None:
    chain = [hop.strip() for header in xff for hop in header.split(",")]
    assert TrustedProxies(parse_networks(trusted)).client(peer, chain) == client
    # The middleware resolves the headers as they come (several joined), once per peer and headers.
    middleware = ClientAddress(lambda *_: None, TrustedProxies(parse_networks(trusted)))  # type: ignore[arg-type]
    forwarded = b",".join(header.encode() for header in xff)
    assert middleware.resolve(peer, forwarded) == middleware.resolve(peer, forwarded) == client
    assert middleware._resolved.cache_info().hits == 1


def test_a_long_forwarded_chain_is_resolved_but_never_remembered() -> None:
    """Clients write their own X-Forwarded-For: a long one (thousands of entries) must not stay in memory."""
    middleware = ClientAddress(lambda *_: None, TrustedProxies(parse_networks("10.0.0.0/8")))  # type: ignore[arg-type]
    long_chain = b",".join(b"10.1.%d.%d" % (i // 250, i % 250) for i in range(2000)) + b",1.2.3.4"
    assert len(long_chain) > REMEMBERED_MAX_BYTES
    assert middleware.resolve("10.0.0.2", long_chain) == "1.2.3.4"
    assert middleware.resolve("10.0.0.2", b"5.6.7.8") == "5.6.7.8"
    assert middleware._resolved.cache_info().currsize == 1


def test_ipv6_clients_are_counted_by_64() -> None:
    assert limit_key("2001:db8:1:2:aaaa::1") == limit_key("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert limit_key("203.0.113.7") == "203.0.113.7"


@pytest.mark.parametrize("app", [{"rate_limit_per_minute": 60, "rate_limit_burst": 5}], indirect=True)
def test_forwarded_for_from_an_untrusted_peer_changes_nothing(app: FastAPI) -> None:
    client = client_at(app, "203.0.113.7")
    statuses = [
        client.get("/api/v1/referentials", headers={"X-Forwarded-For": f"192.0.2.{i}"}).status_code
        for i in range(1, 21)
    ]
    assert statuses.count(429) == 15


@pytest.mark.parametrize(
    "app", [{"rate_limit_per_minute": 60, "rate_limit_burst": 5, "trusted_proxies": "10.0.0.2"}], indirect=True
)
def test_forwarded_for_from_a_trusted_proxy_limits_each_client(app: FastAPI) -> None:
    proxy = client_at(app, "10.0.0.2")
    each = [
        proxy.get("/api/v1/referentials", headers={"X-Forwarded-For": f"192.0.2.{i}"}).status_code for i in range(1, 21)
    ]
    assert 429 not in each
    same = [
        proxy.get("/api/v1/referentials", headers={"X-Forwarded-For": "6.6.6.6, 192.0.2.77"}).status_code
        for _ in range(8)
    ]
    assert same == [200] * 5 + [429] * 3


# -- 4. trusted hosts ------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example", "localhost.evil.example"])
def test_forged_host_gets_400(app: FastAPI, host: str) -> None:
    response = client_at(app, "203.0.113.7").get("/feeds/search.atom", headers={"Host": host})
    assert response.status_code == 400


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost", "ui.localhost:8501", "[::1]:8000", "testserver"])
def test_local_hosts_are_answered(app: FastAPI, host: str) -> None:
    assert client_at(app, "203.0.113.7").get("/api/v1/referentials", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize(
    "app", [{"allowed_hosts": "*.reseau.fr", "public_api_url": "https://api.pratiques.example"}], indirect=True
)
def test_allowed_hosts_are_configurable(app: FastAPI) -> None:
    client = client_at(app, "203.0.113.7")
    for host, status in [("www.reseau.fr", 200), ("api.pratiques.example", 200), ("localhost", 400)]:
        assert client.get("/api/v1/referentials", headers={"Host": host}).status_code == status, host


@pytest.mark.parametrize("app", [{"api_base_url": "http://impact-api.internal:8000"}], indirect=True)
def test_the_host_the_ui_reaches_the_api_at_is_answered(app: FastAPI) -> None:
    """IMPACT_API_BASE_URL is read by the UI process from its own environment (ui/client.py); the API only
    answers its host, and says so wherever the setting is documented."""
    assert client_at(app, "203.0.113.7").get("/api/v1/referentials", headers={"Host": "impact-api.internal"}).is_success
    description = str(Settings.model_fields["api_base_url"].description)
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    documented = next(line for line in readme.splitlines() if line.startswith("| `IMPACT_API_BASE_URL`"))
    for text in (description, documented):
        assert "UI" in text and "IMPACT_ALLOWED_HOSTS" in text, text


# -- 5. CORS for configured origins ----------------------------------------------------------------------


@pytest.mark.parametrize("app", [{"cors_origins": [PARTNER]}], indirect=True)
@pytest.mark.parametrize(("method", "path"), [("PUT", "/api/v1/presets/essai"), ("POST", "/api/v1/monographs")])
def test_configured_origins_may_write(app: FastAPI, method: str, path: str) -> None:
    client = client_at(app, "203.0.113.7")
    asked = "x-api-key, if-match, idempotency-key, content-type, authorization"
    preflight = client.options(
        path,
        headers={"Origin": PARTNER, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": asked},
    )
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == PARTNER
    assert method in preflight.headers["access-control-allow-methods"]
    allowed = {h.strip().lower() for h in preflight.headers["access-control-allow-headers"].split(",")}
    assert {h.strip() for h in asked.split(",")} <= allowed
    headers = {"Origin": PARTNER, "X-API-Key": new_key(app)}
    body = payload() if method == "POST" else {"title": "Essai", "filters": {"q": "eau"}}
    response = client.request(method, path, json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    assert response.headers["access-control-allow-origin"] == PARTNER
    assert "Location" in response.headers["access-control-expose-headers"]
    # Any other origin: no preflight approval, no write readable.
    other = client.options(path, headers={"Origin": "https://ailleurs.fr", "Access-Control-Request-Method": method})
    assert "access-control-allow-origin" not in other.headers


def test_without_configured_origins_writes_are_not_opened(app: FastAPI) -> None:
    preflight = client_at(app, "203.0.113.7").options(
        "/api/v1/presets/essai", headers={"Origin": PARTNER, "Access-Control-Request-Method": "PUT"}
    )
    assert "access-control-allow-origin" not in preflight.headers


# -- 5. /docs without a CDN ------------------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v or "" for k, v in attrs if k in ("src", "href")]


def test_docs_reference_no_external_origin(app: FastAPI) -> None:
    client = client_at(app, "203.0.113.7")
    page = client.get("/docs")
    assert page.status_code == 200
    links = _Links()
    links.feed(page.text)
    assert len(links.urls) == 3 and all(urlsplit(u).netloc == "" and u.startswith("/docs/assets/") for u in links.urls)
    assert not re.search(r"https?://", page.text), re.findall(r"https?://[^\s'\"]+", page.text)
    assert 'validatorUrl": null' in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in policy and "http" not in policy and "frame-ancestors 'none'" in policy
    for url in links.urls:
        asset = client.get(url)
        assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"], url
        assert asset.headers["x-content-type-options"] == "nosniff"
    script = client.get(next(u for u in links.urls if ".js" in u))
    assert script.headers["content-type"].startswith("text/javascript") and "SwaggerUIBundle" in script.text
    assert client.get("/docs/assets/index.html").status_code == 404
    assert client.get("/redoc").status_code == 404  # it loaded its script and fonts from CDNs


def test_home_redirects_to_docs(app: FastAPI) -> None:
    response = client_at(app, "203.0.113.7").get("/", follow_redirects=False)
    assert response.status_code in (302, 307) and response.headers["location"] == "/docs"


# -- 5. small 500s ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["%00", "embed.css%00", "a%00b.js", "%00..%2Fhtml.py", ".embed.css", "embed%00.css"])
def test_odd_static_names_are_404(app: FastAPI, name: str) -> None:
    response = client_at(app, "203.0.113.7").get(f"/static/{name}")
    assert response.status_code == 404, (name, response.status_code, response.text)


def test_concurrent_saves_of_one_new_preset_on_each_database(store: Store) -> None:
    """The store alone raises IntegrityError (or SQLite's busy snapshot) for the losers of the race."""
    outcomes: list[str] = []
    lock = threading.Lock()
    for round_ in range(4):
        slug = f"course-{round_}"
        barrier = threading.Barrier(8)

        def save(i: int, slug: str = slug, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            try:
                _, created = save_preset(store, slug, {"title": f"Client {i}"}, None, None)
                outcome = "created" if created else "replaced"
            except VersionConflict:
                outcome = "409"
            except Exception as exc:  # what used to become a 500
                outcome = repr(exc)
            with lock:
                outcomes.append(outcome)

        threads = [threading.Thread(target=save, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert set(outcomes) <= {"created", "replaced", "409"}, outcomes
    assert outcomes.count("created") == 4, outcomes


def test_windows_count_per_class_and_client() -> None:
    windows = Windows(MemoryStorage(), {"writes": parse_limits("2/minute", "TEST")})
    assert windows.hit("writes", "203.0.113.7") == 0 and windows.hit("writes", "203.0.113.7") == 0
    assert 58 <= windows.hit("writes", "203.0.113.7") <= 60  # Retry-After: when the oldest hit leaves
    assert windows.hit("writes", "203.0.113.8") == 0 and windows.hit("reads", "203.0.113.7") == 0


def test_a_failing_shared_storage_lets_requests_through(caplog: pytest.LogCaptureFixture) -> None:
    class Unreachable(MemoryStorage):
        def acquire_entry(self, *args: Any, **kwargs: Any) -> bool:
            raise ConnectionError("redis is down")

    windows = Windows(Unreachable(), {"writes": parse_limits("1/minute", "TEST")})
    assert [windows.hit("writes", "203.0.113.7") for _ in range(3)] == [0, 0, 0]
    assert sum("rate-limit storage failed" in r.getMessage() for r in caplog.records) == 1
