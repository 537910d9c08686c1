"""End to end in headless Chromium: search, tick a facet, open a practice (screenshots in test-artifacts/).

Needs Debian's Chromium at /usr/bin/chromium (`scripts/install-browser.sh`). Without it the test
skips, loudly; with IMPACT_REQUIRE_BROWSER=1 (as in CI) it fails instead.
"""

from __future__ import annotations

import re

import pytest

from tests.browser import ARTIFACTS, launched_browser
from tests.live import ROOT, LiveApi
from tests.ui.conftest import HIT_LINK, HIT_MATCH, ui_server

pytestmark = pytest.mark.browser


def test_search_facet_and_practice_page_in_a_real_browser(ui_url: str) -> None:
    from playwright.sync_api import expect

    with launched_browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
        page.set_default_timeout(20_000)
        page.goto(ui_url)
        expect(page.get_by_role("heading", name="IMPACT-Pratiques")).to_be_visible()

        box = page.get_by_role("combobox", name="Rechercher une pratique")
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
        searched_again = re.compile(r"q=tiers-lieux.*territory_type=rural|territory_type=rural.*q=tiers-lieux")
        expect(page).to_have_url(searched_again)
        expect(count).to_have_text(re.compile(rf"^{rural_count} pratiques? trouvées?$"))
        # The browser's Back: the practice just read (not an empty page), then the search before it.
        page.go_back()
        expect(page.get_by_role("heading", name=first_title, exact=True)).to_be_visible()
        expect(page).to_have_url(re.compile(r"/fiche\?id=[a-z0-9-]+$"))
        page.go_back()
        expect(page).to_have_url(searched_again)
        expect(count).to_have_text(re.compile(rf"^{rural_count} pratiques? trouvées?$"))
        assert page.get_by_text("Traceback").count() == 0


def test_a_first_visit_to_any_address_opens_its_page(
    live_api: LiveApi, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """`/recherche` or `/tableau-de-bord` opened first, on a UI server just started (a new browser, a
    shared link), shows its page without Streamlit's "Page not found" notice, and keeps the link's words.

    A `pages/` folder beside `ui/app.py` made Streamlit's first run an old folder-of-pages app (that
    notice, whatever the address): the page scripts live in `ui/views/`."""
    from playwright.sync_api import expect

    assert not (ROOT / "ui" / "pages").exists()
    with (
        ui_server(live_api, tmp_path_factory.mktemp("fresh-ui") / "streamlit.log") as fresh,
        launched_browser() as browser,
    ):
        for path, heading in [("recherche?q=tiers-lieux", "IMPACT-Pratiques"), ("tableau-de-bord", "Tableau de bord")]:
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
            page.set_default_timeout(20_000)
            page.goto(f"{fresh}/{path}")
            expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
            page.wait_for_timeout(1_000)  # the notice, when it comes, comes with the page's first run
            assert page.get_by_role("dialog").count() == 0, page.get_by_role("dialog").inner_text()
            if path.startswith("recherche"):
                expect(page.get_by_role("combobox", name="Rechercher une pratique")).to_have_value("tiers-lieux")
                expect(page.locator(HIT_MATCH).first).to_be_visible()
                page.screenshot(path=ARTIFACTS / "browser-lien-direct.png")
            page.close()


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


def test_the_search_stays_in_its_controls_from_page_to_page(ui_url: str) -> None:
    """From the search to « Tableau de bord » or « Exporter » by the top menu: the page counted the search but its
    box was empty and « Rural » unticked, and ticking it did nothing (the pages share their controls' keys, and a
    control drawn anew on another page forgot its value)."""
    from playwright.sync_api import expect

    with launched_browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
        page.set_default_timeout(20_000)
        page.goto(f"{ui_url}/?q=tiers-lieux&territory_type=rural")
        rural = page.get_by_role("checkbox", name=re.compile(r"^Rural"))
        expect(rural).to_be_checked()
        for menu, heading in [("Tableau de bord", "Tableau de bord"), ("Exporter", "Exporter les pratiques")]:
            page.get_by_role("link", name=menu, exact=True).click()
            expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
            expect(page.get_by_role("textbox", name="Rechercher une pratique")).to_have_value("tiers-lieux")
            expect(rural).to_be_checked()
        page.get_by_text(re.compile(r"^Rural \(\d+\)$")).click()  # it still answers: the filter goes
        expect(rural).not_to_be_checked()
        expect(page).not_to_have_url(re.compile(r"territory_type=rural"))
        expect(page.get_by_role("textbox", name="Rechercher une pratique")).to_have_value("tiers-lieux")
        page.screenshot(path=ARTIFACTS / "browser-pages-gardent-la-recherche.png", full_page=True)


def test_a_group_whose_values_the_words_chose_opens(ui_url: str) -> None:
    """« ODD 5 et 10 » typed became two ODD filters, said in the group's title, but the long group stayed closed."""
    from playwright.sync_api import expect

    with launched_browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
        page.set_default_timeout(20_000)
        page.goto(ui_url)
        box = page.get_by_role("combobox", name="Rechercher une pratique")
        box.fill("ODD 5 et 10")
        box.press("Enter")
        group = page.locator("details", has_text="Objectifs de développement durable (ODD) · 2 filtres actifs")
        expect(group).to_have_attribute("open", "")
        page.screenshot(path=ARTIFACTS / "browser-odd-tapes-ouvre-le-groupe.png", full_page=True)
