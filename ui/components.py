"""Safe HTML rendering (escaped text, the API's `<mark>` highlights, badges) and shared page pieces."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import streamlit as st

from schemas.facets import ACTOR_CATEGORY, FACET_BY_NAME, TERRITORY_TYPE
from schemas.territory import place_name
from ui.client import ApiError, ApiUnavailable
from ui.state import current

T = TypeVar("T")

SEARCH_PAGE = "views/search.py"
FICHE_PAGE = "views/fiche.py"
MODERATION_PAGE = "views/moderation.py"

# A practice's status, as its author and editors read it.
STATUS_LABELS = {
    "submitted": "en attente de modération",
    "published": "publiée",
    "rejected": "refusée",
    "archived": "retirée",
}

OUTAGE_MESSAGES = {
    "down": "Le service IMPACT-Pratiques est momentanément indisponible. Réessayez dans quelques instants.",
    "slow": "Le service met trop de temps à répondre. Réessayez dans quelques instants.",
    "error": "Le service IMPACT-Pratiques a rencontré un problème. Réessayez dans quelques instants.",
    "busy": "Le service reçoit trop de demandes en ce moment. Réessayez dans quelques instants.",
}

# Everything HTML or Markdown could read as syntax becomes a character reference, so text is
# only ever text, inside or outside an HTML block (`$` would otherwise start a formula).
_ENTITIES = str.maketrans({c: f"&#{ord(c)};" for c in "&<>\"'\\`*_[](){}#!|~$"})
_MARK = re.compile(r"(</?mark>)")
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")

SITE_NAME = "IMPACT-Pratiques"
# The look of the whole interface, in one stylesheet (Streamlit's own elements and ours).
STYLE = f"<style>\n{(Path(__file__).parent / 'style.css').read_text(encoding='utf-8')}</style>"


def safe_text(text: str) -> str:
    """Plain text as inert HTML; line breaks kept."""
    return str(text).translate(_ENTITIES).replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")


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


def script_json(value: Any) -> str:
    """`value` as a JavaScript literal to embed in a `<script>`: someone's words may be in it, and a JSON
    string whose `<` is escaped can never close the script."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


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


DEPARTMENT = FACET_BY_NAME["department"]


def territory_line(monograph: dict[str, Any]) -> str:
    """Where: the territory, its département by name (« Drôme (26) »), its region unless the département
    already says it (« Guadeloupe (971) »); then since when."""
    territory = monograph.get("territory") or {}
    code, region = territory.get("department"), territory.get("region")
    department = DEPARTMENT.label(code) if code else None
    if department and region and department.startswith(f"{region} ("):
        region = None
    named = place_name(territory.get("name"), territory.get("place"))
    place = " · ".join(p for p in (named, department, region) if p)
    year = f" — depuis {monograph['year']}" if monograph.get("year") else ""
    return f'<div class="impact-meta">{safe_text(place)}{safe_text(year)}</div>'


def fetch(call: Callable[[], T], not_found: str | None = None, back_link: bool = True) -> T:
    """Run one API call; on failure show a French message and stop the page (never a traceback), and for a refused
    call a link back to the search, unless the page already shows one (`back_link=False`)."""
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
        if back_link:
            # The search left, in its link (the search page then has no address of its own to write: Back works).
            st.page_link(
                SEARCH_PAGE, label="Retour à la recherche", icon=":material/search:", query_params=current().to_params()
            )
        st.stop()


def count_label(count: int, singular: str, plural: str) -> str:
    return f"{count:,}".replace(",", "\u202f") + " " + (singular if count in (0, 1) else plural)
