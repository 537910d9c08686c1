"""A phone (390×844) and the frame of every page, in headless Chromium: the first screen shows the
search and results, "Filtres (n)" opens the facets drawer and "Voir N pratiques" closes it; the intro
links and the footer lead somewhere real."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.browser import ARTIFACTS, launched_browser, serious_violations
from tests.live import LiveApi
from tests.ui.conftest import HIT_LINK
from ui.site_frame import ABOUT_SECTIONS

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched_browser() as launched:
        yield launched


def new_tab(browser: Any, viewport: dict[str, int]) -> Any:
    tab = browser.new_page(viewport=viewport, locale="fr-FR")
    tab.set_default_timeout(20_000)
    return tab


def test_a_phone_sees_the_search_and_results_first(ui_url: str, browser: Any) -> None:
    from playwright.sync_api import expect

    page = new_tab(browser, PHONE)
    page.goto(f"{ui_url}/?q=tiers-lieux")
    box = page.get_by_role("combobox", name="Rechercher une pratique")
    expect(box).to_be_in_viewport()
    expect(page.locator(HIT_LINK).first).to_be_in_viewport()
    title = page.locator("h1").bounding_box()
    assert title and title["y"] < 100 and title["height"] < 60  # no blank band, no poster-sized title
    assert box.bounding_box()["y"] < 300  # type: ignore[index]
    page.screenshot(path=ARTIFACTS / "mobile-1-recherche.png")
    assert not serious_violations(page)
    page.close()


def test_result_titles_wrap_instead_of_being_cut(ui_url: str, browser: Any) -> None:
    """Streamlit keeps a page link on one line, cut at the card's edge: a result's title wraps, read whole, on a
    phone and on a laptop."""
    for viewport in (PHONE, {"width": 1280, "height": 900}):
        page = new_tab(browser, viewport)
        page.goto(f"{ui_url}/?q=eau")
        page.locator(HIT_LINK).first.wait_for()
        cut = page.evaluate(
            """(links) => [...document.querySelectorAll(links)].flatMap(a => [a, ...a.querySelectorAll('*')]
                .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => a.textContent))""",
            HIT_LINK,
        )
        assert not cut, f"cut titles at {viewport['width']} px: {cut}"
        heights = [box["height"] for box in (link.bounding_box() for link in page.locator(HIT_LINK).all()) if box]
        assert max(heights) > min(heights)  # a longer title takes more lines (cut, all took one)
        page.close()


@pytest.mark.parametrize("path", ["tableau-de-bord", "exporter", "contribuer", "a-propos"])
def test_other_pages_on_a_phone_have_no_serious_violation(ui_url: str, browser: Any, path: str) -> None:
    from playwright.sync_api import expect

    page = new_tab(browser, PHONE)
    page.goto(f"{ui_url}/{path}")
    expect(page.locator("h1").first).to_be_in_viewport()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    page.screenshot(path=ARTIFACTS / f"mobile-{path}.png")
    violations = serious_violations(page)
    page.close()
    assert not violations, "\n".join(violations)


def test_a_phone_opens_and_closes_the_filters(ui_url: str, browser: Any) -> None:
    from playwright.sync_api import expect

    page = new_tab(browser, PHONE)
    page.goto(f"{ui_url}/?q=tiers-lieux&region=Occitanie")
    rural = page.get_by_text(re.compile(r"^Rural \(\d+\)$"))
    expect(page.locator(HIT_LINK).first).to_be_visible()
    expect(rural).not_to_be_in_viewport()

    page.get_by_role("button", name="Filtres (1)").click()
    expect(rural).to_be_in_viewport()
    # A value's count is what ticking it gives: the drawer's button and the list say it once the page has
    # rerun (read before, both still show the count of before the filter, and agree with each other).
    ticked = int(re.findall(r"\d+", rural.inner_text())[0])
    rural.click()
    expect(page).to_have_url(re.compile("territory_type=rural"))
    see = page.get_by_role("button", name=re.compile(rf"^Voir {ticked} pratiques?$"))
    expect(see).to_be_visible(timeout=15_000)
    page.screenshot(path=ARTIFACTS / "mobile-2-filtres.png")

    see.click()
    expect(rural).not_to_be_in_viewport()
    expect(page.get_by_role("button", name="Filtres (2)")).to_be_in_viewport()
    expect(page.get_by_text(re.compile(rf"^{ticked} pratiques? trouvées?$"))).to_be_visible()
    page.screenshot(path=ARTIFACTS / "mobile-3-resultats.png")
    page.close()


def test_the_drawer_buttons_are_for_phones_only(ui_url: str, browser: Any) -> None:
    from playwright.sync_api import expect

    page = new_tab(browser, {"width": 1400, "height": 900})
    page.goto(f"{ui_url}/?q=tiers-lieux")
    expect(page.locator(HIT_LINK).first).to_be_visible()
    assert page.get_by_role("button", name=re.compile("^Filtres")).count() == 0
    assert page.get_by_role("button", name=re.compile("^Voir .* pratiques")).count() == 0
    page.close()


def test_the_intro_links_lead_to_the_builder_the_feed_and_the_api(ui_url: str, browser: Any, live_api: LiveApi) -> None:
    from playwright.sync_api import expect

    page = new_tab(browser, {"width": 1400, "height": 900})
    page.goto(f"{ui_url}/?q=tiers-lieux")
    expect(page.get_by_text(re.compile("^La base ouverte des pratiques"))).to_be_visible()
    for name, path in [
        ("Intégrer sur votre site", "/embed/builder?q=tiers-lieux"),  # the builder starts from this search
        ("Flux RSS de cette recherche", "/feeds/search.rss?q=tiers-lieux"),
        ("API ouverte", "/docs"),
    ]:
        href = page.get_by_role("link", name=name).get_attribute("href")
        assert href == f"{live_api.url}{path}"
        assert httpx.get(href, follow_redirects=True).status_code == 200, href
    page.close()


@pytest.mark.parametrize("path", ["", "contribuer", "exporter"])
def test_every_page_ends_with_the_footer(ui_url: str, browser: Any, path: str) -> None:
    from playwright.sync_api import expect

    page = new_tab(browser, {"width": 1400, "height": 900})
    page.goto(f"{ui_url}/{path}")
    # Our own mark at the top, named for screen readers.
    expect(page.locator("img.stLogo:visible")).to_have_attribute("alt", "IMPACT-Pratiques")
    footer = page.locator("footer.impact-footer")
    expect(footer).to_be_visible()
    assert [a.inner_text() for a in footer.get_by_role("link").all()] == [title for _, title in ABOUT_SECTIONS]

    footer.get_by_role("link", name="Accessibilité").click()
    expect(page).to_have_url(re.compile(r"/a-propos#accessibilite$"))
    expect(page.get_by_role("heading", name="Accessibilité")).to_be_visible()
    expect(page.get_by_text(re.compile("axe-core"))).to_be_visible()
    page.close()


def test_an_unknown_address_is_explained_in_french(ui_url: str, browser: Any) -> None:
    from playwright.sync_api import expect

    page = new_tab(browser, {"width": 1400, "height": 900})
    page.goto(f"{ui_url}/cette-page-n-existe-pas")
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Page introuvable")).to_be_visible()
    expect(dialog).to_contain_text("Cette adresse ne correspond à aucune page du site : voici la page d'accueil.")
    assert "not found" not in dialog.inner_text()
    page.close()
