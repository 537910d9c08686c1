"""The errors of a form, counted and listed at its top: each entry names its field and moves the focus there.

Each field is drawn inside a container keyed by its slot (`field_box` in `ui.monograph_form`, class
`st-key-field-<slot>`, or `st-key-field-<form>-<slot>` inside `form_anchors`, when a page holds several forms);
a small script focuses the field of the entry clicked, and brings the summary into view (and focus) when it
appears, so keyboard and screen-reader users start from it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ui.components import html_block, safe_text
from ui.text import md_plain

_SCRIPT = """
<script data-impact-error-summary>
(() => {
  const doc = window.parent === window ? document : window.parent.document;
  if (!doc.impactErrorLinks) {
    doc.impactErrorLinks = true;
    doc.addEventListener("click", (event) => {
      const entry = event.target.closest("a[data-impact-field]");
      if (!entry) return;
      event.preventDefault();
      const box = doc.querySelector(".st-key-" + CSS.escape(entry.dataset.impactField));
      // The field itself, not the help button drawn before it.
      const control = box && ["textarea, input:not([type=hidden])", "[role=combobox], [role=grid], [tabindex='0']"]
        .map((selector) => box.querySelector(selector)).find(Boolean);
      if (box) box.scrollIntoView({block: "center"});
      if (control) control.focus({preventScroll: true});
    }, true);
  }
  const signature = %(signature)s;
  if (doc.impactErrorSummary === signature) return;
  doc.impactErrorSummary = signature;
  let tries = 0;
  const reach = () => {
    const summary = doc.getElementById(%(summary)s);
    if (!summary) { if (tries++ < 50) setTimeout(reach, 100); return; }
    summary.scrollIntoView({block: "start"});
    summary.focus({preventScroll: true});
  };
  reach();
})();
</script>
"""


# The form whose fields and summary are being drawn, when a page holds several ("" for a page's only form).
_FORM: ContextVar[str] = ContextVar("form_anchors", default="")


@contextmanager
def form_anchors(form: str) -> Iterator[None]:
    """Fields and summary drawn inside are those of `form` (letters, digits and dashes): their containers' keys
    are its own, apart from any other form's on the page."""
    token = _FORM.set(re.sub(r"[^a-z0-9-]", "-", form.lower()))
    try:
        yield
    finally:
        _FORM.reset(token)


def anchor(slot: str) -> str:
    """The key of the container holding a field (its CSS class is `st-key-` and this)."""
    form = _FORM.get()
    return "field-" + (f"{form}-" if form else "") + slot.replace(".", "-").replace("_", "-")


def field_box(slot: str) -> DeltaGenerator:
    """The container to draw the field of `slot` in (with its errors), so the summary can lead to it."""
    return st.container(key=anchor(slot))


def heading(count: int) -> str:
    return f"Le formulaire contient {count} erreur" + ("s" if count > 1 else "")


def _field_errors(errors: Mapping[str, list[str]]) -> dict[str, list[str]]:
    # `_form`: what went wrong with the sending itself (an outage), not with a field: shown on its own.
    return {slot: messages for slot, messages in errors.items() if slot != "_form" and messages}


def summary_html(errors: Mapping[str, list[str]], names: Mapping[str, str]) -> str:
    """The summary: how many errors, then one entry per error (a link to its field when it has one)."""
    entries = []
    for slot, messages in _field_errors(errors).items():
        for message in messages:
            if slot in names:
                label = f"{safe_text(names[slot])} : {safe_text(md_plain(message))}"
                entries.append(f'<li><a href="#{anchor(slot)}" data-impact-field="{anchor(slot)}">{label}</a></li>')
            else:
                entries.append(f"<li>{safe_text(md_plain(message))}</li>")
    summary, count = _ids()
    return (
        f'<div class="impact-error-summary" id="{summary}" role="alert" tabindex="-1" aria-labelledby="{count}">'
        f'<h2 id="{count}">{heading(len(entries))}</h2><ul>{"".join(entries)}</ul></div>'
    )


def _ids() -> tuple[str, str]:
    """The HTML ids of the summary and of its heading: the form's own (`form_anchors`)."""
    form = _FORM.get()
    suffix = f"-{form}" if form else ""
    return f"impact-error-summary{suffix}", f"impact-error-count{suffix}"


def error_summary(errors: Mapping[str, list[str]], names: Mapping[str, str], signature: str) -> None:
    """Draw the summary of `errors` (field slot → messages; `names`: slot → the field's French name), if any;
    `signature` identifies this set of errors (the summary takes the focus once per signature)."""
    if not _field_errors(errors):
        return
    html_block(summary_html(errors, names))
    script = {
        name: json.dumps(value).replace("<", "\\u003c")
        for name, value in (("signature", signature), ("summary", _ids()[0]))
    }
    st.html(_SCRIPT % script, unsafe_allow_javascript=True)
