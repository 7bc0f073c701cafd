"""Formations: the regional training programme in figures for a year — sessions held,
trainees, trainee-days and hours, fill and no-show rates, participation by mission
locale and by job, satisfaction, and the BPF-style table by funder.

Policy ``training.stats``: the ARML team and the copil. A mission locale account never
gets this page (it compares every mission locale's participation); its own staff's
registrations are on the web app's "Mes inscriptions".

Figures come from ``models.training.stats`` (the same definitions as the PDF report);
hours and rates arrive as Decimal and become floats only to feed the charts.
"""


import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.data import (
    training_bpf,
    training_months,
    training_participation,
    training_satisfaction,
    training_sessions,
    training_summary,
    training_years,
)
from dashboard.views import chart_data
from models import clock
from models.formatting import format_date, format_number
from models.formatting import format_ratio as pct

user = st.session_state["principal"]
if not user.can("training.stats"):
    st.error("Cette page est réservée à l'équipe de l'ARML et au comité de pilotage.")
    st.stop()

MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
          "nov.", "déc.")
NNBSP = "\u202f"
BLUE, ORANGE, GREEN = "#1d4f91", "#e07a1f", "#2a9d8f"
PLOTLY_CONFIG = {"displaylogo": False}
MANAGER = user.can("training.manage")


def french_layout(fig: go.Figure, **kwargs) -> go.Figure:
    fig.update_layout(separators=", ", legend_title_text="", xaxis_title="",
                      margin={"t": 30, "l": 10, "r": 10, "b": 10},
                      legend={"orientation": "h", "y": -0.15}, **kwargs)
    return fig


def hours(value) -> str:
    return f"{format_number(value, digits=1 if value % 1 else 0)}{NNBSP}h"


def number(value) -> str:
    return format_number(value, digits=1 if value % 1 else 0)


def score(value) -> str:
    return "—" if value is None or pd.isna(value) else f"{format_number(value, digits=1)}/5"


st.title("Formations")
years = training_years(user.id)
this_year = clock.today().year
year = st.selectbox("Année", years, index=years.index(this_year) if this_year in years else 0,
                    key="training_year")

summary = training_summary(user.id, year).iloc[0]
sessions = training_sessions(user.id, year)
if sessions.empty:
    st.info(f"Aucune session de formation en {year} : "
            + ("programmez-les dans Animaréseau > Formations." if MANAGER
               else "l'équipe de l'ARML les programme dans Animaréseau > Formations."))
    st.stop()

# ---------------------------------------------------------------- key figures
# two rows: seven labels on one line get cut off on a laptop screen
c = [*st.columns(4), *st.columns(4)[:3]]
c[0].metric("Sessions réalisées", format_number(summary["sessions_held"]),
            help=f"{format_number(summary['sessions_planned'])} autre(s) session(s) prévue(s) "
                 "cette année (hors sessions annulées)")
c[1].metric("Stagiaires", format_number(summary["trainees"]),
            help="Personnes distinctes présentes au moins une demi-journée")
c[2].metric("Journées stagiaires", number(summary["trainee_days"]),
            help="Demi-journées de présence ÷ 2")
c[3].metric("Heures stagiaires", hours(summary["trainee_hours"]),
            help="Durée des demi-journées de présence")
c[4].metric("Taux de remplissage", pct(summary["fill_rate"]),
            help=f"{format_number(summary['confirmed'])} places confirmées sur "
                 f"{format_number(summary['capacity'])} places offertes")
c[5].metric("Absence totale", pct(summary["no_show_rate"]),
            help="Inscrit·es confirmé·es présent·es à aucune demi-journée, parmi les sessions "
                 "réalisées dont les présences sont saisies")
c[6].metric("Satisfaction", score(summary["satisfaction"]),
            help=f"Moyenne de {format_number(summary['answers'])} évaluation(s) à chaud, "
                 "de 1 à 5")
if summary["held_without_attendance"]:
    st.warning(f"{format_number(summary['held_without_attendance'])} session(s) réalisée(s) "
               "sans présences saisies : elles ne comptent ni dans les stagiaires ni dans "
               "l'absence totale. "
               + ("Saisissez les présences depuis la page de la session." if MANAGER
                  else "L'équipe de l'ARML doit saisir leurs présences."))

# ---------------------------------------------------------------- by month
st.header(f"Sessions et stagiaires par mois en {year}")
months = training_months(user.id, year)
labels = [f"{MONTHS[int(m[5:]) - 1]} {m[:4]}" for m in months["month"]]
fig = go.Figure()
fig.add_bar(name="Sessions réalisées", x=labels, y=[int(v) for v in months["sessions"]],
            marker_color=BLUE, hovertemplate="%{x}<br>%{y} session(s)<extra></extra>")
fig.add_bar(name="Stagiaires", x=labels, y=[int(v) for v in months["trainees"]],
            marker_color=ORANGE, customdata=[hours(v) for v in months["hours"]],
            hovertemplate="%{x}<br>%{y} stagiaire(s), %{customdata}<extra></extra>")
french_layout(fig, barmode="group", xaxis={"type": "category"}, yaxis={"title": "Nombre"})
st.plotly_chart(fig, width="stretch", key="chart_months", config=PLOTLY_CONFIG)
chart_data(pd.DataFrame({
    "Mois": labels,
    "Sessions réalisées": [format_number(int(v)) for v in months["sessions"]],
    "Stagiaires": [format_number(int(v)) for v in months["trainees"]],
    "Heures stagiaires": [hours(v) for v in months["hours"]]}), "sessions et stagiaires par mois")
st.caption("Une session compte au mois de son premier jour ; un·e stagiaire compte une fois "
           "par mois, quel que soit le nombre de sessions suivies.")

# ---------------------------------------------------------------- fill rate
st.header("Taux de remplissage par session")
fig = go.Figure()
rated = sessions[sessions["fill_rate"].notna()]
session_labels = [f"{format_date(d)} · {t}" for d, t in zip(rated["start_date"], rated["title"],
                                                            strict=True)]
fig.add_bar(name="Remplissage", x=session_labels, y=[float(v) * 100 for v in rated["fill_rate"]],
            text=[pct(v) for v in rated["fill_rate"]], textposition="outside",
            marker_color=[GREEN if s == "realisee" else BLUE for s in rated["status"]],
            customdata=[[c, m, s] for c, m, s in zip(rated["confirmed"], rated["capacity"],
                                                     rated["status_label"], strict=True)],
            hovertemplate="%{x}<br>%{customdata[0]} confirmé·es sur %{customdata[1]} places"
                          "<br>%{customdata[2]}<extra></extra>")
french_layout(fig, showlegend=False,
              yaxis={"range": [0, 115], "ticksuffix": f"{NNBSP}%", "title": "Remplissage"},
              xaxis={"type": "category", "showticklabels": len(rated) <= 20})
st.plotly_chart(fig, width="stretch", key="chart_fill", config=PLOTLY_CONFIG)
chart_data(pd.DataFrame({
    "Session": session_labels,
    "Remplissage": [pct(v) for v in rated["fill_rate"]],
    "Confirmé·es": [format_number(int(v)) for v in rated["confirmed"]],
    "Places": [format_number(int(v)) for v in rated["capacity"]],
    "État": rated["status_label"].tolist()}), "remplissage par session")
st.caption("Places confirmées / capacité maximale ; en vert les sessions réalisées, en bleu "
           "les sessions à venir. Les sessions annulées ne comptent pas.")

# ---------------------------------------------------------------- participation
st.header("Participation")
left, right = st.columns(2)
by_ml = training_participation(user.id, year, "ml")
by_job = training_participation(user.id, year, "job")
for column, frame, key, title in ((left, by_ml, "chart_ml", "Par mission locale"),
                                  (right, by_job, "chart_job", "Par fonction")):
    column.markdown(f"**{title}**")
    if frame.empty:
        column.info("Aucune inscription confirmée cette année.")
        continue
    ordered = frame.iloc[::-1]  # horizontal bars: the first line on top
    fig = go.Figure()
    fig.add_bar(name="Inscrit·es confirmé·es", y=ordered["label"].tolist(),
                x=[int(v) for v in ordered["registrations"]], orientation="h",
                marker_color=BLUE)
    fig.add_bar(name="Stagiaires présent·es", y=ordered["label"].tolist(),
                x=[int(v) for v in ordered["trainees"]], orientation="h", marker_color=ORANGE,
                customdata=[hours(v) for v in ordered["hours"]],
                hovertemplate="%{y}<br>%{x} stagiaire(s), %{customdata}<extra></extra>")
    french_layout(fig, barmode="group", height=max(300, 28 * len(frame) + 120),
                  yaxis={"type": "category"})
    column.plotly_chart(fig, width="stretch", key=key, config=PLOTLY_CONFIG)
    with column:
        chart_data(pd.DataFrame({
            title.removeprefix("Par ").capitalize(): frame["label"].tolist(),
            "Inscrit·es confirmé·es": [format_number(int(v)) for v in frame["registrations"]],
            "Stagiaires présent·es": [format_number(int(v)) for v in frame["trainees"]],
            "Heures stagiaires": [hours(v) for v in frame["hours"]]}),
            f"participation {title.lower()}")
with st.expander("Détail par mission locale"):
    st.dataframe(pd.DataFrame({
        "Mission locale": by_ml["label"],
        "Inscrit·es confirmé·es": by_ml["registrations"].astype(int),
        "Stagiaires": by_ml["trainees"].astype(int),
        "Journées stagiaires": [number(v) for v in by_ml["days"]],
        "Heures stagiaires": [hours(v) for v in by_ml["hours"]],
    }), hide_index=True, width="stretch", key="table_ml")

# ---------------------------------------------------------------- satisfaction
st.header("Satisfaction (évaluations à chaud)")
satisfaction = training_satisfaction(user.id, year)
if satisfaction.empty:
    st.info("Aucune évaluation reçue cette année : les stagiaires reçoivent le questionnaire "
            "après la session.")
else:
    fig = go.Figure()
    for column, name, color in (("overall", "Satisfaction globale", BLUE),
                                ("objectives_met", "Objectifs atteints", GREEN),
                                ("trainer", "Formateur·rice", ORANGE),
                                ("organisation", "Organisation", "#9b5de5")):
        fig.add_bar(name=name, x=satisfaction["training"].tolist(),
                    y=[float(v) for v in satisfaction[column]], marker_color=color,
                    customdata=[int(n) for n in satisfaction["answers"]],
                    hovertemplate=f"%{{x}}<br>{name} : %{{y:.1f}}/5 "
                                  "(%{customdata} réponse(s))<extra></extra>")
    french_layout(fig, barmode="group", yaxis={"range": [0, 5], "title": "Moyenne (1 à 5)"},
                  xaxis={"type": "category"})
    st.plotly_chart(fig, width="stretch", key="chart_satisfaction", config=PLOTLY_CONFIG)
    chart_data(pd.DataFrame({
        "Formation": satisfaction["training"].tolist(),
        **{name: [score(v) for v in satisfaction[column]]
           for column, name in (("overall", "Satisfaction globale"),
                                ("objectives_met", "Objectifs atteints"),
                                ("trainer", "Formateur·rice"),
                                ("organisation", "Organisation"))},
        "Réponses": [format_number(int(n)) for n in satisfaction["answers"]]}),
        "satisfaction par formation")
    st.caption("Moyennes des réponses anonymes, par formation (toutes sessions de l'année).")

# ---------------------------------------------------------------- BPF
st.header(f"Bilan {year} par financeur (type BPF)")
bpf = training_bpf(user.id, year)
total = pd.DataFrame([{"funder": "Total", "sessions": int(bpf["sessions"].sum()),
                       "trainees": summary["trainees"], "days": summary["trainee_days"],
                       "hours": summary["trainee_hours"]}])
shown = pd.concat([bpf, total], ignore_index=True)
st.dataframe(pd.DataFrame({
    "Financeur de la formation": shown["funder"],
    "Sessions réalisées": shown["sessions"].astype(int),
    "Stagiaires": shown["trainees"].astype(int),
    "Journées stagiaires": [number(v) for v in shown["days"]],
    "Heures stagiaires": [hours(v) for v in shown["hours"]],
}), hide_index=True, width="stretch", key="table_bpf")
st.caption("Stagiaires : personnes distinctes présentes au moins une demi-journée (une même "
           "personne formée sur deux financements compte sur chaque ligne, une seule fois "
           "au total). Heures : durée des demi-journées de présence.")
