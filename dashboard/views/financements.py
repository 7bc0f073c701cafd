"""Financements: who funds the programme, what has been received, execution and deadlines
(policy ``funding.plan``: the ARML team and the copil; a financeur account never gets this
page, which shows every funder's amounts).

Money arrives as Decimal in the cached frames; it is formatted through
``models.formatting`` for text and turned into floats only to feed the charts.
"""

from decimal import Decimal

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.data import (
    funding_cashflow,
    funding_conventions,
    funding_plan,
    funding_plan_axes,
    funding_programme_list,
    funding_upcoming,
)
from dashboard.views import chart_data
from models.formatting import format_date, format_money, format_number
from models.formatting import format_ratio as pct
from models.funding.enums import FunderType

user = st.session_state["principal"]
if not user.can("funding.plan"):
    st.error("Cette page est réservée à l'équipe de l'ARML et au comité de pilotage.")
    st.stop()

ZERO = Decimal("0.00")
NNBSP = "\u202f"
HORIZON_DAYS = 90
MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
          "nov.", "déc.")
TYPE_COLORS = {
    FunderType.ETAT.label: "#1d4f91", FunderType.FSE.label: "#f2c14e",
    FunderType.REGION.label: "#2a9d8f", FunderType.DEPARTEMENT.label: "#8fb3e0",
    FunderType.COMMUNE.label: "#9b5de5", FunderType.MISSIONS_LOCALES.label: "#e07a1f",
    FunderType.BRANCHE.label: "#c44536", FunderType.FRANCE_TRAVAIL.label: "#3a86ff",
    FunderType.AUTRE.label: "#888888",
}
TYPE_ORDER = [t.label for t in FunderType]
BLUE, ORANGE = "#1d4f91", "#e07a1f"
PLOTLY_CONFIG = {"displaylogo": False}
MANAGER = user.can("funding.manage")
ENTER = ("saisissez-les dans Animaréseau > Financements" if MANAGER
         else "l'équipe de l'ARML les saisit dans Animaréseau > Financements")


def total(values) -> Decimal:
    return sum(values, ZERO)


def euros_axis() -> dict:
    return {"tickformat": ",.0f", "ticksuffix": f"{NNBSP}€", "title": "Euros"}


def french_layout(fig: go.Figure, **kwargs) -> go.Figure:
    fig.update_layout(separators=", ", legend_title_text="", xaxis_title="",
                      margin={"t": 30, "l": 10, "r": 10, "b": 10},
                      legend={"orientation": "h", "y": -0.15}, **kwargs)
    return fig


def plural(n: int, word: str) -> str:
    return f"{format_number(n)} {word}{'s' if n > 1 else ''}"


st.title("Financements")
programmes = funding_programme_list(user.id)
if programmes.empty:
    st.info("Aucune convention ni programme à suivre : les financements se rattachent aux "
            "actions d'un programme. "
            + ("Créez d'abord le programme dans Animaréseau > Programme, puis saisissez les "
               "conventions dans Animaréseau > Financements." if MANAGER else
               "L'équipe de l'ARML crée le programme dans Animaréseau > Programme, puis saisit "
               "les conventions dans Animaréseau > Financements."))
    st.stop()

ids = programmes["id"].tolist()
by_id = programmes.set_index("id")
current = programmes.index[programmes["current"]].tolist()
programme_id = st.selectbox(
    "Programme", ids, index=current[0] if current else 0, key="funding_programme_id",
    format_func=lambda pid: f"{by_id.at[pid, 'year']} · {by_id.at[pid, 'title']}",
)
year = int(by_id.at[programme_id, "year"])

conventions = funding_conventions(user.id, year)
if conventions.empty:
    st.info(f"Aucune convention ne couvre l'année {year} : {ENTER}, avec leur échéancier "
            "et leur affectation aux actions du programme.")
    st.stop()

plan = funding_plan(user.id, programme_id)
axes = funding_plan_axes(user.id, programme_id)
cashflow = funding_cashflow(user.id, year)
upcoming = funding_upcoming(user.id, HORIZON_DAYS)

# ---------------------------------------------------------------- key figures
signed = conventions[conventions["status"] != "en_preparation"]
in_kind = conventions[conventions["in_kind"]]
preparing = conventions[conventions["status"] == "en_preparation"]
amount = total(conventions["amount"])
received = total(conventions["received"])
remaining = total(conventions["remaining_due"])
late_count = int(conventions["late_instalments"].sum())
to_fix = int(axes["to_fix"].sum())
tolerance = Decimal(axes["tolerance"].iloc[0]) if not axes.empty else Decimal("1")
balanced = to_fix == 0
tolerance_text = f"{tolerance.normalize():f}".replace(".", ",")

details = [plural(len(conventions), "convention")]
if len(preparing):
    details.append(f"dont {format_number(len(preparing))} en préparation")
if len(in_kind):
    details.append(f"dont {format_money(total(in_kind['amount']))} valorisés en nature "
                   "(mises à disposition)")
c = st.columns([3, 3, 3, 3, 2])
c[0].metric("Conventions", format_money(amount), help=", ".join(details))
c[1].metric("Reçu", format_money(received),
            help=f"{pct(received / amount if amount else None)} du montant des conventions")
c[2].metric("Reste à recevoir", format_money(remaining),
            help="Conventions signées, hors mises à disposition valorisées (jamais versées)")
c[3].metric("Échéances en retard", format_number(late_count),
            help="Échéances de versement dépassées et pas entièrement payées")
c[4].metric("Plan équilibré", "oui" if balanced else "non",
            help=f"Tolérance : {tolerance_text} % du budget de chaque action")
if not balanced:
    st.warning(f"Le plan de cofinancement n'est pas équilibré : {plural(to_fix, 'point')} à "
               "corriger (actions hors tolérance ou financement global sans action budgétée). "
               "Le détail figure sur l'écran Plan de cofinancement de l'application web.")

# ---------------------------------------------------------------- by source type and axis
st.header("Financement par type de financeur et par axe")
if plan.empty:
    st.info("Aucun montant n'est encore affecté aux actions de ce programme : "
            + ("affectez" if MANAGER else "l'équipe de l'ARML affecte")
            + " les conventions aux actions ou aux axes dans Animaréseau > Financements.")
else:
    left, right = st.columns(2)
    by_type = (plan.groupby("type_label", sort=False)["amount"].agg(total)
               .reindex([t for t in TYPE_ORDER if t in set(plan["type_label"])]))
    fig = go.Figure()
    fig.add_bar(x=list(by_type.index), y=[float(v) for v in by_type.values],  # chart: float
                name="Montant affecté",
                marker_color=[TYPE_COLORS[t] for t in by_type.index],
                text=[format_money(v) for v in by_type.values], textposition="outside",
                customdata=[pct(v / total(by_type.values)) for v in by_type.values],
                hovertemplate="%{x}<br>%{text} (%{customdata} du total)<extra></extra>")
    french_layout(fig, yaxis=euros_axis(), showlegend=False)
    left.plotly_chart(fig, width="stretch", key="chart_by_type", config=PLOTLY_CONFIG)
    with left:
        chart_data(pd.DataFrame({
            "Type de financeur": list(by_type.index),
            "Montant affecté": [format_money(v) for v in by_type.values],
            "Part": [pct(v / total(by_type.values)) for v in by_type.values]}),
            "montant par type de financeur")

    axis_labels = [f"Axe {a}" for a in axes["axis"]]
    fig = go.Figure()
    by_axis = {"Axe": axis_labels}
    for label in TYPE_ORDER:
        rows = plan[plan["type_label"] == label]
        if rows.empty:
            continue
        sums = {a: total(rows[rows["axis"] == a]["amount"]) for a in axes["axis"]}
        by_axis[label] = [format_money(v) for v in sums.values()]
        fig.add_bar(name=label, x=axis_labels, y=[float(v) for v in sums.values()],
                    marker_color=TYPE_COLORS[label],
                    customdata=[format_money(v) for v in sums.values()],
                    hovertemplate=f"%{{x}}<br>{label} : %{{customdata}}<extra></extra>")
    fig.add_scatter(name="Budget", x=axis_labels, y=[float(v) for v in axes["budget"]],
                    mode="markers", marker={"symbol": "line-ew-open", "size": 40,
                                            "color": "#222222", "line": {"width": 3}},
                    customdata=[format_money(v) for v in axes["budget"]],
                    hovertemplate="%{x}<br>Budget : %{customdata}<extra></extra>")
    french_layout(fig, barmode="stack", yaxis=euros_axis(),
                  xaxis={"categoryorder": "array", "categoryarray": axis_labels})
    right.plotly_chart(fig, width="stretch", key="chart_by_axis", config=PLOTLY_CONFIG)
    by_axis["Budget"] = [format_money(v) for v in axes["budget"]]
    with right:
        chart_data(pd.DataFrame(by_axis), "financement et budget par axe")
    unassigned = axes[axes["unassigned"] > 0]
    st.caption("Montants des conventions affectés aux actions du programme ; un financement "
               "global d'axe est réparti sur les actions de l'axe au prorata de leur budget. "
               "Le trait noir marque le budget de l'axe."
               + ("".join(f" Axe {r.axis} : {format_money(r.unassigned)} de financement "
                          "global sans action budgétée pour le recevoir."
                          for r in unassigned.itertuples())))

# ---------------------------------------------------------------- expected vs received
st.header(f"Versements attendus et reçus en {year}")
fig = go.Figure()
months = [f"{m} {year}" for m in MONTHS]
for column, name, color in (("expected_cumulative", "Attendu (échéances)", BLUE),
                            ("received_cumulative", "Reçu (versements)", ORANGE)):
    fig.add_scatter(name=name, x=months, y=[float(v) for v in cashflow[column]],
                    mode="lines+markers", line={"color": color, "shape": "hv"},
                    customdata=[format_money(v) for v in cashflow[column]],
                    hovertemplate=f"%{{x}}<br>{name}, cumul : %{{customdata}}<extra></extra>")
french_layout(fig, yaxis=euros_axis(), xaxis={"type": "category"})
st.plotly_chart(fig, width="stretch", key="chart_cashflow", config=PLOTLY_CONFIG)
chart_data(pd.DataFrame({
    "Mois": months,
    "Attendu (échéances), cumul": [format_money(v) for v in cashflow["expected_cumulative"]],
    "Reçu (versements), cumul": [format_money(v) for v in cashflow["received_cumulative"]]}),
    "versements attendus et reçus")
note = (f"Cumul depuis janvier : échéances des conventions signées couvrant {year} par date "
        "d'échéance, versements par date de réception. Les mises à disposition valorisées ne "
        "sont pas versées : elles sont exclues de cette courbe")
if len(in_kind):
    note += (f" ({plural(len(in_kind), 'convention')}, "
             f"{format_money(total(in_kind['amount']))})")
st.caption(note + (", comme les conventions en préparation." if len(preparing) else "."))

# ---------------------------------------------------------------- execution
st.header("Taux d'exécution par convention")
fig = go.Figure()
rated = conventions[conventions["execution_rate"].notna()]
fig.add_bar(name="Exécution", x=rated["reference"].tolist(),
            y=[float(v) for v in rated["execution_rate"]],
            text=[pct(v / 100) for v in rated["execution_rate"]], textposition="outside",
            marker_color=BLUE,
            customdata=[[f, format_money(e), format_money(a)] for f, e, a in
                        zip(rated["funder"], rated["executed"], rated["amount"], strict=True)],
            hovertemplate="<b>%{x}</b> %{customdata[0]}<br>%{customdata[1]} exécutés sur "
                          "%{customdata[2]}<extra></extra>")
french_layout(fig, yaxis={"range": [0, 110], "ticksuffix": f"{NNBSP}%", "title": "Exécution"},
              showlegend=False)
fig.update_xaxes(type="category")
st.plotly_chart(fig, width="stretch", key="chart_execution", config=PLOTLY_CONFIG)
st.caption("Dépenses réalisées des actions financées, au prorata de la part de chaque "
           "financeur, rapportées au montant de la convention.")
with st.expander("Détail des conventions"):
    st.dataframe(pd.DataFrame({
        "Convention": conventions["reference"],
        "Financeur": conventions["funder"],
        "Type": conventions["type_label"],
        "Statut": conventions["status_label"],
        "Montant": [format_money(v) for v in conventions["amount"]],
        "Reçu": [format_money(v) for v in conventions["received"]],
        "Reste à recevoir": [format_money(v) if not k else "—"
                             for v, k in zip(conventions["remaining_due"],
                                             conventions["in_kind"], strict=True)],
        "Échéances en retard": [format_number(v) for v in conventions["late_instalments"]],
        "Exécuté": [format_money(v) for v in conventions["executed"]],
        "Exécution": [pct(v / 100 if v is not None else None)
                      for v in conventions["execution_rate"]],
    }), hide_index=True, width="stretch", key="table_conventions")

# ---------------------------------------------------------------- deadlines
st.header(f"Échéances des {HORIZON_DAYS} prochains jours")
if upcoming.empty:
    st.success(f"Aucun versement attendu ni rapport à rendre dans les {HORIZON_DAYS} prochains "
               "jours, et rien en retard.")
else:
    st.dataframe(pd.DataFrame({
        "Échéance": [format_date(d) for d in upcoming["due_date"]],
        "Nature": ["Versement" if k == "versement" else "Rapport" for k in upcoming["kind"]],
        "Libellé": upcoming["label"],
        "Convention": upcoming["reference"],
        "Financeur": upcoming["funder"],
        "Montant attendu": [format_money(v) if v is not None and not pd.isna(v) else ""
                            for v in upcoming["amount"]],
        "En retard": ["oui" if v else "" for v in upcoming["late"]],
    }), hide_index=True, width="stretch", key="table_upcoming")
    overdue = int(upcoming["late"].sum())
    if overdue:
        st.warning(f"{plural(overdue, 'échéance')} en retard : relancez le financeur ou "
                   "rendez le rapport attendu.")
    st.caption("Toutes conventions confondues (hors conventions soldées) : versements restant "
               "dus et rapports non rendus, y compris ceux dont la date est dépassée.")
