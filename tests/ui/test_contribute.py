"""Contribuer: how to get a key, the submission form (territory autocomplete, error summary, errors next to
fields, success) and the contributor's submissions."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from schemas.monograph import latest_start_year
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
from ui.monograph_form import build_body, french_message, initial_values
from ui.text import md_literal


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


def test_a_form_changed_after_a_lost_answer_is_not_taken_for_a_retry(
    open_page: OpenPage, live_api: LiveApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first send arrived (its answer was lost); the contributor then corrects the title and sends again. The
    API used to answer with the first version as if it were a retry, and the correction was lost unseen."""
    word = unique_word()
    app = with_key(open_page, live_api.contributor_key)
    fill_valid(app, word)
    real_request = client.request

    def answer_lost(method: str, path: str, **options: Any) -> httpx.Response:
        response = real_request(method, path, **options)
        if (method, path) == ("POST", "/monographs") and response.status_code == 201:
            raise client.ApiUnavailable("slow", "answer lost")
        return response

    monkeypatch.setattr(client, "request", answer_lost)
    submit(app)
    app.text_input(key=field(app, "title")).input(f"La recyclerie {word} corrigée")

    submit(app)

    assert any("vos dernières modifications n'y sont pas" in e for e in errors(app)), errors(app)
    assert not app.success
    (stored,) = own_practices(live_api, word)
    assert "corrigée" not in stored["title"]


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


def test_how_to_get_a_key_is_said_before_any_key_is_typed(open_page: OpenPage) -> None:
    app = open_page(CONTRIBUTE)

    how = [e for e in app.expander if e.label == "Comment obtenir une clé ?"]
    assert len(how) == 1
    text = " ".join(m.value for m in how[0].markdown)
    assert "délivrées par l'équipe qui administre IMPACT-Pratiques" in text
    assert "Écrivez-lui en indiquant" in text and "{contact}" not in text  # no address configured here
    # A site just installed: its administrator, who reads this first, learns how to make a key (the dead end found).
    assert any("impact keys create" in c.value and "IMPACT_CONTACT_EMAIL" in c.value for c in how[0].caption)
    assert "clé de contributeur" in text and "clé d'éditeur" in text and "n'est montrée qu'une fois" in text
    # Hints read as hints.
    assert app.text_input(key=field(app, "territory_name")).placeholder == "ex. Die, Diois, Drôme…"
    assert app.text_input(key=field(app, "territory_department")).placeholder == "ex. 26"
    assert app.text_input(key="contrib_api_key").placeholder.startswith("ex. ")


def test_the_team_s_address_is_given_where_users_are_told_to_write(
    open_page: OpenPage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """« Écrivez-lui » named no address anywhere: with IMPACT_CONTACT_EMAIL, the key help and À propos give it."""
    monkeypatch.setenv("IMPACT_CONTACT_EMAIL", "equipe@exemple.fr")
    link = f"[{md_literal('equipe@exemple.fr')}](mailto:equipe@exemple.fr)"

    how = next(e for e in open_page(CONTRIBUTE).expander if e.label == "Comment obtenir une clé ?")
    about = " ".join(m.value for m in open_page("views/about.py").markdown)

    assert f"Écrivez-lui ({link}) en indiquant" in " ".join(m.value for m in how.markdown)
    assert not any("impact keys create" in c.value for c in how.caption)  # visitors of a configured site
    assert f"signaler une erreur dans une fiche ou nous écrire : {link}." in about
    assert f"Écrivez-nous à {link}." in about
    monkeypatch.setenv("IMPACT_CONTACT_EMAIL", "pas une adresse](javascript:alert(1))")
    assert "javascript" not in " ".join(m.value for m in open_page("views/about.py").markdown)


def territory_choices(app: AppTest) -> Any:
    found = [box for box in app.selectbox if box.label == "Territoire officiel"]
    assert len(found) == 1, [box.label for box in app.selectbox]
    return found[0]


def test_a_commune_picked_in_the_suggestions_is_sent_by_its_code(open_page: OpenPage, live_api: LiveApi) -> None:
    word = unique_word()
    app = with_key(open_page, live_api.contributor_key)
    fill_valid(app, word)
    app.text_input(key=field(app, "territory_name")).input("Die")
    checked(app.run())
    choices = territory_choices(app)
    assert choices.value is None  # nothing picked for the contributor
    assert any("non reconnu" in c.value for c in app.caption)
    assert "Die — commune, Drôme (26)" in choices.options  # as shown

    choices.select("commune:26113")
    checked(app.run())
    assert f"Territoire reconnu : {md_literal('Die — commune, Drôme (26)')}." in [c.value for c in app.caption]
    # The commune says where it is: no département or région to type; a more precise place may be said.
    assert not [t for t in app.text_input if t.key == field(app, "territory_department")]
    app.text_input(key=field(app, "territory_place")).input("Quartier de la gare")
    submit(app)

    assert not errors(app)
    (practice,) = own_practices(live_api, word)
    territory = practice["territory"]
    assert (territory["code"], territory["name"], territory["department"]) == ("26113", "Die", "26")
    assert territory["resolved"] is True and territory["region"] == "Auvergne-Rhône-Alpes"
    assert territory["place"] == "Quartier de la gare"


def test_a_name_nobody_picked_is_kept_as_typed_and_marked_not_recognised(
    open_page: OpenPage, live_api: LiveApi
) -> None:
    word = unique_word()
    app = with_key(open_page, live_api.contributor_key)
    fill_valid(app, word)
    app.text_input(key=field(app, "territory_name")).input("Vallée du Zorgu")
    checked(app.run())

    assert any("non reconnu" in c.value and "Zorgu" in c.value for c in app.caption)
    assert not [t for t in app.text_input if t.key == field(app, "territory_place")]  # the name is the place
    submit(app)

    assert not errors(app)
    (practice,) = own_practices(live_api, word)
    assert practice["territory"]["name"] == "Vallée du Zorgu" and practice["territory"]["resolved"] is False
    assert practice["territory"]["department"] == "12"


def test_the_error_summary_counts_the_errors_and_leads_to_each_field(open_page: OpenPage, live_api: LiveApi) -> None:
    app = with_key(open_page, live_api.contributor_key)
    app.text_input(key=field(app, "title")).input("ab")
    app.text_input(key=field(app, "contact_email")).input("pas-une-adresse")

    submit(app)

    summaries = [m.value for m in app.markdown if m.value.startswith('<div class="impact-error-summary"')]
    assert len(summaries) == 1
    summary = summaries[0]
    shown_below_fields = [e for e in errors(app) if e != "La fiche n'a pas été envoyée : corrigez les champs signalés."]
    assert f"Le formulaire contient {len(shown_below_fields)} erreurs" in summary
    assert len(shown_below_fields) == 7  # title, summary, territory, types, actor categories, ODD, e-mail
    for slot, name in (
        ("title", "Titre"),
        ("summary", "Résumé"),
        ("territory-name", "Territoire"),
        ("odd", "Objectifs de développement durable"),
        ("contact-email", "E-mail"),
    ):
        assert f'data-impact-field="field-{slot}">{name} : ' in summary
    assert "Titre : Trop court : au moins 3 caractères." in summary
    # It comes first in the form: above the first field.
    assert summary in [m.value for m in app.main.markdown][:8]


def test_an_editor_is_sent_to_the_moderation_page(open_page: OpenPage, live_api: LiveApi) -> None:
    app = with_key(open_page, live_api.editor_key)

    links = [link.proto for link in app.get("page_link") if link.proto.page == "moderation"]
    assert [link.label for link in links] == [
        "Relire les fiches en attente (Modération)",
        "Ouvrir la file de modération",
    ]
    assert [t.label for t in app.tabs] == ["Proposer une pratique", "Mes soumissions"]
    assert not [b for b in app.button if (b.key or "").startswith("moderation_")]  # no queue on this page


def test_a_start_year_after_next_year_is_explained_in_french() -> None:
    latest = latest_start_year()
    detail = {"type": "year_too_late", "msg": f"the start year must not be after {latest}", "loc": ["body", "year"]}
    assert french_message(detail, "year", None) == f"Indiquez une année entre 1950 et {latest}."


def test_a_start_year_out_of_range_is_sent_and_explained_not_dropped(open_page: OpenPage, live_api: LiveApi) -> None:
    """With bounds on the widget, the browser refused 1850 (an English note on the field) and the sheet was sent
    without its year, thanked. Unbounded, the year goes to the API, whose refusal is in the error summary."""
    app = with_key(open_page, live_api.contributor_key)
    year = app.number_input(key=field(app, "year"))
    assert not year.proto.has_min and not year.proto.has_max
    fill_valid(app, unique_word())
    app.number_input(key=field(app, "year")).set_value(1850)

    submit(app)

    assert f"Indiquez une année entre 1950 et {latest_start_year()}." in errors(app)
    assert not app.success


def test_an_edit_form_sends_back_the_place_named_within_the_territory() -> None:
    stored = {"title": "t", "territory": {"name": "Saint-Paul", "place": "Mafate", "code": "97415", "kind": "commune"}}
    values = initial_values(stored)
    assert values["territory_place"] == "Mafate"
    picked = {"name": "Saint-Paul", "code": "97415", "kind": "commune"}
    refs: dict[str, Any] = {"actor_categories": []}
    assert build_body(values | {"territory_pick": picked}, refs)["territory"] == picked | {"place": "Mafate"}
    assert build_body(values | {"territory_pick": picked, "territory_place": " "}, refs)["territory"] == picked


def test_sources_are_addresses_a_line_and_other_text_one_source() -> None:
    """A line of words was split at its spaces: « un article du Dauphiné Libéré » gave five errors."""
    refs: dict[str, Any] = {"actor_categories": []}
    typed = "https://a.fr https://b.fr/x\nun article du Dauphiné Libéré\n\nwww.exemple.fr\n  ftp://c.fr  "

    sources = build_body({"sources": typed}, refs)["sources"]

    assert sources == [
        "https://a.fr",
        "https://b.fr/x",
        "un article du Dauphiné Libéré",
        "https://www.exemple.fr",
        "ftp://c.fr",
    ]
    assert build_body({"contact_url": "www.exemple.fr"}, refs)["contact"]["url"] == "https://www.exemple.fr"
