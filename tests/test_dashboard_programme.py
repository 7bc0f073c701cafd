"""The dashboard's Programme page, driven headless by AppTest on both backends.

The programme is built with the same services the web app uses; the expected
figures below are worked out by hand from those inputs, so a wrong roll-up,
a wrong conversion or a wrong format fails the test.
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
from models.network.orm import Region
from models.programme import items, team
from models.programme import services as svc
from models.programme.enums import ActionStatus, BudgetCategory, MemberStatus
from models.programme.reference import ensure_reference
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

PROGRAMME = "views/programme.py"
NNBSP, NBSP = "\u202f", "\u00a0"
TODAY = clock.today()
YEAR = TODAY.year


def _plain(text: str) -> str:
    """French output uses (narrow) no-break spaces: compare with plain ones."""
    return text.replace(NNBSP, " ").replace(NBSP, " ")


# ---------------------------------------------------------------- data
def build_programme(app, dash) -> dict[str, int]:
    """Two members, six actions over three axes, budget, time, indicators, deliverables.

    Worked-out figures (checked by the tests):
      actions 6, abandoned 1, done 3 → 3 / 5 = 60 %;
      objectives: 1.1 → 1 done of 2 (50 %), 2.1 → 1 of 1 (100 %), 2.2 → 1 of 2 (50 %),
      3.1 only an abandoned action (not charted);
      budget planned axe 1 = 1 000,50 + 2 000 + 500 = 3 500,50 ; axe 2 = 1 200 + 300 = 1 500;
      actual axe 1 = 800 + 250,25 = 1 050,25 ; axe 2 = 1 200 → 2 250,25 / 5 000,50 = 45 %;
      days planned 100 + 60 + 50 + 70,5 = 280,5, actual 90 + 60 = 150 → 53 %;
      ETP (218 days): 280,5 / 218 = 1,29; Alice axe 1 150 j = 0,69; Bruno axe 1 60 j = 0,28,
      axe 2 70,5 j = 0,32; Bruno 130,5 j planned > 109 j capacity (0,5 ETP) → over;
      indicators 1 reached of 3; one late deliverable (due 10 days ago, not done).
    """
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        ref = ensure_reference(s)
        region = s.get(Region, dash["ids"]["region"])
        alice = team.save_member(s, None, team.MemberData(
            full_name="Alice Martin", function="Chargée de mission", contract_etp=Decimal("1"),
            status=MemberStatus.SALARIE, start_date=date(2020, 1, 1)))
        bruno = team.save_member(s, None, team.MemberData(
            full_name="Bruno Petit", function="Chargé d'études", contract_etp=Decimal("0.5"),
            status=MemberStatus.MIS_A_DISPOSITION, seconded_by="Mission locale du Libournais",
            start_date=date(2020, 1, 1)))
        prog = svc.create_programme(s, None, region, svc.ProgrammeData(
            title=f"Programme {YEAR}", year=YEAR))
        svc.transition(s, None, prog, "soumis")

        def action(code, title, status=ActionStatus.PREVUE, reason=""):
            return svc.create_action(s, None, prog, svc.ActionData(
                objective_id=ref[code], title=title, start_date=date(YEAR, 1, 1),
                end_date=date(YEAR, 12, 31), status=status, status_reason=reason,
                pilot_id=alice.id))

        a1 = action("1.1", "Rencontres emploi", ActionStatus.REALISEE)
        a2 = action("1.1", "Ateliers formation", ActionStatus.EN_COURS)
        a3 = action("2.2", "Journées réseau")
        a4 = action("3.1", "Conférence des financeurs", ActionStatus.ABANDONNEE,
                    "Reportée à l'initiative de la DREETS")
        a5 = action("2.2", "Annuaire du réseau", ActionStatus.REALISEE)
        a6 = action("2.1", "Parcours de formation", ActionStatus.REALISEE)
        assert a4.id

        def budget(a, category, planned, actual=None):
            items.save_item(s, None, a, items.BudgetLineData(
                category=category, planned=Decimal(planned),
                actual=Decimal(actual) if actual is not None else None))

        budget(a1, BudgetCategory.PERSONNEL, "1000.50", "800")
        budget(a1, BudgetCategory.PRESTATIONS, "2000")
        budget(a2, BudgetCategory.DEPLACEMENTS, "500", "250.25")
        budget(a3, BudgetCategory.COMMUNICATION, "1200", "1200")
        budget(a6, BudgetCategory.AUTRES, "300")

        def time(a, member, planned, actual=None):
            items.save_item(s, None, a, items.AllocationData(
                member_id=member.id, planned_days=Decimal(planned),
                actual_days=Decimal(actual) if actual is not None else None))

        time(a1, alice, "100", "90")
        time(a1, bruno, "60", "60")
        time(a2, alice, "50")
        time(a3, bruno, "70.5")

        for a, target, achieved in ((a1, "10", "12"), (a2, "5", "3"), (a5, "1", None)):
            items.save_item(s, None, a, items.IndicatorData(
                name="Participants", unit="participants", target=Decimal(target),
                achieved=Decimal(achieved) if achieved is not None else None))

        items.save_item(s, None, a2, items.DeliverableData(
            title="Compte rendu des ateliers", due_date=TODAY - timedelta(days=10)))
        items.save_item(s, None, a1, items.DeliverableData(
            title="Guide des rencontres", due_date=TODAY - timedelta(days=20),
            done_date=TODAY - timedelta(days=25)))
        items.save_item(s, None, a3, items.DeliverableData(
            title="Programme des journées", due_date=TODAY + timedelta(days=30)))

        # Last year's programme: smaller, to check the selector switches figures.
        old = svc.create_programme(s, None, region, svc.ProgrammeData(
            title=f"Programme {YEAR - 1}", year=YEAR - 1))
        old_action = svc.create_action(s, None, old, svc.ActionData(
            objective_id=ref["3.2"], title="Tableau de bord d'activité",
            start_date=date(YEAR - 1, 3, 1), end_date=date(YEAR - 1, 6, 30),
            status=ActionStatus.REALISEE))
        items.save_item(s, None, old_action, items.BudgetLineData(
            category=BudgetCategory.PRESTATIONS, planned=Decimal("999"), actual=Decimal("999")))
        s.commit()
        return {"current": prog.id, "old": old.id}


# ---------------------------------------------------------------- helpers
def chart(at: AppTest, key: str) -> dict[str, dict]:
    """{trace name: {x: y}} of the plotly chart with this ``key=``."""
    found = [c for c in plotly_charts(at) if c.proto.id.endswith(key)]
    assert len(found) == 1, [c.proto.id for c in plotly_charts(at)]
    spec = json.loads(found[0].proto.spec)
    assert spec["layout"]["separators"] == ", "
    return {trace["name"]: dict(zip(_array(trace["x"]), _array(trace["y"]), strict=True))
            for trace in spec["data"]}


def rounded(traces: dict[str, dict]) -> dict[str, dict]:
    return {name: {x: round(y, 2) for x, y in values.items()} for name, values in traces.items()}


def table_with(at: AppTest, column: str):
    found = [df.value for df in at.dataframe if column in df.value.columns]
    assert len(found) == 1, [list(df.value.columns) for df in at.dataframe]
    return found[0]


def plain_metrics(at: AppTest) -> dict[str, str]:
    return {label: _plain(value) for label, value in metrics(at).items()}


def all_text(at: AppTest) -> str:
    parts = texts(at.markdown) + texts(at.caption) + texts(at.info) + texts(at.warning) \
        + texts(at.success) + texts(at.error)
    return _plain("\n".join(parts))


def open_programme(dash, role: str) -> AppTest:
    at = signed_in(dash, role)
    run(at.switch_page(PROGRAMME))
    assert "Programme régional d'animation" in texts(at.title)
    return at


EXPECTED_METRICS = {
    "Actions": "6",
    "Actions réalisées": "60 %",
    "Indicateurs atteints": "1 sur 3",
    "Budget consommé": "45 %",
    "Jours consommés": "53 %",
    "Budget prévu": "5 000,50 €",
    "Budget réalisé": "2 250,25 €",
    "Jours prévus": "280,5",
    "ETP prévus": "1,29",
    "Livrables en retard": "1",
}


# ---------------------------------------------------------------- readers
@pytest.mark.parametrize("role", ["admin", "copil"])
def test_readers_see_figures_and_charts(app, dash, role):
    ids = build_programme(app, dash)
    at = open_programme(dash, role)

    # The current year's programme is selected by default, with its status.
    assert at.selectbox(key="programme_id").value == ids["current"]
    assert "Soumis au copil" in all_text(at)
    assert plain_metrics(at) == EXPECTED_METRICS
    # The ETP convention is stated on the page.
    assert "1 ETP = 1 607 heures = 218 jours" in all_text(at)

    # (a) share of actions done per objective, one trace per axis; 3.1 has only an
    # abandoned action and is not charted.
    assert chart(at, "chart_progress") == {
        "Axe 1": {"1.1": 50.0}, "Axe 2": {"2.1": 100.0, "2.2": 50.0}}
    # (b) budget planned vs actual per axis, in euros (floats only in the chart).
    assert chart(at, "chart_budget") == {
        "Prévu": {"Axe 1": 3500.5, "Axe 2": 1500.0, "Axe 3": 0.0},
        "Réalisé": {"Axe 1": 1050.25, "Axe 2": 1200.0, "Axe 3": 0.0}}
    # (c) ETP per axis stacked by member (days / 218).
    assert rounded(chart(at, "chart_etp")) == {
        "Alice Martin": {"Axe 1": 0.69}, "Bruno Petit": {"Axe 1": 0.28, "Axe 2": 0.32}}


def test_team_load_flags_over_allocated_member(app, dash):
    build_programme(app, dash)
    at = open_programme(dash, "copil")
    team = table_with(at, "Dépassement")
    rows = {r["Membre"]: {k: _plain(str(v)) for k, v in r.items()}
            for r in team.to_dict("records")}
    assert rows["Alice Martin"] == {
        "Membre": "Alice Martin", "Fonction": "Chargée de mission", "Capacité (jours)": "218",
        "Jours prévus": "150", "Jours réalisés": "90", "ETP prévus": "0,69", "Charge": "69 %",
        "Actions": "2", "Dépassement": "non"}
    assert rows["Bruno Petit"]["Capacité (jours)"] == "109"
    assert rows["Bruno Petit"]["Jours prévus"] == "130,5"
    assert rows["Bruno Petit"]["ETP prévus"] == "0,60"
    assert rows["Bruno Petit"]["Charge"] == "120 %"
    assert rows["Bruno Petit"]["Dépassement"] == "oui"
    warnings = _plain(" ".join(texts(at.warning)))
    assert "Bruno Petit (130,5 jours prévus pour 109 jours de capacité)" in warnings
    assert "Alice Martin" not in warnings


def test_late_deliverables_are_listed(app, dash):
    build_programme(app, dash)
    at = open_programme(dash, "admin")
    late = table_with(at, "Livrable")
    assert late["Livrable"].tolist() == ["Compte rendu des ateliers"]
    assert late["Action"].tolist() == ["Ateliers formation"]
    assert late["Objectif"].tolist() == ["1.1"]
    assert late["Pilote"].tolist() == ["Alice Martin"]
    assert late["Retard"].tolist() == ["10 jours"]
    assert "Aucun livrable en retard" not in all_text(at)


def test_no_late_deliverable_is_said_so(app, dash):
    ids = build_programme(app, dash)
    at = open_programme(dash, "admin")
    at.selectbox(key="programme_id").select(ids["old"])
    run(at)
    assert "Aucun livrable en retard" in all_text(at)
    assert not [df for df in at.dataframe if "Livrable" in df.value.columns]


def test_selecting_another_year_switches_figures(app, dash):
    ids = build_programme(app, dash)
    at = open_programme(dash, "copil")
    at.selectbox(key="programme_id").select(ids["old"])
    run(at)
    assert "Brouillon" in all_text(at)
    m = plain_metrics(at)
    assert m["Actions"] == "1"
    assert m["Actions réalisées"] == "100 %"
    assert m["Budget prévu"] == "999,00 €"
    assert m["Jours consommés"] == "—"  # no time planned: nothing to measure
    assert chart(at, "chart_budget")["Prévu"] == {"Axe 1": 0.0, "Axe 2": 0.0, "Axe 3": 999.0}
    assert chart(at, "chart_progress") == {"Axe 3": {"3.2": 100.0}}
    # No time allocated that year: no ETP chart, and the page says why.
    assert not [c for c in plotly_charts(at) if c.proto.id.endswith("chart_etp")]
    assert "Aucun temps de l'équipe" in all_text(at)


def test_home_page_mentions_programme_to_readers(dash):
    at = signed_in(dash, "copil")
    assert "**Programme**" in " ".join(texts(at.markdown))


# ---------------------------------------------------------------- empty state
@pytest.mark.parametrize("role", ["admin", "copil"])
def test_no_programme_empty_state(dash, role):
    at = open_programme(dash, role)
    assert any("Aucun programme n'est encore saisi" in msg for msg in texts(at.info))
    assert any("application web, menu Programme" in msg for msg in texts(at.info))
    assert not plotly_charts(at)
    assert not at.metric
    assert not at.selectbox


# ---------------------------------------------------------------- other roles
@pytest.mark.parametrize("role", ["ml", "financeur"])
def test_ml_and_financeur_have_no_programme_page(app, dash, role):
    build_programme(app, dash)
    at = signed_in(dash, role)
    assert "**Programme**" not in " ".join(texts(at.markdown))
    with pytest.raises(ValueError, match="navigation page"):
        at.switch_page(PROGRAMME)
    at._page_hash = calc_hash("programme")  # forcing /programme lands on the home page
    run(at)
    assert texts(at.title) == ["Tableaux de bord"]
    assert not plotly_charts(at)
    assert not at.metric


@pytest.mark.parametrize("role", ["ml", "financeur"])
def test_programme_page_refuses_other_roles_when_run_directly(app, dash, role):
    from dashboard.auth import Principal

    build_programme(app, dash)
    at = AppTest.from_file(str(DASHBOARD / PROGRAMME), default_timeout=TIMEOUT)
    at.session_state["principal"] = Principal(dash["ids"][role], "Quelqu'un", role,
                                              dash["ids"]["ml_a"] if role == "ml" else None)
    run(at)
    assert REFUSAL in texts(at.error)
    assert not plotly_charts(at)
    assert not at.metric
    assert not at.dataframe


@pytest.mark.parametrize("role", ["ml", "financeur"])
def test_cached_frames_refuse_other_roles(app, dash, role):
    """The data layer checks the policy too: a frame is never built for them."""
    from dashboard import data

    ids = build_programme(app, dash)
    with pytest.raises(PermissionDenied):
        data.programme_list(dash["ids"][role])
    with pytest.raises(PermissionDenied):
        data.programme_progress(dash["ids"][role], ids["current"])
    with pytest.raises(PermissionDenied):
        data.programme_late_deliverables(dash["ids"][role], ids["current"])
