"""Recherche: full-text search over the practices (first version; facets and pages follow)."""

from __future__ import annotations

import streamlit as st

from ui.client import ApiUnavailable, get

st.set_page_config(page_title="IMPACT-Pratiques", page_icon="🔎", layout="wide")
st.title("IMPACT-Pratiques")
st.caption("Les pratiques d'innovation territoriale qui ont fait leurs preuves")

q = st.text_input("Rechercher une pratique", key="q", placeholder="tiers-lieux, mobilité, circuits courts…")
try:
    result = get("/search", params={"q": q})
except ApiUnavailable:
    st.error("Le service de recherche est momentanément indisponible. Réessayez dans quelques instants.")
    st.stop()

st.write(f"{result['total']} pratique(s)")
for hit in result["hits"]:
    st.subheader(hit["title"])
    st.text(hit["summary"])
