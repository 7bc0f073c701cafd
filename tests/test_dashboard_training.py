"""The dashboard's Formations page, driven headless by AppTest on both backends.

Data: ``build_stats_world`` of test_training_stats.py (its docstring gives the year
2026 by hand: 3 held sessions, 4 trainees, 11 half-days = 5,5 days, 37 h, 9 of 31 seats,
2 no-shows of 7, satisfaction 4,0/5 over 3 answers).
"""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from models.errors import PermissionDenied
from tests.test_dashboard import (
    DASHBOARD,
    REFUSAL,
    TIMEOUT,
    _array,
    dash,
    metrics,
    plotly_charts,
    run,
    signed_in,
    texts,
)
from tests.test_training_stats import FIRST, LIBOURNAIS, PAU, SECOND, build_stats_world

#: Fixtures shared with test_dashboard.py: pytest registers them by their name in this module.
SHARED_FIXTURES = (dash,)

PAGE = "views/formations.py"
NNBSP, NBSP = "\u202f", "\u00a0"


def _plain(text: str) -> str:
    return text.replace(NNBSP, " ").replace(NBSP, " ")


@pytest.fixture
def trained(app, dash, training_world):
    build_stats_world(app, training_world["ids"])
    return training_world


def chart(at: AppTest, key: str, horizontal: bool = False) -> dict[str, dict]:
    found = [c for c in plotly_charts(at) if c.proto.id.endswith(key)]
    assert len(found) == 1, [c.proto.id for c in plotly_charts(at)]
    spec = json.loads(found[0].proto.spec)
    assert spec["layout"]["separators"] == ", "
    a, b = ("y", "x") if horizontal else ("x", "y")
    return {trace["name"]: dict(zip(_array(trace[a]), _array(trace[b]), strict=True))
            for trace in spec["data"]}


def table(at: AppTest, column: str):
    found = [df.value for df in at.dataframe if column in df.value.columns]
    assert len(found) == 1, [list(df.value.columns) for df in at.dataframe]
    return found[0]


def all_text(at: AppTest) -> str:
    parts = texts(at.markdown) + texts(at.caption) + texts(at.info) + texts(at.warning) \
        + texts(at.success) + texts(at.error)
    return _plain("\n".join(parts))


def open_page(dash, role: str, year: int | None = 2026) -> AppTest:
    at = signed_in(dash, role)
    run(at.switch_page(PAGE))
    assert "Formations" in texts(at.title)
    if year is not None and at.selectbox(key="training_year").value != year:
        at.selectbox(key="training_year").set_value(year)
        run(at)
    return at


@pytest.mark.parametrize("role", ["admin", "copil"])
def test_readers_see_the_years_figures(trained, role):
    at = open_page(trained, role)
    assert at.selectbox(key="training_year").options == ["2027", "2026"]
    assert {k: _plain(v) for k, v in metrics(at).items()} == {
        "Sessions réalisées": "3", "Stagiaires": "4", "Journées stagiaires": "5,5",
        "Heures stagiaires": "37 h", "Taux de remplissage": "29 %", "Absence totale": "29 %",
        "Satisfaction": "4,0/5"}
    text = all_text(at)
    assert "1 session(s) réalisée(s) sans présences saisies" in text
    assert ("Saisissez les présences" in text) == (role == "admin")
    assert REFUSAL not in texts(at.error)


def test_charts(trained):
    at = open_page(trained, "copil")
    months = chart(at, "chart_months")
    assert months["Sessions réalisées"]["mars 2026"] == 1
    assert months["Sessions réalisées"]["déc. 2026"] == 1
    assert months["Stagiaires"]["déc. 2026"] == 3
    assert months["Stagiaires"]["avr. 2026"] == 0
    assert len(months["Stagiaires"]) == 12
    fill = chart(at, "chart_fill")["Remplissage"]
    assert sorted(fill.values()) == [0.0, pytest.approx(20.0), pytest.approx(33.33),
                                     pytest.approx(100.0)]
    by_ml = chart(at, "chart_ml", horizontal=True)
    assert by_ml == {"Inscrit·es confirmé·es": {PAU: 4, LIBOURNAIS: 5},
                     "Stagiaires présent·es": {PAU: 2, LIBOURNAIS: 2}}
    by_job = chart(at, "chart_job", horizontal=True)
    assert by_job["Stagiaires présent·es"]["Conseiller·ère"] == 3
    assert by_job["Stagiaires présent·es"]["Chargé·e d'accueil"] == 1
    assert by_job["Inscrit·es confirmé·es"]["Directeur·rice"] == 0
    sat = chart(at, "chart_satisfaction")
    assert sat["Satisfaction globale"] == {FIRST: 4.0, SECOND: 4.0}
    assert sat["Organisation"] == {FIRST: 3.0, SECOND: 5.0}


def test_bpf_and_participation_tables(trained):
    at = open_page(trained, "admin")
    bpf = [tuple(_plain(str(v)) for v in row)
           for row in table(at, "Financeur de la formation").itertuples(index=False)]
    assert bpf == [("Conseil régional Nouvelle-Aquitaine", "2", "2", "1,5", "9 h"),
                   ("Sans financeur identifié", "1", "3", "4", "28 h"),
                   ("Total", "3", "4", "5,5", "37 h")]
    mls = table(at, "Mission locale")
    assert mls["Mission locale"].tolist() == [LIBOURNAIS, PAU]
    assert [_plain(v) for v in mls["Heures stagiaires"]] == ["30,5 h", "6,5 h"]


def test_a_year_without_held_session(trained):
    at = open_page(trained, "admin", 2027)
    assert {k: _plain(v) for k, v in metrics(at).items()}["Sessions réalisées"] == "0"
    assert metrics(at)["Absence totale"] == "—"
    assert "Aucune évaluation reçue" in all_text(at)


@pytest.mark.parametrize("role", ["admin", "copil"])
def test_empty_database_explains_what_to_do(dash, role):
    at = open_page(dash, role, year=None)
    info = _plain(" ".join(texts(at.info)))
    assert "Aucune session de formation en" in info
    assert ("programmez-les" in info) == (role == "admin")
    assert not plotly_charts(at) and not at.metric


@pytest.mark.parametrize("role", ["ml", "financeur"])
def test_ml_and_financeur_have_no_training_page(trained, role):
    at = signed_in(trained, role)
    with pytest.raises(ValueError, match="navigation page"):
        at.switch_page(PAGE)
    at._page_hash = calc_hash("formations")  # forcing the URL lands on the home page
    run(at)
    assert texts(at.title) == ["Tableaux de bord"]
    assert not plotly_charts(at) and not at.metric


@pytest.mark.parametrize("role", ["ml", "financeur"])
def test_page_refuses_other_roles_when_run_directly(trained, role):
    from dashboard.auth import Principal

    at = AppTest.from_file(str(DASHBOARD / PAGE), default_timeout=TIMEOUT)
    at.session_state["principal"] = Principal(
        trained["ids"][role], "Quelqu'un", role,
        trained["ids"]["ml_a"] if role == "ml" else None)
    run(at)
    assert REFUSAL in texts(at.error)
    assert not plotly_charts(at) and not at.metric and not at.dataframe


@pytest.mark.parametrize("role", ["ml", "financeur"])
def test_cached_frames_refuse_other_roles(trained, role):
    from dashboard import data

    uid = trained["ids"][role]
    for call in (lambda: data.training_years(uid), lambda: data.training_summary(uid, 2026),
                 lambda: data.training_months(uid, 2026),
                 lambda: data.training_sessions(uid, 2026),
                 lambda: data.training_participation(uid, 2026, "ml"),
                 lambda: data.training_satisfaction(uid, 2026),
                 lambda: data.training_bpf(uid, 2026)):
        with pytest.raises(PermissionDenied):
            call()


def test_frames_keep_decimal_hours(trained):
    from decimal import Decimal

    from dashboard import data

    frame = data.training_participation(trained["ids"]["admin"], 2026, "ml")
    assert all(isinstance(v, Decimal) for v in frame["hours"])
    assert frame["hours"].tolist() == [Decimal("30.50"), Decimal("6.50")]
