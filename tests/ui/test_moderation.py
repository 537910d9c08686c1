"""Modération (editors): the full preview, the submitter and date, possible duplicates, editing before
publishing, publishing and rejecting."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from streamlit.testing.v1 import AppTest

from tests.live import LiveApi
from tests.ui.conftest import (
    MODERATION,
    OpenPage,
    checked,
    hit_titles,
    moderating,
    own_practices,
    unique_word,
    with_key,
)
from ui.monograph_form import form_key
from ui.sheet_editor import sheet_instance
from ui.text import french_date, md_literal


def sent(live_api: LiveApi, title: str, api_key: str | None = None, **fields: Any) -> dict[str, Any]:
    """A practice sent to the API directly (a contributor's submission unless another key is given)."""
    body = {
        "title": title,
        "summary": "La commune, une association et des bénévoles font vivre une recyclerie de quartier.",
        "context": "Les encombrants partaient en décharge.",
        "territory": {"name": "Die", "code": "26113"},
        "territory_types": ["rural"],
        "actor_categories": ["collectivite", "association"],
        "actors": [{"name": "Association Les Bricoleurs du Diois", "category": "association", "role": "animation"}],
        "odd": [12, 17],
        "sources": ["https://exemple.fr/recyclerie"],
        **fields,
    }
    headers = {"X-API-Key": api_key or live_api.contributor_key}
    response = httpx.post(f"{live_api.url}/api/v1/monographs", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def fresh(live_api: LiveApi) -> tuple[str, dict[str, Any]]:
    """A new contributor's submission, and the made-up word of its title."""
    word = unique_word()
    return word, sent(live_api, f"Une recyclerie {word} tenue par les habitants")


def stored(live_api: LiveApi, monograph_id: str) -> dict[str, Any]:
    """A practice as the API holds it now (read with the editor's key)."""
    url = f"{live_api.url}/api/v1/monographs/{monograph_id}"
    found: dict[str, Any] = httpx.get(url, headers={"X-API-Key": live_api.editor_key}).json()
    return found


def card_of(app: AppTest, key: str) -> Any:
    """The container of that widget key (a card of the queue)."""
    pending = [app.main]
    while pending:
        block = pending.pop()
        if getattr(block, "key", None) == key:
            return block
        pending.extend(getattr(block, "children", {}).values())
    raise AssertionError(f"no container {key}")


def texts(app: AppTest) -> str:
    return " ".join(m.value for m in app.markdown) + " ".join(c.value for c in app.caption)


def test_the_page_is_for_editors(open_page: OpenPage, live_api: LiveApi) -> None:
    created = sent(live_api, f"Une recyclerie {unique_word()}")

    anonymous = open_page(MODERATION)
    contributor = moderating(open_page, live_api.contributor_key)

    assert [i.value for i in anonymous.info] == ["Cette page est réservée aux éditeurs : saisissez une clé d'éditeur."]
    assert any(e.label == "Comment obtenir une clé ?" for e in anonymous.expander)
    assert "clé de contributeur" in contributor.info[0].value
    for app in (anonymous, contributor):
        assert not [b for b in app.button if created["id"] in (b.key or "")]
        assert created["title"] not in texts(app)


def test_a_pending_practice_is_shown_in_full_with_its_submitter_and_date(
    open_page: OpenPage, live_api: LiveApi
) -> None:
    word, created = fresh(live_api)

    app = moderating(open_page, live_api.editor_key)

    page = texts(app)
    assert f"<h2>Une recyclerie {word} tenue par les habitants</h2>" in page
    today = french_date(datetime.now(UTC).isoformat())
    assert f"Soumise le {today} par Contributeur" in [c.value for c in app.caption]
    # The full preview: story, actors, ODD, sources.
    preview = next(e for e in app.expander if e.key == f"moderation_preview__{created['id']}")
    shown = " ".join(m.value for m in preview.markdown)
    assert "Les encombrants partaient en décharge." in shown
    assert "<strong>Association Les Bricoleurs du Diois</strong> — Association <em>(animation)</em>" in shown
    assert "ODD 12 · Consommation et production responsables" in shown
    assert 'href="https://exemple.fr/recyclerie"' in shown
    assert "Contexte" in [h.value for h in preview.subheader]


def test_a_possible_duplicate_is_flagged_with_a_link(open_page: OpenPage, live_api: LiveApi) -> None:
    word = unique_word()
    original = sent(live_api, f"La recyclerie {word} des habitants du Diois", live_api.editor_key, status="published")
    created = sent(live_api, f"Une recyclerie {word} pour les habitants du Diois")

    app = moderating(open_page, live_api.editor_key, id=created["id"])

    # Other tests' recycleries share most words with this title too: this one must be among the warnings.
    warnings = [w.value for w in app.warning]
    assert f"Doublon possible : « {md_literal(original['title'])} » (titre très proche, publiée)" in warnings, warnings
    assert all(w.startswith("Doublon possible : « ") for w in warnings), warnings
    links = [link.proto for link in app.get("page_link") if link.proto.query_string == f"id={original['id']}"]
    assert [(link.page, link.label) for link in links] == [("fiche", f"Voir « {md_literal(original['title'])} »")]


def test_an_editor_edits_then_publishes(open_page: OpenPage, live_api: LiveApi) -> None:
    corrected = unique_word()
    _, created = fresh(live_api)
    app = moderating(open_page, live_api.editor_key, id=created["id"])

    checked(app.button(key=f"moderation_edit__{created['id']}").click().run())
    instance = sheet_instance("moderation", created["id"], created["version"])
    title = app.text_input(key=form_key("title", instance))
    assert title.value == created["title"]  # the form holds the sheet as sent
    assert [box.value for box in app.selectbox if box.label == "Territoire officiel"] == ["commune:26113"]
    assert not [w for w in app.warning if "Session State" in w.value]
    title.input(f"Une recyclerie {corrected} tenue par les habitants")
    checked(app.button(key=f"moderation_save__{created['id']}").click().run())

    assert any("enregistrées" in s.value for s in app.success), [e.value for e in app.error]
    edited = stored(live_api, created["id"])
    assert edited["title"] == f"Une recyclerie {corrected} tenue par les habitants" and edited["version"] == 2
    assert edited["status"] == "submitted" and edited["territory"]["code"] == "26113"
    assert edited["actors"] == created["actors"] and edited["sources"] == created["sources"]

    checked(app.button(key=f"moderation_publish__{created['id']}").click().run())

    assert any("est publiée" in s.value for s in app.success)
    assert any(corrected in title for title in hit_titles(open_page(None, q=corrected)))


def test_an_edit_with_errors_shows_the_summary_and_keeps_the_sheet(open_page: OpenPage, live_api: LiveApi) -> None:
    created = sent(live_api, f"Une recyclerie {unique_word()}")
    app = moderating(open_page, live_api.editor_key, id=created["id"])
    checked(app.button(key=f"moderation_edit__{created['id']}").click().run())
    instance = sheet_instance("moderation", created["id"], created["version"])

    app.text_input(key=form_key("title", instance)).input("ab")
    checked(app.button(key=f"moderation_save__{created['id']}").click().run())

    assert any("Le formulaire contient 1 erreur<" in m.value for m in app.markdown)
    assert "Trop court : au moins 3 caractères." in [e.value for e in app.error]
    assert stored(live_api, created["id"])["version"] == 1


def test_an_editor_publishes_from_the_queue_and_the_practice_becomes_searchable(
    open_page: OpenPage, live_api: LiveApi
) -> None:
    word, created = fresh(live_api)
    app = moderating(open_page, live_api.editor_key)
    assert any(b.key == f"moderation_publish__{created['id']}" for b in app.button)

    checked(app.button(key=f"moderation_publish__{created['id']}").click().run())

    assert any("est publiée" in s.value for s in app.success)
    assert not any(created["id"] in (b.key or "") for b in app.button)
    assert any(word in title for title in hit_titles(open_page(None, q=word)))


def test_a_sheet_its_contributor_changed_while_it_was_read_is_not_published(
    open_page: OpenPage, live_api: LiveApi
) -> None:
    """The editor publishes what they read: a sheet changed since is refused, and the page shows the new one."""
    from tests.ui.test_proposals import PUT_FIELDS  # which imports this module

    _, created = fresh(live_api)
    app = moderating(open_page, live_api.editor_key, id=created["id"])
    body = {k: v for k, v in stored(live_api, created["id"]).items() if k in PUT_FIELDS} | {"title": "Tout autre"}
    changed = httpx.put(
        f"{live_api.url}/api/v1/monographs/{created['id']}",
        json=body | {"version": created["version"]},
        headers={"X-API-Key": live_api.contributor_key},
    )
    assert changed.status_code == 200, changed.text

    checked(app.button(key=f"moderation_publish__{created['id']}").click().run())

    assert any("a changé entre-temps" in e.value for e in app.error), [e.value for e in app.error]
    assert stored(live_api, created["id"])["status"] == "submitted"
    assert "Tout autre" in texts(app)


def test_a_sheet_another_editor_published_meanwhile_is_said_already_decided(
    open_page: OpenPage, live_api: LiveApi
) -> None:
    _, created = fresh(live_api)
    app = moderating(open_page, live_api.editor_key, id=created["id"])
    published = httpx.post(
        f"{live_api.url}/api/v1/monographs/{created['id']}/publish", headers={"X-API-Key": live_api.editor_key}
    )
    assert published.status_code == 200

    # The page still shows the version it read; the practice is now version 2, published.
    checked(app.button(key=f"moderation_publish__{created['id']}").click().run())

    assert any("a déjà été traitée entre-temps" in e.value for e in app.error), [e.value for e in app.error]


def test_an_editor_rejects_with_a_reason_the_contributor_reads(open_page: OpenPage, live_api: LiveApi) -> None:
    word, created = fresh(live_api)
    app = moderating(open_page, live_api.editor_key, id=created["id"])

    checked(app.button(key=f"moderation_reject__{created['id']}").click().run())
    # Under that card's reason field, not at the top of the queue.
    assert any("Indiquez le motif" in e.value for e in card_of(app, f"review-{created['id']}").get("error"))
    app.text_input(key=f"moderation_reason__{created['id']}").input("Merci de chiffrer les résultats.")
    checked(app.button(key=f"moderation_reject__{created['id']}").click().run())

    assert any("est refusée" in s.value for s in app.success)
    assert not any(word in title for title in hit_titles(open_page(None, q=word)))
    (own,) = own_practices(live_api, word)
    assert own["status"] == "rejected"
    contributor = with_key(open_page, live_api.contributor_key)
    assert "Merci de chiffrer les résultats." in " ".join(m.value for m in contributor.tabs[1].markdown)
    assert "refusée" in " ".join(c.value for c in contributor.tabs[1].caption)


def test_a_territory_the_referential_does_not_know_is_marked(open_page: OpenPage, live_api: LiveApi) -> None:
    named, coded = unique_word(), unique_word()
    sent(live_api, f"Covoiturage {named}", territory={"name": "Vallée du Tarn"})
    sent(live_api, f"Covoiturage {coded}", territory={"name": "Die", "code": "26113"})

    app = moderating(open_page, live_api.editor_key)

    def card(word: str) -> str:
        """The markdown drawn from this practice's heading to the next practice's."""
        blocks = [m.value for m in app.markdown]
        start = next(i for i, block in enumerate(blocks) if f"Covoiturage {word}" in block and "<h2" in block)
        end = next((i for i in range(start + 1, len(blocks)) if "<h2" in blocks[i]), len(blocks))
        return " ".join(blocks[start:end])

    assert 'class="impact-badge impact-badge-unresolved"' in card(named) and "Territoire non reconnu" in card(named)
    assert "Territoire non reconnu" not in card(coded)
