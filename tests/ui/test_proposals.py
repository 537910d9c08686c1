"""A contributor corrects their own sheets from « Mes soumissions »: a pending or rejected one directly, a published
one by proposing a change, which an editor reviews field by field on the Modération page (the published sheet stays
in search until it is accepted)."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from tests.live import LiveApi
from tests.ui.conftest import INJECTIONS, OpenPage, checked, hit_titles, moderating, unique_word, with_key
from tests.ui.test_injection import assert_html_is_read_as_html, assert_never_raw
from tests.ui.test_moderation import fresh, stored
from ui.components import safe_text
from ui.monograph_form import form_key
from ui.proposal_view import word_diff
from ui.sheet_editor import sheet_instance


def published(live_api: LiveApi) -> tuple[str, dict[str, Any]]:
    """A contributor's practice, published by an editor, and the made-up word of its title."""
    word, created = fresh(live_api)
    answer = httpx.post(
        f"{live_api.url}/api/v1/monographs/{created['id']}/publish", headers={"X-API-Key": live_api.editor_key}
    )
    assert answer.status_code == 200, answer.text
    done: dict[str, Any] = answer.json()
    return word, done


def proposal_of(live_api: LiveApi, monograph_id: str) -> Any:
    answer = httpx.get(
        f"{live_api.url}/api/v1/monographs/{monograph_id}/proposal", headers={"X-API-Key": live_api.editor_key}
    )
    return answer.json() if answer.status_code == 200 else None


def own_tab_text(app: AppTest) -> str:
    tab = app.tabs[1]
    return " ".join([m.value for m in tab.markdown] + [i.value for i in tab.info] + [c.value for c in tab.caption])


def accessible_names(app: AppTest) -> dict[str, str]:
    """The names the page gives its controls by widget key (`ui/accessible_names.py`'s scripts)."""
    names: dict[str, str] = {}
    for element in app.get("html"):
        found = re.search(r"Object.assign\(names, (\{.*\})\);", element.proto.body)
        if "data-impact-names" in element.proto.body and found:
            names |= json.loads(found.group(1))
    return names


def propose_title(open_page: OpenPage, live_api: LiveApi, practice: dict[str, Any], title: str) -> AppTest:
    """The contributor opens the proposal form of their published practice, changes its title and sends it."""
    app = with_key(open_page, live_api.contributor_key)
    checked(app.button(key=f"own_propose__{practice['id']}").click().run())
    instance = sheet_instance("propose", practice["id"], practice["version"])
    field = app.text_input(key=form_key("title", instance))
    assert field.value == practice["title"]  # the form holds the published sheet
    field.input(title)
    app = checked(app.button(key=f"propose_save__{practice['id']}").click().run())
    names = accessible_names(app)
    assert names[f"own_withdraw__{practice['id']}"] == f"Retirer ma proposition : « {practice['title']} »"
    return app


def test_a_contributor_proposes_a_change_and_search_keeps_the_published_sheet(
    open_page: OpenPage, live_api: LiveApi
) -> None:
    word, practice = published(live_api)
    changed = f"Une recyclerie {unique_word()} et son atelier vélo"

    app = propose_title(open_page, live_api, practice, changed)

    assert any("est envoyée" in s.value for s in app.success), [e.value for e in app.error]
    proposal = proposal_of(live_api, practice["id"])
    assert proposal["status"] == "pending" and proposal["changed_fields"] == ["title"]
    assert proposal["content"]["title"] == changed
    assert stored(live_api, practice["id"])["title"] == practice["title"]
    assert any(word in title for title in hit_titles(open_page(None, q=word)))
    assert "en attente de relecture" in own_tab_text(app)
    assert app.button(key=f"own_propose__{practice['id']}").label == "Modifier ma proposition"


def test_an_editor_reviews_the_changed_fields_and_accepts(open_page: OpenPage, live_api: LiveApi) -> None:
    old_word, practice = published(live_api)
    new_word = unique_word()
    propose_title(open_page, live_api, practice, f"Une recyclerie {new_word} et son atelier vélo")

    editor = moderating(open_page, live_api.editor_key)
    review = " ".join(m.value for m in editor.tabs[1].markdown)
    assert '<th scope="row">Titre</th><td>Une recyclerie <del>' in review
    # The words the title loses are struck out on the published side, those it gains marked on the proposed one.
    assert re.search(f"<del>[^<]*{old_word}[^<]*</del>", review) and re.search(f"<ins>[^<]*{new_word}", review)
    checked(editor.button(key=f"proposal_accept__{practice['id']}").click().run())

    assert any("est acceptée" in s.value for s in editor.success), [e.value for e in editor.error]
    assert stored(live_api, practice["id"])["title"] == f"Une recyclerie {new_word} et son atelier vélo"
    assert proposal_of(live_api, practice["id"]) is None
    assert any(new_word in title for title in hit_titles(open_page(None, q=new_word)))


def test_an_editor_declines_with_a_reason_the_contributor_reads(open_page: OpenPage, live_api: LiveApi) -> None:
    _, practice = published(live_api)
    propose_title(open_page, live_api, practice, f"Une recyclerie {unique_word()}")
    editor = moderating(open_page, live_api.editor_key)

    checked(editor.button(key=f"proposal_decline__{practice['id']}").click().run())
    assert any("Indiquez le motif" in e.value for e in editor.error)
    editor.text_input(key=f"proposal_reason__{practice['id']}").input("Le titre doit garder le nom de la commune.")
    checked(editor.button(key=f"proposal_decline__{practice['id']}").click().run())

    assert any("est refusée" in s.value for s in editor.success)
    assert stored(live_api, practice["id"])["version"] == practice["version"]
    contributor = with_key(open_page, live_api.contributor_key)
    assert "Le titre doit garder le nom de la commune." in own_tab_text(contributor)
    assert "Modification refusée" in own_tab_text(contributor)
    # Its history tells the same, newest first (an editor's steps unnamed to the contributor).
    checked(contributor.toggle(key=f"own_history__{practice['id']}").set_value(True).run())
    (steps,) = [m.value for m in contributor.tabs[1].markdown if m.value.startswith('<ul class="impact-history">')]
    assert (
        steps.index("Modification refusée : « Le titre doit garder le nom de la commune. »")
        < steps.index("Modification proposée par Contributeur")
        < steps.index("Publiée<")
        < steps.index("Soumise par Contributeur")
    )


def test_a_sheet_edited_since_keeps_the_edit_when_the_proposal_is_accepted(
    open_page: OpenPage, live_api: LiveApi
) -> None:
    _, practice = published(live_api)
    changed = f"Une recyclerie {unique_word()}"
    propose_title(open_page, live_api, practice, changed)
    body = {k: v for k, v in stored(live_api, practice["id"]).items() if k in PUT_FIELDS} | {"year": 2018}
    edited = httpx.put(
        f"{live_api.url}/api/v1/monographs/{practice['id']}",
        json=body | {"version": practice["version"]},
        headers={"X-API-Key": live_api.editor_key},
    )
    assert edited.status_code == 200, edited.text
    contributor = with_key(open_page, live_api.contributor_key)
    assert "seuls les champs que vous avez changés seront remplacés" in own_tab_text(contributor)

    editor = moderating(open_page, live_api.editor_key)
    assert any("seuls les champs ci-dessous changeront" in i.value for i in editor.tabs[1].info)
    checked(editor.button(key=f"proposal_accept__{practice['id']}").click().run())

    now = stored(live_api, practice["id"])
    assert (now["title"], now["year"]) == (changed, 2018)


def test_a_contributor_withdraws_a_proposal_from_the_page(open_page: OpenPage, live_api: LiveApi) -> None:
    _, practice = published(live_api)
    app = propose_title(open_page, live_api, practice, f"Une recyclerie {unique_word()}")

    checked(app.button(key=f"own_withdraw__{practice['id']}").click().run())

    assert any("est retirée" in s.value for s in app.success)
    assert proposal_of(live_api, practice["id"]) is None
    assert app.button(key=f"own_propose__{practice['id']}").label == "Proposer une modification"
    # Every card has these: each says which practice it acts on.
    names = accessible_names(app)
    assert names[f"own_propose__{practice['id']}"] == f"Proposer une modification : « {practice['title']} »"
    assert names[f"own_history__{practice['id']}"] == f"Historique de la fiche : « {practice['title']} »"


@pytest.mark.parametrize(
    ("rejected", "label"),
    [(False, "Modifier"), (True, "Corriger et renvoyer en modération")],
    ids=["pending", "rejected"],
)
def test_a_contributor_corrects_their_sheet_awaiting_moderation(
    open_page: OpenPage, live_api: LiveApi, rejected: bool, label: str
) -> None:
    """Pending or rejected, it is edited directly; a rejected one goes back to moderation, its reason cleared."""
    _, sheet = fresh(live_api)
    if rejected:
        sheet = httpx.post(
            f"{live_api.url}/api/v1/monographs/{sheet['id']}/reject",
            json={"reason": "Merci de chiffrer les résultats."},
            headers={"X-API-Key": live_api.editor_key},
        ).json()
    app = with_key(open_page, live_api.contributor_key)
    assert app.button(key=f"own_edit__{sheet['id']}").label == label

    checked(app.button(key=f"own_edit__{sheet['id']}").click().run())
    instance = sheet_instance("own", sheet["id"], sheet["version"])
    app.text_area(key=form_key("results", instance)).input("40 trajets par semaine, 12 bénévoles.")
    checked(app.button(key=f"own_save__{sheet['id']}").click().run())

    assert any("attend la validation" in s.value for s in app.success), [e.value for e in app.error]
    now = stored(live_api, sheet["id"])
    assert (now["status"], now["results"], now["version"]) == (
        "submitted",
        "40 trajets par semaine, 12 bénévoles.",
        sheet["version"] + 1,
    )
    assert now["rejection_reason"] is None


def test_a_planted_proposal_stays_text_in_moderation(open_page: OpenPage, live_api: LiveApi) -> None:
    _, practice = published(live_api)
    planted = " ".join(INJECTIONS)
    body = {k: v for k, v in stored(live_api, practice["id"]).items() if k in PUT_FIELDS}
    body |= {"summary": f"Un résumé planté : {planted}", "tags": list(INJECTIONS), "version": practice["version"]}
    answer = httpx.put(
        f"{live_api.url}/api/v1/monographs/{practice['id']}/proposal",
        json=body,
        headers={"X-API-Key": live_api.contributor_key},
    )
    assert answer.status_code == 202, answer.text

    editor = moderating(open_page, live_api.editor_key)

    review = " ".join(m.value for m in editor.tabs[1].markdown)
    assert safe_text(planted) in re.sub(r"</?(ins|del)>", "", review)  # every word escaped, in or out of a mark
    assert_never_raw(editor)
    assert_html_is_read_as_html(editor)


# What a PUT sends back of a sheet read from the API: its content fields.
PUT_FIELDS = (
    "title",
    "summary",
    "context",
    "approach",
    "results",
    "success_factors",
    "outlook",
    "territory",
    "territory_types",
    "actor_categories",
    "actors",
    "odd",
    "year",
    "programmes",
    "tags",
    "contact",
    "sources",
)


def test_a_word_diff_marks_whole_words_and_escapes_them() -> None:
    before, after = word_diff("Une <b>recyclerie</b> du Diois", "Une ressourcerie du Diois & Die")

    assert before == "Une <del>&#60;b&#62;recyclerie&#60;/b&#62;</del> du Diois"
    assert after == "Une <ins>ressourcerie</ins> du Diois <ins>&#38; Die</ins>"
    assert word_diff("Deux lignes\n\nici", "Deux lignes\n\nici") == ("Deux lignes<br><br>ici",) * 2
    # Past the budget, each text whole and unmarked (escaped all the same).
    long = "a " * 2_000
    assert word_diff(long + "<b>", long) == (safe_text(long + "<b>"), safe_text(long))


def test_a_sheet_changed_while_it_is_edited_is_refused_and_what_was_typed_stays(
    open_page: OpenPage, live_api: LiveApi
) -> None:
    """The form is sent with the version it was opened at: the contributor's edit in between is never overwritten
    by the editor's save, and the editor's words are not lost either."""
    _, created = fresh(live_api)
    app = moderating(open_page, live_api.editor_key, id=created["id"])
    checked(app.button(key=f"moderation_edit__{created['id']}").click().run())
    body = {k: v for k, v in created.items() if k in PUT_FIELDS} | {"results": "Chiffres du contributeur."}
    meanwhile = httpx.put(
        f"{live_api.url}/api/v1/monographs/{created['id']}",
        json=body | {"version": created["version"]},
        headers={"X-API-Key": live_api.contributor_key},
    )
    assert meanwhile.status_code == 200, meanwhile.text
    title = app.text_input(key=form_key("title", sheet_instance("moderation", created["id"], created["version"])))
    title.input("Un titre corrigé par l'éditeur")

    checked(app.button(key=f"moderation_save__{created['id']}").click().run())

    assert any("a été modifiée entre-temps" in e.value for e in app.error), [e.value for e in app.error]
    assert app.text_input(key=title.key).value == "Un titre corrigé par l'éditeur"
    now = stored(live_api, created["id"])
    assert (now["title"], now["results"], now["version"]) == (created["title"], "Chiffres du contributeur.", 2)
