"""Recherche: full-text search with facets, sort and pages; the whole view lives in the URL."""

from __future__ import annotations

import math

import streamlit as st

from schemas.facets import FACET_BY_NAME
from ui import state
from ui.components import count_label, hit_card, html_block, tab_title
from ui.search_controls import (
    current_results,
    facet_sidebar,
    query_box,
    sort_box,
    value_label,
)
from ui.state import MAX_PAGE, PAGE_SIZE
from ui.text import md_literal

search, refs, result = current_results()
if search.q:
    tab_title(f"« {search.q} »", "Recherche")
else:
    tab_title("Recherche")

st.title("IMPACT-Pratiques")
st.caption(
    "Les pratiques d'innovation territoriale qui ont fait leurs preuves, racontées par celles et ceux qui les portent."
)
query_box(search)
facet_sidebar(search, result["facets"], refs)

total = int(result["total"])
summary, sort_column = st.columns([3, 1], vertical_alignment="bottom")
summary.markdown(f"**{count_label(total, 'pratique trouvée', 'pratiques trouvées')}**")
with sort_column:
    sort_box(search)

if result.get("relaxed") and total:
    st.warning(
        "Aucune pratique ne contient tous vos mots : voici celles qui en contiennent au moins un.",
        icon=":material/info:",
    )

if not total:
    st.info("Aucune pratique ne correspond à cette recherche.", icon=":material/search_off:")
    st.markdown("**Quelques pistes :**")
    if search.q:
        st.markdown(
            "- Vérifiez l'orthographe, ou essayez des termes plus généraux "
            "(« mobilité » plutôt que « covoiturage solidaire »)."
        )
        st.button("Effacer les mots recherchés", key="suggest_clear_query", on_click=state.clear_query)
    if search.active_filters:
        st.markdown("- Retirez un filtre :")
        for facet, value in search.active_filters:
            st.button(
                f"Retirer « {md_literal(value_label(facet, value))} » ({FACET_BY_NAME[facet].title})",
                key=f"suggest_remove__{facet}__{value}",
                on_click=state.on_facet_toggle,
                args=(facet, value),
                icon=":material/close:",
            )
    if search.year_from is not None or search.year_to is not None:
        st.button("Retirer la période", key="suggest_clear_years", on_click=state.clear_years, icon=":material/close:")
    st.stop()

pages = min(math.ceil(total / PAGE_SIZE), MAX_PAGE)
if search.page > pages:
    st.info("Cette page de résultats n'existe plus.")
    st.button("Revenir à la première page", key="page_first", on_click=state.go_to_page, args=(1,))
    st.stop()

for hit in result["hits"]:
    hit_card(hit, refs)

if pages > 1:
    previous, position, following = st.columns([1, 2, 1], vertical_alignment="center")
    previous.button(
        "Précédente",
        key="page_prev",
        icon=":material/chevron_left:",
        disabled=search.page <= 1,
        on_click=state.go_to_page,
        args=(search.page - 1,),
    )
    with position:
        html_block(f"<div style='text-align:center'>Page {search.page} sur {pages}</div>")
    following.button(
        "Suivante",
        key="page_next",
        icon=":material/chevron_right:",
        icon_position="right",
        disabled=search.page >= pages,
        on_click=state.go_to_page,
        args=(search.page + 1,),
    )
