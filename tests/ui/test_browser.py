"""End to end in headless Chromium: search, tick a facet, open a practice (screenshots in test-artifacts/).

Needs Debian's Chromium at /usr/bin/chromium (`scripts/install-browser.sh`). Without it the test
skips, loudly; with IMPACT_REQUIRE_BROWSER=1 (as in CI) it fails instead.
"""

from __future__ import annotations

import re

import pytest

from tests.browser import ARTIFACTS, launched_browser
from tests.ui.conftest import HIT_LINK, HIT_MATCH

pytestmark = pytest.mark.browser


def test_search_facet_and_practice_page_in_a_real_browser(ui_url: str) -> None:
    from playwright.sync_api import expect

    with launched_browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
        page.set_default_timeout(20_000)
        page.goto(ui_url)
        expect(page.get_by_role("heading", name="IMPACT-Pratiques")).to_be_visible()

        box = page.get_by_role("textbox", name="Rechercher une pratique")
        box.fill("tiers-lieux")
        box.press("Enter")
        expect(page).to_have_url(re.compile(r"[?&]q=tiers-lieux"))
        expect(page.locator(HIT_MATCH).first).to_be_visible()
        count = page.get_by_text(re.compile(r"^\d+ pratiques? trouvées?$"))
        searched = int(count.inner_text().split()[0])
        page.screenshot(path=ARTIFACTS / "browser-1-recherche.png", full_page=True)

        rural = page.get_by_text(re.compile(r"^Rural \(\d+\)$"))
        rural_count = int(re.findall(r"\d+", rural.inner_text())[0])
        assert rural_count < searched
        rural.click()
        expect(page).to_have_url(re.compile(r"territory_type=rural"))
        expect(count).to_have_text(re.compile(rf"^{rural_count} pratiques? trouvées?$"))
        expect(page.get_by_role("checkbox", name=re.compile(r"^Rural"))).to_be_checked()
        page.screenshot(path=ARTIFACTS / "browser-2-facette.png", full_page=True)

        assert page.get_by_role("link", name="Lire la fiche").count() == 0  # the title is the link
        first_title = page.locator(HIT_LINK).first.inner_text()
        page.locator(HIT_LINK).first.click()
        expect(page).to_have_url(re.compile(r"/fiche\?id=[a-z0-9-]+$"))
        expect(page.get_by_role("heading", name=first_title, exact=True)).to_be_visible()
        expect(page.get_by_role("heading", name="Contexte")).to_be_visible()
        expect(page.get_by_role("heading", name="Pratiques similaires")).to_be_visible()
        page.screenshot(path=ARTIFACTS / "browser-3-fiche.png", full_page=True)

        page.get_by_role("link", name="Retour aux résultats").click()
        expect(page).to_have_url(re.compile(r"q=tiers-lieux.*territory_type=rural|territory_type=rural.*q=tiers-lieux"))
        expect(count).to_have_text(re.compile(rf"^{rural_count} pratiques? trouvées?$"))
        assert page.get_by_text("Traceback").count() == 0


def test_the_search_page_has_its_own_address(ui_url: str) -> None:
    """`/recherche` (the address the menu's page is named by) opens the search, without Streamlit's
    English "Page not found" notice, and keeps the words of the link."""
    from playwright.sync_api import expect

    with launched_browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
        page.set_default_timeout(20_000)
        page.goto(ui_url)  # the server's first visit may show the notice on any page: not this test's point
        expect(page.get_by_role("heading", name="IMPACT-Pratiques")).to_be_visible()
        page.goto(f"{ui_url}/recherche?q=tiers-lieux")
        expect(page.get_by_role("textbox", name="Rechercher une pratique")).to_have_value("tiers-lieux")
        expect(page.locator(HIT_MATCH).first).to_be_visible()
        page.wait_for_timeout(1_000)  # the notice, when it comes, comes with the page's first run
        assert page.get_by_text("Page not found").count() == 0
        assert page.get_by_role("dialog").count() == 0


def test_each_page_names_its_tab(ui_url: str) -> None:
    """The browser tab says which page (and which practice) is open, not the site's name everywhere."""
    from playwright.sync_api import expect

    with launched_browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
        page.set_default_timeout(20_000)
        for path, title in [
            ("", "Recherche · IMPACT-Pratiques"),
            ("?q=tiers-lieux", "« tiers-lieux » · Recherche · IMPACT-Pratiques"),
            ("tableau-de-bord", "Tableau de bord · IMPACT-Pratiques"),
            ("exporter", "Exporter les pratiques · IMPACT-Pratiques"),
            ("contribuer", "Contribuer · IMPACT-Pratiques"),
        ]:
            page.goto(f"{ui_url}/{path}")
            expect(page).to_have_title(title)
        page.goto(f"{ui_url}/?q=tiers-lieux")
        first_title = page.locator(HIT_LINK).first.inner_text()
        page.locator(HIT_LINK).first.click()
        expect(page).to_have_title(f"{first_title} · IMPACT-Pratiques")
