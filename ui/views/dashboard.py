"""Tableau de bord: practices per ODD, territory type, region and year, for the current search."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from schemas.facets import ODD, REGION, TERRITORY_TYPE
from ui import client
from ui.components import count_label, fetch
from ui.search_controls import result_set_page

search, refs, result = result_set_page("Tableau de bord", "retirez un filtre pour voir des chiffres.")
facets = result["facets"]
st.caption(
    "Pour un critère filtré, le graphique montre aussi, en clair, les valeurs non retenues : ce que "
    "chacune ajouterait. Une pratique compte pour chacun de ses ODD, types de territoire et régions."
)


def bars(facet: str, title: str, colours: dict[str, str] | None = None) -> alt.Chart:
    """Horizontal bars of one facet's counts, the selected values in full colour."""
    chosen = set(search.filters[facet])
    frame = pd.DataFrame(
        [
            {
                "valeur": b["label"],
                "pratiques": b["count"],
                "choisie": not chosen or str(b["value"]) in chosen,
                "couleur": (colours or {}).get(str(b["value"]), "#1F5C99"),
            }
            for b in facets.get(facet, [])
        ],
        columns=["valeur", "pratiques", "choisie", "couleur"],
    )
    return (
        alt.Chart(frame, title=title)
        .mark_bar()
        .encode(
            x=alt.X("pratiques:Q", title="Pratiques", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("valeur:N", title=None, sort="-x", axis=alt.Axis(labelLimit=260)),
            color=alt.Color("couleur:N", scale=None, legend=None),
            opacity=alt.condition(alt.datum.choisie, alt.value(1.0), alt.value(0.35)),
            tooltip=[alt.Tooltip("valeur:N", title=title), alt.Tooltip("pratiques:Q", title="Pratiques")],
        )
    )


odd_colours = {str(o["value"]): o["colour"] for o in refs["odd"]}
odd_chart, type_chart = st.columns(2, gap="large")
odd_chart.altair_chart(
    bars("odd", "Pratiques par ODD", odd_colours),
    key="chart_odd",
    alt="Nombre de pratiques par objectif de développement durable",
)
type_chart.altair_chart(
    bars("territory_type", "Pratiques par type de territoire"),
    key="chart_territory_type",
    alt="Nombre de pratiques par type de territoire",
)
region_chart, year_chart = st.columns(2, gap="large")
region_chart.altair_chart(
    bars("region", "Pratiques par région"), key="chart_region", alt="Nombre de pratiques par région"
)

# Counted by the API from the search engine's aggregations: never the practices themselves.
stats = fetch(lambda: client.stats(search.api_params(paged=False)))
year_frame = pd.DataFrame(
    [(int(b["value"]), b["count"]) for b in stats["facets"].get("year", [])], columns=["année", "pratiques"]
)
year_chart.altair_chart(
    alt.Chart(year_frame, title="Pratiques par année de lancement")
    .mark_bar(color="#1F5C99")
    .encode(
        x=alt.X("année:O", title=None),
        y=alt.Y("pratiques:Q", title="Pratiques", axis=alt.Axis(tickMinStep=1)),
        tooltip=[alt.Tooltip("année:O", title="Année"), alt.Tooltip("pratiques:Q", title="Pratiques")],
    ),
    key="chart_year",
    alt="Nombre de pratiques par année de lancement",
)
if undated := stats["undated"]:
    year_chart.caption(f"{count_label(undated, 'pratique', 'pratiques')} sans année connue.")

with st.expander("Voir les chiffres sous forme de tableau", key="dashboard_tables"):
    for facet, heading in ((ODD.name, "ODD"), (TERRITORY_TYPE.name, TERRITORY_TYPE.title), (REGION.name, REGION.title)):
        st.dataframe(
            pd.DataFrame(
                [{heading: b["label"], "Pratiques": b["count"]} for b in facets.get(facet, [])],
                columns=[heading, "Pratiques"],
            ),
            hide_index=True,
            key=f"table_{facet}",
        )
    st.dataframe(
        year_frame.rename(columns={"année": "Année", "pratiques": "Pratiques"}), hide_index=True, key="table_year"
    )
