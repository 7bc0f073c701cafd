"""The demo programmes: believable, consistent with the domain rules, idempotent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from models.councils.orm import Decision
from models.network.orm import MissionLocale
from models.programme import queries
from models.programme.enums import ActionStatus, MemberStatus, ProgrammeStatus
from models.programme.orm import (
    Action,
    ActionAmendment,
    ActionMissionLocale,
    BudgetLine,
    CopilMeeting,
    Deliverable,
    Objective,
    ProgrammeTransition,
    StaffAllocation,
    TeamMember,
)
from seeds.demo import DEMO_ML_CODE, build_demo
from webapp.extensions import db

TODAY = date(2026, 11, 23)
TABLES = (Action, ActionMissionLocale, ActionAmendment, BudgetLine, Decision,
          CopilMeeting, Deliverable, ProgrammeTransition, StaffAllocation, TeamMember)


@pytest.fixture
def session(demo_app):
    """Overrides conftest's: the demo is built once per module and backend (``demo_app``)."""
    with demo_app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def demo(session):
    return {p.year: p for p in queries.programmes(session)}


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _ml_id(session, code: str) -> int:
    return session.scalars(select(MissionLocale.id).where(MissionLocale.code == code)).one()


def check_workflow(session, demo):
    assert set(demo) == {2025, 2026}
    last, this = demo[2025], demo[2026]
    assert ProgrammeStatus(last.status) is ProgrammeStatus.CLOTURE
    assert ProgrammeStatus(this.status) is ProgrammeStatus.EN_COURS
    assert [(t.from_status, t.to_status) for t in last.transitions] == [
        ("brouillon", "soumis"), ("soumis", "valide"), ("valide", "en_cours"),
        ("en_cours", "cloture")]
    assert all(t.comment for t in last.transitions)
    assert [t.to_status for t in this.transitions] == ["soumis", "valide", "en_cours"]
    assert this.etp_days == 218 and last.etp_days == 218


def check_objectives(session, demo):
    counts = {year: len(p.actions) for year, p in demo.items()}
    assert 35 <= sum(counts.values()) <= 50
    all_codes = set(session.scalars(select(Objective.code)))
    assert len(all_codes) == 10
    for programme in demo.values():
        assert {a.objective.code for a in programme.actions} == all_codes


def check_statuses(session, demo):
    last = [ActionStatus(a.status) for a in demo[2025].actions]
    assert set(last) <= {ActionStatus.REALISEE, ActionStatus.REPORTEE, ActionStatus.ABANDONNEE}
    assert last.count(ActionStatus.REALISEE) > len(last) // 2
    this = [ActionStatus(a.status) for a in demo[2026].actions]
    assert this.count(ActionStatus.REPORTEE) == 1 and this.count(ActionStatus.ABANDONNEE) == 1
    assert 1 <= this.count(ActionStatus.PREVUE) <= 4
    assert this.count(ActionStatus.REALISEE) + this.count(ActionStatus.EN_COURS) > len(this) // 2
    for programme in demo.values():
        for action in programme.actions:
            if ActionStatus(action.status).needs_reason:
                assert action.status_reason
    # every 2025 action has its actuals
    for action in demo[2025].actions:
        assert all(b.actual is not None for b in action.budget_lines)
        assert all(a.actual_days is not None for a in action.allocations)


def check_budgets(session, demo):
    for programme in demo.values():
        total = queries.overview(session, programme, TODAY).total
        assert Decimal("150000") <= total.planned <= Decimal("400000")
        cats = {c for _, c, _, _ in queries.budget_by_axis_and_category(session, programme)}
        assert cats == {"personnel", "prestations", "deplacements", "communication", "autres"}
        for action in programme.actions:
            for line in action.budget_lines:
                assert isinstance(line.planned, Decimal)


def check_team(session, demo):
    members = session.scalars(select(TeamMember)).all()
    assert len(members) == 3
    seconded = [m for m in members if m.status == MemberStatus.MIS_A_DISPOSITION]
    assert len(seconded) == 1 and seconded[0].seconded_by
    over_2026 = [load.member.full_name for load in queries.member_loads(session, demo[2026])
                 if load.over]
    assert over_2026 == ["Thomas Bellocq"]
    assert not [load for load in queries.member_loads(session, demo[2025]) if load.over]


def check_deliverables(session, demo):
    late_2026 = queries.overview(session, demo[2026], TODAY).total.late_deliverables
    assert 3 <= late_2026 <= 5
    assert queries.overview(session, demo[2025], TODAY).total.late_deliverables == 0
    indicators = queries.overview(session, demo[2026], TODAY).total
    assert 0 < indicators.reached < indicators.indicators


def check_missions_locales(session, demo):
    def involved(programme, code):
        return session.scalar(
            select(func.count()).select_from(ActionMissionLocale).join(Action)
            .where(Action.programme_id == programme.id,
                   ActionMissionLocale.mission_locale_id == _ml_id(session, code)))

    assert 4 <= involved(demo[2026], DEMO_ML_CODE) <= 6
    assert involved(demo[2025], DEMO_ML_CODE) >= 1
    assert involved(demo[2026], "64001") >= 2


def check_copil(session, demo):
    for programme in demo.values():
        meetings = queries.meetings(session, programme)
        assert 2 <= len(meetings) <= 3
        validation = session.scalars(
            select(Decision).join(Decision.transition)
            .where(ProgrammeTransition.programme_id == programme.id,
                   ProgrammeTransition.to_status == ProgrammeStatus.VALIDE)).one()
        assert validation.copil_meeting.programme_id == programme.id
        assert any("DREETS" in p for p in validation.copil_meeting.participants)
    amendments = queries.amendments(session, demo[2026])
    kinds = {a.kind for a in amendments if a.reason}
    assert kinds == {"ajout", "modification"}
    assert not queries.amendments(session, demo[2025])


# Building the demo takes a few seconds: the checks share one build per test.
def test_programmes_workflow_actions_and_statuses(session, demo):
    check_workflow(session, demo)
    check_objectives(session, demo)
    check_statuses(session, demo)


def test_budgets_team_deliverables_and_missions_locales(session, demo):
    check_budgets(session, demo)
    check_team(session, demo)
    check_deliverables(session, demo)
    check_missions_locales(session, demo)


def test_copil_amendments_and_second_build_adds_nothing(session, demo):
    check_copil(session, demo)
    before = {model.__name__: _count(session, model) for model in TABLES}
    build_demo(session)
    session.commit()
    assert {model.__name__: _count(session, model) for model in TABLES} == before
