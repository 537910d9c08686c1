"""The search page's « Carte des départements »: off by default, drawn from the API for the current search
(AppTest), and in headless Chromium the Outre-mer tiles are drawn and a click on a département filters."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import httpx
import pytest

from tests.browser import ARTIFACTS, launched_browser, serious_violations
from tests.ui.conftest import OpenPage, total_shown
from ui.search_map import SHOWN_KEY

SVG = "{http://www.w3.org/2000/svg}"
COUNT = re.compile(r"^\d+ pratiques? trouvées?$")


def test_map_is_off_until_switched_on_then_drawn_from_the_api(open_page: OpenPage, api_url: str) -> None:
    app = open_page(q="tiers-lieux")
    switch = app.toggle(key=SHOWN_KEY)
    assert switch.label == "Carte des départements" and switch.value is False
    assert not app.get("bidi_component")
    app = switch.set_value(True).run()
    assert not app.exception
    assert [c for c in app.caption if "Cliquez un département" in c.value]
    # AppTest does not draw components (the browser test below does): the data it was given is the API's
    # map of this very search, with the counts `/search` gives.
    (component,) = app.get("bidi_component")
    root = ET.fromstring(json.loads(component.proto.json))
    titles = {a.attrib["data-department"]: a.findtext(f"{SVG}title") for a in root.iter(f"{SVG}a")}
    assert len(titles) == 101
    facet = httpx.get(f"{api_url}/api/v1/search", params={"q": "tiers-lieux"}).json()["facets"]["department"]
    counted = {v["value"]: v["count"] for v in facet if v["count"]}
    assert counted and all(re.search(rf" : {n} pratiques?$", titles[code] or "") for code, n in counted.items())
    assert total_shown(app) >= max(counted.values())


@pytest.mark.browser
def test_map_draws_overseas_and_a_click_filters(ui_url: str) -> None:
    from playwright.sync_api import expect

    with launched_browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1200}, locale="fr-FR")
        page.set_default_timeout(20_000)
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
        expect(page.get_by_role("button", name=re.compile(r"^Finistère \(29\)"))).to_be_visible()
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
