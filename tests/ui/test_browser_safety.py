"""In headless Chromium: planted Markdown and HTML stays text (no link, no remote image, no script)
wherever it is shown, and a submission clicked twice is one practice.

Needs Debian's Chromium at /usr/bin/chromium (`scripts/install-browser.sh`). Without it the tests
skip, loudly; with IMPACT_REQUIRE_BROWSER=1 (as in CI) they fail instead.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.browser import ARTIFACTS
from tests.live import LiveApi
from tests.ui.conftest import HIT_LINK, INJECTIONS, choose, go, own_practices, settled, unique_word

pytestmark = pytest.mark.browser

EVIL = "evil.example"


def assert_inert(page: Any) -> None:
    """No link to the planted site, no image from it, no planted <img>, no planted bold."""
    link_hosts = page.eval_on_selector_all("a[href]", "links => links.map(a => a.hostname)")
    images = page.eval_on_selector_all(
        "img", "images => images.map(i => [new URL(i.src).hostname, i.getAttribute('src')])"
    )
    assert EVIL not in link_hosts, link_hosts
    assert not [image for image in images if image[0] == EVIL or image[1] == "x"], images
    bold = page.eval_on_selector_all("strong, b", "elements => elements.map(e => e.innerText.trim())")
    assert "gras" not in bold, bold  # **gras** is not bold


def without_joiners(text: str) -> str:
    """Text as read: the invisible word joiners that keep URLs in Markdown from becoming links dropped."""
    return text.replace("\u2060", "")


def visible_text(page: Any) -> str:
    return without_joiners(page.locator("[data-testid=stMain]").inner_text())


@pytest.mark.parametrize(
    ("path", "heading"), [("exporter", "Exporter les pratiques"), ("tableau-de-bord", "Tableau de bord")]
)
def test_the_words_of_a_link_stay_text(page: Any, ui_url: str, path: str, heading: str) -> None:
    from playwright.sync_api import expect

    query = " ".join(INJECTIONS)
    go(page, f"{ui_url}/{path}?{urlencode({'q': query})}", heading)
    expect(page.get_by_text(re.compile(r"mots « "))).to_be_visible()

    assert_inert(page)
    assert f"mots « {query} »" in visible_text(page)
    page.screenshot(path=ARTIFACTS / f"browser-injection-{path}.png", full_page=True)


def submit_planted(live_api: LiveApi, word: str) -> dict[str, Any]:
    """A contributor's submission (through the API) whose title, actors and tags carry the payloads."""
    body = {
        "title": f"{word} {' '.join(INJECTIONS)}",
        "summary": f"La recyclerie {word} réunit la commune, une association et des bénévoles.",
        "territory": {"name": "Saint-Affrique", "department": "12", "region": "Occitanie"},
        "territory_types": ["rural"],
        "actor_categories": ["association"],
        "actors": [{"name": payload, "category": "association"} for payload in INJECTIONS],
        "odd": [12],
        "tags": list(INJECTIONS),
        "contact": {"name": f"www.{EVIL} contact@{EVIL}"},
    }
    headers = {"X-API-Key": live_api.contributor_key}
    response = httpx.post(f"{live_api.url}/api/v1/monographs", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_a_planted_submission_stays_text_for_the_editor_and_on_its_page(
    page: Any, ui_url: str, live_api: LiveApi
) -> None:
    from playwright.sync_api import expect

    word = unique_word()
    created = submit_planted(live_api, word)
    title = created["title"]
    go(page, f"{ui_url}/moderation", "Modération")
    key = page.get_by_role("textbox", name="Votre clé d'API", exact=True)
    key.fill(live_api.editor_key)
    key.press("Enter")

    item = page.get_by_role("heading", name=title, exact=True)
    expect(item).to_be_visible()
    assert_inert(page)
    # The practice's own card (keyed by its id): Streamlit reuses a block for another practice's content
    # when the queue changes, so a card found by its text could be another one by the time of the click.
    card = page.locator(f".st-key-review-{created['id']}")
    expect(card.get_by_role("heading", name=title, exact=True)).to_be_visible()
    settled(page)
    card.get_by_role("button", name="Publier").click()

    notice = page.get_by_text(re.compile(r"est publiée et visible dans la recherche\.$"))
    expect(notice).to_be_visible()
    assert without_joiners(notice.inner_text()) == f"« {title} » est publiée et visible dans la recherche."
    assert_inert(page)
    page.screenshot(path=ARTIFACTS / "browser-injection-moderation.png", full_page=True)

    go(page, f"{ui_url}/fiche?id={created['id']}", title)
    expect(page.get_by_role("heading", name="Pratiques similaires")).to_be_visible()
    assert_inert(page)
    text = visible_text(page)
    for payload in INJECTIONS:
        assert payload in text  # an actor's name and a tag, each as typed
    assert f"www.{EVIL} contact@{EVIL}" in text
    page.screenshot(path=ARTIFACTS / "browser-injection-fiche.png", full_page=True)

    go(page, f"{ui_url}/?{urlencode({'q': word})}", "IMPACT-Pratiques")
    expect(page.locator(HIT_LINK).filter(has_text=word)).to_be_visible()
    assert_inert(page)


def test_clicking_submit_twice_makes_one_practice(page: Any, ui_url: str, live_api: LiveApi) -> None:
    from playwright.sync_api import expect

    word = unique_word()
    title = f"Une recyclerie {word} {INJECTIONS[0]} {INJECTIONS[3]}"
    go(page, f"{ui_url}/contribuer", "Contribuer")
    key = page.get_by_role("textbox", name="Votre clé d'API", exact=True)
    key.fill(live_api.contributor_key)
    key.press("Enter")
    expect(page.get_by_role("tab", name="Mes soumissions")).to_be_visible()
    page.get_by_role("textbox", name="Titre *", exact=True).fill(title)
    page.get_by_role("textbox", name="Résumé *", exact=True).fill(
        f"À Saint-Affrique, la recyclerie {word} réunit la commune, une association et des bénévoles."
    )
    territory = page.get_by_role("textbox", name="Territoire *", exact=True)
    territory.fill("Saint-Affrique")
    page.get_by_role("button", name="Chercher").click()  # the page reruns for suggestions: let it finish first
    expect(page.get_by_text(re.compile("^« Saint-Affrique » : non reconnu tant qu'aucun"))).to_be_visible()
    choose(page, "Types de territoire *", "Rural")
    choose(page, "Catégories d'acteurs *", "Association")
    choose(page, "Objectifs de développement durable *", "ODD 12")

    button = page.get_by_role("button", name="Soumettre la fiche")
    button.click()
    button.click()  # impatient, or a double click: sent before the first answer is shown

    thanks = page.get_by_text(re.compile(r"^Merci ! La fiche .* a bien été reçue"))
    expect(thanks).to_be_visible()
    expect(thanks).to_be_in_viewport()  # where the contributor is, by the button
    expect(page.get_by_role("textbox", name="Titre *", exact=True)).to_have_value("")  # emptied
    assert f"« {title} »" in without_joiners(thanks.inner_text())
    assert_inert(page)
    page.screenshot(path=ARTIFACTS / "browser-double-submit.png")

    # A rerun may briefly hold the form twice (its stale copy fading out): once it has settled, once more on the
    # emptied form; nothing is sent, the thanks stay.
    expect(button).to_have_count(1)
    button.click()
    expect(thanks).to_be_visible()
    expect(page.get_by_text("La fiche n'a pas été envoyée")).to_have_count(0)

    assert len(own_practices(live_api, word)) == 1
