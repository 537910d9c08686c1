"""« Carte des départements » on the search page: the API's SVG map of the current search, shown when the
visitor switches it on; a click on a département toggles the `department` filter (kept in the URL).

The map is a small bidirectional component (Streamlit's components v2, no build step): it shows the SVG the
API drew (every text escaped there) and turns a click on a département's link into a trigger value, so the
filter changes without reloading the page. Each link is focusable and titled with the count; the sidebar's
« Département » list holds the same départements for keyboards and screen readers.
"""

from __future__ import annotations

import streamlit as st

from ui import client, state
from ui.state import SearchState

MAP_KEY = "search_map"
SHOWN_KEY = "search_map_shown"
DEPARTMENT = "department"
MAP_UNAVAILABLE = "La carte n'a pas pu être chargée ; les résultats restent affichés. Réessayez dans quelques instants."

_JS = """
export default function ({ data, parentElement, setTriggerValue }) {
  let box = parentElement.querySelector(".impact-map");
  if (!box) {
    box = document.createElement("div");
    box.className = "impact-map";
    parentElement.appendChild(box);
  }
  if (box.drawn !== data) {
    box.innerHTML = data;  // the API's SVG: every text in it is escaped
    box.drawn = data;
  }
  // One handler, replaced on each new drawing (an added listener would pile up: each click counted twice).
  box.onclick = (event) => {
    const link = event.target.closest("a[data-department]");
    if (!link) return;
    event.preventDefault();
    setTriggerValue("department", link.getAttribute("data-department"));
  };
}
"""

_CSS = """
.impact-map svg { display: block; width: 100%; max-width: 640px; height: auto; }
.impact-map a { cursor: pointer; }
.impact-map a:focus { outline: none; }
.impact-map a:hover path, .impact-map a:hover rect { stroke: #1a1a1a; stroke-width: 25; }
.impact-map a:focus-visible path, .impact-map a:focus-visible rect { stroke: #000; stroke-width: 45; }
"""

_map_component = st.components.v2.component("impact_department_map", js=_JS, css=_CSS)


def _on_click() -> None:
    clicked = (st.session_state.get(MAP_KEY) or {}).get(DEPARTMENT)
    if clicked:
        state.on_facet_toggle(DEPARTMENT, str(clicked))


def department_map(search: SearchState) -> None:
    """The switch, and the map of `search` under it when it is on."""
    if not st.toggle("Carte des départements", key=SHOWN_KEY):
        return
    st.caption(
        "Cliquez un département pour filtrer les pratiques (un second clic retire le filtre) ; "
        "survolez-le pour voir son nombre de pratiques. La liste « Département » des filtres les contient aussi."
    )
    try:
        svg = client.search_map(search.api_params(paged=False))
    except (client.ApiUnavailable, client.ApiError):
        # The results above and below do not depend on it: the map alone is missing.
        st.warning(MAP_UNAVAILABLE, icon=":material/map:")
        return
    _map_component(key=MAP_KEY, data=svg, on_department_change=_on_click)
