"""Conseils et projets: the year of the councils in figures — meetings held, member
attendance per meeting and per mission locale, the decision register by status with the
overdue decisions, collective projects by phase.

Policy: the team and the copil (``dashboard.data_councils.RULE``); a mission locale or
a funder never gets this page (it compares every mission locale's attendance). Figures
come from ``models.councils.stats``, the definitions the programme's computed
indicators ("Réunions tenues", "Taux de présence des directeurs") use too; rates arrive
as Decimal fractions and become floats only to feed the charts.
"""

from decimal import Decimal

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.data_councils import (
    councils_by_ml,
    councils_decisions,
    councils_meetings,
    councils_overdue,
    councils_phases,
    councils_projects,
    councils_summary,
    councils_years,
    may_read,
)
from dashboard.views import chart_data
from models import clock
from models.formatting import format_date, format_number

user = st.session_state["principal"]
if not may_read(user):
    st.error("Cette page est réservée à l'équipe de l'ARML et au comité de pilotage.")
    st.stop()

NBSP = "\u00a0"
BLUE, ORANGE, GREEN, RED, GREY = "#1d4f91", "#e07a1f", "#2a9d8f", "#c0392b", "#8a8f98"
SERIES_COLORS = (BLUE, ORANGE, GREEN, "#9b5de5", "#6c757d", "#d4a017")
PLOTLY_CONFIG = {"displaylogo": False}
MANAGER = user.can("councils.manage")


def pct(value) -> str:
    """``62,5 %`` from a fraction (0.625), one decimal; ``—`` when there is nothing to
    measure."""
    if value is None or pd.isna(value):
        return "—"
    return f"{format_number(Decimal(value) * 100, digits=1)}{NBSP}%"


def number(value) -> str:
    return format_number(int(value))


def french_layout(fig: go.Figure, **kwargs) -> go.Figure:
    fig.update_layout(separators=", ", legend_title_text="", xaxis_title="",
                      margin={"t": 30, "l": 10, "r": 10, "b": 10},
                      legend={"orientation": "h", "y": -0.2}, **kwargs)
    return fig


def unique(labels: list[str]) -> list[str]:
    """Chart categories must differ: a second identical label gets a number."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


st.title("Conseils et projets")
years = councils_years(user.id)
this_year = clock.today().year
year = st.selectbox("Année", years, index=years.index(this_year) if this_year in years else 0,
                    key="councils_year")

summary = councils_summary(user.id, year).iloc[0]

# ---------------------------------------------------------------- key figures
c = st.columns(4)
c[0].metric("Réunions tenues", number(summary["meetings_held"]),
            help=f"Réunions au statut « tenue » datées de {year}, toutes instances "
                 "(conseils, groupes de travail, clusters)")
c[1].metric("Taux de présence", pct(summary["rate"]),
            help=f"Membres présent·es ou représenté·es : "
                 f"{number(summary['present'] + summary['represented'])} sur "
                 f"{number(summary['invited'])} membres invité·es aux réunions tenues de "
                 f"{year} (les invité·es extérieur·es ne comptent pas)")
c[2].metric("Décisions ouvertes", number(summary["open"]),
            help=f"Décisions prises en {year} encore ouvertes (ouverte, en cours, reportée) ; "
                 f"toutes années confondues : {number(summary['open_all'])}")
c[3].metric("En retard", number(summary["overdue"]),
            help=f"Décisions prises en {year}, ouvertes, dont l'échéance est passée ; "
                 f"toutes années confondues : {number(summary['overdue_all'])}")
if summary["unrecorded"]:
    st.warning(f"{number(summary['unrecorded'])} présence(s) de membres non saisie(s) dans "
               f"des réunions tenues en {year} : elles comptent comme des absences. "
               + ("Complétez-les sur la page de la réunion, dans Animaréseau." if MANAGER
                  else "L'équipe de l'ARML doit les compléter."))

# ---------------------------------------------------------------- attendance per meeting
st.header(f"Présence des membres par réunion en {year}")
meetings = councils_meetings(user.id, year)
if meetings.empty:
    st.info(f"Aucune réunion tenue en {year} : les présences se saisissent sur la page de la "
            "réunion, dans Animaréseau."
            + ("" if MANAGER else " L'équipe de l'ARML les saisit une fois la réunion tenue."))
else:
    labels = unique([f"{format_date(d)} · {s}" for d, s in
                     zip(meetings["day"], meetings["series"], strict=True)])
    meetings = meetings.assign(chart_label=labels)
    fig = go.Figure()
    for i, (series, rows) in enumerate(meetings.groupby("series", sort=False)):
        rated = rows[rows["rate"].notna()]
        fig.add_bar(
            name=series, x=rated["chart_label"].tolist(),
            y=[float(v) * 100 for v in rated["rate"]], text=[pct(v) for v in rated["rate"]],
            textposition="outside", marker_color=SERIES_COLORS[i % len(SERIES_COLORS)],
            customdata=[[number(a), number(n)] for a, n in
                        zip(rated["present"] + rated["represented"], rated["invited"],
                            strict=True)],
            hovertemplate="%{x}<br>%{customdata[0]} présent·es ou représenté·es sur "
                          "%{customdata[1]} membres<extra></extra>")
    french_layout(fig, yaxis={"range": [0, 115], "ticksuffix": f"{NBSP}%",
                              "title": "Taux de présence"},
                  xaxis={"type": "category", "categoryorder": "array", "categoryarray": labels,
                         "showticklabels": len(labels) <= 20})
    st.plotly_chart(fig, width="stretch", key="chart_attendance", config=PLOTLY_CONFIG)
    chart_data(pd.DataFrame({
        "Réunion": labels,
        "Taux de présence": [pct(v) for v in meetings["rate"]],
        "Membres invité·es": [number(v) for v in meetings["invited"]],
        "Présent·es": [number(v) for v in meetings["present"]],
        "Représenté·es": [number(v) for v in meetings["represented"]],
        "Excusé·es": [number(v) for v in meetings["excused"]],
        "Absent·es": [number(v) for v in meetings["absent"]]}), "présence par réunion")
    st.caption("Taux de présence : membres présent·es ou représenté·es (procuration) sur "
               "membres invité·es ; les invité·es extérieur·es (DREETS, Région…) ne comptent "
               "pas. Une réunion sans membre invité n'a pas de taux.")

# ---------------------------------------------------------------- attendance per ML
st.header(f"Présence par mission locale en {year}")
by_ml = councils_by_ml(user.id, year)
if by_ml.empty:
    st.info("Aucune mission locale invitée comme membre à une réunion tenue cette année"
            + (" : invitez les directions des missions locales depuis la page de la réunion."
               if MANAGER else "."))
else:
    st.dataframe(pd.DataFrame({
        "Mission locale": by_ml["name"],
        "Réunions": by_ml["meetings"].astype(int),
        "Présent·es": by_ml["present"].astype(int),
        "Représenté·es": by_ml["represented"].astype(int),
        "Excusé·es": by_ml["excused"].astype(int),
        "Absent·es": by_ml["absent"].astype(int),
        "Non saisies": by_ml["unrecorded"].astype(int),
        "Taux de présence": [pct(v) for v in by_ml["rate"]],
    }), hide_index=True, width="stretch", key="table_ml")
    st.caption("Réunions : réunions tenues où la mission locale était invitée comme membre. "
               "Les membres sans mission locale comptent dans le taux global, pas ici.")

# ---------------------------------------------------------------- decisions
st.header(f"Décisions prises en {year}")
decisions = councils_decisions(user.id, year)
if not int(decisions["count"].sum()):
    st.info(f"Aucune décision prise en {year} : "
            + ("elles s'enregistrent sur la page de la réunion (conseil, copil) ou du projet "
               "collectif, dans Animaréseau." if MANAGER
               else "l'équipe de l'ARML les enregistre à chaque réunion."))
else:
    on_time = [int(n) - int(o) for n, o in zip(decisions["count"], decisions["overdue"],
                                                strict=True)]
    status_labels = decisions["label"].tolist()
    fig = go.Figure()
    fig.add_bar(name="Dans les délais ou closes", x=status_labels, y=on_time,
                marker_color=[BLUE if o else GREY for o in decisions["open"]],
                hovertemplate="%{x}<br>%{y} décision(s)<extra></extra>")
    fig.add_bar(name="En retard", x=status_labels,
                y=[int(v) for v in decisions["overdue"]], marker_color=RED,
                hovertemplate="%{x}<br>%{y} décision(s) en retard<extra></extra>")
    french_layout(fig, barmode="stack", xaxis={"type": "category"},
                  yaxis={"title": "Décisions", "rangemode": "tozero"})
    st.plotly_chart(fig, width="stretch", key="chart_decisions", config=PLOTLY_CONFIG)
    chart_data(pd.DataFrame({
        "Statut": status_labels,
        "Décisions": [number(v) for v in decisions["count"]],
        "Dont en retard": [number(v) for v in decisions["overdue"]]}), "décisions par statut")
    st.caption("Statut à ce jour des décisions prises cette année (conseils, copil, projets "
               "collectifs). En retard : ouverte, en cours ou reportée, échéance passée.")
    overdue = councils_overdue(user.id, year)
    if overdue.empty:
        st.success(f"Aucune décision prise en {year} n'est en retard.")
    else:
        st.subheader("Décisions en retard")
        st.dataframe(pd.DataFrame({
            "Décision": overdue["text"],
            "Réunion": overdue["source"],
            "Responsable": overdue["owner"],
            "Échéance": [format_date(d) for d in overdue["due_date"]],
            "Statut": overdue["status_label"],
            "Jours de retard": overdue["days_late"].astype(int),
        }), hide_index=True, width="stretch", key="table_overdue")
earlier = int(summary["overdue_all"]) - int(summary["overdue"])
if earlier > 0:
    st.warning(f"{number(earlier)} décision(s) prise(s) une autre année qu'en {year} "
               "sont aussi en retard : le registre des décisions d'Animaréseau (filtre "
               "« en retard ») les liste toutes.")

# ---------------------------------------------------------------- projects
st.header("Projets collectifs par phase")
projects = councils_projects(user.id)
if projects.empty:
    st.info("Aucun projet collectif : "
            + ("créez-les dans Animaréseau > Conseils et projets." if MANAGER
               else "l'équipe de l'ARML les crée dans Animaréseau."))
else:
    phases = councils_phases(user.id)
    fig = go.Figure()
    fig.add_bar(name="Projets", x=phases["label"].tolist(),
                y=[int(v) for v in phases["projects"]], marker_color=GREEN,
                hovertemplate="%{x}<br>%{y} projet(s)<extra></extra>")
    french_layout(fig, showlegend=False, xaxis={"type": "category"},
                  yaxis={"title": "Projets", "dtick": 1, "rangemode": "tozero"})
    st.plotly_chart(fig, width="stretch", key="chart_phases", config=PLOTLY_CONFIG)
    chart_data(pd.DataFrame({"Phase": phases["label"].tolist(),
                             "Projets": [number(v) for v in phases["projects"]]}),
               "projets par phase")
    st.dataframe(pd.DataFrame({
        "Projet": projects["title"],
        "Type": projects["kind_label"],
        "Phase": projects["phase_label"],
        "MLs retenues": projects["retained"].astype(int),
        "Candidates": projects["candidates"].astype(int),
        "Retirées": projects["withdrawn"].astype(int),
        "Évaluation prévue": [format_date(d) if d is not None and not pd.isna(d) else "—"
                              for d in projects["evaluation_due"]],
    }), hide_index=True, width="stretch", key="table_projects")
