"""The search page's « Carte des départements »: off by default, drawn from the API for the current search
(AppTest), and in headless Chromium the Outre-mer tiles are drawn and a click on a département filters."""

from __future__ import annotations

import json
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.browser import ARTIFACTS, serious_violations
from tests.live import LiveApi
from tests.ui.conftest import APP, OpenPage, checked, hit_titles, total_shown
from ui.search_map import MAP_KEY, MAP_UNAVAILABLE, SHOWN_KEY

SVG = "{http://www.w3.org/2000/svg}"
COUNT = re.compile(r"^\d+ pratiques? trouvées?$")


def maps(app: Any) -> list[Any]:
    """The map components drawn (the search box's suggestions are a component too)."""
    return [c for c in app.get("bidi_component") if c.key == MAP_KEY]


def test_map_is_off_until_switched_on_then_drawn_from_the_api(open_page: OpenPage, api_url: str) -> None:
    app = open_page(q="tiers-lieux")
    switch = app.toggle(key=SHOWN_KEY)
    assert switch.label == "Carte des départements" and switch.value is False
    assert not maps(app)
    app = switch.set_value(True).run()
    assert not app.exception
    assert [c for c in app.caption if "Cliquez un département" in c.value]
    # AppTest does not draw components (the browser test below does): the data it was given is the API's
    # map of this very search, with the counts `/search` gives.
    (component,) = maps(app)
    root = ET.fromstring(json.loads(component.proto.json))
    titles = {a.attrib["data-department"]: a.findtext(f"{SVG}title") for a in root.iter(f"{SVG}a")}
    assert len(titles) == 101
    facet = httpx.get(f"{api_url}/api/v1/search", params={"q": "tiers-lieux"}).json()["facets"]["department"]
    counted = {v["value"]: v["count"] for v in facet if v["count"]}
    assert counted and all(re.search(rf" : {n} pratiques?$", titles[code] or "") for code, n in counted.items())
    assert total_shown(app) >= max(counted.values())


@pytest.fixture
def map_failing_api(live_api: LiveApi, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An HTTP relay to the live API whose map route alone answers 503, as an overloaded API would."""

    class Relay(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/api/v1/search/map"):
                status, body, kind = 503, b'{"error": {"code": "unavailable", "message": "busy"}}', "application/json"
            else:
                answer = httpx.get(live_api.url + self.path)
                status, body, kind = answer.status_code, answer.content, answer.headers["content-type"]
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Relay)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("IMPACT_API_BASE_URL", url)
    st.cache_data.clear()
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


def test_a_failing_map_leaves_the_results(map_failing_api: str) -> None:
    app = checked(AppTest.from_file(str(APP), default_timeout=30).run())
    total = total_shown(app)
    app = checked(app.toggle(key=SHOWN_KEY).set_value(True).run())
    assert [w.value for w in app.warning] == [MAP_UNAVAILABLE]
    assert not app.error and not maps(app)
    assert total_shown(app) == total > 0 and len(hit_titles(app)) == 10


@pytest.mark.browser
def test_map_draws_overseas_and_a_click_filters(page: Any, ui_url: str) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1400, "height": 1200})
    page.goto(ui_url)
    count = page.get_by_text(COUNT)
    expect(count).to_be_visible()
    everything = int(count.inner_text().split()[0])
    page.get_by_text("Carte des départements").click()

    # Playwright's CSS locators pierce the component's shadow root.
    drawn = page.locator(".impact-map svg")
    expect(drawn).to_be_visible()
    assert page.locator(".impact-map a[data-department]:not([aria-hidden])").count() == 101
    for code, name in [
        ("971", "Guadeloupe"),
        ("972", "Martinique"),
        ("973", "Guyane"),
        ("974", "La Réunion"),
        ("976", "Mayotte"),
    ]:
        tile = page.locator(f'.impact-map a[data-department="{code}"]')
        expect(tile.locator("rect")).to_be_visible()
        expect(tile.locator("text").first).to_have_text(name)
    reunion = page.locator('.impact-map a[data-department="974"]')
    reunion_count = int(re.findall(r"\d+", reunion.locator("title").text_content() or "")[0])
    assert 0 < reunion_count < everything
    page.screenshot(path=ARTIFACTS / "browser-carte-1.png", full_page=True)

    # A click on a metropolitan département filters: the URL, the chip and the count follow.
    finistere = page.locator('.impact-map a[data-department="29"]')
    finistere_count = int(re.findall(r"\d+", finistere.locator("title").text_content() or "")[0])
    assert finistere_count > 0
    finistere.locator("path").click()
    expect(page).to_have_url(re.compile(r"[?&]department=29\b"))
    expect(count).to_have_text(re.compile(rf"^{finistere_count} pratiques? trouvées?$"))
    expect(page.get_by_role("button", name=re.compile(r"Finistère \(29\)"))).to_be_visible()
    expect(page.locator('.impact-map a[data-department="29"][aria-current="true"]')).to_have_count(1)

    # An overseas tile adds its département; clicking it again removes it.
    reunion.locator("rect").click()
    expect(page).to_have_url(re.compile(r"department=29.*department=974|department=974.*department=29"))
    expect(count).to_have_text(re.compile(rf"^{finistere_count + reunion_count} pratiques trouvées$"))
    page.screenshot(path=ARTIFACTS / "browser-carte-2-filtre.png", full_page=True)
    reunion.locator("rect").click()
    expect(count).to_have_text(re.compile(rf"^{finistere_count} pratiques? trouvées?$"))
    assert page.get_by_text("Traceback").count() == 0
    assert serious_violations(page) == []
