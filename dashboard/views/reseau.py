"""Réseau: missions locales by département (network-wide; policy ``network.view``)."""

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard.data import network_by_departement, network_table
from dashboard.views import chart_data
from models.formatting import format_number

user = st.session_state["principal"]
if not user.can("network.view"):
    st.error("Cette page est réservée à l'équipe de l'ARML et au comité de pilotage.")
    st.stop()

st.title("Réseau des missions locales")
by_dep = network_by_departement(user.id)
table = network_table(user.id)

if by_dep.empty:
    st.info("Aucune mission locale n'est encore enregistrée. L'équipe de l'ARML peut charger "
            "les données de démonstration avec `flask --app webapp seed demo`.")
    st.stop()

c1, c2, c3 = st.columns(3)
c1.metric("Missions locales actives", format_number(int(by_dep["Actives"].sum())))
c2.metric("Départements", format_number(len(by_dep)))
c3.metric("Inactives (fusionnées)", format_number(int(by_dep["Inactives"].sum())))

long = by_dep.melt(id_vars=["Département", "code"], value_vars=["Actives", "Inactives"],
                   var_name="Statut", value_name="Missions locales")
fig = px.bar(
    long, x="Département", y="Missions locales", color="Statut", text_auto=True,
    color_discrete_map={"Actives": "#1d4f91", "Inactives": "#adb5bd"},
    title="Missions locales par département",
)
fig.update_layout(separators=", ", legend_title_text="", xaxis_title="", yaxis_title="",
                  margin={"t": 50, "l": 10, "r": 10, "b": 10})
st.plotly_chart(fig, width="stretch", key="chart_departements")
chart_data(pd.DataFrame({
    "Département": by_dep["Département"].tolist(),
    "Actives": [format_number(int(v)) for v in by_dep["Actives"]],
    "Inactives": [format_number(int(v)) for v in by_dep["Inactives"]]}),
    "missions locales par département")

st.header("Liste")
deps = sorted(table["Département"].unique())
chosen = st.multiselect("Filtrer par département", deps, key="filter_dep",
                        placeholder="Tous les départements")
shown = table[table["Département"].isin(chosen)] if chosen else table
st.dataframe(shown, hide_index=True, width="stretch")
