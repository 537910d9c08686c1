"""A practice's history as its submitter or an editor reads it: each step in French, newest first, fetched only
when asked for (one API call)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import client
from ui.components import html_block, safe_text
from ui.text import french_date

HISTORY_SIZE = 20
ACTIONS = {
    "create": "Soumise",
    "update": "Modifiée",
    "submitted": "Renvoyée en modération",
    "published": "Publiée",
    "rejected": "Refusée",
    "archived": "Retirée de la publication",
    "propose": "Modification proposée",
    "proposal_accepted": "Modification acceptée",
    "proposal_declined": "Modification refusée",
    "proposal_withdrawn": "Proposition de modification retirée",
}


def step_text(event: dict[str, Any]) -> str:
    """One step in words (plain text): when, what, by whom when known, why when said."""
    what = ACTIONS.get(event["action"], event["action"])
    if event["action"] == "create" and event["status"] == "published":
        what = "Créée et publiée"
    by = f" par {event['by']}" if event.get("by") else ""
    why = f" : « {event['reason']} »" if event.get("reason") else ""
    return f"{french_date(event['at'])} — {what}{by}{why}"


def history_toggle(monograph_id: str, api_key: str, key: str) -> None:
    """A switch « Historique de la fiche »: once on, the practice's latest steps."""
    if not st.toggle("Historique de la fiche", key=key):
        return
    try:
        page = client.history(monograph_id, api_key, HISTORY_SIZE)
    except (client.ApiError, client.ApiUnavailable):
        st.caption("L'historique est momentanément indisponible.")
        return
    steps = "".join(f"<li>{safe_text(step_text(event))}</li>" for event in page["items"])
    html_block(f'<ul class="impact-history">{steps}</ul>')
    if page["total"] > len(page["items"]):
        st.caption(f"Les {len(page['items'])} dernières étapes sur {page['total']}.")
