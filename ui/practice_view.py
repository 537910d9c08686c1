"""A practice sheet as readers see it: its heading, story and facts (actors, ODD, programmes, contact, sources).

Drawn by the practice page (`pages/fiche.py`) and, as a full preview, by the moderation page.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import streamlit as st

from schemas.monograph import SECTION_FIELDS
from ui.components import (
    SEARCH_PAGE,
    badges,
    html_block,
    labels,
    link,
    odd_badge,
    odd_info,
    paragraphs,
    safe_text,
    safe_url,
    territory_line,
)
from ui.monograph_form import SECTION_TEXTS
from ui.text import md_literal

SECTIONS = [(name, SECTION_TEXTS[name][0]) for name in SECTION_FIELDS]
EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[A-Za-z]{2,}$")


def practice_heading(monograph: dict[str, Any], refs: dict[str, Any], level: int = 1) -> None:
    """The title (an `<h1>` on its own page, lower in a list), where it happens, and its badges."""
    title = f"<h{level}>{safe_text(monograph['title'])}</h{level}>"
    html_block(f"{title}{territory_line(monograph)}{badges(monograph, refs)}")


def practice_summary(monograph: dict[str, Any]) -> None:
    html_block(f"<p style='font-size:1.1rem'><strong>{safe_text(monograph['summary'])}</strong></p>")


def practice_story(monograph: dict[str, Any], anchors: bool = True) -> None:
    """The written sections (Contexte, Démarche…), each under its heading."""
    written = [(field, heading) for field, heading in SECTIONS if (monograph.get(field) or "").strip()]
    for field, heading in written:
        if anchors:
            st.header(heading, anchor=field)
        else:
            st.subheader(heading, anchor=False)
        html_block(paragraphs(monograph[field]))
    if not written:
        st.caption("Cette fiche ne comporte pas encore de récit détaillé.")


def practice_facts(monograph: dict[str, Any], refs: dict[str, Any], key: str) -> None:
    """Actors, ODD, programmes and keywords (links to their searches), contact and sources; `key` names
    the widgets (unique on the page)."""
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
    for heading, field in (("Programmes", "programmes"), ("Mots-clés", "tags")):
        if monograph.get(field):
            st.markdown(f"**{heading}**")
            with st.container(horizontal=True, gap="small", key=f"{key}_{field}"):
                for word in monograph[field]:
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
