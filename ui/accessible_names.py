"""Accessible names for buttons whose visible text says too little: a filter chip shows "Bretagne" and is
read "Retirer le filtre Région : Bretagne".

Streamlit has no aria-label parameter for a button, so a small script names the buttons by their widget
key, now and whenever React draws them again (a MutationObserver).
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
      for (const button of doc.querySelectorAll("." + keyClass + " button")) {
        if (button.getAttribute("aria-label") !== name) button.setAttribute("aria-label", name);
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


def name_buttons(names: dict[str, str]) -> None:
    """Give each button (widget key → accessible name) its name."""
    st.html(script(names), unsafe_allow_javascript=True)
