"""Planted Markdown and HTML (a phishing link, a remote image, raw HTML, emphasis) stays text on
every page, whether it comes from a link's `q` or from a contributor's title, actors and tags.

AppTest shows what the app sends to the browser: the escaped Markdown or HTML source. The same
payloads are rendered in a real browser in test_browser_safety.py.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from tests.live import LiveApi
from tests.ui.conftest import (
    INJECTIONS,
    OpenPage,
    checked,
    field,
    fill_valid,
    hit_titles,
    moderating,
    submit,
    unique_word,
    with_key,
)
from ui.components import safe_text
from ui.text import md_literal

TEXT_ELEMENTS = ("markdown", "caption", "success", "info", "warning", "error", "toast", "title", "header", "subheader")
LABELLED = ("checkbox", "button", "expander", "tab", "radio", "text_input", "text_area", "selectbox", "multiselect")


def shown(app: AppTest) -> list[str]:
    """Every piece of Markdown the page sends: texts, notices, and the labels of widgets, tabs and expanders."""
    texts = [str(getattr(element, "value", "")) for kind in TEXT_ELEMENTS for element in app.get(kind)]
    return texts + [str(getattr(element, "label", "")) for kind in LABELLED for element in app.get(kind)]


def assert_never_raw(app: AppTest) -> None:
    for text in shown(app):
        for payload in INJECTIONS:
            assert payload not in text, text


def assert_html_is_read_as_html(app: AppTest) -> None:
    """Each HTML block starts with a block tag, so Markdown never reads the text inside (where a
    bare URL or e-mail address in someone's text would become a link)."""
    for markdown in app.markdown:
        if markdown.proto.allow_html:
            assert re.match(r"\s*<(div|p|h[1-6]|ul|style|footer)[\s>]", markdown.value), markdown.value


def planted_title(word: str) -> str:
    return f"{word} {' '.join(INJECTIONS)}"


def contributor_submits(live_api: LiveApi, word: str) -> dict[str, Any]:
    """A submission whose title, actor names and tags all carry the payloads, sent to the API directly."""
    body = {
        "title": planted_title(word),
        "summary": f"La recyclerie {word} réunit la commune, une association et des bénévoles.",
        "territory": {"name": "Saint-Affrique", "department": "12", "region": "Occitanie"},
        "territory_types": ["rural"],
        "actor_categories": ["association"],
        "actors": [{"name": payload, "category": "association", "role": payload} for payload in INJECTIONS],
        "odd": [12],
        "tags": list(INJECTIONS),
    }
    response = httpx.post(
        f"{live_api.url}/api/v1/monographs", json=body, headers={"X-API-Key": live_api.contributor_key}
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


@pytest.mark.parametrize("path", ["views/export.py", "views/dashboard.py"])
@pytest.mark.parametrize("payload", INJECTIONS)
def test_the_words_of_a_link_are_described_as_typed(open_page: OpenPage, path: str, payload: str) -> None:
    app = open_page(path, q=payload)

    described = [m.value for m in app.markdown if "mots «" in m.value]
    assert len(described) == 1
    assert f"mots « {md_literal(payload)} »" in described[0]
    assert_never_raw(app)


def test_a_planted_submission_stays_text_in_moderation_and_on_its_page(open_page: OpenPage, live_api: LiveApi) -> None:
    word = unique_word()
    created = contributor_submits(live_api, word)
    title = created["title"]

    editor = moderating(open_page, live_api.editor_key)
    assert f"<h2>{safe_text(title)}</h2>" in " ".join(m.value for m in editor.markdown)
    assert_never_raw(editor)
    assert_html_is_read_as_html(editor)

    checked(editor.button(key=f"moderation_publish__{created['id']}").click().run())

    assert [s.value for s in editor.success] == [f"« {md_literal(title)} » est publiée et visible dans la recherche."]
    assert_never_raw(editor)

    fiche = open_page("views/fiche.py", id=created["id"])
    page = " ".join(m.value for m in fiche.markdown)
    assert f"<h1>{safe_text(title)}</h1>" in page
    for payload in INJECTIONS:
        assert f"<li><strong>{safe_text(payload)}</strong> — Association <em>({safe_text(payload)})</em></li>" in page
        # The tag is a search link whose label is literal text, and which searches for the tag as typed.
        tag_links = [link for link in fiche.get("page_link") if link.proto.query_string == urlencode({"q": payload})]
        assert [link.proto.label for link in tag_links] == [md_literal(payload)]
    assert_never_raw(fiche)
    assert_html_is_read_as_html(fiche)
    search = open_page(None, q=word)
    assert title in [html.unescape(shown_title) for shown_title in hit_titles(search)]
    assert_never_raw(search)
    assert_html_is_read_as_html(search)


def test_a_planted_title_stays_text_in_the_thanks(open_page: OpenPage, live_api: LiveApi) -> None:
    word = unique_word()
    app = with_key(open_page, live_api.contributor_key)
    fill_valid(app, word)
    app.text_input(key=field(app, "title")).input(planted_title(word))

    submit(app)

    assert len(app.success) == 1
    assert f"La fiche « {md_literal(planted_title(word))} » a bien été reçue." in app.success[0].value
    assert_never_raw(app)


def test_an_api_message_in_an_error_stays_text() -> None:
    from ui.monograph_form import field_errors

    found = field_errors([{"loc": ["body", "title"], "type": "custom", "msg": INJECTIONS[0]}])

    assert found == {"title": [f"Valeur refusée : {md_literal(INJECTIONS[0])}"]}
