"""The territory of a practice: typed, then picked among the official territories the API suggests
(`GET /territories`). A picked territory is sent as its `code` and `kind` (the API fills the rest); a name
nobody picked stays free text, marked "non reconnu"."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import streamlit as st

from ui import client
from ui.components import OUTAGE_MESSAGES
from ui.text import md_literal

KIND_LABELS = {
    "commune": "commune",
    "arrondissement": "arrondissement municipal",
    "epci": "intercommunalité",
    "departement": "département",
    "region": "région",
}
# Fewer letters than this suggest too much to be useful.
MIN_TYPED = 2


def option_key(territory: Mapping[str, Any]) -> str:
    return f"{territory.get('kind')}:{territory.get('code')}"


def territory_label(territory: Mapping[str, Any]) -> str:
    """`Die — commune, Drôme (26)`: enough to tell homonyms apart."""
    kind = str(territory.get("kind") or "")
    label = f"{territory['name']} — {KIND_LABELS.get(kind, kind)}"
    if kind == "departement":
        return f"{label} ({territory['code']})"
    if territory.get("department_name"):
        return f"{label}, {territory['department_name']} ({territory['department']})"
    if territory.get("department"):
        return f"{label} ({territory['department']})"
    if territory.get("region_name") and kind != "region":
        return f"{label}, {territory['region_name']}"
    return label


def stored_choice(territory: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A stored monograph's official territory as a choice of the picker (None for a free name)."""
    if not territory or not territory.get("resolved") or not territory.get("code") or not territory.get("kind"):
        return None
    return {key: territory.get(key) for key in ("code", "kind", "name", "department")}


def suggestions(typed: str) -> list[dict[str, Any]]:
    """The official territories matching what was typed; none (with a note) when the service is out."""
    if len(typed.strip()) < MIN_TYPED:
        return []
    try:
        return client.territories(typed.strip()[:100])
    except client.ApiUnavailable as exc:
        st.caption(f"Suggestions de territoires indisponibles. {OUTAGE_MESSAGES[exc.reason]}")
    except client.ApiError:
        pass
    return []


def pick_territory(typed: str, key: str, current: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Offer the official territories matching `typed` (and `current`, the stored choice, while the name
    is unchanged); returns the one picked, or None for a free name."""
    options = {option_key(s): s for s in suggestions(typed)}
    if current and str(current["name"]).casefold() == typed.strip().casefold():
        options.setdefault(option_key(current), current)
    if not options:
        if typed.strip():
            st.caption(
                f"« {md_literal(typed)} » : non reconnu parmi les territoires officiels. La fiche gardera ce nom "
                "tel quel ; précisez le département et la région ci-dessous."
            )
        return None
    keys = list(options)
    # The list changes with the name typed: a new list is a new widget, with nothing picked yet.
    digest = hashlib.sha1("|".join(keys).encode()).hexdigest()[:10]
    picked = st.selectbox(
        "Territoire officiel",
        options=keys,
        format_func=lambda k: territory_label(options[k]),
        index=keys.index(option_key(current)) if current and option_key(current) in keys else None,
        placeholder="Choisir dans la liste (recommandé)",
        key=f"{key}_{digest}",
        help="Les territoires officiels (communes, intercommunalités, départements, régions) dont le nom "
        "commence par ce que vous avez tapé. Choisi ici, le territoire est reconnu : département, région "
        "et intercommunalité sont remplis par le service.",
    )
    if picked is None:
        st.caption(
            f"« {md_literal(typed)} » : non reconnu tant qu'aucun territoire officiel n'est choisi. Pour un lieu "
            "qui n'en est pas un (une vallée, un pays), laissez le nom tel quel et précisez le département."
        )
        return None
    st.caption(f"Territoire reconnu : {md_literal(territory_label(options[picked]))}.")
    return dict(options[picked])
