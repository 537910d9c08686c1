"""Back to the top of the page when the view changes (another results page, a filter), not on every rerun.

Streamlit keeps the scroll position across reruns: after "Suivante" at the bottom of a page the next
page would open at its bottom. A small script, drawn with the view's signature, scrolls the main
area to the top when the signature differs from the one this browser tab last showed.
"""

from __future__ import annotations

import json

import streamlit as st

_SCRIPT = """
<script data-impact-scroll>
(() => {
  const doc = window.parent === window ? document : window.parent.document;
  const view = %s;
  if (window.impactView !== undefined && window.impactView !== view) {
    const main = doc.querySelector("[data-testid=stMain]") || doc.scrollingElement;
    main.scrollTo({top: 0, left: 0, behavior: "instant"});
  }
  window.impactView = view;
})();
</script>
"""


def script(view: str) -> str:
    # `view` holds the words typed: a JSON string, with `<` escaped so it can never close the script.
    return _SCRIPT % json.dumps(view).replace("<", "\\u003c")


def scroll_to_top_on_change(view: str) -> None:
    """Scroll to the top when `view` (a signature of what the page shows) changed since the last run."""
    st.html(script(view), unsafe_allow_javascript=True)
