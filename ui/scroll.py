"""Back to the top of the page when the view changes (another results page, a filter), not on every rerun;
after "Suivante" or "Précédente" the keyboard focus moves to the new page's first result.

Streamlit keeps the scroll position across reruns: after "Suivante" at the bottom of a page the next
page would open at its bottom. A small script, drawn with the view's signature, scrolls the main
area to the top when the signature differs from the one this browser tab last showed.
"""

from __future__ import annotations

import streamlit as st

from ui.components import script_json

_SCRIPT = """
<script data-impact-scroll>
(() => {
  const doc = window.parent === window ? document : window.parent.document;
  const view = %(view)s, first = %(first)s;
  if (!doc.impactPagerWatch) {
    // Remember that the pager was used (a click, or Enter/Space on it, which clicks too).
    doc.impactPagerWatch = true;
    doc.addEventListener("click", (event) => {
      if (event.target.closest(".st-key-page_prev, .st-key-page_next")) window.impactPagerUsed = true;
    }, true);
  }
  if (window.impactView !== undefined && window.impactView !== view) {
    const main = doc.querySelector("[data-testid=stMain]") || doc.scrollingElement;
    main.scrollTo({top: 0, left: 0, behavior: "instant"});
    // After "Suivante" or "Précédente" a keyboard user goes on from the new page's first result,
    // not from a button now far below (once that result is drawn).
    if (window.impactPagerUsed && first) {
      let tries = 0;
      const focusFirst = () => {
        const link = doc.querySelector(".st-key-hit-" + CSS.escape(first) + " [data-testid=stPageLink] a");
        if (link) link.focus({preventScroll: true});
        else if (tries++ < 50) setTimeout(focusFirst, 100);
      };
      focusFirst();
    }
  }
  window.impactPagerUsed = false;
  window.impactView = view;
})();
</script>
"""


def script(view: str, first_result: str | None = None) -> str:
    return _SCRIPT % {"view": script_json(view), "first": script_json(first_result)}


def scroll_to_top_on_change(view: str, first_result: str | None = None) -> None:
    """Scroll to the top when `view` (a signature of what the page shows) changed since the last run;
    after the pager was used, focus the result whose id is `first_result`."""
    st.html(script(view, first_result), unsafe_allow_javascript=True)
