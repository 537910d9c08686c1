"""Entry point of the Streamlit front end: page setup, shared style and navigation."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui import state
from ui.api_key import editor_session
from ui.components import SITE_NAME, STYLE, html_block
from ui.french import speak_french
from ui.site_frame import footer

# Each page names its own tab (`tab_title`); this is the default until it does.
st.set_page_config(page_title=SITE_NAME, page_icon="🌱", layout="wide")
html_block(STYLE)
# The product's name at the top of every page (our own mark; its link leads to the search).
st.logo(str(Path(__file__).parent / "logo.svg"), size="large")
speak_french()

# The page scripts live in `ui/views/`, not `ui/pages/`: with a `pages` folder beside this script,
# Streamlit's first run after a start treats the app as an old folder-of-pages app, and a first visit
# to any address but `/` (`/recherche`, `/tableau-de-bord`…) showed a "Page not found" notice.
pages = [
    # The default page is served at `/`; its own url_path is only reserved, so `/recherche` is the
    # hidden page below (the same script), an address people type or share.
    st.Page("views/search.py", title="Recherche", icon=":material/search:", url_path="accueil", default=True),
    st.Page("views/dashboard.py", title="Tableau de bord", icon=":material/bar_chart:", url_path="tableau-de-bord"),
    st.Page("views/export.py", title="Exporter", icon=":material/download:", url_path="exporter"),
    st.Page("views/contribute.py", title="Contribuer", icon=":material/edit_note:", url_path="contribuer"),
    # In the menu once an editor's key was typed; reachable by its address for anyone (it asks for one).
    st.Page(
        "views/moderation.py",
        title="Modération",
        icon=":material/fact_check:",
        url_path="moderation",
        visibility="visible" if editor_session() else "hidden",
    ),
    # Reached from a result (the API builds `/fiche?id=…` links), not from the menu.
    st.Page("views/fiche.py", title="Fiche pratique", icon=":material/article:", url_path="fiche", visibility="hidden"),
    st.Page("views/search.py", title="Recherche", url_path="recherche", visibility="hidden"),
    # Reached from the footer of every page.
    st.Page("views/about.py", title="À propos", url_path="a-propos", visibility="hidden"),
]
page = st.navigation(pages, position="top")
state.note_page(page.url_path)
# The page is drawn into a container placed above the footer, so a page that stops early (st.stop:
# nothing found, an outage…) still ends with the footer.
body = st.container()
footer()
with body:
    page.run()
