"""The API over a real socket (uvicorn on loopback), as partners and the UI reach it."""

from __future__ import annotations

import httpx

from tests.api.conftest import payload
from tests.live import LiveApi


def test_search_over_http(live: LiveApi) -> None:
    response = httpx.get(f"{live.url}/api/v1/search", params={"q": "tiers-lieux", "territory_type": "rural"})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] >= 1
    assert all("rural" in hit["territory_types"] for hit in body["hits"])
    assert any(
        "<mark>" in (hit["highlight"]["title"] or "") + (hit["highlight"]["summary"] or "") for hit in body["hits"]
    )


def test_synonym_over_http(live: LiveApi) -> None:
    acronym = httpx.get(f"{live.url}/api/v1/search", params={"q": "PVD"}).json()
    full = httpx.get(f"{live.url}/api/v1/search", params={"q": "Petites Villes de Demain"}).json()
    assert acronym["total"] == full["total"] > 0


def test_submit_publish_search_over_http(live: LiveApi) -> None:
    body = payload(title="Une navette solidaire dans le val de Zinzolin", external_id="live-1")
    created = httpx.post(f"{live.url}/api/v1/monographs", json=body, headers={"X-API-Key": live.contributor_key})
    assert created.status_code == 201
    monograph_id = created.json()["id"]
    published = httpx.post(
        f"{live.url}/api/v1/monographs/{monograph_id}/publish", headers={"X-API-Key": live.editor_key}
    )
    assert published.status_code == 200
    hits = httpx.get(f"{live.url}/api/v1/search", params={"q": "zinzolin"}).json()["hits"]
    assert [h["id"] for h in hits] == [monograph_id]


def test_oversized_body_over_http(live: LiveApi) -> None:
    response = httpx.post(
        f"{live.url}/api/v1/monographs",
        content=b"{" + b" " * 10_000_000 + b"}",
        headers={"X-API-Key": live.contributor_key, "Content-Type": "application/json"},
    )
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"


def test_chunked_oversized_body_over_http(live: LiveApi) -> None:
    def chunks():  # no Content-Length: the limit must hold on the stream itself
        for _ in range(20):
            yield b" " * 1_000_000

    response = httpx.post(
        f"{live.url}/api/v1/monographs",
        content=chunks(),
        headers={"X-API-Key": live.contributor_key, "Content-Type": "application/json"},
    )
    assert response.status_code == 413


def test_health_and_metrics_over_http(live: LiveApi) -> None:
    health = httpx.get(f"{live.url}/api/v1/health").json()
    assert health["status"] == "ok" and health["engine"]["documents"] >= 64
    assert "/" not in str(health["engine"])  # public: no path of the server's files
    assert "impact_http_requests_total" in httpx.get(f"{live.url}/api/v1/metrics").text


def test_the_embeds_answer_head_as_get_without_the_body(live: LiveApi) -> None:
    """Link checkers and feed readers probe a partner's embed with HEAD: the same status and headers as GET (its
    length, type and tag), no body."""
    for path in ["/widget.js", "/feeds/search.atom?q=eau", "/feeds/search.rss", "/embed?q=eau", "/embed/builder"]:
        got = httpx.get(f"{live.url}{path}")
        head = httpx.head(f"{live.url}{path}")
        assert got.status_code == head.status_code == 200, (path, head.status_code)
        assert got.content and head.content == b"", path
        for name in ("content-type", "content-length", "etag"):
            assert head.headers.get(name) == got.headers.get(name), (path, name)
    assert httpx.head(f"{live.url}/embed/p/inconnu").status_code == 404
