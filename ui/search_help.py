"""What to do when nothing matches: other words, fewer filters, or a popular theme."""

from __future__ import annotations

import streamlit as st

from ui import state
from ui.components import count_label
from ui.state import SearchState

# Themes many practices share (each finds several seed practices; tests/ui/test_search_page.py checks it).
POPULAR_THEMES = (
    "tiers-lieux",
    "mobilité",
    "circuits courts",
    "alimentation",
    "énergie",
    "économie circulaire",
    "santé",
    "jeunes",
)


def no_results_help(search: SearchState, without_filters: int | None = None) -> None:
    """The zero-results panel: each suggestion is one click away. `without_filters`: how many practices
    the words alone match (the API says so when the filters left nothing)."""
    st.info("Aucune pratique ne correspond à cette recherche.", icon=":material/search_off:")
    if search.q:
        st.markdown(
            "Vérifiez l'orthographe, ou essayez des termes plus généraux "
            "(« mobilité » plutôt que « covoiturage solidaire »)."
        )
        st.button("Effacer les mots recherchés", key="suggest_clear_query", on_click=state.clear_query)
    if search.has_filters:
        st.markdown("Des filtres sont actifs : retirez-en un au-dessus des résultats, ou tous d'un coup.")
        label = "Retirer tous les filtres"
        if without_filters:
            label += f" ({count_label(without_filters, 'pratique', 'pratiques')} sans filtre)"
        st.button(label, key="suggest_clear_filters", on_click=state.clear_filters)
    st.markdown("**Thèmes souvent recherchés :**")
    with st.container(horizontal=True, gap="small", key="popular_themes"):
        for theme in POPULAR_THEMES:
            st.button(theme, key=f"theme__{theme}", on_click=state.search_for, args=(theme,))
