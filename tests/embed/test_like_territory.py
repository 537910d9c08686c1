"""`/embed?like_territory=`: the same order as `/api/v1/search`, the reasons on each result, kept by the
embed's links, and a French page for a bad code; feeds do not take it."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from tests.api.test_like_territory import placed  # noqa: F401
from tests.embed.conftest import count_shown, result_links


def test_embed_ranks_like_the_api_and_says_why(client: TestClient, placed: dict[str, str]) -> None:  # noqa: F811
    params = {"like_territory": "97407", "size": 3}  # Le Port (La Réunion)
    api = client.get("/api/v1/search", params=params).json()
    page = client.get("/embed", params=params).text
    assert count_shown(page) == api["total"] == len(placed)
    assert result_links(page) == [html.escape(h["url"]) for h in api["hits"]]
    reasons = [html.unescape(r) for r in re.findall(r'<p class="likeness">Territoire comparable : ([^<]*)</p>', page)]
    assert reasons[0] == ", ".join(api["hits"][0]["similarity_reasons"]) and "même département" in reasons[0]
    # Facet toggles and pages keep the territory; the feeds, which list the newest, leave it out.
    next_href = html.unescape(re.search(r'<a href="(\?[^"]*)" rel="next">', page)[1])
    assert "like_territory=97407" in next_href
    feed = re.search(r'href="(/feeds/search.atom[^"]*)"', page)
    assert feed is not None and "like_territory" not in feed[1]


def test_without_like_territory_no_reasons(client: TestClient, placed: dict[str, str]) -> None:  # noqa: F811
    assert 'class="likeness"' not in client.get("/embed").text


@pytest.mark.parametrize(
    ("code", "french"),
    [("Die", "doit être le code INSEE d'une commune"), ("99999", "aucune commune ni intercommunalité")],
)
def test_bad_like_territory_gets_a_french_page_naming_it(client: TestClient, code: str, french: str) -> None:
    response = client.get("/embed", params={"like_territory": code})
    assert response.status_code == 400
    text = html.unescape(response.text)
    assert "« like_territory »" in text and french in text
