"""Abuse limits over real sockets: uvicorn on loopback, started as
`python -m uvicorn --factory api.main:create_app` with uvicorn's defaults (which believe X-Forwarded-For
from 127.0.0.1), clients on 127.0.0.1 and 127.0.0.2."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from tests.api.conftest import payload
from tests.live import LiveApi, live_api

WRITES_UNLIMITED = {"IMPACT_RATE_LIMIT_WRITES": ""}
SMALL_READS = {"IMPACT_RATE_LIMIT_PER_MINUTE": "120", "IMPACT_RATE_LIMIT_BURST": "60"}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    """No trusted proxy (the default)."""
    env = WRITES_UNLIMITED | SMALL_READS
    with live_api(tmp_path_factory.mktemp("abuse") / "data", env, seed=False) as live:
        yield live


@pytest.fixture(scope="module")
def behind_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    """127.0.0.1 is a trusted reverse proxy."""
    env = SMALL_READS | {"IMPACT_TRUSTED_PROXIES": "127.0.0.1"}
    with live_api(tmp_path_factory.mktemp("proxied") / "data", env, seed=False) as live:
        yield live


def from_address(address: str) -> httpx.Client:
    """An HTTP client whose connections come from `address` (any 127.x.y.z is loopback)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30)


def random_ip() -> str:
    return ".".join(str(random.randint(1, 254)) for _ in range(4))


def test_700_wrong_keys_are_throttled_and_logged(api: LiveApi) -> None:
    statuses: Counter[int] = Counter()
    codes: Counter[str] = Counter()
    body = payload(title="Une fiche envoyée avec une fausse clé")
    with from_address("127.0.0.1") as attacker:
        for _ in range(700):
            wrong = f"imp_{random.randbytes(6).hex()}_{random.randbytes(32).hex()}"
            response = attacker.post(f"{api.url}/api/v1/monographs", json=body, headers={"X-API-Key": wrong})
            statuses[response.status_code] += 1
            if response.status_code == 429:
                assert int(response.headers["retry-after"]) >= 1
                codes[response.json()["error"]["code"]] += 1
    assert statuses[401] == 20 and statuses[429] == 680, statuses
    assert codes == {"too_many_failed_authentications": 680}, codes
    # A valid key from another client keeps working, meanwhile.
    with from_address("127.0.0.2") as partner:
        me = partner.get(f"{api.url}/api/v1/keys/me", headers={"X-API-Key": api.editor_key})
        assert me.status_code == 200 and me.json()["role"] == "editor"
    log = api.log.read_text(errors="replace")
    assert "failed API keys throttled (client 127.0.0.1)" in log
    assert log.count("failed API keys throttled") <= 2  # one line per throttled address a minute, not 680


def test_random_forwarded_for_from_an_untrusted_peer_is_still_one_client(api: LiveApi) -> None:
    with from_address("127.0.0.3") as client:
        statuses = Counter(
            client.get(f"{api.url}/api/v1/referentials", headers={"X-Forwarded-For": random_ip()}).status_code
            for _ in range(200)
        )
    assert statuses[429] >= 140, statuses


def test_random_forwarded_for_from_127_0_0_1_is_one_client_even_if_uvicorn_believes_it(api: LiveApi) -> None:
    with from_address("127.0.0.1") as client:
        statuses = Counter(
            client.get(f"{api.url}/api/v1/referentials", headers={"X-Forwarded-For": random_ip()}).status_code
            for _ in range(200)
        )
    assert statuses[429] >= 140, statuses
    assert "IMPACT_TRUSTED_PROXIES trusts no proxy" in api.log.read_text(errors="replace")


def test_a_trusted_proxy_forwards_each_client(behind_proxy: LiveApi) -> None:
    url = f"{behind_proxy.url}/api/v1/referentials"
    with from_address("127.0.0.1") as proxy:
        distinct = Counter(proxy.get(url, headers={"X-Forwarded-For": random_ip()}).status_code for _ in range(200))
        assert distinct == {200: 200}
        same = [proxy.get(url, headers={"X-Forwarded-For": "6.6.6.6, 192.0.2.10"}).status_code for _ in range(80)]
        assert same.count(200) == 60 and same.count(429) == 20
        assert proxy.get(url, headers={"X-Forwarded-For": "192.0.2.11"}).status_code == 200
    # Not the proxy: its X-Forwarded-For is ignored.
    with from_address("127.0.0.4") as direct:
        spoofed = Counter(direct.get(url, headers={"X-Forwarded-For": random_ip()}).status_code for _ in range(80))
    assert spoofed[429] == 20, spoofed


def test_forged_host_gets_400(api: LiveApi) -> None:
    for host in ("evil.example", "api.evil.example:8000"):
        response = httpx.get(f"{api.url}/feeds/search.atom", headers={"Host": host})
        assert response.status_code == 400, host
    assert httpx.get(f"{api.url}/api/v1/health", headers={"Host": "localhost"}).status_code == 200


def test_nul_byte_in_a_static_file_name_is_404(api: LiveApi) -> None:
    for name in ("%00", "embed.css%00", "a%00.js"):
        assert httpx.get(f"{api.url}/static/{name}").status_code == 404, name


def test_home_and_docs_work_without_a_cdn(api: LiveApi) -> None:
    home = httpx.get(f"{api.url}/", follow_redirects=True)
    assert home.status_code == 200 and str(home.url).endswith("/docs")
    assert "cdn." not in home.text and "https://" not in home.text


def test_put_preset_raced_by_8_clients_never_500s(api: LiveApi) -> None:
    headers = {"X-API-Key": api.editor_key}
    results: list[int] = []
    lock = threading.Lock()
    for round_ in range(6):
        slug = f"course-{round_}"
        barrier = threading.Barrier(8)

        def save(i: int, slug: str = slug, barrier: threading.Barrier = barrier) -> None:
            with from_address("127.0.0.5") as client:
                barrier.wait()
                body = {"title": f"Client {i}", "filters": {"q": "eau"}}
                status = client.put(f"{api.url}/api/v1/presets/{slug}", json=body, headers=headers).status_code
            with lock:
                results.append(status)

        threads = [threading.Thread(target=save, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        created = httpx.get(f"{api.url}/api/v1/presets/{slug}").json()
        assert created["title"].startswith("Client ")
    counts = Counter(results)
    assert len(results) == 48 and set(counts) <= {200, 201, 409}, counts
    assert counts[201] == 6, counts  # exactly one creation per slug
