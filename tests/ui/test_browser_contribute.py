"""In headless Chromium: the territory picked among the suggestions, the error summary that leads to each
field, and the Modération page an editor's key opens (a submission, and a change proposed to a published practice).

Needs Debian's Chromium at /usr/bin/chromium (`scripts/install-browser.sh`). Without it the tests
skip, loudly; with IMPACT_REQUIRE_BROWSER=1 (as in CI) they fail instead.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.browser import ARTIFACTS, serious_violations
from tests.live import LiveApi
from tests.ui.conftest import choose, go, own_practices, unique_word
from tests.ui.test_moderation import sent
from tests.ui.test_proposals import PUT_FIELDS
from ui.text import french_date

pytestmark = pytest.mark.browser


def type_key(page: Any, api_key: str) -> None:
    key = page.get_by_role("textbox", name="Votre clé d'API", exact=True)
    key.fill(api_key)
    key.press("Enter")


def test_a_territory_is_picked_among_the_suggestions(page: Any, ui_url: str, live_api: LiveApi) -> None:
    from playwright.sync_api import expect

    word = unique_word()
    go(page, f"{ui_url}/contribuer", "Contribuer")
    type_key(page, live_api.contributor_key)
    expect(page.get_by_role("tab", name="Mes soumissions")).to_be_visible()
    title = page.get_by_role("textbox", name="Titre *", exact=True)
    title.fill(f"Une recyclerie {word} tenue par les habitants")
    page.get_by_role("textbox", name="Résumé *", exact=True).fill(
        f"À Die, la recyclerie {word} réunit la commune, une association et des bénévoles."
    )
    territory = page.get_by_role("textbox", name="Territoire *", exact=True)
    territory.fill("Die")
    page.get_by_role("button", name="Chercher").click()
    expect(page.get_by_text(re.compile("^« Die » : non reconnu tant qu'aucun territoire officiel"))).to_be_visible()

    # One value: typed to filter the list, then Enter (Escape would clear the choice).
    page.get_by_role("combobox", name="Territoire officiel").click()
    page.keyboard.type("Die — commune, Drôme (26)")
    page.keyboard.press("Enter")

    expect(page.get_by_text("Territoire reconnu : Die — commune, Drôme (26).")).to_be_visible()
    # What was typed before the suggestions reran the page is still there.
    expect(title).to_have_value(f"Une recyclerie {word} tenue par les habitants")
    expect(page.get_by_role("textbox", name="Département (code)", exact=True)).to_have_count(0)
    page.screenshot(path=ARTIFACTS / "browser-territory-picked.png", full_page=True)
    choose(page, "Types de territoire *", "Rural")
    choose(page, "Catégories d'acteurs *", "Association")
    choose(page, "Objectifs de développement durable *", "ODD 12")
    page.get_by_role("button", name="Soumettre la fiche").click()

    expect(page.get_by_text(re.compile(r"^Merci ! La fiche .* a bien été reçue"))).to_be_visible()
    (practice,) = own_practices(live_api, word)
    assert practice["territory"]["code"] == "26113" and practice["territory"]["department"] == "26"


def test_the_error_summary_takes_the_focus_and_leads_to_each_field(page: Any, ui_url: str, live_api: LiveApi) -> None:
    from playwright.sync_api import expect

    go(page, f"{ui_url}/contribuer", "Contribuer")
    type_key(page, live_api.contributor_key)
    expect(page.get_by_role("tab", name="Mes soumissions")).to_be_visible()
    page.get_by_role("textbox", name="Titre *", exact=True).fill("ab")
    page.get_by_role("button", name="Soumettre la fiche").click()

    summary = page.locator(".impact-error-summary")
    expect(summary.get_by_role("heading", name="Le formulaire contient 6 erreurs")).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    page.screenshot(path=ARTIFACTS / "browser-error-summary.png")
    violations = serious_violations(page)
    assert not violations, "\n".join(violations)

    summary.get_by_role("link", name="Résumé : Ce champ est obligatoire.").click()

    expect(page.get_by_role("textbox", name="Résumé *", exact=True)).to_be_focused()
    summary.get_by_role("link", name=re.compile(r"^Types de territoire : ")).click()
    expect(page.locator(".st-key-field-territory-types").locator("input")).to_be_focused()


def test_an_editor_moderates_on_its_own_page(page: Any, ui_url: str, live_api: LiveApi) -> None:
    from playwright.sync_api import expect

    word = unique_word()
    original = sent(live_api, f"La recyclerie {word} des habitants du Diois", live_api.editor_key, status="published")
    created = sent(live_api, f"Une recyclerie {word} pour les habitants du Diois")
    # Not the first page this server shows: straight to `/moderation` first, Streamlit would run the
    # script of that name alone, without the app's navigation.
    go(page, f"{ui_url}/a-propos", "À propos d'IMPACT-Pratiques")
    go(page, f"{ui_url}/moderation?id={created['id']}", "Modération")
    type_key(page, live_api.editor_key)

    expect(page.get_by_role("heading", name=created["title"], exact=True)).to_be_visible()
    expect(page.get_by_text(f"Doublon possible : « {original['title']} » (titre très proche, publiée)")).to_be_visible()
    # The date as the page writes it (a regex's \w would miss the é of « décembre » in the browser).
    expect(page.get_by_text(f"Soumise le {french_date(created['created_at'])} par Contributeur")).to_be_visible()
    # Once an editor's key is typed, the page is in the menu.
    expect(page.get_by_test_id("stTopNavLink").filter(has_text="Modération")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "browser-moderation.png", full_page=True)
    violations = serious_violations(page)
    assert not violations, "\n".join(violations)

    # Each control of a card says which practice it acts on (a screen reader's list of buttons or fields).
    title = created["title"]
    for role, label in (("textbox", "Motif du refus"), ("switch", "Historique de la fiche"), ("button", "Refuser")):
        expect(page.get_by_role(role, name=f"{label} : « {title} »", exact=True)).to_be_visible()
    page.get_by_role("button", name=f"Publier : « {title} »", exact=True).click()

    expect(page.get_by_text(re.compile(r"est publiée et visible dans la recherche\.$"))).to_be_visible()


def test_an_editor_reviews_a_proposed_change_side_by_side(page: Any, ui_url: str, live_api: LiveApi) -> None:
    from playwright.sync_api import expect

    created = sent(live_api, f"Une ressourcerie {unique_word()} du Diois")
    published = httpx.post(
        f"{live_api.url}/api/v1/monographs/{created['id']}/publish", headers={"X-API-Key": live_api.editor_key}
    ).json()
    body = {k: v for k, v in published.items() if k in PUT_FIELDS} | {"odd": [11, 12], "version": published["version"]}
    proposed = httpx.put(
        f"{live_api.url}/api/v1/monographs/{created['id']}/proposal",
        json=body,
        headers={"X-API-Key": live_api.contributor_key},
    )
    assert proposed.status_code == 202, proposed.text
    go(page, f"{ui_url}/a-propos", "À propos d'IMPACT-Pratiques")
    go(page, f"{ui_url}/moderation", "Modération")
    type_key(page, live_api.editor_key)

    page.get_by_role("tab", name=re.compile(r"^Modifications proposées")).click()

    review = page.locator(f".st-key-proposal-{created['id']}")
    expect(review.get_by_role("heading", name=published["title"], exact=True)).to_be_visible()
    # The changed field's row: its name, the published value, the proposed one.
    row = review.get_by_role("table", name="Champs modifiés").get_by_role("row").nth(1)
    expect(row.get_by_role("rowheader")).to_have_text("Objectifs de développement durable")
    expect(row.get_by_role("cell")).to_have_text(["ODD 12, ODD 17", "ODD 11, ODD 12"])
    page.screenshot(path=ARTIFACTS / "browser-proposal.png", full_page=True)
    violations = serious_violations(page)
    assert not violations, "\n".join(violations)

    named = [
        ("textbox", "Motif du refus"),
        ("switch", "Historique de la fiche"),
        ("button", "Refuser la modification"),
        ("button", "Accepter la modification"),
    ]
    for role, label in named:
        expect(review.get_by_role(role, name=f"{label} : « {published['title']} »", exact=True)).to_be_visible()
    review.get_by_role("button", name="Accepter la modification").click()

    expect(
        page.get_by_text(re.compile(r"est acceptée : la fiche publiée est à jour dans la recherche\.$"))
    ).to_be_visible()
