"""Qualité des données: how well the missions locales' Parcours extracts follow the regional
data-entry charter — the regional score over time, the ranking of the missions locales
(red / amber / green against the admin's thresholds, stale extracts flagged), the rules
that fail most, and one mission locale's history and counts per rule.

Policy ``quality.view``: the ARML team and the copil see the region (``quality.region``);
an ml account sees only its own mission locale — its score over time and its counts per
rule, never the ranking nor another mission locale's figures. The list of findings to
correct, record by record, stays in the web app (Animaréseau > Qualité des données).

Every figure comes from stored aggregates (``models.parcours.queries``); scores arrive as
Decimal fractions and become floats only to feed the charts.
"""

from decimal import Decimal

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.data_quality import (
    quality_failing_rules,
    quality_ml_history,
    quality_ml_rules,
    quality_over_time,
    quality_summary,
    quality_table,
)
from dashboard.views import chart_data
from models.formatting import format_date, format_number

user = st.session_state["principal"]
if not user.can("quality.view"):
    st.error("Cette page est réservée à l'équipe de l'ARML, au comité de pilotage et aux "
             "missions locales.")
    st.stop()

NNBSP = "\u202f"
STATUS_COLORS = {"vert": "#2a9d8f", "orange": "#e9a23b", "rouge": "#c0392b", "aucun": "#adb5bd"}
SEVERITY_COLORS = {"erreur": "#c0392b", "avertissement": "#e9a23b"}
SEVERITY_LABELS = {"erreur": "Erreur", "avertissement": "Avertissement"}
BLUE, LIGHT_BLUE = "#1d4f91", "#8fb3e0"
PLOTLY_CONFIG = {"displaylogo": False}
REGIONAL = user.can("quality.region")
WEB_PAGE = "Animaréseau > Qualité des données"


def score_text(value) -> str:
    """``96,4 %`` from a fraction; ``—`` when there is nothing to measure."""
    if value is None or pd.isna(value):
        return "—"
    return f"{format_number(Decimal(value) * 100, digits=1)}{NNBSP}%"


def points(value, minus: str = "−") -> str:
    """A score change in percentage points: ``+2,1 pts`` (st.metric needs an ASCII minus
    to colour a fall in red)."""
    if value is None or pd.isna(value):
        return "—"
    change = Decimal(value) * 100
    sign = "+" if change > 0 else (minus if change < 0 else "")
    return f"{sign}{format_number(abs(change), digits=1)}{NNBSP}pt" + ("s" if abs(change) >= 2
                                                                      else "")


def percent(value) -> float | None:
    """Chart boundary: a Decimal fraction becomes a float percentage (None: a gap)."""
    if value is None or pd.isna(value):
        return None
    return float(Decimal(value) * 100)


def french_layout(fig: go.Figure, **kwargs) -> go.Figure:
    fig.update_layout(separators=", ", legend_title_text="", xaxis_title="",
                      margin={"t": 30, "l": 10, "r": 10, "b": 10},
                      legend={"orientation": "h", "y": -0.15}, **kwargs)
    return fig


def score_axis(values: list[float | None]) -> dict:
    low = min((v for v in values if v is not None), default=0.0)
    return {"range": [max(0.0, min(low - 5, 80.0)), 100.5], "ticksuffix": f"{NNBSP}%",
            "title": "Score"}


def rules_chart(rules: pd.DataFrame, key: str) -> None:
    """Findings still counted per rule (marked ones excluded), coloured by severity."""
    fig = go.Figure()
    for severity, rows in rules.groupby("severity", sort=True):
        fig.add_bar(
            name=SEVERITY_LABELS.get(severity, severity), x=rows["code"].tolist(),
            y=[int(v) for v in rows["counted"]],
            marker_color=SEVERITY_COLORS.get(severity, BLUE),
            customdata=[[t, format_number(j), format_number(m)] for t, j, m
                        in zip(rows["title"], rows["jeunes"], rows["marked"], strict=True)],
            hovertemplate="<b>%{x}</b> %{customdata[0]}<br>%{y} anomalie(s), "
                          "%{customdata[1]} jeune(s) concerné(s)<br>"
                          "%{customdata[2]} qualifiée(s) par l'équipe<extra></extra>")
    most = max((int(v) for v in rules["counted"]), default=0)
    french_layout(fig, yaxis={"title": "Anomalies", "rangemode": "tozero",
                              **({"dtick": 1} if most <= 10 else {})},
                  xaxis={"type": "category", "categoryorder": "array",
                         "categoryarray": rules["code"].tolist()})
    st.plotly_chart(fig, width="stretch", key=key, config=PLOTLY_CONFIG)


def rules_table(rules: pd.DataFrame, key: str) -> None:
    st.dataframe(pd.DataFrame({
        "Règle": rules["code"],
        "Intitulé": rules["title"],
        "Gravité": [SEVERITY_LABELS.get(s, s) for s in rules["severity"]],
        "Anomalies": [format_number(v) for v in rules["counted"]],
        "Qualifiées": [format_number(v) for v in rules["marked"]],
        "Jeunes concernés": [format_number(v) for v in rules["jeunes"]],
    }), hide_index=True, width="stretch", key=key)


def extract_labels(history: pd.DataFrame) -> list[str]:
    """One distinct label per extract (chart categories, table columns): a period sent
    several times (corrected re-sends) numbers its sends, oldest first."""
    bases = [f"au {format_date(d)}" for d in history["period_end"]]
    sends = {base: bases.count(base) for base in bases}
    seen: dict[str, int] = {}
    labels = []
    for base, status in zip(bases, history["status"], strict=True):
        if sends[base] == 1:
            labels.append(base)
            continue
        seen[base] = seen.get(base, 0) + 1
        ordinal = "1er" if seen[base] == 1 else f"{seen[base]}e"
        labels.append(f"{base} ({ordinal} envoi{', remplacé' if status == 'replaced' else ''})")
    return labels


def ml_detail(line: pd.Series, key: str) -> None:
    """One mission locale: its latest figures, its score over time, its counts per rule."""
    ml_id = int(line["ml_id"])
    c = st.columns([2, 2, 3, 2])  # a date in words is the longest figure
    c[0].metric("Score", score_text(line["score"]),
                delta=None if pd.isna(line["trend"]) else points(line["trend"], minus="-"),
                help="Part des jeunes de la dernière extraction sans erreur à la charte "
                     "(hors anomalies qualifiées par l'équipe)")
    c[1].metric("Statut", line["status_label"])
    c[2].metric("Fin de la dernière période", format_date(line["period_end"]))
    c[3].metric("Jeunes de l'extraction", format_number(int(line["jeunes"])))
    if line["stale"]:
        st.warning(f"Extraction ancienne : la dernière période s'est terminée le "
                   f"{format_date(line['period_end'])}. Une extraction plus récente est "
                   "attendue.")
    if not pd.isna(line["score_raw"]) and line["score_raw"] != line["score"]:
        st.caption(f"Score brut, avant qualification des anomalies par l'équipe : "
                   f"{score_text(line['score_raw'])}.")

    history = quality_ml_history(user.id, ml_id)
    st.markdown("**Score dans le temps**")
    labels = extract_labels(history)
    fig = go.Figure()
    # the raw score first, so the score is drawn over it where they coincide
    for column, name, line_style in (
            ("score_raw", "Score brut (avant qualification)", {"color": LIGHT_BLUE,
                                                               "dash": "dot"}),
            ("score", "Score", {"color": BLUE})):
        fig.add_scatter(name=name, x=labels, y=[percent(v) for v in history[column]],
                        mode="lines+markers", line=line_style,
                        customdata=[format_number(int(n)) for n in history["jeunes"]],
                        hovertemplate=f"%{{x}}<br>{name} : %{{y:.1f}}{NNBSP}% "
                                      "(%{customdata} jeunes)<extra></extra>")
    french_layout(fig, xaxis={"type": "category"},
                  yaxis=score_axis([percent(v) for v in history["score_raw"]]))
    st.plotly_chart(fig, width="stretch", key=f"chart_{key}_history", config=PLOTLY_CONFIG)
    chart_data(pd.DataFrame({
        "Extraction": labels,
        "Score": [score_text(v) for v in history["score"]],
        "Score brut (avant qualification)": [score_text(v) for v in history["score_raw"]],
        "Jeunes": [format_number(int(n)) for n in history["jeunes"]]}), "score dans le temps")
    st.caption("Une extraction par période reçue ; une extraction remplacée a été renvoyée "
               "corrigée pour la même période.")

    rules = quality_ml_rules(user.id, ml_id)
    latest = rules[rules["extract_id"] == line["extract_id"]]
    latest = latest[latest["findings"] > 0].sort_values(["counted", "code"],
                                                        ascending=[False, True])
    st.markdown(f"**Anomalies par règle (extraction au {format_date(line['period_end'])})**")
    if latest.empty:
        st.success("Aucune anomalie à la charte dans la dernière extraction.")
    else:
        rules_chart(latest, f"chart_{key}_rules")
        rules_table(latest, f"table_{key}_rules")
    if history["extract_id"].nunique() > 1 and not rules.empty:
        order = {eid: n for n, eid in enumerate(history["extract_id"])}
        names = dict(zip(history["extract_id"], labels, strict=True))
        wide = (rules.assign(extract=rules["extract_id"].map(names),
                             rank=rules["extract_id"].map(order))
                .sort_values("rank")
                .pivot_table(index="code", columns="extract", values="counted", aggfunc="sum",
                             sort=False, fill_value=0))
        # every extract gets its column, a clean one (no finding at all) too
        wide = wide.reindex(columns=[names[e] for e in history["extract_id"]], fill_value=0)
        with st.expander("Anomalies par règle et par extraction"):
            st.dataframe(wide.map(format_number).rename_axis("Règle").reset_index(),
                         hide_index=True, width="stretch", key=f"table_{key}_evolution")
    st.caption(f"La liste des anomalies à corriger, jeune par jeune, est dans {WEB_PAGE} "
               "(export CSV ou Excel).")


st.title("Qualité des données")
table = quality_table(user.id)
with_extract = table[table["extract_id"].notna()]

if with_extract.empty:
    if REGIONAL:
        where = ("importez-les dans " + WEB_PAGE if user.can("quality.import")
                 else "l'équipe de l'ARML les importe dans " + WEB_PAGE)
        st.info(f"Aucune extraction Parcours n'a encore été importée : {where}. Les scores "
                "de qualité des missions locales s'afficheront ici dès le premier import.")
    else:
        st.info("Aucune extraction de votre mission locale n'a encore été importée. Envoyez "
                "votre extraction Parcours à l'équipe de l'ARML : son contrôle à la charte "
                "régionale de saisie s'affichera ici.")
    st.stop()

# ---------------------------------------------------------------- an ml account
if not REGIONAL:
    line = with_extract.iloc[0]
    st.header(line["name"])
    st.caption("Contrôle de vos extractions Parcours à la charte régionale de saisie. Le score "
               "est la part de vos jeunes sans erreur (les avertissements sont signalés, "
               "pas comptés).")
    ml_detail(line, "own")
    st.stop()

# ---------------------------------------------------------------- key figures
summary = quality_summary(user.id).iloc[0]
green_min, amber_min = Decimal(summary["green_min"]), Decimal(summary["amber_min"])
c = st.columns(4)
c[0].metric("Score régional", score_text(summary["score"]),
            help="Part des jeunes sans erreur à la charte, sur la dernière extraction de "
                 "chaque mission locale (hors anomalies qualifiées par l'équipe)")
c[1].metric("Jeunes contrôlés", format_number(int(summary["jeunes"])))
c[2].metric("Missions locales contrôlées",
            f"{format_number(int(summary['with_extract']))} sur "
            f"{format_number(int(summary['missions_locales']))}")
c[3].metric("Extractions anciennes", format_number(int(summary["stale"])),
            help=f"Dernière période terminée depuis plus de {int(summary['stale_days'])} jours, "
                 "ou aucune extraction")
c = st.columns(4)
c[0].metric("Vert", format_number(int(summary["vert"])),
            help=f"Score d'au moins {format_number(green_min, digits=1)}{NNBSP}%")
c[1].metric("Orange", format_number(int(summary["orange"])),
            help=f"Score d'au moins {format_number(amber_min, digits=1)}{NNBSP}%")
c[2].metric("Rouge", format_number(int(summary["rouge"])),
            help=f"Score inférieur à {format_number(amber_min, digits=1)}{NNBSP}%")
c[3].metric("Sans extraction", format_number(int(summary["aucun"])))

# ---------------------------------------------------------------- over time
st.header("Score régional dans le temps")
over_time = quality_over_time(user.id)
fig = go.Figure()
fig.add_scatter(name="Score régional", x=[f"au {format_date(d)}" for d in over_time["period_end"]],
                y=[percent(v) for v in over_time["score"]], mode="lines+markers",
                line={"color": BLUE},
                customdata=[[format_number(int(m)), format_number(int(j))] for m, j
                            in zip(over_time["missions_locales"], over_time["jeunes"],
                                   strict=True)],
                hovertemplate=f"Période close %{{x}}<br>Score : %{{y:.1f}}{NNBSP}%<br>"
                              "%{customdata[0]} mission(s) locale(s), %{customdata[1]} "
                              "jeunes<extra></extra>")
french_layout(fig, showlegend=False, xaxis={"type": "category"},
              yaxis=score_axis([percent(v) for v in over_time["score"]]))
st.plotly_chart(fig, width="stretch", key="chart_region_time", config=PLOTLY_CONFIG)
chart_data(pd.DataFrame({
    "Période close": [f"au {format_date(d)}" for d in over_time["period_end"]],
    "Score régional": [score_text(v) for v in over_time["score"]],
    "Missions locales": [format_number(int(m)) for m in over_time["missions_locales"]],
    "Jeunes": [format_number(int(j)) for j in over_time["jeunes"]]}),
    "score régional dans le temps")
st.caption("Score des extractions en vigueur, regroupées par date de fin de période et "
           "pondérées par le nombre de jeunes.")

# ---------------------------------------------------------------- ranking
st.header("Classement des missions locales")
# an extract without any young person (only orphan rows) has no score to rank
ranked = with_extract[with_extract["score"].notna()].sort_values(
    ["score", "name"], ascending=[False, True], ignore_index=True)
shown = ranked.iloc[::-1]  # horizontal bars: the best on top
fig = go.Figure()
fig.add_bar(
    name="Score", y=[f"{n} ⚠" if s else n for n, s in zip(shown["name"], shown["stale"],
                                                          strict=True)],
    x=[percent(v) for v in shown["score"]], orientation="h",
    marker_color=[STATUS_COLORS[s] for s in shown["status"]],
    text=[score_text(v) for v in shown["score"]], textposition="outside",
    customdata=[[lbl, format_date(d), format_number(int(j))] for lbl, d, j
                in zip(shown["status_label"], shown["period_end"], shown["jeunes"],
                       strict=True)],
    hovertemplate="<b>%{y}</b><br>Score : %{text} (%{customdata[0]})<br>Période close le "
                  "%{customdata[1]}, %{customdata[2]} jeunes<extra></extra>")
for threshold, color in ((green_min, "#1b6b61"), (amber_min, "#b7791f")):
    fig.add_vline(x=float(threshold), line_dash="dash", line_color=color, layer="below")
french_layout(fig, showlegend=False, height=max(320, 24 * len(shown) + 80),
              xaxis={"range": [max(0.0, min((percent(v) for v in shown["score"]),
                                            default=100.0) - 10), 104],
                     "ticksuffix": f"{NNBSP}%", "title": "Score"},
              yaxis={"type": "category"})
st.plotly_chart(fig, width="stretch", key="chart_ranking", config=PLOTLY_CONFIG)
without = table[table["extract_id"].isna()]["name"].tolist()
st.caption(f"Vert : score d'au moins {format_number(green_min, digits=1)}{NNBSP}% ; orange : "
           f"d'au moins {format_number(amber_min, digits=1)}{NNBSP}% ; rouge en dessous. "
           f"⚠ : extraction ancienne (période terminée depuis plus de "
           f"{int(summary['stale_days'])} jours)."
           + (f" Sans extraction : {', '.join(without)}." if without else ""))
with st.expander("Tableau du classement"):
    st.dataframe(pd.DataFrame({
        "Rang": range(1, len(ranked) + 1),
        "Mission locale": ranked["name"],
        "Département": ranked["departement"],
        "Fin de période": [format_date(d) for d in ranked["period_end"]],
        "Jeunes": [format_number(int(v)) for v in ranked["jeunes"]],
        "Score": [score_text(v) for v in ranked["score"]],
        "Évolution": [points(v) for v in ranked["trend"]],
        "Statut": ranked["status_label"],
        "Erreurs": [format_number(int(v)) for v in ranked["errors"]],
        "Avertissements": [format_number(int(v)) for v in ranked["warnings"]],
        "Extraction ancienne": ["oui" if v else "" for v in ranked["stale"]],
    }), hide_index=True, width="stretch", key="table_ranking")

# ---------------------------------------------------------------- failing rules
st.header("Règles les plus enfreintes")
failing = quality_failing_rules(user.id)
failing = failing[failing["findings"] > 0]
if failing.empty:
    st.success("Aucune anomalie à la charte dans les dernières extractions.")
else:
    rules_chart(failing, "chart_rules")
    rules_table(failing, "table_rules")
    st.caption("Anomalies de la dernière extraction de chaque mission locale, hors anomalies "
               "qualifiées par l'équipe (acquittées ou exceptions acceptées).")

# ---------------------------------------------------------------- drill-down
st.header("Détail d'une mission locale")
choices = with_extract.sort_values("name", key=lambda names: names.str.casefold())
names = dict(zip(choices["ml_id"], choices["name"], strict=True))
worst = int(ranked.iloc[-1]["ml_id"]) if len(ranked) else int(choices.iloc[0]["ml_id"])
ids = list(names)
chosen = st.selectbox("Mission locale", ids, index=ids.index(worst), key="quality_ml",
                      format_func=lambda ml: names[ml])
ml_detail(with_extract[with_extract["ml_id"] == chosen].iloc[0], "ml")
