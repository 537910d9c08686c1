"""On a phone the facets live in Streamlit's sidebar drawer: "Filtres (n)" opens it, "Voir N pratiques" closes it.

Streamlit offers no way to open or close the sidebar from Python, so both are plain buttons
(shown only on narrow screens) that press the sidebar's own open and close controls.
"""

from __future__ import annotations

import streamlit as st

from ui.components import count_label

_SCRIPT = """
<script data-impact-drawer>
(() => {
  const doc = window.parent === window ? document : window.parent.document;
  if (doc.impactDrawer) return;
  doc.impactDrawer = true;
  doc.addEventListener("click", (event) => {
    const target = event.target.closest("[data-impact-drawer-open], [data-impact-drawer-close]");
    if (!target) return;
    const control = target.hasAttribute("data-impact-drawer-open")
      ? doc.querySelector("[data-testid=stExpandSidebarButton]")
      : doc.querySelector("[data-testid=stSidebarCollapseButton] button");
    if (control) control.click();
  });
})();
</script>
"""


def open_filters_button(active: int) -> None:
    """ "Filtres (n)" in the page, on narrow screens only."""
    label = f"Filtres ({active})" if active else "Filtres"
    st.html(
        f'{_SCRIPT}<button type="button" class="impact-drawer-button" data-impact-drawer-open '
        f'aria-controls="stSidebar">{label}</button>',
        unsafe_allow_javascript=True,
    )


def close_filters_button(total: int) -> None:
    """ "Voir N pratiques" at the bottom of the drawer, on narrow screens only (the results are behind it)."""
    label = f"Voir {count_label(total, 'pratique', 'pratiques')}"
    st.html(
        f'{_SCRIPT}<button type="button" class="impact-drawer-button impact-drawer-close" data-impact-drawer-close '
        f'aria-controls="stSidebar">{label}</button>',
        unsafe_allow_javascript=True,
    )
