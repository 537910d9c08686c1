"""Every list a client sends is de-duplicated and capped at its referential's size, on every public read.

`odd` has 17 values, so 18 `odd` parameters are refused with a 422 (a 400 French page for the embeds
and feeds) that names the field, before any value is read; fewer are kept once each. A request that
repeats `odd=3` 9,000 times therefore costs a short error, not megabytes of links repeating it.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from schemas.facets import DEPARTMENT_NAMES, EPCI_NAMES
from schemas.referentials import REGIONS, ActorCategory, TerritoryType
from schemas.search import LIST_CAPS

VALUES: dict[str, list[str]] = {
    "territory_type": [t.value for t in TerritoryType],
    "actor_category": [c.value for c in ActorCategory],
    "odd": [str(n) for n in range(1, 18)],
    "region": [r.name for r in REGIONS],
    # Every département of the referential (seed/territories/): the count is checked, not just copied.
    "department": list(DEPARTMENT_NAMES),
    # EPCI: the first 100 of the referential (a selection's cap, below the referential's 1,255).
    "epci": list(EPCI_NAMES)[:100],
}
JSON_READS = ["/api/v1/search", "/api/v1/search/stats", "/api/v1/search/map", "/api/v1/export"]
HTML_READS = ["/embed", "/feeds/search.atom", "/feeds/search.rss"]


def test_caps_are_the_referentials_sizes_or_less() -> None:
    assert {facet: len(values) for facet, values in VALUES.items()} == LIST_CAPS
    assert LIST_CAPS["odd"] == 17 and LIST_CAPS["department"] == 96 + 13  # metropolitan (2A, 2B) and overseas
    assert LIST_CAPS["epci"] == 100 < len(EPCI_NAMES) == 1255


@pytest.mark.parametrize("path", JSON_READS)
@pytest.mark.parametrize("facet", list(VALUES))
def test_a_list_beyond_its_cap_is_a_422_naming_the_field(client: TestClient, path: str, facet: str) -> None:
    too_many = [(facet, value) for value in VALUES[facet]] + [(facet, VALUES[facet][0])]
    response = client.get(path, params=too_many)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert f"query.{facet}: at most {LIST_CAPS[facet]} values" in error["message"]
    assert len(response.content) < 2_000  # the list is not echoed back


@pytest.mark.parametrize("path", HTML_READS)
@pytest.mark.parametrize("facet", list(VALUES))
def test_a_list_beyond_its_cap_is_a_french_page_naming_the_field(client: TestClient, path: str, facet: str) -> None:
    too_many = [(facet, value) for value in VALUES[facet]] + [(facet, VALUES[facet][0])]
    response = client.get(path, params=too_many)
    assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")
    text = html.unescape(response.text)
    assert f"« {facet} »" in text and f"au plus {LIST_CAPS[facet]} valeurs" in text  # in French, as the page


@pytest.mark.parametrize("path", [*JSON_READS, *HTML_READS])
def test_every_value_once_is_accepted(client: TestClient, published: list[str], path: str) -> None:
    every = [(facet, value) for facet, values in VALUES.items() for value in values]
    assert client.get(path, params=every).status_code == 200


@pytest.mark.parametrize("path", ["/embed", "/feeds/search.atom", "/api/v1/search"])
def test_nine_thousand_repeats_cost_a_short_error(client: TestClient, published: list[str], path: str) -> None:
    """The finding: `/embed?odd=3` × 9,000 (a 54 KB request) answered 4.5 MB of HTML."""
    response = client.get(path, params=[("odd", 3)] * 9_000)
    assert response.status_code in (400, 422)
    said = "at most 17 values" if path.startswith("/api/") else "au plus 17 valeurs (reçu 9000)"
    assert "odd" in response.text and said in html.unescape(response.text)
    assert len(response.content) < 20_000


def test_repeats_within_the_cap_are_kept_once(client: TestClient, published: list[str]) -> None:
    response = client.get("/api/v1/search", params=[("odd", 17), ("odd", "17"), ("odd", 11), ("odd", 17)])
    assert response.status_code == 200
    selected = [f["value"] for f in response.json()["facets"]["odd"] if f["selected"]]
    assert sorted(selected) == ["11", "17"]


def _links(page: str) -> list[str]:
    return re.findall(r'href="(\?[^"]*)"', page)


def test_embed_links_never_repeat_what_was_repeated(client: TestClient, published: list[str]) -> None:
    once = client.get("/embed", params=[("odd", 17), ("region", "Bretagne")])
    repeated = client.get("/embed", params=[("odd", 17)] * 17 + [("region", "Bretagne")] * 5)
    assert once.status_code == repeated.status_code == 200
    assert repeated.text == once.text  # same links, same feed addresses: the repeats are gone
    assert all(link.count("odd=17") <= 1 for link in _links(repeated.text))


def test_the_largest_valid_embed_is_bounded(client: TestClient, published: list[str]) -> None:
    """Every facet value selected, the longest words, title and logo: the links stay bounded."""
    params: list[tuple[str, Any]] = [(facet, value) for facet, values in VALUES.items() for value in values]
    params += [("q", "é" * 500), ("title", "é" * 80), ("logo", "é" * 80), ("accent", "#A21942")]
    response = client.get("/embed", params=params)
    assert response.status_code == 200
    # About 60 links (facet values, pager, feeds) each carrying the whole validated search.
    assert len(response.content) < 600_000


def test_words_are_capped_too(client: TestClient) -> None:
    response = client.get("/api/v1/search", params={"q": "a" * 501})
    assert response.status_code == 422 and "query.q" in response.json()["error"]["message"]
    assert client.get("/embed", params={"q": "a" * 501}).status_code == 400
