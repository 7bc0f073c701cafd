"""Observatoire régional: who the network accompanies and what becomes of them, from the
missions locales' Parcours extracts — key figures, monthly series, a map of départements
and the catalogue's tables, all protected by statistical secrecy.

Policy ``observatory.view``: the ARML team, the copil and the funders read the whole
network (``observatory.region``); an ml account reads its own mission locale in full
beside its département and the region, protected as for everyone else. The admin also
gets the secrecy audit. Hidden cells arrive as ``None`` from ``models.observatory`` and
are shown « s »; charts leave them out and say so. No hidden number reaches the browser.
"""


import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.data_observatory import (
    observatory_audit,
    observatory_audit_summary,
    observatory_csv,
    observatory_periods,
    observatory_tables,
    observatory_xlsx,
)
from dashboard.geomap import CAPTION, departement_map
from dashboard.views import chart_data
from models.formatting import format_date, format_datetime, format_number
from models.observatory.catalogue import DIMENSIONS, GRANULARITIES, INDICATORS, TABLES_BY_NAME
from models.observatory.queries import DEPARTEMENT_NAMES, dimension_label

user = st.session_state["principal"]
if not user.can("observatory.view"):
    st.error("Cette page est réservée aux comptes d'Animaréseau.")
    st.stop()

NNBSP = "\u202f"
HIDDEN = "s"
LEVELS = {"ml": "Mission locale", "departement": "Département", "region": "Région"}
BLUE, GREY = "#1d4f91", "#8a8f98"
PLOTLY_CONFIG = {"displaylogo": False}
KEY_FIGURES = ("jeunes_accompagnes", "premiers_accueils", "jdi", "entrees_cej",
               "entrees_pacea", "situations_positives", "intensite")
SOURCE = ("Source : extractions Parcours / i-milo des missions locales, traitement ARML "
          "(Animaréseau). « s » : secret statistique.")

st.title("Observatoire régional")

periods = observatory_periods(user.id)
if periods.empty:
    st.info("Aucune extraction Parcours n'a encore été importée : l'observatoire se remplit "
            "dès qu'une extraction est importée et contrôlée (Animaréseau > Qualité des "
            "données > Importer une extraction).")
    st.stop()

grains = [g for g in ("annee", "extraction", "semestre", "trimestre", "mois")
          if g in set(periods["granularity"])]
c1, c2 = st.columns([3, 2])
grain = c1.radio("Type de période", grains, format_func=GRANULARITIES.get, horizontal=True,
                 key="obs_grain")
choices = periods[periods["granularity"] == grain].reset_index(drop=True)
chosen = c2.selectbox("Période", range(len(choices)), format_func=lambda i: choices.at[i, "label"],
                      key="obs_period")
start, end = choices.at[chosen, "start"], choices.at[chosen, "end"]
data = observatory_tables(user.id, start, end)
tables: dict[str, pd.DataFrame] = data["tables"]
viewer = data["viewer"]


def number(value, digits: int = 0) -> str:
    if value is None or pd.isna(value):
        return HIDDEN
    return format_number(value, digits=digits)


def cell(table: str, level: str, code: str | None = None, mod1: str = "") -> float | None:
    frame = tables.get(table)
    if frame is None or frame.empty:
        return None
    rows = frame[(frame["level"] == level) & (frame["mod1"] == mod1)]
    if code is not None:
        rows = rows[rows["code"] == code]
    if rows.empty:
        return None
    value = rows.iloc[0]["value"]
    return None if pd.isna(value) else value


# --- coverage -----------------------------------------------------------------------------
coverage, missing = data["coverage"], data["missing"]
latest = coverage["activated_at"].max() if not coverage.empty else None
st.markdown(f"**{data['label']}** · du {format_date(start)} au {format_date(end)}")
st.caption(f"{len(coverage)} missions locales sur {data['total']} ont une extraction pour la "
           f"période" + (f" (dernier import le {format_datetime(latest)})" if latest else "")
           + f". Seuil du secret statistique\u00a0: {data['k']}\u00a0jeunes.")
if not missing.empty:
    st.warning(f"{len(missing)} mission(s) locale(s) sans extraction couvrant la période : "
               + ", ".join(f"{n} ({c})" for c, n in zip(missing["code"], missing["name"],
                                                          strict=True))
               + ". Elles ne sont pas comptées (ni comme zéro, ni dans les totaux).")
if viewer:
    st.info("Les chiffres de votre mission locale sont affichés en entier : ce sont vos "
            "données. Ceux du département et de la région sont protégés par le secret "
            "statistique, comme pour tous les lecteurs.")

# --- key figures --------------------------------------------------------------------------
st.subheader("Chiffres clés")
present = [i for i in KEY_FIGURES if i in tables and not tables[i].empty]
columns = st.columns(len(present) or 1)
for column, indicator in zip(columns, present, strict=False):
    digits = 1 if indicator == "intensite" else 0
    label = INDICATORS[indicator].label
    if viewer and data["granularity"] in ("mois", "trimestre"):
        dept = tables[indicator][tables[indicator]["level"] == "departement"]
        value = dept.iloc[0]["value"] if not dept.empty else None
        column.metric(label, number(None if pd.isna(value) else value, digits),
                      help="Votre département (les mois et trimestres sont publiés par "
                           f"département). Région : {number(cell(indicator, 'region'), digits)}.")
    elif viewer:
        own = cell(indicator, "ml", viewer)
        region = cell(indicator, "region")
        column.metric(label, number(own, digits),
                      help=f"Votre mission locale. Région : {number(region, digits)}.")
    else:
        column.metric(label, number(cell(indicator, "region"), digits),
                      help=INDICATORS[indicator].definition.format(jdi=data["jdi_months"]))
shares = []
for dim_table, dim_label in (("jeunes_accompagnes_par_sexe", "sexe"),
                             ("jeunes_accompagnes_par_tranche_age", "âge"),
                             ("jeunes_accompagnes_par_niveau", "niveau de formation"),
                             ("jeunes_accompagnes_par_logement", "logement")):
    level, code = ("ml", viewer) if viewer else ("region", None)
    nr = cell(dim_table, level, code, "non_renseigne")
    total = cell(dim_table, level, code, "Total")
    if dim_table in tables and total:
        share = "s" if nr is None else f"{format_number(100 * nr / total, digits=1)}{NNBSP}%"
        shares.append(f"{dim_label} {share}")
if shares:
    st.caption("Part de « non renseigné » parmi les jeunes accompagnés : " + " · ".join(shares)
               + ".")

# --- monthly series -----------------------------------------------------------------------
monthly = [i for i in ("jeunes_accompagnes", "premiers_accueils", "entrees_cej",
                       "entrees_pacea", "situations_positives", "stock_cej", "stock_pacea")
           if f"{i}_par_mois" in tables and not tables[f"{i}_par_mois"].empty]
if monthly:
    st.subheader("Évolution mensuelle")
    indicator = st.selectbox("Indicateur", monthly, format_func=lambda i: INDICATORS[i].label,
                             key="obs_month_indicator")
    frame = tables[f"{indicator}_par_mois"]
    frame = frame[frame["mod1"] != "Total"]
    series = [("region", None, data["region"], BLUE)]
    if viewer:
        st.caption("Les chiffres mensuels sont publiés par département et pour la région "
                   "(ceux d'une mission locale seraient en majorité sous le seuil).")
        dept = frame[frame["level"] == "departement"]["code"].iloc[0] \
            if (frame["level"] == "departement").any() else None
        series = [("ml", viewer, "Votre mission locale", BLUE),
                  ("departement", dept, f"Département {dept}", GREY),
                  ("region", None, data["region"], "#b5c7e3")]
    fig = go.Figure()
    hidden_months = 0
    rows_for_table = {}
    for level, code, name, colour in series:
        rows = frame[frame["level"] == level]
        if code is not None:
            rows = rows[rows["code"] == code]
        if rows.empty:  # months are published down to the département, not the ML
            continue
        months = [dimension_label("mois", m) for m in rows["mod1"]]
        values = [None if pd.isna(v) else float(v) for v in rows["value"]]
        hidden_months += sum(v is None for v in values)
        fig.add_scatter(x=months, y=values, name=name, mode="lines+markers",
                        line={"color": colour}, connectgaps=False,
                        hovertemplate="%{x} : %{y:,.0f}<extra>" + name + "</extra>")
        rows_for_table[name] = [number(v) for v in values]
        rows_for_table.setdefault("Mois", months)
    fig.update_layout(separators=", ", margin={"t": 30, "l": 10, "r": 10, "b": 10},
                      yaxis={"rangemode": "tozero", "title": INDICATORS[indicator].label,
                             "tickformat": ",d"},
                      legend={"orientation": "h", "y": -0.2})
    st.plotly_chart(fig, width="stretch", config=PLOTLY_CONFIG, key="obs_month_chart")
    if hidden_months:
        st.caption(f"{hidden_months} valeur(s) mensuelle(s) masquée(s) par le secret "
                   "statistique : absentes du graphique (« s » dans le tableau).")
    if "Mois" in rows_for_table:
        ordered = {"Mois": rows_for_table.pop("Mois")} | rows_for_table
        chart_data(pd.DataFrame(ordered), INDICATORS[indicator].label + " par mois")

# --- map ----------------------------------------------------------------------------------
if not viewer:
    st.subheader("Carte par département")
    mappable = [i for i in KEY_FIGURES if i in tables and not tables[i].empty]
    indicator = st.selectbox("Indicateur de la carte", mappable,
                             format_func=lambda i: INDICATORS[i].label, key="obs_map_indicator")
    frame = tables[indicator]
    depts = frame[frame["level"] == "departement"]
    digits = 1 if indicator == "intensite" else 0
    values = {code: (None if pd.isna(v) else float(v))
              for code, v in zip(depts["code"], depts["value"], strict=True)}
    fig = departement_map(values, value_label=INDICATORS[indicator].label,
                          fmt=lambda v: format_number(v, digits=digits))
    map_table = pd.DataFrame({
        "Département": [f"{DEPARTEMENT_NAMES.get(c, c)} ({c})" for c in depts["code"]],
        INDICATORS[indicator].label: [number(v, digits) for v in depts["value"]]})
    if fig is None:
        st.info("Le fond de carte des départements n'est pas installé : les chiffres sont "
                "donnés dans le tableau ci-dessous.")
        st.table(map_table.set_index("Département"))
    else:
        st.plotly_chart(fig, width="stretch", config=PLOTLY_CONFIG, key="obs_map")
        grey = sum(v is None for v in values.values())
        st.caption((f"{grey} département(s) en gris : secret statistique. " if grey else "")
                   + CAPTION + ". " + SOURCE)
        chart_data(map_table, "carte par département")

# --- tables -------------------------------------------------------------------------------
st.subheader("Tableaux")
names = [n for n in tables if n in TABLES_BY_NAME]
table_name = st.selectbox("Tableau", names, format_func=lambda n: TABLES_BY_NAME[n].title,
                          key="obs_table")
spec = TABLES_BY_NAME[table_name]
frame = tables[table_name]
if frame.empty:
    st.info("Ce tableau est vide pour la période.")
else:
    level_names = [LEVELS[level] for level in ("ml", "departement", "region")
                   if level in set(frame["level"])]
    shown_levels = st.multiselect("Niveaux", level_names, default=level_names,
                                  key="obs_levels")
    keep = {k for k, v in LEVELS.items() if v in shown_levels}
    frame = frame[frame["level"].isin(keep)]
    territory = frame["label"] + " (" + frame["code"] + ")"
    if spec.residence:
        territory = [("Région" if lv == "region" else "Résidence : " + lab)
                     for lv, lab in zip(frame["level"], frame["label"], strict=True)]
    base = pd.DataFrame({"Niveau": [LEVELS[v] for v in frame["level"]],
                         "Territoire": list(territory)})
    digits = 1 if spec.indicator == "intensite" else 0
    # strings: a hidden cell must read « s » (the grid would draw a missing value "None")
    base["Valeur"] = [number(v, digits) for v in frame["value"]]
    if not spec.dims or spec.residence:
        view = base
    else:
        keys = ["Niveau", "Territoire"]
        if len(spec.dims) == 2:
            label = DIMENSIONS[spec.dims[0]].label
            base[label] = [dimension_label(spec.dims[0], m) for m in frame["mod1"]]
            keys.append(label)
        last = frame["mod2"] if len(spec.dims) == 2 else frame["mod1"]
        base["col"] = [dimension_label(spec.dims[-1], m) for m in last]
        order = list(dict.fromkeys(base["col"]))
        rows = list(dict.fromkeys(map(tuple, base[keys].to_numpy().tolist())))
        view = base.set_index([*keys, "col"])["Valeur"].unstack("col")
        view = view.reindex(index=pd.MultiIndex.from_tuples(rows, names=keys),
                            columns=order).reset_index()
    view.columns = [str(c) for c in view.columns]
    st.dataframe(view, hide_index=True, width="stretch", key="obs_table_view")
    hidden = int(frame["value"].isna().sum())
    st.caption((f"{hidden} case(s) masquée(s) (« s »). " if hidden else "") + SOURCE)
d1, d2 = st.columns(2)
d1.download_button("Télécharger ce tableau (CSV)", observatory_csv(user.id, start, end,
                                                                   table_name),
                   file_name=f"observatoire_{table_name}_{start:%Y%m%d}_{end:%Y%m%d}.csv",
                   mime="text/csv", key="obs_csv")
d2.download_button("Télécharger tous les tableaux (XLSX, avec méthodologie)",
                   observatory_xlsx(user.id, start, end),
                   file_name=f"observatoire_{start:%Y%m%d}_{end:%Y%m%d}.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   key="obs_xlsx")

# --- the admin's audit --------------------------------------------------------------------
if user.can("observatory.audit"):
    with st.expander("Audit du secret statistique (administrateur)"):
        summary = observatory_audit_summary(user.id)
        st.markdown(f"Toutes les extractions en vigueur, seuil k = {data['k']} (réglable dans "
                    "Animaréseau > Qualité des données > Secret statistique). Le contrôle "
                    "algébrique (test de rang) "
                    "compte les cases masquées qu'un lecteur pourrait recalculer : il doit "
                    "être nul.")
        st.dataframe(pd.DataFrame({
            "Indicateur": summary["indicator"],
            "Cases": [format_number(v) for v in summary["cells"]],
            "Secret primaire": [format_number(v) for v in summary["primary"]],
            "Secret secondaire": [format_number(v) for v in summary["secondary"]],
            "Cases recalculables": [format_number(v) for v in summary["recoverable"]],
        }), hide_index=True, width="stretch", key="obs_audit_summary")
        hidden_cells = observatory_audit(user.id, start, end, table_name)
        st.markdown(f"**{spec.title}** : {len(hidden_cells)} case(s) masquée(s) ; intervalle "
                    "qu'un lecteur peut déduire des cases publiées (programmation linéaire).")
        if not hidden_cells.empty:
            st.dataframe(pd.DataFrame({
                "Niveau": [LEVELS[v] for v in hidden_cells["level"]],
                "Territoire": hidden_cells["label"],
                "Case": hidden_cells["dims"],
                "Secret": hidden_cells["status"],
                "Valeur réelle": [format_number(v) for v in hidden_cells["value"]],
                "Déductible entre": [f"{format_number(lo)} et {format_number(hi)}"
                                     if pd.notna(lo) and pd.notna(hi) else "—"
                                     for lo, hi in zip(hidden_cells["lo"], hidden_cells["hi"],
                                                       strict=True)],
            }), hide_index=True, width="stretch", key="obs_audit_cells")

