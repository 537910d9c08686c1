"""Modération (editors): each practice awaiting review in full, who sent it and when, possible duplicates;
edit it, then publish it or reject it with a reason. Beside them, the changes contributors propose to their published
practices: each changed field beside the published one, accepted or declined with a reason."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from ui import client
from ui.accessible_names import about, name_controls
from ui.api_key import api_key_field
from ui.components import (
    FICHE_PAGE,
    MODERATION_PAGE,
    STATUS_LABELS,
    badge,
    count_label,
    fetch,
    html_block,
    safe_text,
    tab_title,
)
from ui.history_view import history_toggle
from ui.practice_view import practice_facts, practice_heading, practice_story, practice_summary
from ui.proposal_view import changes_table
from ui.sheet_editor import SheetEditor
from ui.text import french_date, md_literal

QUEUE_SIZE = 20
UNRESOLVED_HELP = "Ce territoire n'est pas dans le référentiel officiel : vérifiez-le avant de publier."
DUPLICATE_REASONS = {"external_id": "même identifiant externe", "title": "titre très proche"}

tab_title("Modération")
st.title("Modération")
st.write(
    "Relisez les fiches proposées : la fiche complète, son auteur et les doublons possibles. Corrigez-la si "
    "besoin, puis publiez-la ou refusez-la en expliquant pourquoi (son auteur lira le motif). Les modifications "
    "que les auteurs proposent à leurs fiches publiées se relisent dans le second onglet."
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


EDITOR = SheetEditor(
    "moderation",
    "Enregistrer les corrections",
    lambda monograph_id, body, version: client.update(monograph_id, body, api_key, version),
    "Corrections de « {title} » enregistrées : vous pouvez la publier.",
    "« {title} » a été modifiée entre-temps : relisez-la puis refaites vos corrections.",
)
_notify = EDITOR.notify


@dataclass(frozen=True)
class Decision:
    """An editor's decision on a sheet: the API call (with the reason typed, for a refusal: `reason_field` is its
    text field's key prefix) and what is told after it (with the sheet's `{title}`)."""

    # (monograph id, reason, what was reviewed: a proposal's revision and the practice's version) → the API's answer
    send: Callable[[str, str, tuple[int, int]], Any]
    done: str
    failed: str
    reason_field: str | None = None


PUBLISH = Decision(
    lambda monograph_id, _, seen: client.publish(monograph_id, api_key, seen[1]),
    "« {title} » est publiée et visible dans la recherche.",
    "« {title} » n'a pas pu être publiée. Réessayez.",
)
REJECT = Decision(
    lambda monograph_id, reason, seen: client.reject(monograph_id, api_key, reason, seen[1]),
    "« {title} » est refusée ; son auteur verra le motif.",
    "« {title} » n'a pas pu être refusée. Réessayez.",
    "moderation_reason",
)
ACCEPT_CHANGE = Decision(
    lambda monograph_id, _, seen: client.accept_proposal(monograph_id, api_key, *seen),
    "La modification de « {title} » est acceptée : la fiche publiée est à jour dans la recherche.",
    "La modification de « {title} » n'a pas pu être acceptée. Réessayez.",
)
DECLINE_CHANGE = Decision(
    lambda monograph_id, reason, seen: client.decline_proposal(monograph_id, api_key, reason, seen[0]),
    "La modification de « {title} » est refusée ; son auteur verra le motif.",
    "La modification de « {title} » n'a pas pu être refusée. Réessayez.",
    "proposal_reason",
)


# What a refused decision says, by the API's answer (else the decision's own message).
REFUSALS = {
    404: "« {title} » n'attend plus de décision (retirée ou déjà traitée) : la page est à jour.",
    409: "« {title} » a changé entre-temps : relisez-la avant de décider.",
}
# A 409 for a decision already taken (another editor, a second click): said as such, not as a change.
ALREADY_DECIDED = "« {title} » a déjà été traitée entre-temps : la page est à jour."


def _decided_meanwhile(decision: Decision, exc: client.ApiError) -> bool:
    """A 409 because the submission no longer awaits moderation (another editor decided, a second click)."""
    details = exc.details if isinstance(exc.details, dict) else {}
    left = details.get("status") not in (None, "submitted")
    return exc.code == "invalid_transition" or (exc.status == 409 and decision in (PUBLISH, REJECT) and left)


def _decide(decision: Decision, monograph_id: str, sheet_title: str, seen: tuple[int, int]) -> None:
    """Sends one decision (a refusal only with its reason), and tells what came of it at the top of the page."""
    title = md_literal(sheet_title)
    reason = ""
    if decision.reason_field is not None:
        reason = str(st.session_state.get(f"{decision.reason_field}__{monograph_id}", "")).strip()
        if len(reason) < 3:
            # Said under the reason field of that card, not at the top of a long queue.
            st.session_state[f"decision_error__{monograph_id}"] = f"Indiquez le motif du refus de « {title} »."
            return
    try:
        decision.send(monograph_id, reason, seen)
        _notify("success", decision.done.format(title=title))
    except client.ApiError as exc:
        said = ALREADY_DECIDED if _decided_meanwhile(decision, exc) else REFUSALS.get(exc.status, decision.failed)
        _notify("error", said.format(title=title))
    except client.ApiUnavailable:
        _notify("error", decision.failed.format(title=title))


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


def _decisions(
    monograph_id: str,
    title: str,
    approve: tuple[str, Decision, str],
    refuse: tuple[str, Decision, str],
    seen: tuple[int, int],
) -> dict[str, str]:
    """The reason field of a refusal, then the two decisions side by side (label, decision, key prefix each); the
    names of these controls, which say which practice they decide on."""
    reason = f"{refuse[1].reason_field}__{monograph_id}"
    st.text_input("Motif du refus", key=reason, max_chars=2000)
    if missing := st.session_state.pop(f"decision_error__{monograph_id}", None):
        st.error(missing, icon=":material/error:")
    names = {reason: about("Motif du refus", title)}
    for column, (label, decision, key), icon in zip(
        st.columns(2), (approve, refuse), (":material/check:", ":material/block:"), strict=True
    ):
        column.button(
            label,
            key=f"{key}__{monograph_id}",
            type="primary" if decision is approve[1] else "secondary",
            on_click=_decide,
            args=(decision, monograph_id, title, seen),
            icon=icon,
        )
        names[f"{key}__{monograph_id}"] = about(label, title)
    return names


def _author(monograph_id: str) -> str:
    """Who submitted the practice (and proposes changes to it), in words."""
    try:
        submitter = client.submitter(monograph_id, api_key)
    except (client.ApiError, client.ApiUnavailable):
        submitter = {"name": "(auteur momentanément indisponible)"}
    return f"par {md_literal(submitter['name'])}" if submitter else "sans clé d'API (import)"


def _submitted_line(item: dict[str, Any]) -> str:
    line = f"Soumise le {french_date(item['created_at'])} {_author(item['id'])}"
    if item["version"] > 1:
        line += f" · modifiée le {french_date(item['updated_at'])}"
    return line


def _review(item: dict[str, Any], expanded: bool) -> None:
    with st.container(border=True, key=f"review-{item['id']}"):
        practice_heading(item, refs, level=2)
        if not item["territory"].get("resolved"):
            # A territory given by name only (a valley, a "pays") is allowed: the editor checks it.
            html_block(
                f'<div class="impact-badges">{badge("Territoire non reconnu", "unresolved", UNRESOLVED_HELP)}</div>'
            )
        st.caption(_submitted_line(item))
        history_toggle(item["id"], api_key, f"moderation_history__{item['id']}")
        names = {f"moderation_history__{item['id']}": about("Historique de la fiche", item["title"])}
        _duplicates(item)
        if EDITOR.is_open(item["id"]):
            EDITOR.draw(item, refs)
            name_controls(names)
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
            on_click=EDITOR.open,
            args=(item["id"], item["version"]),
            icon=":material/edit:",
        )
        names[f"moderation_edit__{item['id']}"] = about("Modifier avant publication", item["title"])
        names |= _decisions(
            item["id"],
            item["title"],
            ("Publier", PUBLISH, "moderation_publish"),
            ("Refuser", REJECT, "moderation_reject"),
            (0, item["version"]),  # no proposal; the sheet's version as shown
        )
        name_controls(names)


EDITOR.show_notice()

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

EDITED_SINCE = (
    "L'équipe éditoriale a modifié la fiche depuis cette proposition : seuls les champs ci-dessous changeront, les "
    "autres modifications sont conservées."
)


def _proposal_review(proposal: dict[str, Any]) -> None:
    """A proposed change to a published practice: each changed field beside the published one, accepted or
    declined with a reason (on the proposal as shown: its revision)."""
    monograph_id, title = proposal["monograph_id"], proposal["title"]
    seen = (proposal["revision"], proposal["current_version"])
    with st.container(border=True, key=f"proposal-{monograph_id}"):
        html_block(f'<h2 class="impact-card-title">{safe_text(title)}</h2>')
        author = f"par {md_literal(proposal['author'])}" if proposal.get("author") else "(clé d'API inconnue)"
        if proposal.get("author_revoked"):
            author += " (clé révoquée depuis)"
        st.caption(f"Modification proposée le {french_date(proposal['proposed_at'])} {author}")
        st.page_link(
            FICHE_PAGE, label="Voir la fiche publiée", query_params={"id": monograph_id}, icon=":material/open_in_new:"
        )
        history_toggle(monograph_id, api_key, f"proposal_history__{monograph_id}")
        if proposal["base_version"] != proposal["current_version"]:
            st.info(EDITED_SINCE, icon=":material/history:")
        html_block(changes_table(proposal, refs))
        names = _decisions(
            monograph_id,
            title,
            ("Accepter la modification", ACCEPT_CHANGE, "proposal_accept"),
            ("Refuser la modification", DECLINE_CHANGE, "proposal_decline"),
            seen,
        )
        name_controls(names | {f"proposal_history__{monograph_id}": about("Historique de la fiche", title)})


queue = fetch(lambda: client.submissions(api_key, "submitted", size=QUEUE_SIZE))
changes = fetch(lambda: client.proposals(api_key, "pending", size=QUEUE_SIZE))
# Labels without counts: a tab whose label changes (after a decision) would not stay the open one.
submissions_tab, changes_tab = st.tabs(["Fiches en attente", "Modifications proposées"])
with submissions_tab:
    # Each one is shown in full with its checks: a short page, the newest first.
    st.markdown(f"**{count_label(queue['total'], 'fiche en attente', 'fiches en attente')}**")
    if not queue["items"]:
        st.info("Aucune fiche n'attend de modération.")
    elif queue["total"] > len(queue["items"]):
        st.caption(f"Les {len(queue['items'])} plus récentes sont affichées ; traitez-les pour voir les suivantes.")
    for pending in queue["items"]:
        _review(pending, expanded=False)
with changes_tab:
    st.markdown(
        f"**{count_label(changes['total'], 'modification proposée', 'modifications proposées')}** "
        "à des fiches publiées par leurs auteurs : la fiche publiée reste affichée telle quelle jusqu'à votre décision."
    )
    if not changes["items"]:
        st.info("Aucune modification de fiche publiée n'attend de relecture.")
    elif changes["total"] > len(changes["items"]):
        st.caption(f"Les {len(changes['items'])} plus récentes sont affichées ; traitez-les pour voir les suivantes.")
    for proposal in changes["items"]:
        _proposal_review(proposal)
