"""The search widgets shared by Recherche, Tableau de bord and Exporter: text box, facets, years, sort."""

from __future__ import annotations

from typing import Any

import streamlit as st

from schemas.facets import FACET_BY_NAME, FACET_NAMES, YEAR
from schemas.search import SORT_LABELS
from ui import client, state
from ui.applied_filters import active_filters_label, applied_filters, filter_count
from ui.components import count_label, fetch, html_block, tab_title
from ui.mobile_filters import close_filters_button, open_filters_button
from ui.state import PAGE_SIZE, YEAR_MAX, YEAR_MIN, SearchState
from ui.text import md_literal


def current_results(size: int = PAGE_SIZE) -> tuple[SearchState, dict[str, Any], dict[str, Any]]:
    """The current search (now also in the URL), the referentials and the API's answer; stops on failure."""
    search = state.current()
    state.remember(search)
    refs = fetch(client.referentials)
    with st.spinner("Recherche en cours…"):
        result = fetch(lambda: client.search(search.search_params(size=size)))
    if result.get("understood"):  # « ODD 13 » typed: the answer is already the filtered search's
        search = state.as_understood(search, result["understood"])
    return search, refs, result


def result_set_page(title: str, empty: str) -> tuple[SearchState, dict[str, Any], dict[str, Any]]:
    """Head of a page working on the whole current result set: title, search box, facets, count and description.

    Stops the page with `empty` when nothing matches.
    """
    search, refs, result = current_results(size=1)
    tab_title(title)
    st.title(title)
    query_box(search)
    total = int(result["total"])
    facet_sidebar(search, result["facets"], total)
    st.markdown(f"**{count_label(total, 'pratique', 'pratiques')}** · {describe(search)}")
    applied_filters(search)
    if not total:
        st.info(f"Aucune pratique ne correspond à cette recherche : {empty}")
        st.stop()
    return search, refs, result


def facet_key(facet: str, value: str) -> str:
    return f"facet__{facet}__{value}"


def value_label(facet: str, value: str) -> str:
    """The French label of a facet value, as the API's facets name it."""
    return FACET_BY_NAME[facet].label(value)


def in_a_sentence(title: str) -> str:
    """A title inside a sentence: its first letter in lower case, acronyms kept (« objectifs de développement durable
    (ODD) », « EPCI »)."""
    return title if title[1:2].isupper() else title[:1].lower() + title[1:]


def describe(search: SearchState) -> str:
    """The current search in one French sentence, as Markdown (for dashboards and exports).

    The words come from the URL, anyone's link: they are shown as the literal text typed.
    """
    parts = [f"mots « {md_literal(search.q)} »"] if search.q else []
    for facet in FACET_NAMES:
        if search.filters[facet]:
            chosen = ", ".join(md_literal(value_label(facet, v)) for v in search.filters[facet])
            parts.append(f"{in_a_sentence(FACET_BY_NAME[facet].title)} : {chosen}")
    if search.has_years:
        parts.append(f"années {search.year_from or YEAR_MIN}–{search.year_to or YEAR_MAX}")
    return " ; ".join(parts) if parts else "toutes les pratiques publiées"


def query_box(search: SearchState) -> None:
    state.sync_widget("search_q", search.q)
    st.text_input(
        "Rechercher une pratique",
        key="search_q",
        placeholder="tiers-lieux, mobilité rurale, circuits courts, PVD…",
        help="Appuyez sur Entrée pour lancer la recherche. Des guillemets cherchent une expression exacte.",
        max_chars=500,
        on_change=state.on_query_change,
    )


def sort_box(search: SearchState) -> None:
    state.sync_widget("search_sort", search.sort)
    st.selectbox(
        "Trier par",
        options=list(SORT_LABELS),
        format_func=lambda value: SORT_LABELS[value],
        key="search_sort",
        on_change=state.on_sort_change,
    )


def words_only_toggle(search: SearchState) -> None:
    """« Mots exacts uniquement »: the words only, not their meaning (`mode=lexical`)."""
    state.sync_widget("search_words_only", search.words_only)
    st.toggle(
        "Mots exacts uniquement",
        key="search_words_only",
        on_change=state.on_words_only_change,
        help="Sans cette option, la recherche trouve aussi les pratiques qui répondent au même besoin avec "
        "d'autres mots.",
    )


# Facets with more values than this are a list one can type into (Streamlit's multiselect searches).
LONG_FACET = 12


def facet_values(
    facet: str, buckets: list[dict[str, Any]], search: SearchState, everything: bool = False
) -> list[tuple[str, int]]:
    """The values to offer, in the order lists show them (so ticking never moves them), with their counts.

    With `everything`, values no practice has stay too (at 0), so a list never changes shape while
    one ticks; otherwise they are left out, unless chosen (so they can be unticked).
    """
    counts = {str(b["value"]): int(b["count"]) for b in buckets}
    chosen = set(search.filters[facet])
    values = FACET_BY_NAME[facet].listed() or list(counts)
    return [(value, counts.get(value, 0)) for value in values if everything or counts.get(value) or value in chosen]


def _checkboxes(facet: str, values: list[tuple[str, int]], search: SearchState) -> None:
    for value, count in values:
        key = facet_key(facet, value)
        state.sync_widget(key, value in search.filters[facet])
        label = f"{md_literal(value_label(facet, value))} ({count})"
        # A value no practice has keeps its place, greyed out, until another choice brings some back.
        disabled = not count and value not in search.filters[facet]
        st.checkbox(
            label,
            key=key,
            on_change=state.on_facet_toggle,
            args=(facet, value),
            width="stretch",
            disabled=disabled,
        )


# Facets too long to offer whole (1,255 EPCI): their values with practices, and a box that searches
# them through the API (accents aside: names, codes, département).
FOUND_BY_API = 200


def _found_by_api(facet: str, values: list[tuple[str, int]], search: SearchState) -> list[tuple[str, int]]:
    """The values with practices, or those the words typed in the facet's search box find (by label)."""
    typed = st.text_input(
        f"Chercher : {FACET_BY_NAME[facet].title}",
        key=f"facet_find__{facet}",
        placeholder="Nom, SIREN ou département…",
        max_chars=100,
    ).strip()
    if not typed:
        return values
    found = fetch(lambda: client.facet_values(facet, typed, search.api_params(paged=False)))
    listed = {v["value"] for v in found["values"]}
    # The chosen values stay (the multiselect holds them), whether the words find them or not.
    chosen = [(value, count) for value, count in values if value in search.filters[facet] and value not in listed]
    if not listed:
        st.caption(f"Aucune valeur avec des pratiques ne correspond à « {md_literal(typed)} ».")
    return sorted(
        [(v["value"], int(v["count"])) for v in found["values"]] + chosen, key=lambda pair: value_label(facet, pair[0])
    )


def _searchable_list(facet: str, values: list[tuple[str, int]], search: SearchState) -> None:
    if len(FACET_BY_NAME[facet].values) > FOUND_BY_API:
        values = _found_by_api(facet, values, search)
    counts = dict(values)
    key = f"facet_list__{facet}"
    state.sync_widget(key, list(search.filters[facet]))
    title = FACET_BY_NAME[facet].title
    st.multiselect(
        title,
        options=list(counts),
        format_func=lambda value: f"{value_label(facet, value)} ({counts[value]})",
        key=key,
        on_change=state.on_facet_choice,
        args=(facet, key),
        placeholder="Tapez pour chercher…",
        label_visibility="collapsed",
        # No « select every match » entry: typing « 1 » and Enter would tick ODD 1, 10, 11… at once.
        select_all=False,
    )


def _facet(facet: str, buckets: list[dict[str, Any]], search: SearchState) -> None:
    long = len(FACET_BY_NAME[facet].values) > LONG_FACET
    values = facet_values(facet, buckets, search, everything=not long)
    chosen = search.filters[facet]
    if not chosen and not any(count for _, count in values):
        return  # nothing to choose from for this search: no empty group
    title = FACET_BY_NAME[facet].title + (f" · {active_filters_label(len(chosen))}" if chosen else "")
    # A browser keeps a group open or closed as the visitor left it, whatever its title says: once the words chose
    # its values (« ODD 5 et 10 » typed), it is another group, which opens (it stayed closed).
    read = facet == "odd" and bool(chosen) and state.understood_now() is not None
    key = f"facet_group__{facet}" + ("__read" if read else "")
    with st.expander(md_literal(title), expanded=not long or bool(chosen), key=key):
        if long:
            _searchable_list(facet, values, search)
        else:
            _checkboxes(facet, values, search)
        if facet in state.MODE_FIELDS and len(chosen) > 1:
            key = f"all_of__{facet}"
            state.sync_widget(key, facet in search.all_of)
            st.toggle(
                "Alliance : toutes ces catégories",
                key=key,
                on_change=state.on_all_of_change,
                args=(facet, key),
                help="Seulement les pratiques qui réunissent toutes les catégories cochées (sinon : au moins une).",
            )


def facet_sidebar(search: SearchState, facets: dict[str, list[dict[str, Any]]], total: int) -> None:
    """Disjunctive facets with counts (as the API computes them) and the year range, in the sidebar; on a
    phone, where the sidebar is a drawer, "Filtres (n)" opens it and "Voir N pratiques" closes it."""
    open_filters_button(filter_count(search))
    with st.sidebar:
        # Not a heading: the sidebar comes before the page's H1 in the document (its landmark is named "Filtres").
        html_block('<p class="impact-sidebar-title">Affiner la recherche</p>')
        for facet in FACET_NAMES:
            _facet(facet, facets.get(facet, []), search)
        years = (search.year_from or YEAR_MIN, search.year_to or YEAR_MAX)
        state.sync_widget("search_years", years)
        st.slider(
            YEAR.title,
            min_value=YEAR_MIN,
            max_value=YEAR_MAX,
            value=(YEAR_MIN, YEAR_MAX),
            key="search_years",
            on_change=state.on_years_change,
            help="Toute la plage = toutes les pratiques, y compris celles sans année connue.",
        )
        close_filters_button(total)
