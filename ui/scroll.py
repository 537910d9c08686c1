"""Back to the top of the page when the view changes (another results page, a filter), not on every rerun;
after "Suivante" or "Précédente" the keyboard focus moves to the new page's first result.

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
    // A keyboard user who pressed "Suivante" or "Précédente" goes on from the new page's first
    // result, not from a button now far below (once that result is drawn).
    const pager = doc.activeElement && doc.activeElement.closest(".st-key-page_prev, .st-key-page_next");
    const first = () => doc.querySelector("[class*='st-key-hit-'] [data-testid=stPageLink] a");
    const before = first() && first().href;
    let tries = 0;
    const focusFirst = () => {
      const link = first();
      if (link && link.href !== before) link.focus({preventScroll: true});
      else if (tries++ < 50) setTimeout(focusFirst, 100);
    };
    if (pager) focusFirst();
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
