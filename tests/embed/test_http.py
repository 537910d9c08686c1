"""HTTP behaviour of the public surface: CORS, framing, nosniff, ETag revalidation, rate limits, assets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.main import create_app
from api.settings import Settings
from schemas.referentials import ODD_LIST
from tests.api.conftest import payload

ORIGIN = {"Origin": "https://www.reseau-partenaire.fr"}


def make_client(tmp_path: Path, **overrides: Any) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path / "other", public_base_url="https://pratiques.example", **overrides)
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


# -- CORS -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/search?q=eau",
        "/api/v1/referentials",
        "/api/v1/presets",
        "/api/v1/monographs/inconnue",
        "/feeds/search.atom",
        "/widget.js",
    ],
)
def test_public_reads_allow_any_origin(client: TestClient, path: str) -> None:
    response = client.get(path, headers=ORIGIN)
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    assert "ETag" in response.headers["access-control-expose-headers"]


def test_preflight_of_a_public_read(client: TestClient) -> None:
    response = client.options("/api/v1/search", headers=ORIGIN | {"Access-Control-Request-Method": "GET"})
    assert response.status_code == 204 and response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-methods"] == "GET"  # the JSON API answers HEAD with 405
    assert "x-api-key" not in response.headers["access-control-allow-headers"].lower()
    head = client.options("/api/v1/search", headers=ORIGIN | {"Access-Control-Request-Method": "HEAD"})
    assert "access-control-allow-origin" not in head.headers
    feed = client.options("/feeds/search.atom", headers=ORIGIN | {"Access-Control-Request-Method": "HEAD"})
    assert feed.status_code == 204 and feed.headers["access-control-allow-methods"] == "GET, HEAD"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/v1/monographs"), ("POST", "/api/v1/monographs"), ("GET", "/api/v1/health"), ("GET", "/embed")],
)
def test_other_endpoints_are_not_opened(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path, headers=ORIGIN)
    assert "access-control-allow-origin" not in response.headers


def test_public_read_mode_can_be_turned_off(tmp_path: Path) -> None:
    for client in make_client(tmp_path, public_read_cors=False):
        assert "access-control-allow-origin" not in client.get("/api/v1/search", headers=ORIGIN).headers


def test_configured_origins_still_apply(tmp_path: Path) -> None:
    for client in make_client(tmp_path, cors_origins=["https://www.reseau-partenaire.fr"]):
        response = client.get("/api/v1/search", headers=ORIGIN)
        assert response.headers.get_list("access-control-allow-origin") == ["https://www.reseau-partenaire.fr"]
        other = client.get("/api/v1/search", headers={"Origin": "https://ailleurs.fr"})
        assert other.headers["access-control-allow-origin"] == "*"


# -- framing and nosniff ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/embed", "/embed?q=eau&facets=hide", "/embed/p/inconnu", "/embed?odd=99"])
def test_embed_pages_may_be_framed(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert "frame-ancestors *" in response.headers["content-security-policy"]
    assert "x-frame-options" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/search",
        "/api/v1/referentials",
        "/api/v1/health",
        "/api/v1/presets",
        "/embed/builder",
        "/feeds/search.rss",
        "/widget.js",
        "/docs",
        "/openapi.json",
        "/nulle-part",
        "/api/v1/search?odd=99",
    ],
)
def test_everything_else_refuses_framing(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_frame_ancestors_is_configurable(tmp_path: Path) -> None:
    for client in make_client(tmp_path, embed_frame_ancestors="https://www.reseau.fr https://*.region.fr"):
        policy = client.get("/embed").headers["content-security-policy"]
        assert policy.endswith("frame-ancestors https://www.reseau.fr https://*.region.fr")


@pytest.mark.parametrize("value", ["", "https://a.fr; script-src *", "https://a.fr,https://b.fr", "javascript:"])
def test_nonsense_frame_ancestors_fails_at_start(value: str) -> None:
    with pytest.raises(ValidationError, match="IMPACT_EMBED_FRAME_ANCESTORS"):
        Settings(embed_frame_ancestors=value)


def test_html_pages_have_a_strict_policy(client: TestClient, published: list[str]) -> None:
    policy = client.get("/embed").headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self';" in policy and "base-uri 'none'" in policy
    assert "unsafe" not in policy


# -- ETag and Cache-Control -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/search?q=eau", "/api/v1/referentials", "/embed?q=eau", "/feeds/search.rss", "/widget.js"]
)
def test_revalidation_answers_304(client: TestClient, published: list[str], path: str) -> None:
    first = client.get(path)
    etag = first.headers["etag"]
    assert first.status_code == 200 and "public, max-age=" in first.headers["cache-control"]
    for header in (etag, f"W/{etag}", f'"autre", {etag}', "*"):
        again = client.get(path, headers={"If-None-Match": header})
        assert again.status_code == 304 and again.content == b"", header
        assert again.headers["etag"] == etag and "content-length" not in again.headers
    assert client.get(path, headers={"If-None-Match": '"autre"'}).status_code == 200


def test_etag_changes_when_results_change(client: TestClient, published: list[str], editor: dict[str, str]) -> None:
    before = client.get("/api/v1/search", params={"q": "zinzolin"})
    body = payload(title="Une recyclerie zinzolin dans le bocage", status="published")
    assert client.post("/api/v1/monographs", json=body, headers=editor).status_code == 201
    after = client.get("/api/v1/search", params={"q": "zinzolin"}, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and after.json()["total"] == 1


def test_errors_are_not_cached(client: TestClient) -> None:
    response = client.get("/api/v1/search", params={"odd": 99})
    assert response.status_code == 422 and "etag" not in response.headers


def test_cache_max_age_is_configurable(tmp_path: Path) -> None:
    for client in make_client(tmp_path, http_cache_max_age=5):
        assert client.get("/embed").headers["cache-control"] == "public, max-age=5"


# -- rate limiting ----------------------------------------------------------------------------------


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[TestClient]:
    yield from make_client(tmp_path, rate_limit_per_minute=6, rate_limit_burst=3)


def test_json_endpoints_answer_429_with_retry_after(limited: TestClient) -> None:
    assert [limited.get("/api/v1/search").status_code for _ in range(3)] == [200, 200, 200]
    response = limited.get("/api/v1/referentials", headers=ORIGIN)
    assert response.status_code == 429
    assert 1 <= int(response.headers["retry-after"]) <= 10
    error = response.json()["error"]
    assert error["code"] == "rate_limited" and error["details"]["retry_after"] == int(response.headers["retry-after"])
    assert response.headers["access-control-allow-origin"] == "*"  # the widget can read why


def test_embed_answers_429_in_french(limited: TestClient) -> None:
    for _ in range(3):
        limited.get("/embed")
    response = limited.get("/embed")
    assert response.status_code == 429 and response.headers["content-type"].startswith("text/html")
    assert "Trop de requêtes" in response.text and "Réessayez dans" in response.text
    assert response.headers["retry-after"]


def test_operations_and_writes_are_not_limited(limited: TestClient) -> None:
    for _ in range(5):
        assert limited.get("/api/v1/health").status_code == 200
        assert limited.post("/api/v1/monographs", json={}).status_code == 401


def test_rate_limit_can_be_disabled(tmp_path: Path) -> None:
    for client in make_client(tmp_path, rate_limit_per_minute=0, rate_limit_burst=1):
        assert all(client.get("/api/v1/referentials").status_code == 200 for _ in range(5))


# -- widget.js and page assets ----------------------------------------------------------------------


def test_widget_is_served_as_cached_javascript(client: TestClient) -> None:
    response = client.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    assert 'customElements.define("impact-pratiques"' in response.text
    # Small: no framework, no build step (the search box took 6 kB; telling a partner which attributes the API
    # refuses, 0.6 kB; saying what the search did with the words, an ODD read as the filter or a typo's closest
    # words, 0.8 kB).
    assert len(response.content) < 18_500
    assert f"; {len(response.content)} bytes (" in response.text.splitlines()[0]  # the stated size is the real one


def test_widget_odd_colours_and_text_colours_are_the_referential(client: TestClient) -> None:
    source = client.get("/widget.js").text
    colours = re.search(r'var ODD = \(((?:"[^"]*"(?: \+)?\s*)+)\)\.split', source)
    dark = re.search(r"var DARK_TEXT = \[([\d, ]+)\]", source)
    assert colours and dark
    assert "".join(re.findall(r'"([^"]*)"', colours.group(1))).split(" ") == [o.colour[1:] for o in ODD_LIST]
    assert [int(n) for n in dark.group(1).split(",")] == [o.number for o in ODD_LIST if o.text_colour != "#FFFFFF"]


def test_widget_builds_dom_without_html_parsing(client: TestClient) -> None:
    source = client.get("/widget.js").text
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in source, sink


def test_page_assets_are_versioned_and_immutable(client: TestClient, published: list[str]) -> None:
    page = client.get("/embed").text
    for url in re.findall(r'(?:href|src)="(/static/[^"]+)"', page):
        response = client.get(url)
        assert response.status_code == 200 and "immutable" in response.headers["cache-control"], url
    stale = client.get("/static/embed.css", params={"v": "ancienne"})
    assert stale.status_code == 200 and "immutable" not in stale.headers["cache-control"]


@pytest.mark.parametrize("name", ["inconnu.js", "..%2Fsettings.py", "%2E%2E%2Fhtml.py", "embed.html"])
def test_only_known_assets_are_served(client: TestClient, name: str) -> None:
    assert client.get(f"/static/{name}").status_code == 404
