"""Fixtures of the partner-embed tests: the API suite's client and corpus, plus a hostile monograph."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import client, contributor, editor, payload, published, settings  # noqa: F401

# Every payload sets the same flag, so a browser can tell whether any of them ran.
PWN = "window.__pwned=1"
XSS_TITLE = f'<script>{PWN}</script>Zinzolin "><svg onload={PWN}> piège'
XSS_SUMMARY = f'Une fiche zinzolin piégée <img src=x onerror="{PWN}"> qui ne doit rien exécuter du tout.'
XSS_SECTION = (
    f'Zinzolin : <a href="javascript:{PWN}">clic</a> puis javascript:{PWN} et "><svg onload={PWN}> '
    f'<iframe src="javascript:{PWN}"></iframe> <style>body{{display:none}}</style>'
)
XSS_SOURCE = "https://exemple.fr/source?a=1&b=<2>"
XSS_PLACE = f"<b onmouseover={PWN}>Zinzolin</b>"


def xss_body(**overrides: Any) -> dict[str, Any]:
    return payload(
        title=XSS_TITLE,
        summary=XSS_SUMMARY,
        context=XSS_SECTION,
        approach=XSS_SECTION,
        # A place named within an official territory: shown before its name (« … (Pontivy) »), as text.
        territory={"name": "Pontivy", "code": "56178", "place": XSS_PLACE},
        territory_types=["rural"],
        odd=[8],
        year=2024,
        actors=[{"name": f"<img src=x onerror={PWN}>", "category": "association"}],
        sources=[XSS_SOURCE],
        **overrides,
    )


@pytest.fixture
def xss_id(client: TestClient, editor: dict[str, str], published: list[str]) -> str:  # noqa: F811
    """A hostile monograph, submitted then published by an editor, next to the test corpus."""
    created = client.post("/api/v1/monographs", json=xss_body(external_id="xss-embed"), headers=editor)
    assert created.status_code == 201, created.text
    monograph_id: str = created.json()["id"]
    assert client.post(f"/api/v1/monographs/{monograph_id}/publish", headers=editor).status_code == 200
    return monograph_id


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.script_text.append(data)


def assert_inert(markup: str) -> None:
    """No element the monograph could have injected: no handlers, inline scripts, svg, img, iframes,
    styles from content, and links only to http(s) or to the page itself."""
    parser = _Elements()
    parser.feed(markup)
    assert not parser.script_text, parser.script_text
    for tag, attrs in parser.elements:
        assert tag not in ("svg", "img", "iframe", "object", "embed", "b"), (tag, attrs)
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, value)
            if (tag, dict(attrs).get("rel"), value) == ("link", "icon", "data:,"):
                continue  # our own empty favicon
            if name in ("href", "src", "action"):
                scheme = urlsplit(value or "").scheme
                assert scheme in ("", "http", "https"), (tag, name, value)
        if tag == "script":
            assert dict(attrs).get("src"), "inline script"
    assert "javascript:" not in "".join(v or "" for _, attrs in parser.elements for _, v in attrs)


def count_shown(html_text: str) -> int:
    match = re.search(r'<p class="count" role="status">(\d+) pratique', html_text)
    assert match, html_text[:500]
    return int(match.group(1))


def result_links(html_text: str) -> list[str]:
    return re.findall(r'<h2 class="result-title"><a href="([^"]+)"', html_text)
