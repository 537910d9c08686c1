"""Fiche pratique (`/fiche?id=…`): the whole monograph, its actors, ODD, sources, contact and similar practices."""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from ui import client
from ui.components import SEARCH_PAGE, fetch, html_block, link, safe_url, tab_title
from ui.practice_view import practice_facts, practice_heading, practice_story, practice_summary
from ui.result_card import hit_card
from ui.state import current
from ui.text import french_date

# The search left, in its link: the search page finds it in its address and does not rewrite the address itself,
# which broke the browser's Back (it came back to this page without its practice).
st.page_link(
    SEARCH_PAGE, label="Retour aux résultats", icon=":material/arrow_back:", query_params=current().to_params()
)
monograph_id = st.query_params.get("id", "")
if not re.fullmatch(r"[a-z0-9-]{1,120}", monograph_id):
    st.info("Choisissez une pratique dans la recherche pour afficher sa fiche.", icon=":material/search:")
    st.stop()

refs = fetch(client.referentials)
monograph = fetch(
    lambda: client.monograph(monograph_id),
    not_found="Cette pratique est introuvable : elle a peut-être été retirée, ou le lien est incomplet.",
    back_link=False,  # « Retour aux résultats », above
)

tab_title(monograph["title"])
practice_heading(monograph, refs)
published, updated = french_date(monograph.get("published_at")), french_date(monograph.get("updated_at"))
dates = [f"Publiée le {published}"] if published else []
# Updated only when its content changed after it was first written (version 1: created, imported or seeded as it
# is), on another day than its publication: an import's date is not an update.
if updated and monograph.get("version", 1) > 1 and updated != published:
    dates.append(f"mise à jour le {updated}")
if dates:
    st.caption(" · ".join(dates))
practice_summary(monograph)

story, facts = st.columns([2, 1], gap="large")
with story:
    practice_story(monograph)

with facts, st.container(border=True):
    practice_facts(monograph, refs, key="fiche")
    address = safe_url(monograph.get("url"))
    if address:
        st.markdown("**Partager cette fiche**")
        # A plain link (its address is the text to copy): a code block scrolls without keyboard access.
        html_block(f'<p class="impact-share">{link(address)}</p>')
        st.caption("Pour l'imprimer ou l'enregistrer en PDF : Ctrl+P (la page s'imprime sans menus).")

st.divider()
st.header("Pratiques similaires", anchor="similaires")
neighbours: list[dict[str, Any]] | None
try:
    neighbours = client.similar(monograph_id)
except (client.ApiUnavailable, client.ApiError):
    neighbours = None
    st.caption("Les pratiques similaires sont momentanément indisponibles.")
if neighbours == []:
    st.caption("Aucune pratique proche pour le moment.")
for neighbour in neighbours or []:
    hit_card(neighbour, refs, texts=False)
