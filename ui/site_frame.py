"""What frames every page: the product's own identity, the intro line of the search page and the footer.

A sober identity of our own (the ODD 17 blue, system fonts), consistent with the embeds; never the
French State's design system, which only government services may use.
"""

from __future__ import annotations

import html
import os
import re
from urllib.parse import urlencode

from ui import client
from ui.components import html_block
from ui.text import md_literal

ABOUT_PAGE = "views/about.py"
# The sections of the À propos page, in the footer's order: (anchor, title).
ABOUT_SECTIONS = (
    ("a-propos", "À propos"),
    ("mentions-legales", "Mentions légales"),
    ("accessibilite", "Accessibilité"),
    ("donnees-personnelles", "Données personnelles"),
    ("licence", "Licence des données"),
)


def public_api_url() -> str:
    """The API's address as visitors reach it (IMPACT_PUBLIC_API_URL, as the API reads it), for links."""
    return (os.environ.get("IMPACT_PUBLIC_API_URL") or client.base_url()).rstrip("/")


CONTACT = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,}")


def contact_email() -> str | None:
    """The address of the team that runs this site (IMPACT_CONTACT_EMAIL): keys, corrections, accessibility. None
    when unset or not an address (the texts then name the team without one)."""
    address = os.environ.get("IMPACT_CONTACT_EMAIL", "").strip()
    return address if CONTACT.fullmatch(address) else None


def contact_markdown(before: str = "", after: str = "") -> str:
    """« {before}l'adresse{after} » as a mailto link in Markdown, or "" without an address."""
    address = contact_email()
    return f"{before}[{md_literal(address)}](mailto:{address}){after}" if address else ""


def _anchor(href: str, label: str) -> str:
    return f'<a href="{html.escape(href, quote=True)}" target="_blank" rel="noopener">{html.escape(label)}</a>'


def intro(search_params: list[tuple[str, str]]) -> None:
    """One line on what this database is and who writes it, and where else to use it."""
    api = public_api_url()
    query = f"?{urlencode(search_params)}" if search_params else ""
    feed = f"{api}/feeds/search.rss{query}"
    links = " · ".join(
        (
            # The builder starts from this search (its form reads the parameters it knows).
            _anchor(f"{api}/embed/builder{query}", "Intégrer sur votre site"),
            _anchor(feed, "Flux RSS de cette recherche"),
            _anchor(f"{api}/docs", "API ouverte"),
        )
    )
    html_block(
        '<div class="impact-intro"><p>La base ouverte des pratiques d\'innovation territoriale : des fiches écrites '
        "par les collectivités, associations, entreprises et réseaux qui les portent, relues par une équipe "
        f'éditoriale avant publication.</p><p class="impact-intro-links">{links}</p></div>'
    )


def footer() -> None:
    """The footer of every page: the product's name and the links to its À propos sections."""
    items = "".join(
        f'<li><a href="a-propos#{anchor}" target="_self">{html.escape(title)}</a></li>'
        for anchor, title in ABOUT_SECTIONS
    )
    html_block(
        f'<footer class="impact-footer"><p class="impact-footer-name">IMPACT-Pratiques</p>'
        f'<ul aria-label="Informations sur le site">{items}</ul></footer>'
    )
