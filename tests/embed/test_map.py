"""`/embed?map=1`: the map of practices per département above the list, its list fallback, and its links."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from fastapi.testclient import TestClient

from tests.embed.conftest import XSS_TITLE, count_shown

SVG = "{http://www.w3.org/2000/svg}"


def svg_of(page: str) -> ET.Element:
    found = re.search(r"<svg .*?</svg>", page, re.S)
    assert found, page[:500]
    return ET.fromstring(found.group(0))


def test_map_is_shown_only_when_asked(client: TestClient, published: list[str]) -> None:
    assert "<svg" not in client.get("/embed").text
    page = client.get("/embed", params={"map": "1"})
    assert page.status_code == 200
    root = svg_of(page.text)
    titles = {a.attrib["data-department"]: a.findtext(f"{SVG}title") for a in root.iter(f"{SVG}a")}
    assert len(titles) == 101
    assert titles["56"] == "Morbihan : 2 pratiques" and titles["974"] == "La Réunion : 1 pratique"
    # Every département is also a link in a list, for keyboards and screen readers.
    listed = re.findall(r'<li><a href="([^"]+)"[^>]*>([^<]+)</a>', page.text.split('class="map-list"')[1])
    assert len(listed) == 101 and ("?map=1&amp;department=56", "Morbihan : 2 pratiques") in listed
    # The map adds no inline style or script: the page's CSP is unchanged.
    assert page.headers["content-security-policy"] == client.get("/embed").headers["content-security-policy"]


def test_a_departement_link_filters_and_keeps_the_search(client: TestClient, published: list[str]) -> None:
    page = client.get("/embed", params={"map": "1", "q": "mobilité", "accent": "#A21942"}).text
    href = next(a.attrib["href"] for a in svg_of(page).iter(f"{SVG}a") if a.attrib["data-department"] == "56")
    assert "q=mobilit" in href and "accent=%23A21942" in href and "department=56" in href
    filtered = client.get("/embed" + href)
    assert filtered.status_code == 200
    api = client.get("/api/v1/search", params={"q": "mobilité", "department": "56"}).json()
    assert count_shown(filtered.text) == api["total"]
    selected = next(a for a in svg_of(filtered.text).iter(f"{SVG}a") if a.attrib["data-department"] == "56")
    assert selected.attrib.get("aria-current") == "true"
    # Clicking it again removes the filter.
    assert "department=" not in selected.attrib["href"]


def test_map_is_escaped_with_hostile_practices(client: TestClient, published: list[str], xss_id: str) -> None:
    page = client.get("/embed", params={"map": "1", "q": "zinzolin"}).text
    root = svg_of(page)  # well-formed: nothing of the monograph reached the SVG as markup
    assert not list(root.iter(f"{SVG}script"))
    assert XSS_TITLE not in page  # only escaped forms of it


def test_bad_map_value_is_named_in_french(client: TestClient) -> None:
    page = client.get("/embed", params={"map": "peut-être"})
    assert page.status_code == 400
    assert "« map »" in page.text
