"""Parrainage: the State's yearly table of mentoring per mission locale and for the
region, protected by the observatory's statistical secrecy, with pairings started per
year and the situations at the end of the pairings.

Policy ``mentoring.stats``: every account; an ml account reads its own mission locale and
the region, protected as for everyone else. Hidden cells arrive as « s » from
``dashboard.data_mentoring``; the charts leave them out and say so.
"""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.data_mentoring import (
    may_read,
    mentoring_csv,
    mentoring_started_by_year,
    mentoring_table,
    mentoring_xlsx,
    mentoring_years,
)
from dashboard.views import chart_data
from models import clock
from models.formatting import format_number

user = st.session_state["principal"]
if not may_read(user):
    st.error("Cette page est réservée aux comptes d'Animaréseau.")
    st.stop()

BLUE = "#1d4f91"
PLOTLY_CONFIG = {"displaylogo": False}


def french_layout(fig: go.Figure, **kwargs) -> go.Figure:
    fig.update_layout(separators=", ", legend_title_text="", xaxis_title="",
                      margin={"t": 30, "l": 10, "r": 10, "b": 10}, **kwargs)
    return fig


st.title("Parrainage")
st.caption("Le tableau annuel de l'État : filleul·es, parrains et marraines, binômes et "
           "situations de sortie, protégés par le secret statistique de l'observatoire.")
years = mentoring_years(user.id)
this_year = clock.today().year
year = st.selectbox("Année", years, index=years.index(this_year) if this_year in years else 0,
                    key="mentoring_year")
data = mentoring_table(user.id, year)

# ---------------------------------------------------------------- charts
left, right = st.columns(2)
with left:
    st.subheader("Binômes commencés par année")
    started = mentoring_started_by_year(user.id)
    shown = started[started["started"].notna()]
    if shown.empty or not shown["started"].astype(int).sum():
        st.info("Aucun binôme commencé (ou tous masqués par le secret statistique).")
    else:
        fig = go.Figure(go.Bar(x=[str(y) for y in shown["year"]],
                               y=[int(v) for v in shown["started"]], name="Binômes",
                               marker_color=BLUE,
                               text=[format_number(int(v)) for v in shown["started"]]))
        st.plotly_chart(french_layout(fig, yaxis_title="Binômes"), config=PLOTLY_CONFIG,
                        key="chart_started")
        chart_data(pd.DataFrame({"Année": [str(y) for y in started["year"]],
                                 "Binômes commencés": [
                                     "s" if pd.isna(v) else format_number(int(v))
                                     for v in started["started"]]}),
                   "binômes commencés par année")
    hidden_years = started[started["started"].isna()]["year"].tolist()
    if hidden_years:
        st.caption("Masqué par le secret statistique : "
                   + ", ".join(str(y) for y in hidden_years) + ".")
with right:
    st.subheader(f"Situation à la fin des binômes terminés en {year}")
    outcomes = data["outcomes"]
    shown = outcomes[outcomes["binomes"].notna()]
    if shown.empty or not shown["binomes"].astype(int).sum():
        st.info(f"Aucun binôme terminé en {year} à afficher pour la région.")
    else:
        fig = go.Figure(go.Bar(y=shown["situation"].tolist(),
                               x=[int(v) for v in shown["binomes"]], orientation="h",
                               name="Binômes", marker_color=BLUE,
                               text=[format_number(int(v)) for v in shown["binomes"]]))
        fig.update_yaxes(autorange="reversed")
        st.plotly_chart(french_layout(fig), config=PLOTLY_CONFIG, key="chart_outcomes")
        chart_data(pd.DataFrame({"Situation": outcomes["situation"].tolist(),
                                 "Binômes": ["s" if pd.isna(v) else format_number(int(v))
                                             for v in outcomes["binomes"]]}),
                   f"situation à la fin, {data['region']}")
    if outcomes["binomes"].isna().any():
        st.caption("Les situations masquées par le secret statistique ne sont pas tracées.")

# ---------------------------------------------------------------- the table
st.subheader(f"Tableau annuel {year}")
st.caption(data["legend"])
st.dataframe(data["frame"], hide_index=True, use_container_width=True, key="mentoring_table")
d1, d2 = st.columns(2)
d1.download_button("Télécharger le tableau (CSV)", mentoring_csv(user.id, year),
                   file_name=f"parrainage-tableau-annuel-{year}.csv", mime="text/csv",
                   key="mentoring_csv")
d2.download_button("Télécharger le tableau (XLSX)", mentoring_xlsx(user.id, year),
                   file_name=f"parrainage-tableau-annuel-{year}.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   key="mentoring_xlsx")
