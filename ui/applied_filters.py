"""The filters in force, above the results: one removable chip each, and "Tout effacer"."""

from __future__ import annotations

import streamlit as st

from schemas.facets import FACET_BY_NAME
from ui import state
from ui.accessible_names import name_controls
from ui.state import YEAR_MAX, YEAR_MIN, SearchState
from ui.text import md_literal


def active_filters_label(count: int) -> str:
    return f"{count} filtre actif" if count == 1 else f"{count} filtres actifs"


def filter_count(search: SearchState) -> int:
    """Facet values chosen, plus one for a year range."""
    return len(search.active_filters) + search.has_years


def applied_filters(search: SearchState) -> None:
    """One chip per filter (a click removes it), then "Tout effacer"; nothing when no filter is set."""
    count = filter_count(search)
    if not count:
        return
    # What each chip removes, for screen readers (its visible text is only the value).
    names: dict[str, str] = {}
    with st.container(horizontal=True, gap="small", vertical_alignment="center", key="applied_filters"):
        st.markdown(f"{active_filters_label(count)} :")
        for facet, value in search.active_filters:
            title, label = FACET_BY_NAME[facet].title, FACET_BY_NAME[facet].label(value)
            key = f"chip__{facet}__{value}"
            names[key] = f"Retirer le filtre {title} : {label}"
            st.button(
                md_literal(label),
                key=key,
                on_click=state.on_facet_toggle,
                args=(facet, value),
                icon=":material/close:",
                icon_position="right",
                help=f"Retirer ce filtre ({md_literal(title)})",
            )
        if search.has_years:
            years = f"{search.year_from or YEAR_MIN}–{search.year_to or YEAR_MAX}"
            names["chip__years"] = f"Retirer le filtre Années : {years}"
            st.button(
                f"Années {years}",
                key="chip__years",
                on_click=state.clear_years,
                icon=":material/close:",
                icon_position="right",
                help="Retirer ce filtre (années)",
            )
        st.button("Tout effacer", key="filters_clear", on_click=state.clear_filters, type="tertiary")
    name_controls(names)
