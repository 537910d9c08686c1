"""The search page in headless Chromium: result cards, applied filters as chips, stable facets,
help when nothing matches, and paging that brings the reader back to the top."""

from __future__ import annotations

import re
from typing import Any

import pytest

from schemas.facets import TERRITORY_TYPE
from tests.browser import ARTIFACTS
from tests.ui.conftest import HIT_LINK
from ui.search_controls import describe, facet_values
from ui.search_help import POPULAR_THEMES
from ui.state import YEAR_MAX, SearchState

pytestmark = pytest.mark.browser

COUNT = re.compile(r"^(\d+) pratiques? trouvées?$")
MAIN_SCROLL = "() => document.querySelector('[data-testid=stMain]').scrollTop"
# To the bottom of the results, where the pager is (by script: Streamlit may redraw any element meanwhile).
TO_BOTTOM = "() => { const m = document.querySelector('[data-testid=stMain]'); m.scrollTo(0, m.scrollHeight); }"


def shown_total(page: Any) -> int:
    """The count of results shown, once the page shows one: while Streamlit reruns, the previous count stays
    on the page (its element marked stale) beside the new one."""
    from playwright.sync_api import expect

    count = page.locator("[data-testid=stElementContainer]:not([data-stale=true])").get_by_text(COUNT)
    expect(count).to_have_count(1)
    return int(COUNT.match(count.inner_text()).group(1))  # type: ignore[union-attr]


def chips(page: Any) -> list[str]:
    # The first line: the label (the icon after it is a ligature, hidden from screen readers).
    buttons = page.locator(".st-key-applied_filters [data-testid^=stBaseButton]:visible").all()
    return [b.inner_text().strip().splitlines()[0] for b in buttons]


def facet_labels(page: Any, title: str) -> list[str]:
    """The values of one facet group as shown, without their counts."""
    group = page.locator("[data-testid=stExpander]").filter(has=page.locator("summary", has_text=title))
    return [re.sub(r"\s\(\d+\)$", "", label.inner_text().strip()) for label in group.locator("label").all()]


def test_cards_link_their_title_and_show_few_badges(ui_url: str, page: Any) -> None:
    page.goto(ui_url)
    from playwright.sync_api import expect

    expect(page.locator(HIT_LINK).first).to_be_visible()
    # Streamlit may redraw the list once more after the first paint (components mounting): wait for the
    # ten titles, then read each card with retrying expectations.
    expect(page.locator(HIT_LINK)).to_have_count(10)
    assert page.get_by_role("link", name="Lire la fiche").count() == 0
    cards = page.locator("[class*='st-key-hit-']").all()
    assert len(cards) == 10
    for card in cards:
        assert card.locator(".impact-badge-actor").count() == 0  # actor categories are on the practice page
        assert card.locator(".impact-badge-type").count() <= 2
        assert card.locator(".impact-badge[title^='ODD']:not(.impact-badge-more)").count() <= 3
        expect(card.locator("a")).to_have_count(1)  # one tab stop per result
    # "+n" stands for the rest, and names them for screen readers.
    more = page.locator(".impact-badge-more").first
    expect(more).to_have_text(re.compile(r"^\+\d+ : .+"))
    assert more.get_attribute("title")


def test_applied_filters_are_chips_that_remove_themselves(ui_url: str, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{ui_url}/?territory_type=rural&region=Occitanie&year_from=2010")
    expect(page.get_by_text("3 filtres actifs :")).to_be_visible()
    expect(page.locator(".st-key-applied_filters").get_by_role("button", name="Tout effacer")).to_be_visible()
    assert chips(page) == ["Rural", "Occitanie", f"Années 2010–{YEAR_MAX}", "Tout effacer"]
    # Screen readers hear what a chip removes, not only its value.
    for name in ("Type de territoire : Rural", "Région : Occitanie", f"Années : 2010–{YEAR_MAX}"):
        expect(page.get_by_role("button", name=f"Retirer le filtre {name}", exact=True)).to_be_visible()
    narrowed = shown_total(page)
    expect(page.locator("summary", has_text="Type de territoire · 1 filtre actif")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "recherche-filtres.png")

    page.locator(".st-key-applied_filters").get_by_role("button", name="Rural").click()
    expect(page).not_to_have_url(re.compile("territory_type"))
    expect(page.get_by_text("2 filtres actifs :")).to_be_visible()
    assert "Rural" not in chips(page)
    assert shown_total(page) >= narrowed
    expect(page.get_by_role("checkbox", name=re.compile("^Rural"))).not_to_be_checked()

    page.locator(".st-key-applied_filters").get_by_role("button", name="Tout effacer").click()
    expect(page.locator(".st-key-applied_filters")).to_have_count(0)
    expect(page).not_to_have_url(re.compile(r"region|year_from"))
    assert shown_total(page) >= 64


def test_facet_values_keep_their_place_while_ticking(ui_url: str, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(ui_url)
    expect(page.get_by_text(re.compile(r"^Rural \(\d+\)$"))).to_be_visible()
    before = facet_labels(page, "Type de territoire")
    assert len(before) >= 5
    assert before == [label for label in map(TERRITORY_TYPE.label, TERRITORY_TYPE.values) if label in before]
    page.get_by_text(re.compile(r"^Association \(\d+\)$")).click()
    expect(page).to_have_url(re.compile("actor_category=association"))
    page.get_by_text(re.compile(r"^Rural \(\d+\)$")).click()
    expect(page).to_have_url(re.compile("territory_type=rural"))
    after = facet_labels(page, "Type de territoire")
    assert after == before  # the same values in the same places; only the counts changed
    # A value no practice has any more stays in its place, greyed out.
    boxes = page.locator("[data-testid=stExpander]").filter(has=page.locator("summary", has_text="Type de territoire"))
    empty = boxes.get_by_role("checkbox", name=re.compile(r"\(0\)$"))
    assert all(box.is_disabled() for box in empty.all())


def test_facet_values_follow_the_referential_not_the_counts() -> None:
    buckets = [{"value": "urbain", "count": 9}, {"value": "rural", "count": 3}, {"value": "montagne", "count": 0}]
    search = SearchState(filters={**SearchState().filters, "territory_type": ("montagne",)})

    shown = facet_values("territory_type", buckets, search)
    every = facet_values("territory_type", buckets, search, everything=True)

    order = list(TERRITORY_TYPE.values)
    assert [value for value, _ in shown] == sorted(["urbain", "rural", "montagne"], key=order.index)
    assert dict(shown) == {"urbain": 9, "rural": 3, "montagne": 0}  # chosen, so kept at 0 to be unticked
    assert [value for value, _ in every] == order
    assert dict(every) == {value: {"urbain": 9, "rural": 3}.get(value, 0) for value in order}


def test_a_search_described_in_a_sentence_keeps_its_acronyms() -> None:
    """« objectifs de développement durable (odd) : ODD 5 », on the dashboard and export pages."""
    params = {"odd": ["5"], "epci": ["242600534"], "territory_type": ["rural"]}
    search = SearchState.from_params(lambda name: params.get(name, []))
    described = describe(search)
    assert "type de territoire : Rural" in described and "objectifs de développement durable (ODD) : ODD 5" in described
    assert "intercommunalité (EPCI) : " in described


def test_nothing_found_hides_empty_facets_and_offers_themes(ui_url: str, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{ui_url}/?q=zorglubesque+introuvable&region=Corse")
    expect(page.get_by_text("Aucune pratique ne correspond à cette recherche.")).to_be_visible()
    assert page.get_by_text("Aucune valeur pour cette recherche").count() == 0
    assert page.locator("[data-testid=stSidebar] input[type=checkbox]").count() == 0
    expect(page.get_by_role("button", name="Effacer les mots recherchés")).to_be_visible()
    expect(page.get_by_role("button", name="Retirer tous les filtres")).to_be_visible()
    themes = page.locator(".st-key-popular_themes button")
    expect(themes).to_have_count(len(POPULAR_THEMES))
    assert [t.inner_text().strip() for t in themes.all()] == list(POPULAR_THEMES)
    page.screenshot(path=ARTIFACTS / "recherche-aucun-resultat.png")

    themes.first.click()
    expect(page).to_have_url(re.compile(r"q=tiers-lieux"))
    expect(page.locator(HIT_LINK).first).to_be_visible()
    assert shown_total(page) > 0


@pytest.mark.parametrize("theme", POPULAR_THEMES)
def test_each_popular_theme_finds_practices(ui_url: str, page: Any, theme: str) -> None:
    from urllib.parse import quote

    page.goto(f"{ui_url}/?q={quote(theme)}")
    page.get_by_text(COUNT).wait_for()
    assert shown_total(page) >= 2


def test_paging_and_filtering_go_back_to_the_top(ui_url: str, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(ui_url)
    expect(page.locator(HIT_LINK).first).to_be_visible()
    first = page.locator(HIT_LINK).first.inner_text()
    page.evaluate(TO_BOTTOM)
    assert page.evaluate(MAIN_SCROLL) > 500
    page.get_by_role("button", name="Suivante").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.locator(HIT_LINK).first).not_to_have_text(first)
    page.wait_for_timeout(300)
    assert page.evaluate(MAIN_SCROLL) == 0
    page.screenshot(path=ARTIFACTS / "recherche-page-2.png")

    page.evaluate(TO_BOTTOM)
    assert page.evaluate(MAIN_SCROLL) > 500
    page.get_by_role("button", name="Précédente").click()
    expect(page).not_to_have_url(re.compile(r"page=2"))
    page.wait_for_timeout(300)
    assert page.evaluate(MAIN_SCROLL) == 0

    # A facet ticked in the sidebar while the results are scrolled down: back to their top too.
    page.evaluate(TO_BOTTOM)
    assert page.evaluate(MAIN_SCROLL) > 500
    page.get_by_text(re.compile(r"^Rural \(\d+\)$")).click()
    expect(page).to_have_url(re.compile(r"territory_type=rural"))
    page.wait_for_timeout(300)
    assert page.evaluate(MAIN_SCROLL) == 0


def test_the_keyboard_goes_on_from_the_next_pages_first_result(ui_url: str, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(ui_url)
    expect(page.locator(HIT_LINK).first).to_be_visible()
    first = page.locator(HIT_LINK).first.inner_text()
    page.get_by_role("button", name="Suivante").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.locator(HIT_LINK).first).not_to_have_text(first)
    expect(page.locator(HIT_LINK).first).to_be_focused()
    assert page.evaluate(MAIN_SCROLL) == 0
