"""Fiche pratique (`/fiche?id=…`): the whole monograph, its actors, ODD, sources, contact and similar practices."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import streamlit as st

from schemas.monograph import SECTION_FIELDS
from ui import client
from ui.components import (
    SEARCH_PAGE,
    badges,
    fetch,
    html_block,
    labels,
    link,
    odd_badge,
    odd_info,
    paragraphs,
    safe_text,
    safe_url,
    tab_title,
    territory_line,
)
from ui.monograph_form import SECTION_TEXTS
from ui.result_card import hit_card
from ui.text import french_date, md_literal

SECTIONS = [(name, SECTION_TEXTS[name][0]) for name in SECTION_FIELDS]
EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[A-Za-z]{2,}$")

st.page_link(SEARCH_PAGE, label="Retour aux résultats", icon=":material/arrow_back:")
monograph_id = st.query_params.get("id", "")
if not re.fullmatch(r"[a-z0-9-]{1,120}", monograph_id):
    st.info("Choisissez une pratique dans la recherche pour afficher sa fiche.", icon=":material/search:")
    st.stop()

refs = fetch(client.referentials)
monograph = fetch(
    lambda: client.monograph(monograph_id),
    not_found="Cette pratique est introuvable : elle a peut-être été retirée, ou le lien est incomplet.",
)

tab_title(monograph["title"])
html_block(f"<h1>{safe_text(monograph['title'])}</h1>{territory_line(monograph)}{badges(monograph, refs)}")
dates = [
    f"{label} le {day}"
    for label, key in (("Publiée", "published_at"), ("mise à jour", "updated_at"))
    if (day := french_date(monograph.get(key)))
]
if dates:
    st.caption(" · ".join(dates))
html_block(f"<p style='font-size:1.1rem'><strong>{safe_text(monograph['summary'])}</strong></p>")

story, facts = st.columns([2, 1], gap="large")
with story:
    written = [(field, heading) for field, heading in SECTIONS if (monograph.get(field) or "").strip()]
    for field, heading in written:
        st.header(heading, anchor=field)
        html_block(paragraphs(monograph[field]))
    if not written:
        st.caption("Cette fiche ne comporte pas encore de récit détaillé.")

with facts, st.container(border=True):
    actor_labels = labels(refs, "actor_categories")
    if monograph.get("actors"):
        st.markdown("**Acteurs**")
        items = "".join(
            f"<li><strong>{safe_text(a['name'])}</strong> — {safe_text(actor_labels.get(a['category'], a['category']))}"
            + (f" <em>({safe_text(a['role'])})</em>" if a.get("role") else "")
            + "</li>"
            for a in monograph["actors"]
        )
        html_block(f"<ul>{items}</ul>")
    st.markdown("**Objectifs de développement durable**")
    html_block(
        '<div class="impact-badges">'
        + "".join(odd_badge(n, refs, f"ODD {n} · {odd_info(refs, n)['label']}") for n in monograph.get("odd", []))
        + "</div>"
    )
    # Programmes and keywords run a search for the practices sharing them.
    for heading, key in (("Programmes", "programmes"), ("Mots-clés", "tags")):
        if monograph.get(key):
            st.markdown(f"**{heading}**")
            with st.container(horizontal=True, gap="small", key=f"fiche_{key}"):
                for word in monograph[key]:
                    st.page_link(SEARCH_PAGE, label=md_literal(word), query_params={"q": word})
    contact = monograph.get("contact") or {}
    if any(contact.get(k) for k in ("name", "organisation", "email", "url")):
        st.markdown("**Contact**")
        lines = [safe_text(contact[k]) for k in ("name", "organisation") if contact.get(k)]
        if contact.get("email") and EMAIL.match(contact["email"]):
            lines.append(f'<a href="mailto:{safe_text(contact["email"])}">{safe_text(contact["email"])}</a>')
        website = safe_url(contact.get("url"))
        if website:
            lines.append(link(website))
        # In a <div>: an HTML block, never read as Markdown (a bare URL or e-mail in a name is no link).
        html_block(f"<div>{'<br>'.join(lines)}</div>")
    sources = [url for url in (safe_url(s) for s in monograph.get("sources", [])) if url]
    if sources:
        st.markdown("**Sources**")
        # Each source named by its site; the whole address stays in the link.
        html_block("<ul>" + "".join(f"<li>{link(url, urlsplit(url).netloc)}</li>" for url in sources) + "</ul>")
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
