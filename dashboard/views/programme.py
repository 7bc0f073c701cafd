"""Programme régional d'animation: progress, budget and team time (policy
``programme.overview``: the ARML team and the copil).

Money and days arrive as Decimal in the cached frames; they are formatted through
``models.formatting`` for text and turned into floats only to feed the charts.
"""

from decimal import Decimal

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.data import (
    programme_days,
    programme_late_deliverables,
    programme_list,
    programme_progress,
    programme_team_load,
)
from dashboard.views import chart_data
from models.formatting import format_date, format_money, format_number
from models.formatting import format_ratio as pct  # ``62 %``, ``—`` when nothing to measure
from models.programme.rules import days_to_etp, ratio

user = st.session_state["principal"]
if not user.can("programme.overview"):
    st.error("Cette page est réservée à l'équipe de l'ARML et au comité de pilotage.")
    st.stop()

NNBSP = "\u202f"  # narrow no-break space, as babel writes "1 607" in French
STATUS_COLORS = {"brouillon": "gray", "soumis": "blue", "valide": "violet",
                 "en_cours": "green", "cloture": "gray"}
BLUE, LIGHT_BLUE = "#1d4f91", "#8fb3e0"
AXIS_COLORS = {1: "#1d4f91", 2: "#e07a1f", 3: "#2a9d8f"}


def days(value: Decimal) -> str:
    """``12``, ``12,5`` or ``12,25``: no useless decimals."""
    value = Decimal(value)
    digits = 0 if value == value.to_integral() else (1 if value * 10 == (value * 10).to_integral()
                                                      else 2)
    return format_number(value, digits=digits)


def plural(n: int, word: str) -> str:
    return f"{format_number(n)} {word}{'s' if n > 1 else ''}"


def french_layout(fig: go.Figure, **kwargs) -> go.Figure:
    fig.update_layout(separators=", ", legend_title_text="", xaxis_title="",
                      margin={"t": 30, "l": 10, "r": 10, "b": 10},
                      legend={"orientation": "h", "y": -0.15}, **kwargs)
    return fig


PLOTLY_CONFIG = {"displaylogo": False}

st.title("Programme régional d'animation")
programmes = programme_list(user.id)

if programmes.empty:
    where = ("créez-le dans l'application web, menu Programme" if user.can("programme.manage")
             else "l'équipe de l'ARML le crée dans l'application web, menu Programme")
    st.info(f"Aucun programme n'est encore saisi. Pour suivre son avancement ici, {where}.")
    st.stop()

ids = programmes["id"].tolist()
by_id = programmes.set_index("id")
current = programmes.index[programmes["current"]].tolist()
programme_id = st.selectbox(
    "Programme", ids, index=current[0] if current else 0, key="programme_id",
    format_func=lambda pid: f"{by_id.at[pid, 'year']} · {by_id.at[pid, 'title']}",
)
info = by_id.loc[programme_id]
etp_days = int(info["etp_days"])
st.markdown(f"Statut : :{STATUS_COLORS.get(info['status'], 'gray')}-badge[{info['status_label']}]")

progress = programme_progress(user.id, programme_id)
team_days = programme_days(user.id, programme_id)
loads = programme_team_load(user.id, programme_id)
late = programme_late_deliverables(user.id, programme_id)

# ---------------------------------------------------------------- key figures
n_actions = int(progress["actions"].sum())
n_done = int(progress["done"].sum())
n_abandoned = int(progress["abandoned"].sum())
n_indicators = int(progress["indicators"].sum())
n_reached = int(progress["reached"].sum())
planned = sum(progress["planned"], Decimal("0.00"))
actual = sum(progress["actual"], Decimal("0.00"))
planned_days = sum(progress["planned_days"], Decimal("0.00"))
actual_days = sum(progress["actual_days"], Decimal("0.00"))

if n_actions == 0:
    st.info("Ce programme n'a pas encore d'action. Les indicateurs s'afficheront dès que "
            "l'équipe de l'ARML aura saisi ses actions dans l'application web.")

c = st.columns(5)
c[0].metric("Actions", format_number(n_actions),
            help=f"dont {plural(n_abandoned, 'abandonnée')}" if n_abandoned else None)
c[1].metric("Actions réalisées", pct(ratio(n_done, n_actions - n_abandoned)),
            help=f"{format_number(n_done)} sur {plural(n_actions - n_abandoned, 'action')} "
                 "(les actions abandonnées ne comptent pas)")
c[2].metric("Indicateurs atteints", f"{format_number(n_reached)} sur {format_number(n_indicators)}",
            help="Indicateurs dont la valeur atteinte égale ou dépasse la cible")
c[3].metric("Budget consommé", pct(ratio(actual, planned)),
            help=f"{format_money(actual)} réalisés sur {format_money(planned)} prévus")
c[4].metric("Jours consommés", pct(ratio(actual_days, planned_days)),
            help=f"{days(actual_days)} jours réalisés sur {days(planned_days)} jours prévus")
# Amounts in euros are long: two wide columns for them, then three for the rest.
c = st.columns([3, 3, 2, 2, 2])
c[0].metric("Budget prévu", format_money(planned))
c[1].metric("Budget réalisé", format_money(actual))
c[2].metric("Jours prévus", days(planned_days))
c[3].metric("ETP prévus", format_number(days_to_etp(planned_days, etp_days), digits=2))
c[4].metric("Livrables en retard", format_number(len(late)))

# ---------------------------------------------------------------- (a) progress
st.header("Avancement par axe et objectif")
countable = progress[progress["actions"] - progress["abandoned"] > 0]
fig = go.Figure()
for axis, rows in countable.groupby("axis", sort=True):
    rates = [ratio(r.done, r.actions - r.abandoned) for r in rows.itertuples()]
    fig.add_bar(
        name=f"Axe {axis}", x=rows["code"].tolist(),
        y=[float(rate * 100) for rate in rates],  # chart boundary: float
        text=[pct(rate) for rate in rates], textposition="outside",
        marker_color=AXIS_COLORS.get(int(axis), BLUE),
        customdata=[[r.objective, format_number(r.done), format_number(r.actions - r.abandoned)]
                    for r in rows.itertuples()],
        hovertemplate="<b>%{x} %{customdata[0]}</b><br>"
                      "%{customdata[1]} réalisée(s) sur %{customdata[2]} action(s)<extra></extra>",
    )
french_layout(fig, yaxis={"range": [0, 110], "ticksuffix": f"{NNBSP}%",
                          "title": "Actions réalisées"})
fig.update_xaxes(type="category")
st.plotly_chart(fig, width="stretch", key="chart_progress", config=PLOTLY_CONFIG)
chart_data(pd.DataFrame({
    "Objectif": [f"{r.code} {r.objective}" for r in countable.itertuples()],
    "Axe": [f"Axe {a}" for a in countable["axis"]],
    "Actions réalisées": [pct(ratio(r.done, r.actions - r.abandoned))
                          for r in countable.itertuples()],
    "Réalisées": [format_number(v) for v in countable["done"]],
    "Actions à mesurer": [format_number(r.actions - r.abandoned)
                          for r in countable.itertuples()]}), "avancement par objectif")
empty = progress[progress["actions"] - progress["abandoned"] <= 0]["code"].tolist()
st.caption("Part des actions réalisées par objectif, hors actions abandonnées."
           + (f" Objectifs sans action à mesurer : {', '.join(empty)}." if empty else ""))

# ---------------------------------------------------------------- (b) budget
st.header("Budget par axe")
budget = (progress.groupby("axis", sort=True)
          .agg(planned=("planned", lambda s: sum(s, Decimal("0.00"))),
               actual=("actual", lambda s: sum(s, Decimal("0.00"))))
          .reset_index())
axes = [f"Axe {a}" for a in budget["axis"]]
fig = go.Figure()
for column, name, color in (("planned", "Prévu", LIGHT_BLUE), ("actual", "Réalisé", BLUE)):
    fig.add_bar(name=name, x=axes, y=[float(v) for v in budget[column]], marker_color=color,
                customdata=[format_money(v) for v in budget[column]],
                hovertemplate=f"%{{x}}<br>{name} : %{{customdata}}<extra></extra>")
french_layout(fig, barmode="group", yaxis={"tickformat": ",.0f", "ticksuffix": f"{NNBSP}€",
                                           "title": "Euros"})
st.plotly_chart(fig, width="stretch", key="chart_budget", config=PLOTLY_CONFIG)
chart_data(pd.DataFrame({"Axe": axes,
                         "Prévu": [format_money(v) for v in budget["planned"]],
                         "Réalisé": [format_money(v) for v in budget["actual"]]}),
           "budget prévu et réalisé par axe")

# ---------------------------------------------------------------- (c) team time
st.header("Temps de l'équipe")
st.caption(f"Convention du programme : 1 ETP = {format_number(int(info['etp_hours']))} heures "
           f"= {format_number(etp_days)} jours. Les ETP sont les jours prévus divisés par "
           f"{format_number(etp_days)}.")
if team_days.empty:
    st.info("Aucun temps de l'équipe n'est encore affecté aux actions de ce programme.")
else:
    axis_labels = [f"Axe {a}" for a in sorted(team_days["axis"].unique())]
    fig = go.Figure()
    for member, rows in team_days.groupby("member", sort=True):
        fig.add_bar(
            name=member, x=[f"Axe {a}" for a in rows["axis"]],
            y=[float(v) for v in rows["planned_etp"]],
            customdata=[[format_number(e, digits=2), days(d)]
                        for e, d in zip(rows["planned_etp"], rows["planned_days"], strict=True)],
            hovertemplate=f"<b>{member}</b><br>%{{x}} : %{{customdata[0]}} ETP "
                          "(%{customdata[1]} jours prévus)<extra></extra>",
        )
    french_layout(fig, barmode="stack", yaxis={"tickformat": ",.2f", "title": "ETP prévus"},
                  xaxis={"categoryorder": "array", "categoryarray": axis_labels})
    st.plotly_chart(fig, width="stretch", key="chart_etp", config=PLOTLY_CONFIG)
    chart_data(pd.DataFrame({
        "Membre": team_days["member"].tolist(),
        "Axe": [f"Axe {a}" for a in team_days["axis"]],
        "ETP prévus": [format_number(v, digits=2) for v in team_days["planned_etp"]],
        "Jours prévus": [days(v) for v in team_days["planned_days"]]}),
        "ETP prévus par membre et par axe")

st.markdown("**Charge de l'équipe**")
if loads.empty:
    st.info("Aucun membre de l'équipe n'est sous contrat pendant l'année du programme.")
else:
    table = pd.DataFrame({
        "Membre": loads["member"],
        "Fonction": loads["function"],
        "Capacité (jours)": [days(v) for v in loads["capacity_days"]],
        "Jours prévus": [days(v) for v in loads["planned_days"]],
        "Jours réalisés": [days(v) for v in loads["actual_days"]],
        "ETP prévus": [format_number(v, digits=2) for v in loads["planned_etp"]],
        "Charge": [pct(v) for v in loads["load_rate"]],
        "Actions": [format_number(v) for v in loads["actions"]],
        "Dépassement": ["oui" if v else "non" for v in loads["over"]],
    })
    st.dataframe(table, hide_index=True, width="stretch", key="table_team")
    over = loads[loads["over"]]
    if not over.empty:
        st.warning("Dépassement de capacité : " + " ; ".join(
            f"{r.member} ({days(r.planned_days)} jours prévus pour {days(r.capacity_days)} "
            "jours de capacité)" for r in over.itertuples())
            + ". Revoyez la répartition du temps sur les actions.")
    st.caption("Capacité : ETP du contrat × jours d'un ETP, au prorata des mois sous contrat "
               "pendant l'année du programme.")

# ---------------------------------------------------------------- late deliverables
st.header("Livrables en retard")
if late.empty:
    st.success("Aucun livrable en retard : tous les livrables dont l'échéance est passée "
               "sont marqués comme remis.")
else:
    st.dataframe(pd.DataFrame({
        "Échéance": [format_date(d) for d in late["due_date"]],
        "Retard": [plural(int(n), "jour") for n in late["days_late"]],
        "Livrable": late["deliverable"],
        "Action": late["action"],
        "Objectif": late["objective"],
        "Pilote": late["pilot"],
    }), hide_index=True, width="stretch", key="table_late")
    st.caption("Livrables non remis dont l'échéance est dépassée, du plus ancien au plus récent.")

# ---------------------------------------------------------------- detail
with st.expander("Détail par objectif"):
    st.dataframe(pd.DataFrame({
        "Objectif": progress["code"],
        "Intitulé": progress["objective"],
        "Actions": [format_number(v) for v in progress["actions"]],
        "Réalisées": [format_number(v) for v in progress["done"]],
        "En retard": [format_number(v) for v in progress["late"]],
        "Indicateurs atteints": [f"{format_number(r)} sur {format_number(n)}"
                                 for r, n in zip(progress["reached"], progress["indicators"],
                                                 strict=True)],
        "Budget prévu": [format_money(v) for v in progress["planned"]],
        "Budget réalisé": [format_money(v) for v in progress["actual"]],
        "Jours prévus": [days(v) for v in progress["planned_days"]],
    }), hide_index=True, width="stretch", key="table_objectives")
