"""« Mon territoire » on Recherche, driven with AppTest against the live (seeded) API: found by name,
kept in the URL, a removable chip, the reasons on each card; exports and feeds never receive it."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests.browser import ARTIFACTS
from tests.ui.conftest import HIT_LINK, OpenPage, checked, hit_titles, total_shown
from ui.my_territory import CHOICE_KEY, TYPED_KEY
from ui.state import SearchState

FLORAC = "48061"  # Florac Trois Rivières (Lozère)
FLORAC_PRACTICE = "Attirer de jeunes médecins en Lozère grâce à une maison de santé connectée"


def likeness_lines(app: AppTest) -> list[str]:
    """Each card's "Territoire comparable : …" line, as read."""
    found = (re.search(r'<p class="impact-likeness">(.*?)</p>', m.value) for m in app.markdown)
    return [html.unescape(line.group(1)) for line in found if line]


def test_a_territory_found_by_name_ranks_like_territories_first_and_goes_into_the_url(open_page: OpenPage) -> None:
    app = open_page()
    everything = total_shown(app)
    assert not likeness_lines(app)
    assert not any(box.key == CHOICE_KEY for box in app.selectbox)  # nothing typed: no suggestions

    checked(app.text_input(key=TYPED_KEY).input("florac").run())
    choice = app.selectbox(key=CHOICE_KEY)
    assert "Florac Trois Rivières — commune, Lozère (48)" in choice.options
    checked(choice.select(FLORAC).run())

    assert app.query_params == {"like_territory": FLORAC}
    assert total_shown(app) == everything  # nothing filtered out
    assert hit_titles(app)[0] == FLORAC_PRACTICE
    chip = app.button(key="my_territory_clear")
    assert chip.label == "Mon territoire : Florac Trois Rivières \\(48\\)"
    lines = likeness_lines(app)
    assert len(lines) == len(hit_titles(app))
    assert "Territoire comparable : même type de territoire (rural)" in lines[0]
    assert "même département" in lines[0]


def test_the_chip_removes_the_territory_and_a_link_restores_it(open_page: OpenPage) -> None:
    app = open_page(like_territory=FLORAC, q="alimentation")
    ranked = hit_titles(app)
    assert ranked and likeness_lines(app)
    assert hit_titles(open_page(like_territory=FLORAC, q="alimentation")) == ranked  # the link restores the view

    checked(app.button(key="my_territory_clear").click().run())

    assert app.query_params == {"q": "alimentation"}
    assert not likeness_lines(app)
    assert app.text_input(key=TYPED_KEY).value == ""


def test_a_malformed_code_in_the_url_is_ignored(open_page: OpenPage) -> None:
    app = open_page(like_territory="<b>x</b>")
    assert not likeness_lines(app) and total_shown(app) >= 64
    assert not any(b.key == "my_territory_clear" for b in app.button)


def test_only_the_search_receives_the_territory() -> None:
    url = {"like_territory": [" 2a004 "], "region": ["Corse"]}
    search = SearchState.from_params(lambda name: url.get(name, []))
    assert search.like_territory == "2A004"
    assert search.to_params() == {"region": ["Corse"], "like_territory": "2A004"}
    assert ("like_territory", "2A004") not in search.api_params(paged=False)  # exports, feeds, stats
    assert ("like_territory", "2A004") in search.search_params()


@pytest.mark.browser
def test_in_the_browser_a_typed_name_becomes_a_chip_and_reasons_on_each_card(page: Any, ui_url: str) -> None:
    from playwright.sync_api import expect

    page.goto(ui_url)
    box = page.get_by_role("textbox", name="Mon territoire")
    box.fill("florac")
    box.press("Enter")
    page.get_by_role("combobox", name=re.compile("Choisir votre territoire")).click()
    page.get_by_role("option", name="Florac Trois Rivières — commune, Lozère (48)").click()

    expect(page).to_have_url(re.compile(f"like_territory={FLORAC}"))
    chip = page.get_by_role("button", name=re.compile(r"^Mon territoire : Florac Trois Rivières \(48\)"))
    expect(chip).to_be_visible()
    first_card = page.locator("[class*='st-key-hit-']").first
    expect(first_card.locator(HIT_LINK.split(" ", 1)[1])).to_have_text(FLORAC_PRACTICE)
    expect(first_card.locator(".impact-likeness")).to_contain_text("Territoire comparable : même type de territoire")
    expect(page.locator("[class*='st-key-hit-']")).to_have_count(10)
    expect(page.locator(".impact-likeness")).to_have_count(10)  # every card says why
    page.screenshot(path=ARTIFACTS / "recherche-mon-territoire.png")

    chip.click()
    expect(page).not_to_have_url(re.compile("like_territory"))
    expect(page.locator(".impact-likeness")).to_have_count(0)
    expect(page.get_by_role("textbox", name="Mon territoire")).to_have_value("")
