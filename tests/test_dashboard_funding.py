"""The dashboard's Financements page, driven headless by AppTest on both backends.

Data: ``funding_world`` (Région 10 000 € on the QVT cluster, 8 000 € received; DREETS
20 000 € on the observatory, 5 000 € spent) plus, here, a DREETS schedule (half due 40 days
ago and unpaid, half due in 30 days), two DREETS reports (one overdue) and a France Travail
secondment valued 45 000 € (in kind, never paid). Expected figures are worked out by hand.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from models import clock
from models.audit import set_actor
from models.errors import PermissionDenied
from models.funding.orm import Convention
from models.funding.payments import DeadlineData, save_deadline
from models.funding.services import (
    ConventionData,
    FunderData,
    InstalmentData,
    save_convention,
    save_funder,
    save_schedule,
)
from models.programme.items import BudgetLineData, save_item
from models.programme.orm import Action
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
from webapp.extensions import db

#: Fixtures shared with test_dashboard.py: pytest registers them by their name in this module.
SHARED_FIXTURES = (dash,)

PAGE = "views/financements.py"
NNBSP, NBSP = "\u202f", "\u00a0"
TODAY = clock.today()
D = Decimal
FIRST_DUE, SECOND_DUE = TODAY - timedelta(days=40), TODAY + timedelta(days=30)
REPORT_LATE, REPORT_SOON = TODAY - timedelta(days=5), TODAY + timedelta(days=10)


def _plain(text: str) -> str:
    return text.replace(NNBSP, " ").replace(NBSP, " ")


# ---------------------------------------------------------------- data
def add_schedule_and_secondment(app, ids) -> None:
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        dreets = s.get(Convention, ids["convention_b"])
        save_schedule(s, None, dreets, [
            InstalmentData("Première tranche", FIRST_DUE, D("50")),
            InstalmentData("Solde", SECOND_DUE, D("50"))])
        save_deadline(s, None, dreets, None, DeadlineData("Rapport intermédiaire", REPORT_LATE))
        save_deadline(s, None, dreets, None, DeadlineData("Comité de suivi", REPORT_SOON))
        save_deadline(s, None, dreets, None, DeadlineData(  # done: never listed
            "Note de cadrage", TODAY - timedelta(days=20), done_date=TODAY - timedelta(days=21)))
        ft = save_funder(s, None, None, FunderData(name="France Travail", type="france_travail"))
        save_convention(s, None, None, ConventionData(
            funder_id=ft.id, reference="FT-MAD-2026", object="Agent mis à disposition (1 ETP)",
            type="mise_a_disposition", amount=D("45000.00"), first_year=2026, last_year=2026,
            period_start=date(2026, 1, 1), period_end=date(2026, 12, 31),
            signature_date=date(2026, 1, 5), status="signee"))
        s.commit()


@pytest.fixture
def funded(app, dash, funding_world):
    add_schedule_and_secondment(app, funding_world["ids"])
    return funding_world


# ---------------------------------------------------------------- helpers
def chart(at: AppTest, key: str) -> dict[str, dict]:
    found = [c for c in plotly_charts(at) if c.proto.id.endswith(key)]
    assert len(found) == 1, [c.proto.id for c in plotly_charts(at)]
    spec = json.loads(found[0].proto.spec)
    assert spec["layout"]["separators"] == ", "
    return {trace["name"]: dict(zip(_array(trace["x"]), _array(trace["y"]), strict=True))
            for trace in spec["data"]}


def table(at: AppTest, column: str):
    """The one table with this column (dataframes carry no key in AppTest)."""
    found = [df.value for df in at.dataframe if column in df.value.columns]
    assert len(found) == 1, [list(df.value.columns) for df in at.dataframe]
    return found[0]


def all_text(at: AppTest) -> str:
    parts = texts(at.markdown) + texts(at.caption) + texts(at.info) + texts(at.warning) \
        + texts(at.success) + texts(at.error)
    return _plain("\n".join(parts))


def open_page(dash, role: str) -> AppTest:
    at = signed_in(dash, role)
    run(at.switch_page(PAGE))
    assert "Financements" in texts(at.title)
    return at


def late_count() -> int:
    """Unpaid instalments past due: the DREETS first half, and the Région balance
    (31 March 2027) once that date has passed."""
    return 1 + (date(2027, 3, 31) < TODAY)


# ---------------------------------------------------------------- readers
@pytest.mark.parametrize("role", ["admin", "copil"])
def test_readers_see_metrics_and_charts(funded, role):
    at = open_page(funded, role)
    assert at.selectbox(key="funding_programme_id").value == funded["ids"]["programme"]
    assert {k: _plain(v) for k, v in metrics(at).items()} == {
        "Conventions": "75 000,00 €",        # 10 000 + 20 000 + 45 000 in kind
        "Reçu": "8 000,00 €",
        "Reste à recevoir": "22 000,00 €",   # the secondment is never due
        "Échéances en retard": str(late_count()),
        "Plan équilibré": "oui",
    }
    assert chart(at, "chart_by_type") == {
        "Montant affecté": {"État / DREETS": 20000.0, "Conseil régional": 10000.0}}
    assert chart(at, "chart_by_axis") == {
        "État / DREETS": {"Axe 1": 0.0, "Axe 2": 0.0, "Axe 3": 20000.0},
        "Conseil régional": {"Axe 1": 0.0, "Axe 2": 10000.0, "Axe 3": 0.0},
        "Budget": {"Axe 1": 0.0, "Axe 2": 10000.0, "Axe 3": 20000.0}}
    # execution: nothing spent on the QVT cluster, 5 000 of 20 000 on the observatory;
    # the secondment funds no action yet
    assert chart(at, "chart_execution") == {
        "Exécution": {"CRNA-2026-01": 0.0, "DREETS-2026-07": 25.0, "FT-MAD-2026": 0.0}}
    assert REFUSAL not in texts(at.error)
    assert "non équilibré" not in all_text(at)


def test_expected_against_received_over_the_year(funded):
    at = open_page(funded, "copil")
    traces = chart(at, "chart_cashflow")
    assert set(traces) == {"Attendu (échéances)", "Reçu (versements)"}
    expected_events = [(date(2026, 2, 28), 8000), (date(2027, 3, 31), 2000),
                       (FIRST_DUE, 10000), (SECOND_DUE, 10000)]
    months = list(traces["Attendu (échéances)"])
    assert len(months) == 12 and months[0] == "janv. 2026" and months[-1] == "déc. 2026"
    for n, label in enumerate(months, start=1):
        cumulated = sum(a for d, a in expected_events if d.year == 2026 and d.month <= n)
        assert traces["Attendu (échéances)"][label] == cumulated, label
        assert traces["Reçu (versements)"][label] == (8000 if n >= 3 else 0), label
    text = all_text(at)
    assert "Les mises à disposition valorisées ne sont pas versées : elles sont exclues de " \
           "cette courbe (1 convention, 45 000,00 €)." in text


def test_upcoming_deadlines_flag_overdue(funded):
    at = open_page(funded, "admin")
    rows = table(at, "Nature")
    dreets = rows[rows["Convention"] == "DREETS-2026-07"]
    assert [tuple(_plain(str(v)) for v in r) for r in dreets[
        ["Nature", "Libellé", "Montant attendu", "En retard"]].itertuples(index=False)] == [
        ("Versement", "Première tranche", "10 000,00 €", "oui"),
        ("Rapport", "Rapport intermédiaire", "", "oui"),
        ("Rapport", "Comité de suivi", "", ""),
        ("Versement", "Solde", "10 000,00 €", ""),
    ]
    assert "Note de cadrage" not in rows["Libellé"].tolist()
    assert "FT-MAD-2026" not in rows["Convention"].tolist()  # in kind: nothing to pay
    region = rows[rows["Convention"] == "CRNA-2026-01"]["Libellé"].tolist()
    horizon = TODAY + timedelta(days=90)
    assert region == [label for d, label in ((date(2027, 2, 28), "Bilan d'exécution"),
                                             (date(2027, 3, 31),
                                              "Solde après dialogue de gestion"))
                      if d <= horizon]
    assert _plain(rows["Échéance"].iloc[0]).endswith(str(FIRST_DUE.year))
    assert "2 échéances en retard" in all_text(at)


def test_convention_details_table(funded):
    at = open_page(funded, "copil")
    rows = {r["Convention"]: {k: _plain(str(v)) for k, v in r.items()}
            for r in table(at, "Exécution").to_dict("records")}
    assert rows["DREETS-2026-07"] == {
        "Convention": "DREETS-2026-07", "Financeur": "DREETS Nouvelle-Aquitaine",
        "Type": "Projet", "Statut": "Signée", "Montant": "20 000,00 €", "Reçu": "0,00 €",
        "Reste à recevoir": "20 000,00 €", "Échéances en retard": "1",
        "Exécuté": "5 000,00 €", "Exécution": "25 %"}
    assert rows["FT-MAD-2026"]["Reste à recevoir"] == "—"
    assert rows["FT-MAD-2026"]["Type"] == "Mise à disposition valorisée"
    assert rows["CRNA-2026-01"]["Reçu"] == "8 000,00 €"


def test_unbalanced_plan_is_said_so(app, funded):
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        save_item(s, None, s.get(Action, funded["ids"]["action_a"]),
                  BudgetLineData(category="autres", planned=D("2500.00")))
        s.commit()
    at = open_page(funded, "copil")
    assert metrics(at)["Plan équilibré"] == "non"
    assert "Le plan de cofinancement n'est pas équilibré : 1 point à corriger" in all_text(at)
    assert chart(at, "chart_by_axis")["Budget"]["Axe 2"] == 12500.0


# ---------------------------------------------------------------- empty states
@pytest.mark.parametrize("role", ["admin", "copil"])
def test_empty_database_explains_what_to_do(dash, role):
    at = open_page(dash, role)
    info = _plain(" ".join(texts(at.info)))
    assert "Aucune convention ni programme à suivre" in info
    assert "Animaréseau > Financements" in info
    assert ("Créez d'abord le programme" in info) == (role == "admin")
    assert not plotly_charts(at) and not at.metric and not at.selectbox


@pytest.mark.parametrize("role", ["admin", "copil"])
def test_programme_without_convention(programme_world, dash, role):
    at = open_page(dash, role)
    info = _plain(" ".join(texts(at.info)))
    expected = ("saisissez-les dans Animaréseau > Financements" if role == "admin"
                else "l'équipe de l'ARML les saisit dans Animaréseau > Financements")
    assert f"Aucune convention ne couvre l'année 2026 : {expected}" in info
    assert not plotly_charts(at) and not at.metric
    assert at.selectbox(key="funding_programme_id").value == programme_world["ids"]["programme"]


# ---------------------------------------------------------------- other roles
@pytest.mark.parametrize("role", ["ml", "financeur"])
def test_ml_and_financeur_have_no_funding_page(funded, role):
    at = signed_in(funded, role)
    with pytest.raises(ValueError, match="navigation page"):
        at.switch_page(PAGE)
    at._page_hash = calc_hash("financements")  # forcing the URL lands on the home page
    run(at)
    assert texts(at.title) == ["Tableaux de bord"]
    assert not plotly_charts(at) and not at.metric
    assert "Financements" not in texts(at.title)


@pytest.mark.parametrize("role", ["ml", "financeur"])
def test_page_refuses_other_roles_when_run_directly(funded, role):
    from dashboard.auth import Principal

    at = AppTest.from_file(str(DASHBOARD / PAGE), default_timeout=TIMEOUT)
    at.session_state["principal"] = Principal(
        funded["ids"][role], "Quelqu'un", role,
        funded["ids"]["ml_a"] if role == "ml" else None)
    run(at)
    assert REFUSAL in texts(at.error)
    assert not plotly_charts(at) and not at.metric and not at.dataframe


@pytest.mark.parametrize("role", ["ml", "financeur"])
def test_cached_frames_refuse_other_roles(funded, role):
    """The data layer checks the policy too: a financeur never gets all funders' amounts."""
    from dashboard import data

    uid, pid = funded["ids"][role], funded["ids"]["programme"]
    for call in (lambda: data.funding_programme_list(uid), lambda: data.funding_plan(uid, pid),
                 lambda: data.funding_plan_axes(uid, pid),
                 lambda: data.funding_conventions(uid, 2026),
                 lambda: data.funding_cashflow(uid, 2026), lambda: data.funding_upcoming(uid)):
        with pytest.raises(PermissionDenied):
            call()


def test_frames_hold_no_orm_objects_and_decimal_money(funded):
    from dashboard import data

    uid = funded["ids"]["admin"]
    frame = data.funding_conventions(uid, 2026)
    assert all(isinstance(v, Decimal) for v in frame["amount"])
    assert sorted(frame["reference"]) == ["CRNA-2026-01", "DREETS-2026-07", "FT-MAD-2026"]
    assert data.funding_conventions(uid, 2025).empty  # no convention covers 2025
    plan = data.funding_plan(uid, funded["ids"]["programme"])
    assert {(r.action, r.funder, r.amount) for r in plan.itertuples()} == {
        ("Cluster QVT des missions locales", "Conseil régional Nouvelle-Aquitaine",
         D("10000.00")),
        ("Observatoire régional des parcours", "DREETS Nouvelle-Aquitaine", D("20000.00"))}
