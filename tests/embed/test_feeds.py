"""`/feeds/search.atom` and `/feeds/search.rss`: valid feeds (read back with feedparser), newest first,
the same filters as the search, and monograph text that stays text."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from typing import Any

import feedparser
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import payload
from tests.embed.conftest import XSS_PLACE, XSS_SOURCE, XSS_SUMMARY, XSS_TITLE, assert_inert

ATOM = "{http://www.w3.org/2005/Atom}"
KINDS = {"atom": ("atom10", "application/atom+xml"), "rss": ("rss20", "application/rss+xml")}


def parsed(client: TestClient, kind: str, params: Any = None) -> Any:
    response = client.get(f"/feeds/search.{kind}", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == f"{KINDS[kind][1]}; charset=utf-8"
    ET.fromstring(response.content)  # well-formed XML
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == KINDS[kind][0]
    return feed


@pytest.mark.parametrize("kind", KINDS)
def test_feed_lists_published_practices(client: TestClient, published: list[str], kind: str) -> None:
    feed = parsed(client, kind)
    assert feed.feed.title == "IMPACT-Pratiques : toutes les pratiques"
    assert len(feed.entries) == 7  # the submitted draft is not there
    entry = next(e for e in feed.entries if "covoiturage" in e.summary.lower())
    assert entry.link.startswith("https://pratiques.example/fiche?id=")
    assert entry.id.startswith("urn:impact-pratiques:monograph:")
    assert entry.published_parsed and {"Montagne", "Rural", "Auvergne-Rhône-Alpes"} <= {t.term for t in entry.tags}


@pytest.mark.parametrize("kind", KINDS)
def test_the_feed_links_to_the_same_search_on_the_site(client: TestClient, published: list[str], kind: str) -> None:
    """A reader's « open the website » shows the search the feed follows, not the home page."""
    feed = parsed(client, kind, [("q", "covoiturage"), ("territory_type", "rural"), ("size", 5)])
    assert feed.feed.link == "https://pratiques.example/?q=covoiturage&territory_type=rural"
    assert parsed(client, kind).feed.link == "https://pratiques.example/"


def test_an_atom_entry_links_its_practice_once_and_its_sources_as_related(
    client: TestClient, editor: dict[str, str]
) -> None:
    """feedgen 1.0.0 drops a link's `rel` in Atom entries: a source became a second `alternate` link (invalid Atom;
    readers may open the source instead of the practice)."""
    body = payload(title="Une navette du val de Zinzolin", sources=["https://exemple.fr/article"], status="published")
    assert client.post("/api/v1/monographs", json=body, headers=editor).status_code == 201

    response = client.get("/feeds/search.atom", params={"q": "zinzolin"})

    (entry,) = ET.fromstring(response.content).findall(f"{ATOM}entry")
    links = [(link.get("rel"), link.get("type"), link.get("href")) for link in entry.findall(f"{ATOM}link")]
    assert links[0][:2] == ("alternate", "text/html") and links[0][2].startswith("https://pratiques.example/fiche?id=")
    assert links[1:] == [("related", "text/html", "https://exemple.fr/article")]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "params",
    [
        {"territory_type": "rural"},
        [("territory_type", "littoral"), ("territory_type", "outre-mer")],
        {"actor_category": "fondation"},
        {"odd": 17},
        {"region": "Bretagne"},
        {"year_from": 2019, "year_to": 2021},
        {"q": "covoiturage"},
        {"q": "mobilité", "territory_type": "rural"},
    ],
)
def test_feed_applies_the_search(client: TestClient, published: list[str], kind: str, params: Any) -> None:
    expected = {h["url"] for h in client.get("/api/v1/search", params=params).json()["hits"]}
    links = {e.link for e in parsed(client, kind, params).entries}
    assert links == expected


@pytest.mark.parametrize("kind", KINDS)
def test_newest_publication_first_whatever_its_year(
    client: TestClient, published: list[str], editor: dict[str, str], kind: str
) -> None:
    """Watchers want what is new in the base: a 1990 practice published today comes first."""
    body = payload(title="Une vieille coopérative laitière redécouverte", year=1990, status="published")
    new_url = client.post("/api/v1/monographs", json=body, headers=editor).json()["url"]
    entries = parsed(client, kind, {"sort": "oldest", "page": 3}).entries  # sort and page are ignored
    assert entries[0].link == new_url
    dates = [e.published_parsed for e in entries]
    assert dates == sorted(dates, reverse=True)
    two = parsed(client, kind, {"size": 2}).entries
    assert len(two) == 2 and two[0].link == new_url


@pytest.mark.parametrize("kind", KINDS)
def test_empty_feed_is_valid(client: TestClient, kind: str) -> None:
    assert parsed(client, kind).entries == []


@pytest.mark.parametrize("kind", KINDS)
def test_hostile_monograph_stays_text(client: TestClient, xss_id: str, kind: str) -> None:
    response = client.get(f"/feeds/search.{kind}", params={"q": "zinzolin"})
    root = ET.fromstring(response.content)
    if kind == "atom":
        entry = root.find(f"{ATOM}entry")
        assert entry is not None
        title, summary = entry.findtext(f"{ATOM}title"), entry.findtext(f"{ATOM}summary")
        html_body = entry.findtext(f"{ATOM}content") or ""
        links = [link.get("href") for link in entry.findall(f"{ATOM}link")]
        assert XSS_SOURCE in links and all(str(link).startswith("https://") for link in links)
        assert entry.find(f"{ATOM}title").get("type") == "text"  # type: ignore[union-attr]
        assert summary == XSS_SUMMARY
    else:
        item = root.find("channel/item")
        assert item is not None
        title, html_body = item.findtext("title"), item.findtext("description") or ""
    assert title == XSS_TITLE  # escaped exactly once: readers show the text as written
    # The HTML body is escaped prose, with the http(s) source as the only link.
    assert_inert(html_body)
    assert "&lt;img src=x onerror=" in html_body
    assert f"{html.escape(XSS_PLACE, quote=False)} (Pontivy), Bretagne" in html_body
    assert f'<a href="{html.escape(XSS_SOURCE)}">' in html_body
    entry = feedparser.parse(response.content).entries[0]
    assert entry.title == XSS_TITLE


def test_characters_xml_forbids_do_not_break_the_feed(client: TestClient, editor: dict[str, str]) -> None:
    # Control characters are dropped on the way in (`schemas/text.py`); a non-character, which XML forbids too, is not.
    body = payload(title="Une pratique\uffff avec un non-caractère", status="published")
    assert client.post("/api/v1/monographs", json=body, headers=editor).status_code == 201
    for kind in KINDS:
        assert parsed(client, kind).entries[0].title == "Une pratique avec un non-caractère"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("params", "field"),
    [({"odd": 18}, "odd"), ({"region": "Bourgogne"}, "region"), ({"format": "json"}, "format"), ({"size": 0}, "size")],
)
def test_bad_parameters_get_a_french_page(client: TestClient, kind: str, params: dict[str, Any], field: str) -> None:
    response = client.get(f"/feeds/search.{kind}", params=params)
    assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")
    assert "Paramètres du flux invalides" in response.text and f"« {field} »" in response.text


def test_feed_revalidates(client: TestClient, published: list[str]) -> None:
    first = client.get("/feeds/search.atom", params={"odd": 17})
    assert first.headers["etag"] and "max-age=60" in first.headers["cache-control"]
    again = client.get("/feeds/search.atom", params={"odd": 17}, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
