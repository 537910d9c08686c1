"""Search as you type, in headless Chromium: suggestions from the API's `/suggest` under the search box
(ARIA combobox), chosen with the keyboard or the mouse; Enter alone is still the plain search.
Screenshots in test-artifacts/."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.browser import ARTIFACTS, serious_violations
from tests.live import LiveApi
from tests.ui.conftest import HIT_LINK, INJECTIONS, unique_word
from tests.ui.test_injection import contributor_submits

pytestmark = pytest.mark.browser

BOX = "Rechercher une pratique"


@pytest.fixture
def search_page(page: Any, ui_url: str) -> Any:
    """The search page with its results drawn."""
    from playwright.sync_api import expect

    page.goto(ui_url)
    expect(page.locator(HIT_LINK).first).to_be_visible()
    return page


def type_words(page: Any, words: str) -> Any:
    """The search box, focused, with `words` typed key by key (as a person does)."""
    box = page.get_by_role("combobox", name=BOX)
    box.click()
    box.press_sequentially(words, delay=40)
    return box


def test_typing_shows_french_suggestions_and_arrow_enter_searches_the_theme(search_page: Any) -> None:
    from playwright.sync_api import expect

    box = type_words(search_page, "covoit")
    listbox = search_page.get_by_role("listbox", name="Suggestions")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    options = listbox.get_by_role("option")
    expect(options.first).to_have_text(re.compile(r"^Thème\s*:\s*covoiturage$"))
    assert options.filter(has_text=re.compile(r"^Pratique")).count() >= 2
    expect(search_page.get_by_role("status").filter(has_text="suggestions")).to_have_count(1)
    search_page.screenshot(path=ARTIFACTS / "suggestions-1-saisie.png")
    assert not serious_violations(search_page)

    box.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", options.first.get_attribute("id") or "")
    box.press("Enter")

    expect(search_page).to_have_url(re.compile(r"[?&]q=covoiturage(&|$)"))
    expect(box).to_have_value("covoiturage")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(search_page.get_by_text(re.compile(r"^\d+ pratiques? trouvées?$"))).to_be_visible()
    expect(search_page.locator(HIT_LINK).first).to_contain_text(re.compile("covoiturage", re.IGNORECASE))
    search_page.screenshot(path=ARTIFACTS / "suggestions-2-theme-choisi.png")


def test_enter_without_choosing_is_the_plain_search_and_escape_closes(search_page: Any) -> None:
    from playwright.sync_api import expect

    box = type_words(search_page, "covoit")
    listbox = search_page.get_by_role("listbox", name="Suggestions")
    expect(listbox).to_be_visible()
    box.press("Escape")
    expect(listbox).to_be_hidden()
    box.press("Enter")
    expect(search_page).to_have_url(re.compile(r"[?&]q=covoit(&|$)"))
    expect(box).to_have_value("covoit")


def test_choosing_a_practice_opens_its_page(search_page: Any) -> None:
    from playwright.sync_api import expect

    type_words(search_page, "covoit")
    practice = search_page.get_by_role("option", name=re.compile(r"^Pratique")).first
    title = re.sub(r"^Pratique\s*:\s*", "", practice.inner_text()).strip()
    practice.click()
    expect(search_page).to_have_url(re.compile(r"/fiche\?id=[a-z0-9-]+$"))
    expect(search_page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    search_page.get_by_role("link", name="Retour aux résultats").click()  # the search the visitor left
    expect(search_page.get_by_role("combobox", name=BOX)).to_be_visible()


def test_a_suggested_title_is_only_text(search_page: Any, live_api: LiveApi) -> None:
    word = unique_word()
    created = contributor_submits(live_api, word)
    published = httpx.post(
        f"{live_api.url}/api/v1/monographs/{created['id']}/publish", headers={"X-API-Key": live_api.editor_key}
    )
    assert published.status_code == 200, published.text
    from playwright.sync_api import expect

    type_words(search_page, word)
    option = search_page.get_by_role("option", name=re.compile(word))
    expect(option).to_be_visible()
    for payload in INJECTIONS:
        assert payload in option.inner_text()
    assert search_page.locator("[role=listbox] img, [role=listbox] a, [role=listbox] strong").count() == 0
