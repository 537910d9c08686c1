"""Accessible names for controls whose visible text says too little: a filter chip shows "Bretagne" and is
read "Retirer le filtre Région : Bretagne"; the « Publier » button of each practice in the moderation queue is
read « Publier « Titre » », so a screen reader's list of buttons or fields tells them apart.

Streamlit has no aria-label parameter, so a small script names a widget's button, field or switch by its
widget key, now and whenever React draws them again (a MutationObserver). A name starts with the visible label
(WCAG 2.5.3, label in name).
"""

from __future__ import annotations

import streamlit as st

from ui.components import script_json

_SCRIPT = """
<script data-impact-names>
(() => {
  const doc = window.parent === window ? document : window.parent.document;
  const names = doc.impactNames || (doc.impactNames = {});
  Object.assign(names, %(names)s);
  const apply = () => {
    for (const [key, name] of Object.entries(names)) {
      // Streamlit's class for a widget key; every button inside (it also draws a hidden copy to measure).
      const keyClass = "st-key-" + key.trim().replace(/[^a-zA-Z0-9_-]/g, "-");
      for (const control of doc.querySelectorAll(
        `.${keyClass} button, .${keyClass} input, .${keyClass} textarea`
      )) {
        if (control.getAttribute("aria-label") !== name) control.setAttribute("aria-label", name);
      }
    }
  };
  if (!doc.impactNamesWatch) {
    doc.impactNamesWatch = new MutationObserver(apply);
    doc.impactNamesWatch.observe(doc.body, {childList: true, subtree: true});
  }
  apply();
})();
</script>
"""


def script(names: dict[str, str]) -> str:
    return _SCRIPT % {"names": script_json(names)}


def about(label: str, subject: str) -> str:
    """The name of a control repeated for each of several items (a practice's card): its visible label, then which
    item it acts on."""
    return f"{label} : « {subject} »"


def name_controls(names: dict[str, str]) -> None:
    """Give each widget's button, field or switch (widget key → accessible name) its name."""
    st.html(script(names), unsafe_allow_javascript=True)
