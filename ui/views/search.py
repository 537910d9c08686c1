"""Recherche: full-text search with facets, sort and pages; the whole view lives in the URL."""

from __future__ import annotations

import json
import math

import streamlit as st

from schemas.understood import Understood
from ui import state
from ui.applied_filters import applied_filters
from ui.components import count_label, html_block, tab_title
from ui.my_territory import my_territory
from ui.result_card import hit_card
from ui.scroll import scroll_to_top_on_change
from ui.search_box import search_suggestions
from ui.search_controls import current_results, facet_sidebar, query_box, sort_box, words_only_toggle
from ui.search_help import no_results_help
from ui.search_map import department_map
from ui.site_frame import intro
from ui.state import MAX_PAGE, PAGE_SIZE
from ui.text import md_literal

search, refs, result = current_results()
if search.q:
    tab_title(f"« {search.q} »", "Recherche")
else:
    tab_title("Recherche")
# Another page of results, other words or filters: back to the top, where the results start.
first_result = result["hits"][0]["id"] if result["hits"] else None
scroll_to_top_on_change(json.dumps(search.to_params(), sort_keys=True, ensure_ascii=False), first_result)

total = int(result["total"])
st.title("IMPACT-Pratiques", anchor=False)
intro(search.api_params(paged=False))
query_box(search)
search_suggestions()
my_territory(search, result)
facet_sidebar(search, result["facets"], total)
applied_filters(search)

summary, mode_column, sort_column = st.columns([2, 1.3, 1], vertical_alignment="bottom")
summary.markdown(f"**{count_label(total, 'pratique trouvée', 'pratiques trouvées')}**")
if search.q:  # meaning applies to words only
    with mode_column:
        words_only_toggle(search)
if total:  # nothing to sort otherwise
    with sort_column:
        sort_box(search)

if understood := state.understood_now():
    typed, answer = understood
    read = Understood.model_validate(answer)
    mentions = " ".join(f"« {md_literal(m)} »" for m in read.mentions)
    st.info(
        f"{mentions} lu comme un filtre : {md_literal(' ; '.join(read.labels()))}.",
        icon=":material/filter_alt:",
    )
    st.button(
        "Chercher ces mots dans le texte",
        key="search_words_as_typed",
        on_click=state.search_words_as_typed,
        args=(typed, read.literal_query()),
    )
if result.get("corrected_query") and total:
    # The practices shown are those the typed words reach despite the typo; the corrected words find more.
    corrected = result["corrected_query"]
    st.info(
        f"Résultats approchants de « {md_literal(search.q)} ». Vouliez-vous dire « {md_literal(corrected)} » ?",
        icon=":material/spellcheck:",
    )
    st.button(
        f"Rechercher « {md_literal(corrected)} »",
        key="search_corrected",
        on_click=state.search_instead,
        args=(corrected,),
    )
if result.get("mode") == "hybrid" and total and result.get("relaxed"):
    st.caption(
        "Recherche par les mots et par le sens. Aucune pratique ne contient tous vos mots : celles qui en contiennent "
        "le plus viennent d'abord, avec celles qui répondent au même besoin."
    )
elif result.get("mode") == "hybrid" and total:
    st.caption(
        "Recherche par les mots et par le sens : les pratiques qui répondent au même besoin apparaissent aussi, "
        "même sans vos mots."
    )
elif result.get("relaxed") and total:
    st.caption(
        "Toutes les pratiques ne contiennent pas tous vos mots : celles qui en contiennent le plus viennent d'abord."
    )

if not total:
    no_results_help(search, result.get("total_without_filters"))
    st.stop()

department_map(search)

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
