"""Modération (editors): each practice awaiting review in full, who sent it and when, possible duplicates;
edit it, then publish it or reject it with a reason."""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from ui import client
from ui.api_key import api_key_field
from ui.components import (
    FICHE_PAGE,
    MODERATION_PAGE,
    STATUS_LABELS,
    badge,
    count_label,
    fetch,
    html_block,
    tab_title,
)
from ui.error_summary import error_summary
from ui.monograph_form import FIELD_NAMES, build_body, field_errors, monograph_fields, show_errors
from ui.practice_view import practice_facts, practice_heading, practice_story, practice_summary
from ui.text import french_date, md_literal

QUEUE_SIZE = 20
EDITING = "moderation_editing"
NOTICE = "moderation_notice"
UNRESOLVED_HELP = "Ce territoire n'est pas dans le référentiel officiel : vérifiez-le avant de publier."
DUPLICATE_REASONS = {"external_id": "même identifiant externe", "title": "titre très proche"}

tab_title("Modération")
st.title("Modération")
st.write(
    "Relisez les fiches proposées : la fiche complète, son auteur et les doublons possibles. Corrigez-la si "
    "besoin, puis publiez-la ou refusez-la en expliquant pourquoi (son auteur lira le motif)."
)
api_key, role = api_key_field("moderation_api_key", {})
if role != "editor":
    st.info(
        "Cette page est réservée aux éditeurs : saisissez une clé d'éditeur."
        if not role
        else "Votre clé est une clé de contributeur : suivez vos fiches depuis la page « Contribuer »."
    )
    st.stop()
refs = fetch(client.referentials)


def _notify(kind: str, text: str) -> None:
    st.session_state[NOTICE] = (kind, text)


def _publish(monograph_id: str, submitted_title: str) -> None:
    title = md_literal(submitted_title)
    try:
        client.publish(monograph_id, api_key)
        _notify("success", f"« {title} » est publiée et visible dans la recherche.")
    except (client.ApiError, client.ApiUnavailable):
        _notify("error", f"« {title} » n'a pas pu être publiée. Réessayez.")


def _reject(monograph_id: str, submitted_title: str) -> None:
    title = md_literal(submitted_title)
    reason = str(st.session_state.get(f"moderation_reason__{monograph_id}", "")).strip()
    if len(reason) < 3:
        _notify("error", f"Indiquez le motif du refus de « {title} ».")
        return
    try:
        client.reject(monograph_id, api_key, reason)
        _notify("success", f"« {title} » est refusée ; son auteur verra le motif.")
    except (client.ApiError, client.ApiUnavailable):
        _notify("error", f"« {title} » n'a pas pu être refusée. Réessayez.")


def _edit(monograph_id: str | None) -> None:
    st.session_state[EDITING] = monograph_id
    st.session_state.pop(f"moderation_errors__{monograph_id}", None)


def _save(item: dict[str, Any], values: dict[str, Any]) -> None:
    """PUT the edited sheet with the version it was read at; errors go back next to the fields."""
    title = md_literal(values.get("title") or item["title"])
    errors_key = f"moderation_errors__{item['id']}"
    try:
        client.update(item["id"], build_body(values, refs), api_key, item["version"])
    except client.ApiUnavailable:
        st.session_state[errors_key] = {"_form": ["Le service est indisponible : vos corrections sont conservées."]}
        return
    except client.ApiError as exc:
        if exc.status == 409:
            _notify("error", f"« {title} » a été modifiée entre-temps : relisez-la puis refaites vos corrections.")
            _edit(None)
        else:
            found = field_errors(exc.details) if exc.status == 422 else {}
            st.session_state[errors_key] = found or {"_form": ["Les corrections ont été refusées par le service."]}
        return
    _notify("success", f"Corrections de « {title} » enregistrées : vous pouvez la publier.")
    _edit(None)


def _duplicates(item: dict[str, Any]) -> None:
    try:
        found = client.duplicates(item["id"], api_key)
    except (client.ApiError, client.ApiUnavailable):
        st.caption("La recherche de doublons est momentanément indisponible.")
        return
    for duplicate in found:
        reason = DUPLICATE_REASONS.get(duplicate["reason"], duplicate["reason"])
        status = STATUS_LABELS.get(duplicate["status"], duplicate["status"])
        st.warning(
            f"Doublon possible : « {md_literal(duplicate['title'])} » ({reason}, {status})", icon=":material/warning:"
        )
        st.page_link(
            FICHE_PAGE if duplicate["status"] == "published" else MODERATION_PAGE,
            label=f"Voir « {md_literal(duplicate['title'])} »",
            query_params={"id": duplicate["id"]},
            icon=":material/open_in_new:",
        )


def _submitted_line(item: dict[str, Any]) -> str:
    try:
        submitter = client.submitter(item["id"], api_key)
    except (client.ApiError, client.ApiUnavailable):
        submitter = {"name": "(auteur momentanément indisponible)"}
    author = f"par {md_literal(submitter['name'])}" if submitter else "sans clé d'API (import)"
    line = f"Soumise le {french_date(item['created_at'])} {author}"
    if item["version"] > 1:
        line += f" · modifiée le {french_date(item['updated_at'])}"
    return line


def _editor(item: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = st.session_state.get(f"moderation_errors__{item['id']}", {})
    instance = f"edit-{item['id']}-{item['version']}"
    error_summary(errors, FIELD_NAMES, f"{instance}:{sorted(errors.items())}")
    show_errors(errors, "_form")
    values = monograph_fields(refs, errors, instance, initial=item)
    save, cancel = st.columns(2)
    if save.button("Enregistrer les corrections", key=f"moderation_save__{item['id']}", type="primary"):
        _save(item, values)
        st.rerun()
    cancel.button("Annuler", key=f"moderation_cancel__{item['id']}", on_click=_edit, args=(None,))


def _review(item: dict[str, Any], expanded: bool) -> None:
    with st.container(border=True, key=f"review-{item['id']}"):
        practice_heading(item, refs, level=2)
        if not item["territory"].get("resolved"):
            # A territory given by name only (a valley, a "pays") is allowed: the editor checks it.
            html_block(
                f'<div class="impact-badges">{badge("Territoire non reconnu", "unresolved", UNRESOLVED_HELP)}</div>'
            )
        st.caption(_submitted_line(item))
        _duplicates(item)
        if st.session_state.get(EDITING) == item["id"]:
            _editor(item)
            return
        with st.expander("Aperçu complet de la fiche", expanded=expanded, key=f"moderation_preview__{item['id']}"):
            practice_summary(item)
            story, facts = st.columns([2, 1], gap="large")
            with story:
                practice_story(item, anchors=False)
            with facts:
                practice_facts(item, refs, key=f"preview-{item['id']}")
        st.button(
            "Modifier avant publication",
            key=f"moderation_edit__{item['id']}",
            on_click=_edit,
            args=(item["id"],),
            icon=":material/edit:",
        )
        st.text_input("Motif du refus", key=f"moderation_reason__{item['id']}", max_chars=2000)
        publish, reject = st.columns(2)
        publish.button(
            "Publier",
            key=f"moderation_publish__{item['id']}",
            type="primary",
            on_click=_publish,
            args=(item["id"], item["title"]),
            icon=":material/check:",
        )
        reject.button(
            "Refuser",
            key=f"moderation_reject__{item['id']}",
            on_click=_reject,
            args=(item["id"], item["title"]),
            icon=":material/block:",
        )


if notice := st.session_state.pop(NOTICE, None):
    (st.success if notice[0] == "success" else st.error)(notice[1])

only = st.query_params.get("id", "")
if re.fullmatch(r"[a-z0-9-]{1,120}", only):
    # One practice, reached from a duplicate warning.
    st.page_link(MODERATION_PAGE, label="Toute la file de modération", icon=":material/arrow_back:")
    item = fetch(lambda: client.submission(only, api_key), not_found="Cette fiche est introuvable.")
    if item["status"] != "submitted":
        st.info(f"Cette fiche n'attend plus de modération : elle est {STATUS_LABELS.get(item['status'], 'traitée')}.")
        st.stop()
    _review(item, expanded=True)
    st.stop()

# Each one is shown in full with its checks: a short page, the newest first.
queue = fetch(lambda: client.submissions(api_key, "submitted", size=QUEUE_SIZE))
st.markdown(f"**{count_label(queue['total'], 'fiche en attente', 'fiches en attente')}**")
if not queue["items"]:
    st.info("Aucune fiche n'attend de modération.")
elif queue["total"] > len(queue["items"]):
    st.caption(f"Les {len(queue['items'])} plus récentes sont affichées ; traitez-les pour voir les suivantes.")
for pending in queue["items"]:
    _review(pending, expanded=False)
