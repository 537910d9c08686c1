"""Contribuer: how to get a key, then submit a practice with it and follow one's submissions: correct one awaiting
moderation or rejected, propose a change to a published one (editors moderate on the Modération page)."""

from __future__ import annotations

import uuid
from typing import Any

import streamlit as st

from ui import client
from ui.accessible_names import about, name_controls
from ui.api_key import UNKNOWN_KEY, api_key_field
from ui.components import (
    MODERATION_PAGE,
    OUTAGE_MESSAGES,
    STATUS_LABELS,
    fetch,
    html_block,
    paragraphs,
    safe_text,
    tab_title,
    territory_line,
)
from ui.error_summary import error_summary
from ui.history_view import history_toggle
from ui.monograph_form import (
    FIELD_NAMES,
    FORM_INSTANCE,
    build_body,
    field_errors,
    form_key,
    is_blank,
    monograph_fields,
    show_errors,
)
from ui.sheet_editor import SheetEditor
from ui.text import french_date, md_literal

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

api_key, role = api_key_field("contrib_api_key", errors)
if role == "editor":
    st.page_link(MODERATION_PAGE, label="Relire les fiches en attente (Modération)", icon=":material/fact_check:")


def _submit(values: dict[str, Any], submitted_instance: str) -> dict[str, list[str]]:
    """Send the form; returns the errors to show next to the fields (empty on success)."""
    if not api_key:
        return {"api_key": ["Saisissez votre clé d'API pour soumettre une fiche."]}
    try:
        created = client.submit(build_body(values, refs), api_key, submitted_instance)
    except client.ApiUnavailable as exc:
        return {"_form": [OUTAGE_MESSAGES[exc.reason] + " Votre saisie est conservée."]}
    except client.ApiError as exc:
        if exc.code in ("idempotency_key_reused", "external_id_taken"):
            # An earlier send of this form arrived (its answer was lost) and the form was changed since.
            return {
                "_form": [
                    "Une première version de cette fiche a déjà été reçue lors d'un envoi précédent ; vos dernières "
                    "modifications n'y sont pas. Retrouvez-la dans l'onglet « Mes soumissions » pour la corriger."
                ]
            }
        if exc.status == 422:
            found = field_errors(exc.details)
            return found or {"_form": ["La fiche a été refusée par le service : vérifiez les champs."]}
        if exc.status == 401:
            return {"api_key": [UNKNOWN_KEY]}
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


form_tab, own_tab = st.tabs(["Proposer une pratique", "Mes soumissions"])
with form_tab, st.container(key="contrib_form"):
    st.caption("Les champs marqués d'un astérisque (*) sont obligatoires.")
    # Every error counted at the top, each leading to its field; each is also shown below its field.
    error_summary(errors, FIELD_NAMES, f"{instance}:{sorted(errors.items())}")
    show_errors(errors, "_form")
    values = monograph_fields(refs, errors, instance)
    st.session_state[FORM_DRAWN] = instance
    if errors:
        st.error("La fiche n'a pas été envoyée : corrigez les champs signalés.", icon=":material/error:")
    # The thanks go right next to the button, where the contributor is looking.
    button_column, confirmation_column = st.columns([1, 4], vertical_alignment="center")
    submitted = button_column.button(
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

OWN = SheetEditor(
    "own",
    "Enregistrer",
    lambda monograph_id, body, version: client.update(monograph_id, body, api_key, version),
    "« {title} » est enregistrée et attend la validation d'un éditeur.",
)
PROPOSE = SheetEditor(
    "propose",
    "Envoyer la proposition",
    lambda monograph_id, body, version: client.propose(monograph_id, body, api_key, version),
    "Votre modification de « {title} » est envoyée. La fiche publiée reste affichée telle quelle jusqu'à sa "
    "relecture par l'équipe éditoriale.",
)


def _withdraw(monograph_id: str, title: str, revision: int) -> None:
    try:
        client.withdraw_proposal(monograph_id, api_key, revision)
        PROPOSE.notify("success", f"Votre proposition de modification de « {md_literal(title)} » est retirée.")
    except (client.ApiError, client.ApiUnavailable):
        PROPOSE.notify("error", "La proposition n'a pas pu être retirée. Réessayez.")


def _proposal_line(proposal: dict[str, Any], title: str) -> dict[str, str]:
    """Where the change proposed to a published practice stands, and the button to take it back (its name)."""
    monograph_id = proposal["monograph_id"]
    if proposal["status"] == "declined":
        html_block(
            f"<p><strong>Modification refusée le {french_date(proposal['decided_at'])}. Motif :</strong> "
            f"{safe_text(proposal['reason'] or '')}</p>"
        )
    else:
        edited = (
            " L'équipe éditoriale a modifié la fiche depuis : seuls les champs que vous avez changés seront remplacés."
            if proposal["base_version"] != proposal["current_version"]
            else ""
        )
        st.info(
            f"Modification proposée le {french_date(proposal['proposed_at'])} : en attente de relecture. La fiche "
            f"publiée reste affichée telle quelle d'ici là.{edited}",
            icon=":material/schedule:",
        )
    label = "Retirer ma proposition" if proposal["status"] == "pending" else "Effacer cette proposition refusée"
    st.button(
        label,
        key=f"own_withdraw__{monograph_id}",
        on_click=_withdraw,
        args=(monograph_id, title, proposal["revision"]),
        icon=":material/undo:",
    )
    return {f"own_withdraw__{monograph_id}": about(label, title)}


def _own(item: dict[str, Any], proposal: dict[str, Any] | None) -> None:
    """One of the contributor's practices: where it stands, and what they can change."""
    monograph_id = item["id"]
    with st.container(border=True, key=f"own-{monograph_id}"):
        html_block(f'<h2 class="impact-card-title">{safe_text(item["title"])}</h2>{territory_line(item)}')
        status = STATUS_LABELS.get(item["status"], item["status"])
        st.caption(f"Soumise le {french_date(item['created_at'])} · {md_literal(status)}")
        history_toggle(monograph_id, api_key, f"own_history__{monograph_id}")
        names = {
            f"own_history__{monograph_id}": about("Historique de la fiche", item["title"]),
        }
        if item["status"] == "rejected" and item.get("rejection_reason"):
            # The reason is someone's text: rendered inert, like every piece of content.
            html_block(f"<p><strong>Motif du refus :</strong> {safe_text(item['rejection_reason'])}</p>")
        if proposal is not None:
            names |= _proposal_line(proposal, item["title"])
        if item["status"] in ("submitted", "rejected", "published"):
            # A sheet awaiting moderation is edited; a published one, through a proposal (a pending or declined one
            # taken up where it was left: its fields on the current sheet).
            if item["status"] == "published":
                editor, initial, key = PROPOSE, proposal["content"] if proposal else None, "own_propose"
                label = "Modifier ma proposition" if proposal else "Proposer une modification"
            else:
                editor, initial, key = OWN, None, "own_edit"
                label = "Corriger et renvoyer en modération" if item["status"] == "rejected" else "Modifier"
            names[f"{key}__{monograph_id}"] = about(label, item["title"])
            if editor.is_open(monograph_id):
                editor.draw(item, refs, initial=initial)
                name_controls(names)
                return
            st.button(
                label,
                key=f"{key}__{monograph_id}",
                on_click=editor.open,
                args=(monograph_id, item["version"]),
                icon=":material/edit:",
            )
        name_controls(names)
        with st.expander("Lire la fiche", key=f"own_read__{monograph_id}"):
            html_block(paragraphs(item["summary"]))
            for field in ("context", "approach", "results", "success_factors", "outlook"):
                if item.get(field):
                    html_block(paragraphs(item[field]))


with own_tab:
    if not role:
        st.info("Saisissez votre clé d'API pour suivre les fiches que vous avez proposées.")
        st.stop()
    if role == "editor":
        st.info("Les fiches en attente se relisent sur la page « Modération ».")
        st.page_link(MODERATION_PAGE, label="Ouvrir la file de modération", icon=":material/fact_check:")
        st.stop()
    OWN.show_notice()
    PROPOSE.show_notice()
    st.caption(
        "Une fiche en attente ou refusée se corrige ici. Une fiche publiée se modifie par une proposition, relue "
        "par l'équipe éditoriale avant de remplacer la fiche publiée."
    )
    queue = fetch(lambda: client.submissions(api_key, None))
    # Every proposal of the contributor's, as many as the API lists in one page (one per practice).
    proposed = {p["monograph_id"]: p for p in fetch(lambda: client.proposals(api_key, size=100))["items"]}
    if not queue["items"]:
        st.info("Vous n'avez encore rien soumis.")
    for item in queue["items"]:
        _own(item, proposed.get(item["id"]))
