"""`GET /api/v1/search/map`: the SVG map of one search's practices per département, its links and errors."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import parse_qs

from fastapi.testclient import TestClient

SVG = "{http://www.w3.org/2000/svg}"


def map_links(client: TestClient, **params: object) -> dict[str, ET.Element]:
    response = client.get("/api/v1/search/map", params=params)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    root = ET.fromstring(response.text)
    return {a.attrib["data-department"]: a for a in root.iter(f"{SVG}a")}


def title(link: ET.Element) -> str:
    return link.findtext(f"{SVG}title") or ""


def test_map_counts_the_search_per_departement(client: TestClient, published: list[str]) -> None:
    links = map_links(client)
    assert len(links) == 101
    assert title(links["56"]) == "Morbihan : 2 pratiques"
    assert title(links["974"]) == "La Réunion : 1 pratique"
    assert title(links["29"]) == "Finistère : aucune pratique"
    # The counts follow the search's filters.
    filtered = map_links(client, region="Bretagne")
    assert title(filtered["56"]) == "Morbihan : 2 pratiques"
    assert title(filtered["974"]) == "La Réunion : aucune pratique"


def test_each_departement_links_to_the_search_with_it_toggled(client: TestClient, published: list[str]) -> None:
    links = map_links(client, q="mobilité", department="56", page=2, size=5)
    added = parse_qs(links["26"].attrib["href"].removeprefix("?"))
    assert added == {"q": ["mobilité"], "department": ["56", "26"]}  # page and size dropped
    removed = parse_qs(links["56"].attrib["href"].removeprefix("?"))
    assert removed == {"q": ["mobilité"]}
    assert links["56"].attrib.get("aria-current") == "true" and "aria-current" not in links["26"].attrib
    # The département filter does not count itself: the others keep their counts.
    assert title(links["56"]).startswith("Morbihan : ")


def test_following_a_link_filters(client: TestClient, published: list[str]) -> None:
    href = map_links(client)["56"].attrib["href"]
    search = client.get("/api/v1/search" + href).json()
    assert search["total"] == 2
    assert {hit["territory"]["department"] for hit in search["hits"]} == {"56"}


def test_bad_parameters_are_named(client: TestClient) -> None:
    for params, field in [({"department": "2C"}, "department"), ({"odd": "99"}, "odd")]:
        response = client.get("/api/v1/search/map", params=params)
        assert response.status_code == 422, response.text
        assert field in response.text and response.headers["content-type"].startswith("application/json")
