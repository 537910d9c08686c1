"""Exporter: the current result set as CSV or JSON Lines (open data, the API's export format)."""

from __future__ import annotations

from functools import partial

import streamlit as st

from ui import client
from ui.search_controls import result_set_page

search, refs, result = result_set_page("Exporter les pratiques", "il n'y a rien à exporter.")

st.write(
    "Les fichiers contiennent les fiches complètes des pratiques publiées, sous Licence Ouverte 2.0 (Etalab). "
    "Le format JSON Lines est aussi celui de l'import (`impact import`)."
)
params = search.api_params(paged=False)
# (format, button name, file name, MIME type, icon, help)
FORMATS: tuple[tuple[client.ExportFormat, str, str, str, str, str], ...] = (
    (
        "csv-excel",
        "CSV pour Excel",
        "pratiques-excel.csv",
        "text/csv",
        ":material/table:",
        "Points-virgules, accents et libellés en clair : s'ouvre directement dans Excel ou LibreOffice.",
    ),
    (
        "csv",
        "CSV",
        "pratiques.csv",
        "text/csv",
        ":material/table_rows:",
        "Virgules, codes et dates ISO : pour les programmes et l'analyse de données.",
    ),
    (
        "jsonl",
        "JSON Lines",
        "pratiques.jsonl",
        "application/x-ndjson",
        ":material/data_object:",
        "Un objet JSON par ligne (import).",
    ),
)
for column, (export_format, name, file_name, mime, icon, help_text) in zip(
    st.columns(len(FORMATS)), FORMATS, strict=True
):
    column.download_button(
        f"Télécharger en {name}",
        # Fetched only when clicked, so a large export never slows the page down.
        data=partial(client.export, params, export_format),
        file_name=file_name,
        mime=mime,
        key=f"export_{export_format}",
        icon=icon,
        on_click="ignore",
        help=help_text,
    )
