"""Contribuer: submit a practice with one's API key; an editor key also moderates the queue."""

from __future__ import annotations

import uuid
from typing import Any

import streamlit as st

from ui import client
from ui.components import (
    OUTAGE_MESSAGES,
    badge,
    fetch,
    html_block,
    paragraphs,
    safe_text,
    tab_title,
    territory_line,
)
from ui.monograph_form import (
    FORM_INSTANCE,
    build_body,
    field_errors,
    form_key,
    is_blank,
    monograph_fields,
    show_errors,
)
from ui.text import md_literal

FORM_DRAWN = "contrib_form_drawn"

tab_title("Contribuer")
st.title("Contribuer")
st.write(
    "Partagez une pratique qui a fait ses preuves sur votre territoire. Chaque fiche est relue par "
    "l'équipe éditoriale avant d'apparaître dans la recherche."
)
refs = fetch(client.referentials)

# One id per form instance: the keys of its widgets and the Idempotency-Key of its submission, so
# sending it again (a second click, a retry after an outage) never creates a second practice. A
# new instance, an empty form, comes only after the API accepted it, or when the form is drawn
# afresh (its fields were forgotten, e.g. after visiting another page).
instance: str | None = st.session_state.get(FORM_INSTANCE)
forgotten = st.session_state.get(FORM_DRAWN) == instance and form_key("title", str(instance)) not in st.session_state
if instance is None or forgotten:
    instance = st.session_state[FORM_INSTANCE] = uuid.uuid4().hex
    st.session_state.pop("contrib_errors", None)
errors: dict[str, list[str]] = st.session_state.get("contrib_errors", {})
done: dict[str, Any] | None = st.session_state.get("contrib_done")
if done and done["instance"] != instance:
    done = None

api_key = st.text_input(
    "Votre clé d'API",
    type="password",
    key="contrib_api_key",
    help="Clé de contributeur (ou d'éditeur) fournie par l'équipe IMPACT-Pratiques.",
).strip()
show_errors(errors, "api_key")

role: str | None = None
if api_key:
    try:
        role = client.key_role(api_key)
    except client.ApiError:
        show_errors({"api_key": ["Cette clé est inconnue ou a été révoquée : demandez-en une nouvelle."]}, "api_key")
    except client.ApiUnavailable as exc:
        st.error(OUTAGE_MESSAGES[exc.reason])
        st.stop()


def _submit(values: dict[str, Any], submitted_instance: str) -> dict[str, list[str]]:
    """Send the form; returns the errors to show next to the fields (empty on success)."""
    if not api_key:
        return {"api_key": ["Saisissez votre clé d'API pour soumettre une fiche."]}
    try:
        created = client.submit(build_body(values, refs), api_key, submitted_instance)
    except client.ApiUnavailable as exc:
        return {"_form": [OUTAGE_MESSAGES[exc.reason] + " Votre saisie est conservée."]}
    except client.ApiError as exc:
        if exc.status == 422:
            found = field_errors(exc.details)
            return found or {"_form": ["La fiche a été refusée par le service : vérifiez les champs."]}
        if exc.status == 401:
            return {"api_key": ["Cette clé est inconnue ou a été révoquée : demandez-en une nouvelle."]}
        if exc.status == 403:
            return {"api_key": ["Cette clé ne permet pas de soumettre une fiche."]}
        return {"_form": ["La fiche n'a pas pu être envoyée. Réessayez dans quelques instants."]}
    # Received: a new, empty form (with its own key) for the next practice. Derived from the form
    # sent, so that two runs racing on one double click (Streamlit starts the second while the
    # first still waits for the API) agree on what comes next.
    new_instance = st.session_state[FORM_INSTANCE] = uuid.uuid5(uuid.NAMESPACE_OID, submitted_instance).hex
    st.session_state["contrib_done"] = {"instance": new_instance, "title": created["title"], "toast": True}
    return {}


def _confirmation(received: dict[str, Any]) -> None:
    """The thanks, beside the button the contributor just clicked (and once as a toast)."""
    title = md_literal(received["title"])
    st.success(
        f"Merci ! La fiche « {title} » a bien été reçue. Elle attend la validation d'un éditeur avant "
        "d'apparaître dans la recherche : suivez-la dans l'onglet « Mes soumissions ». "
        "Le formulaire est prêt pour une autre pratique.",
        icon=":material/check_circle:",
    )
    if received.pop("toast", False):
        st.toast(f"Fiche « {title} » reçue.", icon=":material/check_circle:")


STATUS_LABELS = {
    "submitted": "en attente de modération",
    "published": "publiée",
    "rejected": "refusée",
    "archived": "retirée",
}
UNRESOLVED_HELP = "Ce territoire n'est pas dans le référentiel officiel : vérifiez-le avant de publier."

form_tab, queue_tab = st.tabs(
    ["Proposer une pratique", "File de modération" if role == "editor" else "Mes soumissions"]
)
with form_tab, st.form("contrib_form", enter_to_submit=False):
    st.caption("Les champs marqués d'un astérisque (*) sont obligatoires.")
    show_errors(errors, "_form")
    values = monograph_fields(refs, errors, instance)
    st.session_state[FORM_DRAWN] = instance
    if errors:
        st.error("La fiche n'a pas été envoyée : corrigez les champs signalés.", icon=":material/error:")
    # The thanks go right next to the button, where the contributor is looking.
    button_column, confirmation_column = st.columns([1, 4], vertical_alignment="center")
    submitted = button_column.form_submit_button(
        "Soumettre la fiche", key=form_key("submit", instance), type="primary", width="stretch"
    )
    if done:
        with confirmation_column:
            _confirmation(done)
# A click on the form just emptied by a submission (a double click) sends nothing: the thanks stay.
if submitted and not (done and is_blank(values)):
    st.session_state.pop("contrib_done", None)
    st.session_state["contrib_errors"] = _submit(values, instance)
    st.rerun()


def _publish(monograph_id: str, submitted_title: str) -> None:
    title = md_literal(submitted_title)
    try:
        client.publish(monograph_id, api_key)
        st.session_state["moderation_notice"] = ("success", f"« {title} » est publiée et visible dans la recherche.")
    except (client.ApiError, client.ApiUnavailable):
        st.session_state["moderation_notice"] = ("error", f"« {title} » n'a pas pu être publiée. Réessayez.")


def _reject(monograph_id: str, submitted_title: str) -> None:
    title = md_literal(submitted_title)
    reason = str(st.session_state.get(f"moderation_reason__{monograph_id}", "")).strip()
    if len(reason) < 3:
        st.session_state["moderation_notice"] = ("error", f"Indiquez le motif du refus de « {title} ».")
        return
    try:
        client.reject(monograph_id, api_key, reason)
        st.session_state["moderation_notice"] = ("success", f"« {title} » est refusée ; son auteur verra le motif.")
    except (client.ApiError, client.ApiUnavailable):
        st.session_state["moderation_notice"] = ("error", f"« {title} » n'a pas pu être refusée. Réessayez.")


with queue_tab:
    if not role:
        st.info(
            "Saisissez votre clé d'API pour voir vos soumissions ou, avec une clé d'éditeur, la file de modération."
        )
        st.stop()
    if notice := st.session_state.pop("moderation_notice", None):
        (st.success if notice[0] == "success" else st.error)(notice[1])
    # An editor sees what awaits moderation; a contributor follows all of its own sheets.
    queue = fetch(lambda: client.submissions(api_key, "submitted" if role == "editor" else None))
    if not queue["items"]:
        st.info("Aucune fiche n'attend de modération." if role == "editor" else "Vous n'avez encore rien soumis.")
    for item in queue["items"]:
        with st.container(border=True):
            # A territory given by name only (a valley, a "pays") is allowed: the editor checks it.
            unresolved = badge("Territoire non reconnu", "unresolved", UNRESOLVED_HELP)
            unresolved = "" if item["territory"].get("resolved") else f'<div class="impact-badges">{unresolved}</div>'
            title = f'<h2 class="impact-card-title">{safe_text(item["title"])}</h2>'
            html_block(f"{title}{territory_line(item)}{unresolved}")
            status = STATUS_LABELS.get(item["status"], item["status"])
            st.caption(f"Soumise le {md_literal(item['created_at'][:10])} · {md_literal(status)}")
            if item["status"] == "rejected" and item.get("rejection_reason"):
                # The reason is someone's text: rendered inert, like every piece of content.
                html_block(f"<p><strong>Motif du refus :</strong> {safe_text(item['rejection_reason'])}</p>")
            with st.expander("Lire la fiche", key=f"moderation_read__{item['id']}"):
                html_block(paragraphs(item["summary"]))
                for field in ("context", "approach", "results", "success_factors", "outlook"):
                    if item.get(field):
                        html_block(paragraphs(item[field]))
            if role != "editor":
                continue
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
