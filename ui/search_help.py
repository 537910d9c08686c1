"""What to do when nothing matches: other words, fewer filters, or a popular theme."""

from __future__ import annotations

import streamlit as st

from ui import state
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


def no_results_help(search: SearchState) -> None:
    """The zero-results panel: each suggestion is one click away."""
    st.info("Aucune pratique ne correspond à cette recherche.", icon=":material/search_off:")
    if search.q:
        st.markdown(
            "Vérifiez l'orthographe, ou essayez des termes plus généraux "
            "(« mobilité » plutôt que « covoiturage solidaire »)."
        )
        st.button("Effacer les mots recherchés", key="suggest_clear_query", on_click=state.clear_query)
    if search.has_filters:
        st.markdown("Des filtres sont actifs : retirez-en un au-dessus des résultats, ou tous d'un coup.")
        st.button("Retirer tous les filtres", key="suggest_clear_filters", on_click=state.clear_filters)
    st.markdown("**Thèmes souvent recherchés :**")
    with st.container(horizontal=True, gap="small", key="popular_themes"):
        for theme in POPULAR_THEMES:
            st.button(theme, key=f"theme__{theme}", on_click=state.search_for, args=(theme,))
