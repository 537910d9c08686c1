"""The API key field of the Contribuer and Modération pages: how to get a key, the key typed (kept across
pages for the session) and its role."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import streamlit as st

from ui import client
from ui.components import OUTAGE_MESSAGES
from ui.error_summary import field_box
from ui.monograph_form import show_errors
from ui.site_frame import contact_email, contact_markdown

# The key typed on one page, for the other pages of the session (a widget's own state is dropped
# when another page is shown).
TYPED_KEY = "impact_api_key"
UNKNOWN_KEY = "Cette clé est inconnue ou a été révoquée : demandez-en une nouvelle."
HOW_TO_GET_A_KEY = (
    "Il n'y a pas d'inscription en ligne : les clés sont délivrées par l'équipe qui administre "
    "IMPACT-Pratiques. Écrivez-lui{contact} en indiquant votre organisation ; elle crée une clé au nom de celle-ci "
    "(une par organisation ou par réseau) et vous la transmet.\n\n"
    "- Une **clé de contributeur** permet de proposer des fiches et de suivre leur relecture.\n"
    "- Une **clé d'éditeur** permet en plus de relire, corriger, publier ou refuser les fiches proposées.\n\n"
    "La clé n'est montrée qu'une fois, à sa création : gardez-la comme un mot de passe. Le service n'en "
    "conserve qu'une empreinte et ne peut pas la retrouver. Clé perdue ou divulguée : demandez à l'équipe de "
    "la révoquer et de vous en créer une nouvelle. La même clé sert aux envois par l'API (en-tête `X-API-Key`)."
)


# Without IMPACT_CONTACT_EMAIL the texts name no address: a site just installed, whose administrator reads this.
NO_CONTACT_YET = (
    "Ce site n'indique pas encore l'adresse de son équipe (réglage IMPACT_CONTACT_EMAIL). Vous l'administrez ? "
    'Une clé se crée sur le serveur : `.venv/bin/impact keys create "Votre organisation" --role contributor`.'
)


def _remember(widget: str) -> None:
    st.session_state[TYPED_KEY] = st.session_state.get(widget, "")


def api_key_field(widget: str, errors: Mapping[str, list[str]]) -> tuple[str, Literal["editor", "contributor"] | None]:
    """The key field (session key `widget`) with how to get a key, and any error about it; returns the key
    and its role (None when no key, or an unknown one, was typed). An outage stops the page."""
    if widget not in st.session_state:
        st.session_state[widget] = st.session_state.get(TYPED_KEY, "")
    role: Literal["editor", "contributor"] | None = None
    with field_box("api_key"):
        api_key = st.text_input(
            "Votre clé d'API",
            type="password",
            key=widget,
            on_change=_remember,
            args=(widget,),
            placeholder="ex. imp_1a2b3c…",
            help="Clé de contributeur (ou d'éditeur) fournie par l'équipe IMPACT-Pratiques.",
        ).strip()
        show_errors(errors, "api_key")
        if api_key:
            try:
                role = client.key_role(api_key)
            except client.ApiError:
                show_errors({"api_key": [UNKNOWN_KEY]}, "api_key")
            except client.ApiUnavailable as exc:
                st.error(OUTAGE_MESSAGES[exc.reason])
                st.stop()
    with st.expander("Comment obtenir une clé ?", expanded=not role, icon=":material/key:"):
        st.markdown(HOW_TO_GET_A_KEY.format(contact=contact_markdown(" (", ")")))
        if contact_email() is None:
            st.caption(NO_CONTACT_YET)
    return api_key, role


def editor_session() -> bool:
    """Whether the key typed in this session is an editor's (the Modération page is then in the menu)."""
    typed = str(st.session_state.get(TYPED_KEY) or "").strip()
    if not typed:
        return False
    try:
        return client.key_role(typed) == "editor"
    except (client.ApiError, client.ApiUnavailable):
        return False
