"""« Mon territoire » on the search page: a commune or intercommunality found by name (suggestions from
`/territories` for the typed text), kept in the URL (`like_territory`); practices from territories like
it come first. Once chosen, a removable chip names it."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import client, state
from ui.client import ApiError, ApiUnavailable
from ui.state import SearchState
from ui.text import md_literal

KINDS = ("commune", "epci")
KIND_LABELS = {"commune": "commune", "arrondissement": "arrondissement", "epci": "intercommunalité"}
TYPED_KEY = "my_territory_q"
CHOICE_KEY = "my_territory_choice"
EXPLANATION = (
    "Les pratiques des territoires qui ressemblent au vôtre viennent d'abord : même zone, taille comparable, "
    "même nature d'intercommunalité, même type de territoire, puis même département ou région."
)


def suggestion_label(item: dict[str, Any]) -> str:
    """`Die — commune, Drôme (26)`: enough to tell homonyms apart."""
    department = f"{item['department_name']} ({item['department']})" if item.get("department_name") else None
    details = ", ".join(p for p in (KIND_LABELS.get(item["kind"], item["kind"]), department) if p)
    return f"{item['name']} — {details}"


def territory_name(territory: dict[str, Any]) -> str:
    """`Die (26)`."""
    return f"{territory['name']} ({territory['department']})" if territory.get("department") else territory["name"]


def _choose() -> None:
    state.remember(state.current().with_changes(like_territory=str(st.session_state.get(CHOICE_KEY) or "")))


def _clear() -> None:
    # The typed name and its choice go too: the box is empty again for another territory.
    for key in (TYPED_KEY, CHOICE_KEY):
        st.session_state.pop(key, None)
    state.remember(state.current().with_changes(like_territory=""))


def my_territory(search: SearchState, result: dict[str, Any]) -> None:
    """The chosen territory as a chip that removes it, or a name box and the territories it matches."""
    chosen = result.get("like_territory")
    if search.like_territory and chosen:
        with st.container(horizontal=True, gap="small", vertical_alignment="center", key="my_territory"):
            st.button(
                f"Mon territoire : {md_literal(territory_name(chosen['territory']))}",
                key="my_territory_clear",
                on_click=_clear,
                icon=":material/close:",
                icon_position="right",
                help="Ne plus classer les pratiques par ressemblance avec ce territoire",
            )
        st.caption(EXPLANATION)
        return
    typed, choice = st.columns(2, vertical_alignment="bottom")
    typed.text_input(
        "Mon territoire",
        key=TYPED_KEY,
        placeholder="Votre commune ou intercommunalité, par exemple Die",
        help=EXPLANATION,
        max_chars=100,
    )
    text = str(st.session_state.get(TYPED_KEY) or "").strip()
    if not text:
        return
    try:
        items = client.territories(text, KINDS)
    except (ApiError, ApiUnavailable):
        choice.caption("Les suggestions de territoires sont indisponibles pour le moment.")
        return
    if not items:
        choice.caption("Aucune commune ni intercommunalité ne correspond à ce nom.")
        return
    labels = {item["code"]: suggestion_label(item) for item in items}
    choice.selectbox(
        "Choisir votre territoire",
        options=list(labels),
        index=None,
        format_func=lambda code: labels.get(code, code),
        key=CHOICE_KEY,
        placeholder=f"{len(labels)} territoire{'s' if len(labels) > 1 else ''} trouvé{'s' if len(labels) > 1 else ''}",
        on_change=_choose,
    )
