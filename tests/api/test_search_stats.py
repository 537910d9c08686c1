"""`GET /search/stats`: what a dashboard charts (facet counts, practices per start year, undated), from
the engine's aggregations in one search; and the UI dashboard asks it instead of downloading the export.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import streamlit as st
from fastapi.testclient import TestClient
from streamlit.testing.v1 import AppTest

from tests.api.conftest import payload
from tests.live import ROOT, LiveApi, live_api

FILTERS: list[list[tuple[str, Any]]] = [
    [],
    [("territory_type", "montagne")],
    [("odd", 17), ("odd", 11)],
    [("region", "Bretagne")],
    [("year_from", 2019), ("year_to", 2021)],
    [("q", "mobilité")],
    [("q", "covoiturage lorient")],  # no practice has both words: the relaxed search, like /search
    [("q", "mobilité"), ("territory_type", "rural"), ("sort", "recent"), ("page", 2), ("size", 5)],
]


def exported_years(client: TestClient, params: list[tuple[str, Any]]) -> Counter[int | None]:
    lines = client.get("/api/v1/export", params=params).text.splitlines()
    return Counter(json.loads(line)["year"] for line in lines)


@pytest.mark.parametrize("params", FILTERS, ids=lambda p: "&".join(f"{k}={v}" for k, v in p) or "all")
def test_stats_count_what_search_and_export_find(
    client: TestClient, published: list[str], params: list[tuple[str, Any]]
) -> None:
    stats = client.get("/api/v1/search/stats", params=params)
    assert stats.status_code == 200, stats.text
    body = stats.json()
    search_params = [(k, v) for k, v in params if k not in ("page", "size")]
    search = client.get("/api/v1/search", params=search_params).json()
    assert body["total"] == search["total"]
    assert {k: v for k, v in body["facets"].items() if k != "year"} == search["facets"]
    years = {int(v["value"]): v["count"] for v in body["facets"]["year"]}
    assert list(years) == sorted(years)
    if not any(k == "q" for k, _ in params):  # the export lists the same practices (words: the engine's)
        expected = exported_years(client, search_params)
        assert years == {y: n for y, n in expected.items() if y is not None}
        assert body["undated"] == expected[None]
    assert sum(years.values()) + body["undated"] == body["total"]


def test_undated_practices_are_counted(client: TestClient, published: list[str], editor: dict[str, str]) -> None:
    body = payload(title="Une pratique sans date de lancement", year=None, status="published")
    assert client.post("/api/v1/monographs", json=body, headers=editor).status_code == 201
    stats = client.get("/api/v1/search/stats").json()
    assert stats["undated"] == 1 and stats["total"] == 8
    assert sum(v["count"] for v in stats["facets"]["year"]) == 7


def test_stats_are_cacheable_and_small(client: TestClient, published: list[str]) -> None:
    first = client.get("/api/v1/search/stats", params={"odd": 17}, headers={"Origin": "https://reseau.example"})
    assert first.headers["etag"] and "max-age" in first.headers["cache-control"]
    assert first.headers["access-control-allow-origin"] == "*"
    again = client.get("/api/v1/search/stats", params={"odd": 17}, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert len(first.content) < 10_000


# -- the dashboard asks for counts, never for the export ----------------------------------------


@pytest.fixture(scope="module")
def dashboard_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    # Lexical: once practices have vectors a search with words is hybrid, and the ones it matches by meaning
    # change while the background worker embeds them, so the dashboard's and the test's own calls could count
    # different sets (seen once).
    with live_api(tmp_path_factory.mktemp("stats-api") / "data", {"IMPACT_EMBEDDER": "none"}) as api:
        yield api


@pytest.fixture
def requested(dashboard_api: LiveApi, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every API path the UI requests, recorded."""
    monkeypatch.setenv("IMPACT_API_BASE_URL", dashboard_api.url)
    st.cache_data.clear()
    paths: list[str] = []
    real = httpx.request

    def recording(method: str, url: str, *args: Any, **kwargs: Any) -> httpx.Response:
        paths.append(httpx.URL(url).path)
        return real(method, url, *args, **kwargs)

    monkeypatch.setattr(httpx, "request", recording)
    return paths


def run_dashboard(**query: str) -> AppTest:
    app = AppTest.from_file(str(Path(ROOT) / "ui" / "app.py"), default_timeout=30)
    app.run()
    app.switch_page("views/dashboard.py")
    app.query_params = dict(query)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


@pytest.mark.parametrize("query", [{}, {"territory_type": "montagne"}, {"q": "tiers-lieux", "odd": "11"}])
def test_dashboard_charts_years_from_the_stats(
    requested: list[str], dashboard_api: LiveApi, query: dict[str, str]
) -> None:
    app = run_dashboard(**query)
    assert "/api/v1/export" not in requested and "/api/v1/search/stats" in requested
    charts = {json.loads(c.proto.spec)["title"]: c for c in app.get("vega_lite_chart")}
    assert "Pratiques par année de lancement" in charts
    stats = httpx.get(f"{dashboard_api.url}/api/v1/search/stats", params=query).json()
    table = next(t.value for t in app.dataframe if "Année" in t.value.columns)
    shown = dict(zip(table["Année"], table["Pratiques"], strict=True))
    assert shown == {int(v["value"]): v["count"] for v in stats["facets"]["year"]}
    if stats["undated"]:
        assert any(f"{stats['undated']} pratique" in c.value for c in app.caption)
