"""Contribuer: the submission form (errors next to fields, success) and the editors' moderation queue."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from tests.corpus import CORPUS
from tests.live import LiveApi
from tests.ui.conftest import (
    CONTRIBUTE,
    OpenPage,
    checked,
    field,
    fill_valid,
    hit_titles,
    own_practices,
    submit,
    unique_word,
    with_key,
)
from ui import client


def errors(app: AppTest) -> list[str]:
    return [e.value for e in app.error]


def test_validation_errors_are_shown_next_to_their_fields(open_page: OpenPage, live_api: LiveApi) -> None:
    app = with_key(open_page, live_api.contributor_key)
    app.text_input(key=field(app, "title")).input("ab")
    app.text_input(key=field(app, "territory_department")).input("999")
    app.text_input(key=field(app, "contact_email")).input("pas-une-adresse")
    app.text_area(key=field(app, "sources")).input("https://exemple.fr ftp://exemple.fr/fichier")

    submit(app)

    shown = errors(app)
    assert "Trop court : au moins 3 caractères." in shown  # title
    assert shown.count("Ce champ est obligatoire.") == 2  # summary, territory name
    assert shown.count("Choisissez au moins une valeur.") == 3  # types, actor categories, ODD
    assert "Code de département invalide (par exemple 26, 2A ou 974)." in shown
    assert "Indiquez une adresse e-mail valide, par exemple contact@exemple.fr." in shown
    assert "Source n° 2 : indiquez une adresse web complète, commençant par http:// ou https://." in shown
    assert "La fiche n'a pas été envoyée : corrigez les champs signalés." in shown
    # Each message sits right below its field, in the form's order.
    main = [node for node in app.main.get("text_input") + app.main.get("error")]
    order = [getattr(n, "key", None) or n.value for n in sorted(main, key=lambda n: _position(app, n))]
    title_at = order.index(field(app, "title"))
    assert order[title_at + 1] == "Trop court : au moins 3 caractères."
    # What was typed is kept, to be corrected.
    assert app.text_input(key=field(app, "title")).value == "ab"
    assert not app.success


def _position(app: AppTest, node: object) -> int:
    """Where `node` comes in the main area, in reading order (layout blocks such as columns not counted)."""
    flat: list[object] = []

    def walk(block: object) -> None:
        for child in getattr(block, "children", {}).values():
            if not isinstance(child, Block):
                flat.append(child)
            walk(child)

    walk(app.main)
    return next(i for i, n in enumerate(flat) if n is node)


def test_an_unknown_key_is_refused_at_the_key_field(open_page: OpenPage) -> None:
    app = with_key(open_page, "imp_nimporte_quoi")

    assert "Cette clé est inconnue ou a été révoquée : demandez-en une nouvelle." in errors(app)


def test_a_submission_is_confirmed_and_awaits_moderation(open_page: OpenPage, live_api: LiveApi) -> None:
    word = unique_word()
    app = with_key(open_page, live_api.contributor_key)
    fill_valid(app, word)

    submit(app)

    assert not errors(app)
    assert any("attend la validation d'un éditeur" in s.value for s in app.success)
    assert app.text_input(key=field(app, "title")).value == ""  # the form is ready for the next one
    assert app.tabs[1].label == "Mes soumissions"
    assert any(word in m.value for m in app.tabs[1].markdown)
    assert not [b for b in app.button if (b.key or "").startswith("moderation_")]  # contributors cannot moderate
    # Not searchable before an editor publishes it.
    search = open_page(None, q=word)
    assert not any(word in title for title in hit_titles(search))


def test_a_second_click_sends_nothing_and_the_thanks_stay_by_the_button(open_page: OpenPage, live_api: LiveApi) -> None:
    word = unique_word()
    app = with_key(open_page, live_api.contributor_key)
    fill_valid(app, word)
    clicked = field(app, "submit")

    submit(app)

    # A new, empty form: new widgets (so the browser empties its fields too) and a new Idempotency-Key.
    assert field(app, "submit") != clicked
    assert app.text_input(key=field(app, "title")).value == ""
    thanks = [s.value for s in app.success]
    assert len(thanks) == 1 and "attend la validation d'un éditeur" in thanks[0]
    # Where the contributor is: right beside the button just clicked.
    assert _position(app, app.success[0]) == _position(app, app.button(key=field(app, "submit"))) + 1
    assert [t.value for t in app.toast] and word in app.toast[0].value

    submit(app)  # the second click, on the emptied form

    assert not errors(app)
    assert [s.value for s in app.success] == thanks
    assert len(own_practices(live_api, word)) == 1


def test_a_retry_after_a_lost_answer_is_the_same_submission(
    open_page: OpenPage, live_api: LiveApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    word = unique_word()
    app = with_key(open_page, live_api.contributor_key)
    fill_valid(app, word)
    real_request = client.request
    lost: list[httpx.Response] = []

    def answer_lost(method: str, path: str, **options: Any) -> httpx.Response:
        # The API stores the practice, then its answer never arrives.
        response = real_request(method, path, **options)
        if (method, path) == ("POST", "/monographs") and not lost:
            lost.append(response)
            raise client.ApiUnavailable("slow", "answer lost")
        return response

    monkeypatch.setattr(client, "request", answer_lost)
    submit(app)
    assert "Le service met trop de temps à répondre. Réessayez dans quelques instants. Votre saisie est conservée." in (
        errors(app)
    )
    assert word in str(app.text_input(key=field(app, "title")).value)  # kept, to be sent again

    submit(app)

    assert not errors(app)
    assert any(f"{word} tenue par les habitants » a bien été reçue" in s.value for s in app.success)
    assert len(own_practices(live_api, word)) == 1


def test_a_form_left_for_another_page_comes_back_empty_with_a_new_key(open_page: OpenPage, live_api: LiveApi) -> None:
    app = with_key(open_page, live_api.contributor_key)
    app.text_input(key=field(app, "title")).input("ab")
    submit(app)
    assert errors(app)
    first = field(app, "submit")

    checked(app.switch_page("views/search.py").run())
    checked(app.switch_page(CONTRIBUTE).run())

    assert field(app, "submit") != first
    assert app.text_input(key=field(app, "title")).value == ""
    assert not errors(app)


def in_the_queue(open_page: OpenPage, live_api: LiveApi) -> tuple[AppTest, str, str]:
    """A contributor's fresh submission: the editor's Contribuer page, the submission's word and id."""
    word = unique_word()
    contributor = with_key(open_page, live_api.contributor_key)
    fill_valid(contributor, word)
    submit(contributor)
    editor = with_key(open_page, live_api.editor_key)
    assert editor.tabs[1].label == "File de modération"
    ids = [
        b.key.removeprefix("moderation_publish__")
        for b in editor.button
        if b.key and b.key.startswith("moderation_publish__") and word in b.key
    ]
    assert len(ids) == 1
    return editor, word, ids[0]


def test_an_editor_publishes_and_the_practice_becomes_searchable(open_page: OpenPage, live_api: LiveApi) -> None:
    editor, word, monograph_id = in_the_queue(open_page, live_api)

    checked(editor.button(key=f"moderation_publish__{monograph_id}").click().run())

    assert any("est publiée" in s.value for s in editor.success)
    assert not any(monograph_id in (b.key or "") for b in editor.button)
    search = open_page(None, q=word)
    assert any(word in title for title in hit_titles(search))


def test_an_editor_rejects_with_a_reason(open_page: OpenPage, live_api: LiveApi) -> None:
    editor, word, monograph_id = in_the_queue(open_page, live_api)

    checked(editor.button(key=f"moderation_reject__{monograph_id}").click().run())
    assert any("Indiquez le motif" in e for e in errors(editor))

    editor.text_input(key=f"moderation_reason__{monograph_id}").input("Merci de chiffrer les résultats.")
    checked(editor.button(key=f"moderation_reject__{monograph_id}").click().run())

    assert any("est refusée" in s.value for s in editor.success)
    assert not any(monograph_id in (b.key or "") for b in editor.button)
    search = open_page(None, q=word)
    assert not any(word in title for title in hit_titles(search))
    # The contributor follows its sheet: refused, with the editor's reason, shown as inert text.
    contributor = with_key(open_page, live_api.contributor_key)
    own = " ".join(m.value for m in contributor.tabs[1].markdown)
    assert word in own and "refusée" in " ".join(c.value for c in contributor.tabs[1].caption)
    assert "Merci de chiffrer les résultats." in own


def test_the_queue_marks_territories_the_referential_does_not_know(open_page: OpenPage, live_api: LiveApi) -> None:
    named, coded = unique_word(), unique_word()
    for word, territory in ((named, {"name": "Vallée du Tarn"}), (coded, {"name": "Die", "code": "26113"})):
        body = CORPUS[2].content().model_dump(mode="json") | {"title": f"Covoiturage {word}", "territory": territory}
        answer = httpx.post(
            f"{live_api.url}/api/v1/monographs", json=body, headers={"X-API-Key": live_api.contributor_key}
        )
        assert answer.status_code == 201, answer.text
    editor = with_key(open_page, live_api.editor_key)
    cards = [m.value for m in editor.tabs[1].markdown]
    named_card = next(card for card in cards if named in card)
    assert 'class="impact-badge impact-badge-unresolved"' in named_card and "Territoire non reconnu" in named_card
    assert "Territoire non reconnu" not in next(card for card in cards if coded in card)
