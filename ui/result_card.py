"""One search result: its title is the link to the practice; territory types and ODD, a few at most; why its
territory is like mine, when the search has one."""

from __future__ import annotations

from typing import Any

import streamlit as st

from schemas.facets import TERRITORY_TYPE
from ui.components import (
    FICHE_PAGE,
    badge,
    highlighted,
    html_block,
    marked_pieces,
    odd_badge,
    odd_info,
    safe_text,
    territory_line,
)
from ui.text import md_literal

MAX_TYPES = 2
MAX_ODD = 3


def title_markdown(hit: dict[str, Any]) -> str:
    """The title as a link label: literal text, the API's highlighted words in bold."""
    light = (hit.get("highlight") or {}).get("title")
    if not light:
        return md_literal(hit["title"])
    pieces = []
    for text, marked in marked_pieces(light):
        literal = md_literal(text)
        # Bold only around words: CommonMark would not open or close `**` next to a space.
        if marked and literal:
            literal = f"**{literal}**"
        # md_literal trims; the spaces between pieces stay.
        pieces.append(" " * text[:1].isspace() + literal + " " * (text[-1:].isspace() and bool(literal)))
    return "".join(pieces).strip()


def _more(hidden: list[str]) -> str:
    """ "+n" standing for the values not shown, which its tooltip and screen readers still name."""
    names = ", ".join(hidden)
    return (
        f'<span class="impact-badge impact-badge-more" title="{safe_text(names)}">'
        f'+{len(hidden)}<span class="impact-sr-only"> : {safe_text(names)}</span></span>'
    )


def card_badges(hit: dict[str, Any], refs: dict[str, Any]) -> str:
    """Territory types then ODD, a few of each; "+n" for the rest (actor categories are on the practice page)."""
    types = [str(t) for t in hit.get("territory_types", [])]
    odds = [str(n) for n in hit.get("odd", [])]
    pieces = [badge(TERRITORY_TYPE.label(t), "type", TERRITORY_TYPE.title) for t in types[:MAX_TYPES]]
    if types[MAX_TYPES:]:
        pieces.append(_more([TERRITORY_TYPE.label(t) for t in types[MAX_TYPES:]]))
    pieces += [odd_badge(n, refs) for n in odds[:MAX_ODD]]
    if odds[MAX_ODD:]:
        pieces.append(_more([f"ODD {n} : {odd_info(refs, n)['label']}" for n in odds[MAX_ODD:]]))
    return f'<div class="impact-badges">{"".join(pieces)}</div>'


def likeness_line(hit: dict[str, Any]) -> str:
    """Why the practice's territory is like mine (« Mon territoire »), when the search asked."""
    reasons = hit.get("similarity_reasons") or []
    if not reasons:
        return ""
    return f'<p class="impact-likeness">Territoire comparable : {safe_text(", ".join(reasons))}</p>'


def hit_card(hit: dict[str, Any], refs: dict[str, Any], texts: bool = True) -> None:
    """The title links to the practice (one tab stop per result); then place, a few badges and, with
    `texts`, the summary and the passages that matched."""
    with st.container(border=True, key=f"hit-{hit['id']}"):
        st.page_link(FICHE_PAGE, label=title_markdown(hit), query_params={"id": hit["id"]})
        body = f"{territory_line(hit)}{card_badges(hit, refs)}{likeness_line(hit)}"
        if texts:
            light = hit.get("highlight") or {}
            summary = highlighted(light["summary"]) if light.get("summary") else safe_text(hit["summary"])
            snippets = "".join(f"<p>{highlighted(s)}</p>" for s in (light.get("sections") or [])[:2])
            body += f'<div class="impact-snippet"><p>{summary}</p>{snippets}</div>'
        html_block(f'<div class="impact-hit">{body}</div>')
