"""Accessibility in headless Chromium: axe-core finds no serious or critical violation on any page,
and the page speaks French to assistive technology (lang, labels Streamlit writes in English)."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest

from tests.browser import ARTIFACTS, launched_browser, serious_violations
from tests.ui.conftest import HIT_LINK

pytestmark = pytest.mark.browser

PAGES = {
    "recherche": "?q=tiers-lieux",
    "recherche-filtres": "?q=tiers-lieux&territory_type=rural&odd=17&year_from=2012",
    "recherche-vide": "?q=zorglubesque&region=Corse",
    "fiche": None,  # the first result's practice page
    "contribuer": "contribuer",
    "moderation": "moderation",
    "exporter": "exporter",
    "tableau-de-bord": "tableau-de-bord",
    "a-propos": "a-propos",
}


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    with launched_browser() as launched:
        yield launched


def open_named(browser: Any, ui_url: str, name: str) -> Any:
    """A new tab on one of PAGES, once its page has been drawn."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    page.set_default_timeout(20_000)
    path = PAGES[name]
    if path is None:
        page.goto(f"{ui_url}/?q=tiers-lieux")
        page.locator(HIT_LINK).first.click()
        expect(page.get_by_role("heading", name="Pratiques similaires")).to_be_visible()
    else:
        page.goto(f"{ui_url}/{path}")
        expect(page.locator("h1").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    return page


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_accessibility_violation(ui_url: str, browser, name: str) -> None:  # type: ignore[no-untyped-def]
    page = open_named(browser, ui_url, name)
    page.screenshot(path=ARTIFACTS / f"a11y-{name}.png", full_page=True)
    violations = serious_violations(page)
    page.close()
    assert not violations, "\n".join(violations)


ENGLISH = re.compile(
    r"^(Skip to main content|Link to heading|Main menu|App pages|Sidebar|Expand sidebar|Collapse sidebar|"
    r"Choose an option|Choose options|Open|Close|Clear all|Clear value|Select all|No results|"
    r"Help for .*|Remove .*|.* — (start|end))$"
)
# Every name assistive technology reads that Streamlit writes itself, and the texts of its own widgets.
NAMES = """() => [...document.querySelectorAll("[aria-label], [placeholder], [title]")].flatMap(e =>
    ["aria-label", "placeholder", "title"].map(a => e.getAttribute(a)).filter(v => v))"""
CHROME_TEXTS = """() => [...document.querySelectorAll(
    "[data-testid=stSkipToContent], [role=option], [role=listbox] *, [data-baseweb=popover] *")]
    .map(e => e.textContent.trim()).filter(t => t)"""


def test_the_page_speaks_french_to_assistive_technology(ui_url: str, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    page.set_default_timeout(20_000)
    page.goto(f"{ui_url}/?q=tiers-lieux")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("link", name="Aller au contenu principal")).to_have_count(1)
    expect(page.get_by_role("button", name="Menu principal")).to_be_visible()
    expect(page.get_by_role("combobox", name="Trier par")).to_be_visible()
    # A long facet is a list one types into; Streamlit's own options and labels are French too.
    page.locator("summary", has_text="Région").click()
    page.wait_for_timeout(800)  # the group's opening animation: a click during it misses the list
    region = page.get_by_role("combobox", name="Région")
    region.scroll_into_view_if_needed()
    region.click()
    expect(page.get_by_role("option").first).to_be_visible()
    # No « select all (matches) » entry: ticking every value is no filter, and Enter after typing took them all.
    expect(page.get_by_role("option", name=re.compile("^(Tout sélectionner|Select)"))).to_have_count(0)
    names = page.evaluate(NAMES)
    texts = page.evaluate(CHROME_TEXTS)
    page.screenshot(path=ARTIFACTS / "a11y-francais.png")
    assert "Aide : Rechercher une pratique" in names
    assert "Année de lancement — début" in names
    english = [name for name in names + texts if ENGLISH.match(name)]
    assert not english, english
    # A label's Markdown escapes (ui/text.py) are not read aloud: "Outre-mer", not "Outre\-mer".
    assert not [name for name in names if "\\" in name]
    # A chosen option's × says what it removes, in French.
    option = page.get_by_role("option").first
    chosen = option.inner_text().strip()
    option.click()
    expect(page.locator(f'[aria-label="Retirer {chosen}"]')).to_have_count(1)
    assert not [name for name in page.evaluate(NAMES) if ENGLISH.match(name)]
    page.keyboard.press("Escape")
    # The hint Streamlit writes under a text box being typed in.
    box = page.get_by_role("combobox", name="Rechercher une pratique")
    box.click()
    box.press_sequentially("mobil")
    expect(page.get_by_test_id("InputInstructions").first).to_contain_text("Appuyez sur Entrée pour valider")
    page.close()


@pytest.mark.parametrize("name", list(PAGES))
def test_headings_have_no_level_jumps_and_no_anchor_stops(ui_url: str, browser, name: str) -> None:  # type: ignore[no-untyped-def]
    page = open_named(browser, ui_url, name)
    levels = page.evaluate(
        """() => [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")]
            .filter(h => h.offsetParent !== null).map(h => Number(h.tagName[1]))"""
    )
    anchors = page.evaluate(
        """() => [...document.querySelectorAll("a")].filter(a => a.offsetParent !== null &&
            a.closest("[data-testid=stHeaderActionElements]")).length"""
    )
    page.close()
    assert levels and levels[0] == 1 and levels.count(1) == 1, levels
    assert all(level <= previous + 1 for previous, level in itertools.pairwise(levels)), levels
    assert anchors == 0  # no "link to heading" stop before every title
