"""A practice's sheet edited in place (one at a time on a page): the form filled with it, errors beside their fields
and counted above them, sent with the version it was read at. Editors correct a submission before publishing it;
contributors correct their own submission, or propose a change to their published practice."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from ui import client
from ui.error_summary import error_summary, form_anchors
from ui.monograph_form import FIELD_NAMES, build_body, field_errors, monograph_fields, show_errors
from ui.text import md_literal

# (monograph id, the practice's body, the version read) → the API's answer; raises `client.ApiError` or
# `client.ApiUnavailable`.
Send = Callable[[str, dict[str, Any], int], Any]


def sheet_instance(page: str, monograph_id: str, version: int) -> str:
    """The form instance (`ui.monograph_form.form_key`) editing a sheet at a version on a page."""
    return f"{page}-{monograph_id}-{version}"


@dataclass(frozen=True)
class SheetEditor:
    """Editing sheets on one page: `page` prefixes its widget keys and its state; `saved` and `conflict` are told
    after a save (with the sheet's `{title}`)."""

    page: str
    save_label: str
    send: Send
    saved: str
    conflict: str = "« {title} » a été modifiée entre-temps : relisez-la puis refaites vos modifications."

    @property
    def _open_key(self) -> str:
        return f"{self.page}_editing"

    def _errors_key(self, monograph_id: str) -> str:
        return f"{self.page}_errors__{monograph_id}"

    def open(self, monograph_id: str | None, version: int = 0) -> None:
        """Opens the sheet as read at `version` (None: closes the one open), its previous errors forgotten. The
        form is sent with that version whatever the page reads meanwhile: a sheet changed since is a conflict the
        API refuses (what was typed stays), never a silent overwrite of it or by it."""
        st.session_state[self._open_key] = (monograph_id, version) if monograph_id is not None else None
        if monograph_id is not None:
            st.session_state.pop(self._errors_key(monograph_id), None)

    def is_open(self, monograph_id: str) -> bool:
        opened = st.session_state.get(self._open_key)
        return bool(opened and opened[0] == monograph_id)

    def notify(self, kind: str, text: str) -> None:
        """A message shown at the top of the page's next run (`show_notice`)."""
        st.session_state[f"{self.page}_notice"] = (kind, text)

    def show_notice(self) -> None:
        if notice := st.session_state.pop(f"{self.page}_notice", None):
            (st.success if notice[0] == "success" else st.error)(notice[1])

    def draw(self, item: Mapping[str, Any], refs: dict[str, Any], initial: Mapping[str, Any] | None = None) -> None:
        """The form of the open sheet `item`, filled from `initial` (the sheet itself by default) when it opens, sent
        with the version it was opened at."""
        monograph_id = str(item["id"])
        opened = st.session_state.get(self._open_key)
        version = int(opened[1] if opened and opened[1] else item["version"])
        if int(item["version"]) != version:
            st.warning(
                "Cette fiche a été modifiée depuis que vous l'avez ouverte : l'enregistrement sera refusé. Copiez vos "
                "saisies, puis « Annuler » pour rouvrir la fiche à jour.",
                icon=":material/sync_problem:",
            )
        errors: dict[str, list[str]] = st.session_state.get(self._errors_key(monograph_id), {})
        instance = sheet_instance(self.page, monograph_id, version)
        with form_anchors(f"{self.page}-{monograph_id}"):
            error_summary(errors, FIELD_NAMES, f"{instance}:{sorted(errors.items())}")
            show_errors(errors, "_form")
            values = monograph_fields(refs, errors, instance, initial=initial or item)
        save, cancel = st.columns(2)
        if save.button(self.save_label, key=f"{self.page}_save__{monograph_id}", type="primary"):
            self._save(monograph_id, values, refs, version)
            st.rerun()
        cancel.button("Annuler", key=f"{self.page}_cancel__{monograph_id}", on_click=self.open, args=(None,))

    def _save(self, monograph_id: str, values: dict[str, Any], refs: dict[str, Any], version: int) -> None:
        title = md_literal(values.get("title") or "la fiche")
        errors_key = self._errors_key(monograph_id)
        try:
            self.send(monograph_id, build_body(values, refs), version)
        except client.ApiUnavailable:
            unavailable = "Le service est indisponible : vos modifications sont conservées."
            st.session_state[errors_key] = {"_form": [unavailable]}
            return
        except client.ApiError as exc:
            if exc.status == 409:
                # The form stays open with what was typed: nothing is lost, and the sheet read again on reopening.
                kept = " Vos saisies restent ci-dessous : copiez-les, puis « Annuler » pour rouvrir la fiche à jour."
                st.session_state[errors_key] = {"_form": [self.conflict.format(title=title) + kept]}
            elif exc.code == "no_change":
                st.session_state[errors_key] = {"_form": ["Rien n'a changé : modifiez au moins un champ."]}
            else:
                found = field_errors(exc.details) if exc.status == 422 else {}
                refused = "Les modifications ont été refusées par le service."
                st.session_state[errors_key] = found or {"_form": [refused]}
            return
        self.notify("success", self.saved.format(title=title))
        self.open(None)
