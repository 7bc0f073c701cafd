"""The dashboard page "Parrainage" driven by AppTest, for every role, on the 40-pairing
world of ``tests/test_mentoring_yearly.py`` (k = 3: Bayonne, two mentees, is hidden);
both backends. The page shows the protected table of ``models.mentoring.yearly`` and
nothing else: no hidden figure reaches a frame, a chart or a file."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from models.errors import PermissionDenied
from models.mentoring import yearly
from tests.test_dashboard import (
    DASHBOARD,
    TIMEOUT,
    _array,
    dash,
    plotly_charts,
    run,
    signed_in,
    texts,
)
from tests.test_mentoring_yearly import build
from webapp.extensions import db

SHARED_FIXTURES = (dash,)
PAGE = "views/parrainage.py"
LIBOURNAIS, PAU = "Mission locale du Libournais", "Mission locale Pau Pyrénées"
BAYONNE = "Mission locale Avenir Jeunes Pays Basque"


@pytest.fixture
def mentoring(app, dash):
    yearly.clear_cache()
    with app.app_context():
        built = build(db.session, dash["ids"])
        db.session.commit()
    return {**dash, "built": built}


def open_page(dash, role: str, year: int | None = None) -> AppTest:
    at = signed_in(dash, role)
    run(at.switch_page(PAGE))
    assert "Parrainage" in texts(at.title)
    if year is not None and at.selectbox(key="mentoring_year").value != year:
        at.selectbox(key="mentoring_year").set_value(year)
        run(at)
    return at


def chart(at: AppTest, key: str) -> dict:
    found = [c for c in plotly_charts(at) if c.proto.id.endswith(key)]
    assert len(found) == 1, [c.proto.id for c in plotly_charts(at)]
    spec = json.loads(found[0].proto.spec)
    assert spec["layout"]["separators"] == ", "
    trace = spec["data"][0]
    return dict(zip(_array(trace["x"]), _array(trace["y"]), strict=True))


def the_table(at: AppTest):
    found = [df.value for df in at.dataframe if "Indicateur" in df.value.columns]
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize("role", ["admin", "animateur", "copil", "financeur"])
def test_every_ml_protected(mentoring, role):
    at = open_page(mentoring, role, 2026)
    assert at.selectbox(key="mentoring_year").options == ["2026", "2025"]
    frame = the_table(at)
    assert list(frame.columns) == ["Rubrique", "Indicateur", "Nouvelle-Aquitaine",
                                   LIBOURNAIS, PAU, BAYONNE]
    rows = {r["Indicateur"]: r for r in frame.to_dict("records")}
    entries = rows["Filleul·es entré·es dans l'année"]
    assert [entries[c] for c in (LIBOURNAIS, PAU, BAYONNE, "Nouvelle-Aquitaine")] == [
        "s", "s", "s", "22"]
    # Bayonne's two mentees appear nowhere as a figure
    assert set(frame[BAYONNE]) <= {"s", "0", "—"}
    ended = rows["Binômes terminés dans l'année (fin normale ou rupture)"]
    assert [ended[c] for c in (LIBOURNAIS, PAU, BAYONNE)] == ["4", "11", "0"]
    assert "secret statistique (seuil k = 3)" in " ".join(texts(at.caption))
    # the region's pairings started per year: 2025 16, 2026 23 (published or left out)
    started = chart(at, "chart_started")
    assert set(started) <= {"2025", "2026"}
    assert all({"2025": 16, "2026": 23}[y] == v for y, v in started.items())
    assert not at.exception


def test_ml_sees_its_column_and_the_region(mentoring):
    at = open_page(mentoring, "ml", 2026)
    frame = the_table(at)
    assert list(frame.columns) == ["Rubrique", "Indicateur", "Nouvelle-Aquitaine", LIBOURNAIS]
    assert PAU not in frame.to_csv() and BAYONNE not in frame.to_csv()


def test_downloads_hold_the_protected_table(mentoring):
    from dashboard import data_mentoring as data

    uid = mentoring["ids"]["copil"]
    body = data.mentoring_csv(uid, 2026).decode("utf-8-sig")
    lines = body.splitlines()
    assert lines[0].startswith("Année;Rubrique;Indicateur;Ventilation;Modalité;")
    entries = next(line for line in lines if ";Filleul·es entré·es dans l'année;;Total;" in line)
    assert entries.endswith(";s;s;s;22")
    sheet = load_workbook(io.BytesIO(data.mentoring_xlsx(uid, 2026))).active
    assert sheet.max_row == len(lines)


def test_previous_year(mentoring):
    at = open_page(mentoring, "admin", 2025)
    assert "Tableau annuel 2025" in [s.value for s in at.subheader]


def test_empty_database_says_so(dash):
    yearly.clear_cache()
    at = open_page(dash, "copil")
    assert any("Aucun binôme" in t for t in texts(at.info))
    assert not plotly_charts(at)


@pytest.mark.parametrize("role", ["admin", "ml", "financeur"])
def test_the_page_is_in_every_navigation(mentoring, role):
    at = signed_in(mentoring, role)
    at._page_hash = calc_hash("parrainage")
    run(at.switch_page(PAGE))
    assert texts(at.title) == ["Parrainage"]


def test_page_refuses_an_inactive_account_run_directly(mentoring):
    from dashboard.auth import Principal

    at = AppTest.from_file(str(DASHBOARD / PAGE), default_timeout=TIMEOUT)
    at.session_state["principal"] = Principal(mentoring["ids"]["copil"], "Corinne",
                                              "copil", None, active=False)
    run(at)
    assert "Cette page est réservée aux comptes d'Animaréseau." in texts(at.error)
    assert not the_tables(at) and not plotly_charts(at)


def the_tables(at):
    return [df for df in at.dataframe]


def test_cached_frames_refuse_unknown_users(mentoring):
    from dashboard import data_mentoring as data

    for call in (lambda: data.mentoring_years(0), lambda: data.mentoring_table(0, 2026),
                 lambda: data.mentoring_started_by_year(0), lambda: data.mentoring_csv(0, 2026),
                 lambda: data.mentoring_xlsx(0, 2026)):
        with pytest.raises(PermissionDenied):
            call()
