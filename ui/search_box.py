"""Suggestions while typing in the search box: themes, programmes, territories and practices from the API's
`/suggest`, under Streamlit's own text input (so Enter, the URL and every test of the box stay as they were).

A small Streamlit component (`search_box.js`, no framework, no CDN) makes the box an ARIA combobox and asks
the API from the browser at each pause in typing (no Streamlit run per key). Choosing a suggestion comes
back here: a theme, programme or territory becomes the searched words (none of them is a facet, and the
words search their fields; the box then shows what is searched), a practice opens its page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from ui import state
from ui.components import FICHE_PAGE
from ui.site_frame import public_api_url

KEY = "search_suggestions"
KIND_LABELS = {"tag": "Thème", "programme": "Programme", "territory": "Territoire", "practice": "Pratique"}
TEXTS = {
    "list": "Suggestions",
    "one": "1 suggestion : flèches haut et bas pour la choisir, Entrée pour l'ouvrir.",
    "many": "{n} suggestions : flèches haut et bas pour en choisir une, Entrée pour l'ouvrir.",
}

_component = st.components.v2.component(
    "impact_search_suggestions",
    js=(Path(__file__).parent / "search_box.js").read_text(encoding="utf-8"),
    isolate_styles=False,  # the listbox must be in the page's document: the box names it (aria-controls)
)


def words_of(choice: Any) -> str | None:
    """The words a chosen suggestion searches for (None for a practice, or anything unexpected)."""
    if not isinstance(choice, dict) or choice.get("kind") not in KIND_LABELS or choice.get("kind") == "practice":
        return None
    words = str(choice.get("text") or "").strip()[:500]
    return words or None


def practice_of(choice: Any) -> str | None:
    """The practice a chosen suggestion opens."""
    if isinstance(choice, dict) and choice.get("kind") == "practice" and isinstance(choice.get("id"), str):
        return choice["id"] or None
    return None


def _on_chosen() -> None:
    words = words_of(st.session_state[KEY].get("chosen"))
    if words:
        state.remember(state.current().with_changes(q=words))


def search_suggestions(input_key: str = "search_q") -> None:
    """Suggestions under the text input `input_key`; choosing a practice opens its page."""
    result = _component(
        key=KEY,
        data={
            "api": public_api_url(),
            "input": input_key,
            "labels": KIND_LABELS,
            "texts": TEXTS,
            "limit": 8,
            "min_chars": 2,
            "delay_ms": 150,
        },
        on_chosen_change=_on_chosen,
    )
    practice = practice_of(result.chosen)
    if practice:
        st.switch_page(FICHE_PAGE, query_params={"id": practice})
