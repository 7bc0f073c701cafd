"""The dashboard's Qualité des données page, driven headless by AppTest on both backends.

Data: two real imports (``pipeline.run_import``) of hand-written extracts, worked out by
hand. Missions locales: Libournais (ml_a, the ml account's), Pau (ml_b), Bordeaux (ml_c,
only the first import: its extract is stale) and Limoges (ml_d, no extract).

- import 1, period 1 Jan – 30 Jun 2026: Libournais 10 young, 2 in error (Q04, Q05);
  Pau 10 young, none; Bordeaux 5 young, none;
- import 2, period 1 Jan – 30 Sep 2026: Libournais 10 young, 1 in error (Q04) and one
  warning (Q06, old nomenclature); Pau 20 young, 4 in error (Q04 × 2, Q05 × 2).

Latest extracts: Libournais 90 % (orange, +10 pts), Pau 80 % (red, −20 pts), Bordeaux
100 % (green, stale: its period ended 146 days before today), Limoges none.
Region: 30 of 35 young without error = 85,7 %; over time 23/25 = 92 % at 30 June (the
current extracts of that period) and 25/30 = 83,3 % at 30 September.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from models import clock
from models.audit import set_actor
from models.errors import PermissionDenied
from models.network.orm import MissionLocale
from models.parcours.orm import ParcoursExtract, QualityFinding
from models.parcours.services import set_mark
from tests.parcours_helpers import EVENEMENTS_HEADER, JEUNES_HEADER, KEY, queue
from tests.test_dashboard import (
    DASHBOARD,
    TIMEOUT,
    _array,
    dash,
    metrics,
    plotly_charts,
    run,
    signed_in,
    texts,
)
from webapp.extensions import db

#: Fixtures shared with test_dashboard.py: pytest registers them by their name in this module.
SHARED_FIXTURES = (dash,)

PAGE = "views/qualite.py"
NNBSP, NBSP = "\u202f", "\u00a0"
TODAY = date(2026, 11, 23)  # the dashboard's "today", set below


@pytest.fixture(autouse=True)
def frozen_today():
    """Staleness is judged against the one clock, set here (restored after each test)."""
    clock.travel_to(TODAY)
FIRST = (date(2026, 1, 1), date(2026, 6, 30))
SECOND = (date(2026, 1, 1), date(2026, 9, 30))
REFUSAL = ("Cette page est réservée à l'équipe de l'ARML, au comité de pilotage et aux "
           "missions locales.")
LIBOURNAIS, PAU, BORDEAUX, LIMOGES = ("Mission locale du Libournais",
                                      "Mission locale Pau Pyrénées",
                                      "Mission locale de Bordeaux",
                                      "Mission locale de l'agglomération de Limoges")
CODES = {"ml_a": ("33005", "33500", "33243"), "ml_b": ("64001", "64000", "64445"),
         "ml_c": ("33001", "33000", "33063")}


def _plain(text: str) -> str:
    return text.replace(NNBSP, " ").replace(NBSP, " ")


# ---------------------------------------------------------------- data
def _letters(n: int) -> str:
    """Distinct letter-only names: pseudonyms ignore digits, so ``Nom1`` = ``Nom2``."""
    out = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def young(ml: str, n: int, *, sexe: str = "F", niveau: str = "4") -> str:
    code, postal, commune = CODES[ml]
    return (f"{code};{n};Nom{_letters(n)};Prenom{ml[-1]};03/04/2005;{sexe};{postal};"
            f"{commune};N;N;{niveau};01/02/2026;PARENTS;N;N;N")


def extract(folder, rows: dict[str, list[dict]]):
    """``rows``: ml → one dict per young person (keyword overrides of ``young``)."""
    folder.mkdir(parents=True)
    lines = [young(ml, n, **over) for ml, people in rows.items()
             for n, over in enumerate(people, start=1)]
    (folder / "jeunes.csv").write_text("\n".join([JEUNES_HEADER, *lines]) + "\n")
    return folder


def clean(n: int) -> list[dict]:
    return [{} for _ in range(n)]


def import_both(app, ids, tmp_path) -> None:
    from models.parcours.pipeline import run_import

    first = extract(tmp_path / "t1", {
        "ml_a": [{"sexe": "X"}, {"niveau": ""}, *clean(8)],
        "ml_b": clean(10),
        "ml_c": clean(5)})
    second = extract(tmp_path / "t2", {
        "ml_a": [{"sexe": ""}, {"niveau": "V"}, *clean(8)],
        "ml_b": [{"sexe": "M"}, {"sexe": ""}, {"niveau": "12"}, {"niveau": "X"}, *clean(16)]})
    with app.app_context():
        for folder, period in ((first, FIRST), (second, SECOND)):
            run_import(db.engine, queue(db.engine, period, folder.name), folder,
                       today=TODAY, key=KEY)


@pytest.fixture
def imported(app, dash, tmp_path):
    ids = dash["ids"]
    with app.app_context():
        s = db.session
        ml_c = MissionLocale(region_id=ids["region"], code="33001", name=BORDEAUX,
                             departement="33", commune="Bordeaux")
        ml_d = MissionLocale(region_id=ids["region"], code="87001", name=LIMOGES,
                             departement="87", commune="Limoges")
        s.add_all([ml_c, ml_d])
        s.commit()
        ids.update(ml_c=ml_c.id, ml_d=ml_d.id)
    import_both(app, ids, tmp_path)
    return dash


def mark_one_pau_error(app, ids) -> None:
    """The team accepts one of Pau's Q05 findings as an exception: 17 of 20 without error."""
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        finding = s.scalars(select(QualityFinding).join(
            ParcoursExtract, ParcoursExtract.id == QualityFinding.extract_id).where(
            ParcoursExtract.mission_locale_id == ids["ml_b"],
            ParcoursExtract.status == "current", QualityFinding.rule_code == "Q05")
            .order_by(QualityFinding.id)).first()
        set_mark(s, actor=None, finding_id=finding.id, kind="exception",
                 comment="Niveau vérifié avec le conseiller : saisie à corriger dans i-milo.")
        s.commit()


# ---------------------------------------------------------------- helpers
def chart(at: AppTest, key: str, horizontal: bool = False) -> dict[str, dict]:
    found = [c for c in plotly_charts(at) if c.proto.id.endswith(key)]
    assert len(found) == 1, [c.proto.id for c in plotly_charts(at)]
    spec = json.loads(found[0].proto.spec)
    assert spec["layout"]["separators"] == ", "
    a, b = ("y", "x") if horizontal else ("x", "y")
    return {trace["name"]: {k: round(v, 2) for k, v in
                            zip(_array(trace[a]), _array(trace[b]), strict=True)}
            for trace in spec["data"]}


def chart_keys(at: AppTest) -> set[str]:
    return {c.proto.id.rsplit("-", 1)[-1] for c in plotly_charts(at)}


def table(at: AppTest, column: str):
    """The one table with this column (dataframes carry no key in AppTest)."""
    found = [df.value for df in at.dataframe if column in df.value.columns]
    assert len(found) == 1, [list(df.value.columns) for df in at.dataframe]
    return found[0]


def all_text(at: AppTest) -> str:
    parts = texts(at.title) + texts(at.header) + texts(at.markdown) + texts(at.caption) \
        + texts(at.info) + texts(at.warning) + texts(at.success) + texts(at.error)
    return _plain("\n".join(parts))


def everything(at: AppTest) -> str:
    """Every text, metric, table cell, chart spec and widget option of the page."""
    parts = [all_text(at), json.dumps(metrics(at), ensure_ascii=False)]
    parts += [df.value.to_json(force_ascii=False) for df in at.dataframe]
    parts += [c.proto.spec for c in plotly_charts(at)]
    parts += [str(o) for box in at.selectbox for o in box.options]
    return _plain("\n".join(parts))


def plain_metrics(at: AppTest) -> dict[str, str]:
    return {k: _plain(v) for k, v in metrics(at).items()}


def open_page(dash, role: str) -> AppTest:
    at = signed_in(dash, role)
    run(at.switch_page(PAGE))
    assert "Qualité des données" in texts(at.title)
    return at


# ---------------------------------------------------------------- team and copil
@pytest.mark.parametrize("role", ["admin", "copil"])
def test_readers_see_the_region(imported, role):
    at = open_page(imported, role)
    assert plain_metrics(at) == {
        "Score régional": "85,7 %",          # 30 of 35 young without error
        "Jeunes contrôlés": "35",
        "Missions locales contrôlées": "3 sur 4",
        "Extractions anciennes": "2",        # Bordeaux (30 June) and Limoges (none)
        "Vert": "1", "Orange": "1", "Rouge": "1", "Sans extraction": "1",
        # the drill-down opens on the lowest score: Pau
        "Score": "80,0 %", "Statut": "Rouge",
        "Fin de la dernière période": "30 septembre 2026", "Jeunes de l'extraction": "20"}
    assert chart(at, "chart_region_time") == {
        "Score régional": {"au 30 juin 2026": 92.0, "au 30 septembre 2026": 83.33}}
    ranking = chart(at, "chart_ranking", horizontal=True)
    # best on top (the last bar of a horizontal chart); ⚠ marks the stale extract
    assert list(ranking["Score"].items()) == [(PAU, 80.0), (LIBOURNAIS, 90.0),
                                              (f"{BORDEAUX} ⚠", 100.0)]
    spec = json.loads(next(c for c in plotly_charts(at)
                           if c.proto.id.endswith("chart_ranking")).proto.spec)
    assert spec["data"][0]["marker"]["color"] == ["#c0392b", "#e9a23b", "#2a9d8f"]
    assert f"Sans extraction : {LIMOGES}." in all_text(at)
    assert REFUSAL not in texts(at.error)


def test_ranking_table_and_failing_rules(imported):
    at = open_page(imported, "copil")
    rows = [{k: _plain(str(v)) for k, v in r.items()}
            for r in table(at, "Rang").to_dict("records")]
    assert [(r["Mission locale"], r["Score"], r["Évolution"], r["Statut"], r["Erreurs"],
             r["Avertissements"], r["Extraction ancienne"]) for r in rows] == [
        (BORDEAUX, "100,0 %", "—", "Vert", "0", "0", "oui"),
        (LIBOURNAIS, "90,0 %", "+10,0 pts", "Orange", "1", "1", ""),
        (PAU, "80,0 %", "−20,0 pts", "Rouge", "4", "0", "")]
    assert rows[1]["Fin de période"] == "30 septembre 2026"
    assert chart(at, "chart_rules") == {"Erreur": {"Q04": 3, "Q05": 2},
                                        "Avertissement": {"Q06": 1}}
    # the regional rules table, then the drill-down's (Pau)
    regional, pau = [df.value for df in at.dataframe if "Jeunes concernés" in df.value.columns]
    assert regional["Règle"].tolist() == ["Q04", "Q05", "Q06"]
    assert regional["Gravité"].tolist() == ["Erreur", "Erreur", "Avertissement"]
    assert regional["Intitulé"].iloc[0].startswith("Sexe")
    assert regional["Anomalies"].tolist() == ["3", "2", "1"]
    assert pau["Règle"].tolist() == ["Q04", "Q05"]


def test_drill_down_to_one_mission_locale(app, imported):
    at = open_page(imported, "admin")
    box = at.selectbox(key="quality_ml")
    assert box.value == imported["ids"]["ml_b"]  # the lowest score first
    assert box.options == [BORDEAUX, LIBOURNAIS, PAU]  # formatted by name
    assert chart(at, "chart_ml_history")["Score"] == {"au 30 juin 2026": 100.0,
                                                      "au 30 septembre 2026": 80.0}
    assert chart(at, "chart_ml_rules") == {"Erreur": {"Q04": 2, "Q05": 2}}
    box.select(imported["ids"]["ml_a"])
    run(at)
    figures = plain_metrics(at)
    assert (figures["Score"], figures["Statut"]) == ("90,0 %", "Orange")
    delta = [m for m in at.metric if m.label == "Score"][0].delta
    assert _plain(delta) == "+10,0 pts"
    assert chart(at, "chart_ml_history")["Score"] == {"au 30 juin 2026": 80.0,
                                                      "au 30 septembre 2026": 90.0}
    assert chart(at, "chart_ml_rules") == {"Erreur": {"Q04": 1}, "Avertissement": {"Q06": 1}}
    evolution = table(at, "au 30 juin 2026")
    assert {r["Règle"]: (r["au 30 juin 2026"], r["au 30 septembre 2026"])
            for r in evolution.to_dict("records")} == {
        "Q04": ("1", "1"), "Q05": ("1", "0"), "Q06": ("0", "1")}
    at.selectbox(key="quality_ml").select(imported["ids"]["ml_c"])
    run(at)
    assert "Extraction ancienne : la dernière période s'est terminée le 30 juin 2026" \
        in all_text(at)
    assert "Aucune anomalie à la charte dans la dernière extraction." in all_text(at)


def test_marks_raise_the_score_visibly(app, imported):
    mark_one_pau_error(app, imported["ids"])
    at = open_page(imported, "copil")
    figures = plain_metrics(at)
    assert figures["Score régional"] == "88,6 %"  # 31 of 35
    assert (figures["Orange"], figures["Rouge"]) == ("2", "0")
    assert figures["Score"] == "85,0 %"  # Pau, now orange, still the lowest
    assert "Score brut, avant qualification des anomalies par l'équipe : 80,0 %." \
        in all_text(at)
    assert chart(at, "chart_ml_history")["Score brut (avant qualification)"] == {
        "au 30 juin 2026": 100.0, "au 30 septembre 2026": 80.0}
    regional = [df.value for df in at.dataframe if "Qualifiées" in df.value.columns][0]
    assert {r["Règle"]: (r["Anomalies"], r["Qualifiées"])
            for r in regional.to_dict("records")}["Q05"] == ("1", "1")


def test_extract_without_young_people_is_not_ranked(app, imported, tmp_path):
    """Limoges sent only an events file (every row an orphan): an extract with no young
    person and no score. It is offered in the drill-down, never ranked nor averaged."""
    from models.parcours.pipeline import run_import

    folder = tmp_path / "orphans"
    folder.mkdir()
    (folder / "jeunes.csv").write_text(JEUNES_HEADER + "\n" + young("ml_a", 1) + "\n")
    (folder / "evenements.csv").write_text(EVENEMENTS_HEADER + "\n"
                                           "87001;9;03/03/2026;ENTRETIEN;EMPLOI\n")
    with app.app_context():
        run_import(db.engine, queue(db.engine, (date(2026, 1, 1), date(2026, 3, 31))),
                   folder, today=TODAY, key=KEY)
    at = open_page(imported, "admin")
    figures = plain_metrics(at)
    assert figures["Missions locales contrôlées"] == "3 sur 4"
    assert figures["Sans extraction"] == "1"  # no score: still without a status
    assert list(chart(at, "chart_ranking", horizontal=True)["Score"]) == [
        PAU, LIBOURNAIS, f"{BORDEAUX} ⚠"]
    box = at.selectbox(key="quality_ml")
    assert LIMOGES in box.options
    box.select(imported["ids"]["ml_d"])
    run(at)
    assert plain_metrics(at)["Score"] == "—"
    assert chart(at, "chart_ml_rules") == {"Erreur": {"Q16": 1}}


# ---------------------------------------------------------------- an ml account
def test_ml_sees_only_its_own_mission_locale(imported):
    at = open_page(imported, "ml")
    assert LIBOURNAIS in texts(at.header)
    figures = plain_metrics(at)
    assert figures == {"Score": "90,0 %", "Statut": "Orange",
                       "Fin de la dernière période": "30 septembre 2026",
                       "Jeunes de l'extraction": "10"}
    assert chart_keys(at) == {"chart_own_history", "chart_own_rules"}
    assert chart(at, "chart_own_history")["Score"] == {"au 30 juin 2026": 80.0,
                                                       "au 30 septembre 2026": 90.0}
    assert chart(at, "chart_own_rules") == {"Erreur": {"Q04": 1}, "Avertissement": {"Q06": 1}}
    assert table(at, "Jeunes concernés")["Règle"].tolist() == ["Q04", "Q06"]
    seen = everything(at)
    for other in (PAU, BORDEAUX, LIMOGES, "Score régional", "Classement"):
        assert other not in seen
    assert not at.selectbox


def test_ml_without_extract_gets_its_empty_state(app, imported, tmp_path):
    """The ml account's mission locale with nothing imported: no other ML shows up."""
    with app.app_context():
        user_id = imported["ids"]["ml"]
        from models.accounts.orm import User

        db.session.get(User, user_id).mission_locale_id = imported["ids"]["ml_d"]
        db.session.commit()
    at = open_page(imported, "ml")
    assert "Aucune extraction de votre mission locale n'a encore été importée" \
        in " ".join(texts(at.info))
    assert not plotly_charts(at) and not at.metric
    assert LIBOURNAIS not in everything(at)


# ---------------------------------------------------------------- empty states
@pytest.mark.parametrize("role", ["admin", "copil", "ml"])
def test_empty_database_explains_what_to_do(dash, role):
    at = open_page(dash, role)
    info = _plain(" ".join(texts(at.info)))
    if role == "ml":
        assert "Aucune extraction de votre mission locale n'a encore été importée" in info
    else:
        assert "Aucune extraction Parcours n'a encore été importée" in info
        assert ("importez-les dans Animaréseau > Qualité des données" in info) \
            == (role == "admin")
    assert not plotly_charts(at) and not at.metric and not at.selectbox


# ---------------------------------------------------------------- refusals
def test_financeur_has_no_quality_page(imported):
    at = signed_in(imported, "financeur")
    with pytest.raises(ValueError, match="navigation page"):
        at.switch_page(PAGE)
    at._page_hash = calc_hash("qualite")  # forcing the URL lands on the home page
    run(at)
    assert texts(at.title) == ["Tableaux de bord"]
    assert not plotly_charts(at) and not at.metric


def test_page_refuses_a_financeur_run_directly(imported):
    from dashboard.auth import Principal

    at = AppTest.from_file(str(DASHBOARD / PAGE), default_timeout=TIMEOUT)
    at.session_state["principal"] = Principal(imported["ids"]["financeur"], "Quelqu'un",
                                              "financeur", None)
    run(at)
    assert REFUSAL in texts(at.error)
    assert not plotly_charts(at) and not at.metric and not at.dataframe


def test_cached_frames_check_the_policy(imported):
    """The data layer refuses too: a financeur gets nothing, an ml account nothing regional
    and nothing of another mission locale."""
    from dashboard import data_quality as data

    ids = imported["ids"]
    fin, ml = ids["financeur"], ids["ml"]
    for call in (lambda: data.quality_table(fin), lambda: data.quality_summary(fin),
                 lambda: data.quality_ml_history(fin, ids["ml_a"]),
                 lambda: data.quality_summary(ml), lambda: data.quality_over_time(ml),
                 lambda: data.quality_failing_rules(ml),
                 lambda: data.quality_ml_history(ml, ids["ml_b"]),
                 lambda: data.quality_ml_rules(ml, ids["ml_b"])):
        with pytest.raises(PermissionDenied):
            call()
    own = data.quality_table(ml)
    assert own["name"].tolist() == [LIBOURNAIS]
    assert len(data.quality_ml_history(ml, ids["ml_a"])) == 2


def test_frames_hold_plain_values(imported):
    from decimal import Decimal

    from dashboard import data_quality as data

    frame = data.quality_table(imported["ids"]["admin"])
    assert frame["name"].tolist() == [BORDEAUX, LIBOURNAIS, PAU, LIMOGES]  # by code
    scored = frame[frame["extract_id"].notna()]
    assert all(isinstance(v, Decimal) for v in scored["score"])
    assert scored.set_index("code")["score"].to_dict() == {
        "33001": Decimal("1"), "33005": Decimal("0.9"), "64001": Decimal("0.8")}
    assert frame.set_index("code")["status"].to_dict() == {
        "33001": "vert", "33005": "orange", "64001": "rouge", "87001": "aucun"}
    rules = data.quality_ml_rules(imported["ids"]["admin"], imported["ids"]["ml_b"])
    assert rules.groupby("period_end")["counted"].sum().to_dict() == {
        date(2026, 9, 30): 4}  # the first extract of Pau had no finding at all
