"""Safe HTML rendering (escaped text, the API's `<mark>` highlights, badges) and shared page pieces."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import streamlit as st

from schemas.facets import ACTOR_CATEGORY, TERRITORY_TYPE
from ui.client import ApiError, ApiUnavailable

T = TypeVar("T")

SEARCH_PAGE = "pages/search.py"
FICHE_PAGE = "pages/fiche.py"

OUTAGE_MESSAGES = {
    "down": "Le service IMPACT-Pratiques est momentanément indisponible. Réessayez dans quelques instants.",
    "slow": "Le service met trop de temps à répondre. Réessayez dans quelques instants.",
    "error": "Le service IMPACT-Pratiques a rencontré un problème. Réessayez dans quelques instants.",
}

# Everything HTML or Markdown could read as syntax becomes a character reference, so text is
# only ever text, inside or outside an HTML block (`$` would otherwise start a formula).
_ENTITIES = str.maketrans({c: f"&#{ord(c)};" for c in "&<>\"'\\`*_[](){}#!|~$"})
_MARK = re.compile(r"(</?mark>)")
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")

SITE_NAME = "IMPACT-Pratiques"
STYLE = """
<style>
.impact-badges { display: flex; flex-wrap: wrap; gap: .3rem; margin: .2rem 0 .5rem; }
.impact-badge { display: inline-block; padding: .1rem .5rem; border-radius: .75rem; font-size: .8rem;
  line-height: 1.4; font-weight: 600; }
.impact-badge-type { background: #E3EEF9; color: #0B3A66; }
.impact-badge-actor { background: #EDEFE3; color: #333A12; }
.impact-badge-plain { background: #F0F0F4; color: #262730; }
.impact-odd-square { display: inline-flex; align-items: center; justify-content: center; width: 1.9rem;
  height: 1.9rem; border-radius: .25rem; font-weight: 700; }
.impact-badge-more { background: #F0F0F4; color: #262730; }
.impact-sr-only { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
/* A result's title is its link (st.page_link in a container keyed `hit-<id>`). */
[class*="st-key-hit-"] [data-testid="stPageLink"] a { padding: 0; }
[class*="st-key-hit-"] [data-testid="stPageLink"] p { font-size: 1.2rem; font-weight: 600; color: #19486A;
  text-decoration: underline; text-underline-offset: .2em; text-decoration-thickness: 1px; }
[class*="st-key-hit-"] [data-testid="stPageLink"] strong { background: #FFE58F; color: #1A1A1A; }
[class*="st-key-hit-"] [data-testid="stPageLink"] a:hover p { text-decoration-thickness: 2px; }
/* Section titles (H2) sized for reading, not for a poster. */
.stMain [data-testid="stHeading"] h2 { font-size: 1.45rem; padding-top: .6rem; }
.impact-card-title { font-size: 1.15rem; margin: 0 0 .2rem; padding: 0; }
.impact-sidebar-title { font-size: 1.25rem; font-weight: 700; margin: 0; }
.impact-snippet { color: #31333F; font-size: .95rem; }
.impact-snippet mark { background: #FFE58F; color: #1A1A1A; padding: 0 .1rem; }
.impact-meta { color: #4A4C57; font-size: .9rem; }
/* Facet labels beside an ODD square wrap instead of being cut with an ellipsis. */
section[data-testid="stSidebar"] .stMarkdownEllipsis { white-space: normal; overflow: visible; }
section[data-testid="stSidebar"] .stMarkdownEllipsis p { white-space: normal; }
/* Heading anchors stay (a section can be linked to) but their "link" icons leave the tab order. */
[data-testid="stHeaderActionElements"] { display: none; }
/* Captions darker than Streamlit's grey: 4.5:1 contrast at least (WCAG AA). */
[data-testid="stCaptionContainer"] { color: #4A4C57; opacity: 1; }
/* Our scripts (ui/french.py, ui/scroll.py) take no room. */
.stElementContainer:has(script[data-impact-french]), .stElementContainer:has(script[data-impact-scroll]) {
  display: none; }
</style>
"""


def safe_text(text: str) -> str:
    """Plain text as inert HTML; line breaks kept."""
    return str(text).translate(_ENTITIES).replace("\r\n", "\n").replace("\n", "<br>")


def marked_pieces(escaped: str) -> list[tuple[str, bool]]:
    """The API's highlighted text as (plain text, highlighted?) pieces; only paired `<mark>` tags count.

    The API escapes the text itself; it is decoded here, so callers escape it for where it goes.
    """
    pieces: list[tuple[str, bool]] = []
    inside = False
    for piece in _MARK.split(escaped):
        if piece == "<mark>" and not inside:
            inside = True
        elif piece == "</mark>" and inside:
            inside = False
        elif piece:
            pieces.append((html.unescape(piece), inside))
    return pieces


def highlighted(escaped: str) -> str:
    """The API's highlighted text as HTML where only the marks are tags, whatever the API sends."""
    return "".join(
        f"<mark>{safe_text(text)}</mark>" if marked else safe_text(text) for text, marked in marked_pieces(escaped)
    )


def paragraphs(text: str) -> str:
    """Author prose (plain text) as escaped HTML paragraphs."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", str(text)) if b.strip()]
    return "".join(f"<p>{safe_text(block)}</p>" for block in blocks)


def html_block(markup: str) -> None:
    """Render HTML built only from the helpers above (every piece of data already escaped).

    Data goes only inside a block tag (`<div>`, `<p>`, `<h1>`…, `<ul>`) that starts the markup:
    CommonMark then takes the line as raw HTML; after an inline start (`<strong>`, plain text) it
    would read it as Markdown, where a bare URL or e-mail address in someone's text becomes a link.
    """
    st.markdown(markup, unsafe_allow_html=True)


def safe_url(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) link, else None (no javascript:, data:…)."""
    if not url:
        return None
    parts = urlsplit(str(url).strip())
    return parts.geturl() if parts.scheme in ("http", "https") and parts.netloc else None


def link(url: str, label: str | None = None) -> str:
    """An external link that opens in a new tab; callers pass URLs from `safe_url` only."""
    return (
        f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer nofollow">'
        f"{safe_text(label or url)}</a>"
    )


def _colour(value: str, fallback: str) -> str:
    return value if _COLOUR.match(value or "") else fallback


def badge(label: str, kind: str = "plain", title: str | None = None) -> str:
    tooltip = f' title="{safe_text(title)}"' if title else ""
    return f'<span class="impact-badge impact-badge-{kind}"{tooltip}>{safe_text(label)}</span>'


def odd_badge(number: int | str, refs: dict[str, Any], text: str | None = None) -> str:
    """An ODD badge in its official colour; ODD 7's yellow gets dark text (`text_colour`)."""
    odd = odd_info(refs, number)
    style = f"background:{_colour(odd['colour'], '#5A5A5A')};color:{_colour(odd['text_colour'], '#FFFFFF')}"
    label = text if text is not None else f"ODD {odd['value']}"
    return (
        f'<span class="impact-badge" style="{style}" title="ODD {odd["value"]} : {safe_text(odd["label"])}">'
        f"{safe_text(label)}</span>"
    )


def odd_square(number: int | str, refs: dict[str, Any]) -> str:
    """The ODD number on its colour, as the official icons show it (decorative: the label says it)."""
    odd = odd_info(refs, number)
    style = f"background:{_colour(odd['colour'], '#5A5A5A')};color:{_colour(odd['text_colour'], '#FFFFFF')}"
    return f'<span class="impact-odd-square" style="{style}" aria-hidden="true">{safe_text(str(odd["value"]))}</span>'


def odd_info(refs: dict[str, Any], number: int | str) -> dict[str, Any]:
    for odd in refs["odd"]:
        if str(odd["value"]) == str(number):
            return dict(odd)
    return {"value": number, "label": str(number), "colour": "#5A5A5A", "text_colour": "#FFFFFF"}


def labels(refs: dict[str, Any], referential: str) -> dict[str, str]:
    """value → French label of one referential list (`territory_types`, `actor_categories`)."""
    return {str(item["value"]): str(item["label"]) for item in refs[referential]}


def tab_title(*parts: str) -> None:
    """The browser tab's title: what this page shows, then the site (plain text, never markup)."""
    st.set_page_config(page_title=" · ".join([*parts, SITE_NAME]))


def badges(hit: dict[str, Any], refs: dict[str, Any]) -> str:
    """The badges of a practice: territory types, actor categories, ODD."""
    pieces = [badge(TERRITORY_TYPE.label(t), "type", TERRITORY_TYPE.title) for t in hit.get("territory_types", [])]
    pieces += [badge(ACTOR_CATEGORY.label(a), "actor", ACTOR_CATEGORY.title) for a in hit.get("actor_categories", [])]
    pieces += [odd_badge(n, refs) for n in hit.get("odd", [])]
    return f'<div class="impact-badges">{"".join(pieces)}</div>'


def territory_line(monograph: dict[str, Any]) -> str:
    territory = monograph.get("territory") or {}
    place = " · ".join(
        p
        for p in (
            territory.get("name"),
            f"département {territory['department']}" if territory.get("department") else None,
            territory.get("region"),
        )
        if p
    )
    year = f" — depuis {monograph['year']}" if monograph.get("year") else ""
    return f'<div class="impact-meta">{safe_text(place)}{safe_text(year)}</div>'


def fetch(call: Callable[[], T], not_found: str | None = None) -> T:
    """Run one API call; on failure show a French message and stop the page (never a traceback)."""
    try:
        return call()
    except ApiUnavailable as exc:
        st.error(OUTAGE_MESSAGES[exc.reason], icon=":material/cloud_off:")
        st.stop()
    except ApiError as exc:
        if exc.status == 404 and not_found:
            st.warning(not_found, icon=":material/search_off:")
        else:
            st.error("La demande n'a pas pu aboutir. Vérifiez les paramètres de l'adresse ou repartez de la recherche.")
        st.page_link(SEARCH_PAGE, label="Retour à la recherche", icon=":material/search:")
        st.stop()


def count_label(count: int, singular: str, plural: str) -> str:
    return f"{count:,}".replace(",", "\u202f") + " " + (singular if count in (0, 1) else plural)
