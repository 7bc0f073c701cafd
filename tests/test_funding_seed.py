"""The demo funding: believable, balanced, consistent with the funding rules, idempotent."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from models.accounts.orm import User
from models.funding import queries
from models.funding.enums import ConventionStatus, ConventionType, FunderType
from models.funding.orm import (
    Convention,
    Funder,
    FundingAllocation,
    Instalment,
    Payment,
    ReportingDeadline,
)
from models.funding.plan import cofinancing_plan, unbalanced_message
from models.funding.rules import split_by_percent
from models.programme import queries as programme_queries
from models.programme.enums import MemberStatus, ProgrammeStatus
from models.programme.orm import Action, Objective, TeamMember
from seeds.demo import build_demo
from webapp.extensions import db

TODAY = date(2026, 11, 23)
TABLES = (Funder, Convention, Instalment, Payment, ReportingDeadline, FundingAllocation)


@pytest.fixture
def session(demo_app):
    """Overrides conftest's: the demo is built once per module and backend (``demo_app``)."""
    with demo_app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def demo(session):
    return {p.year: p for p in programme_queries.programmes(session)}


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _conventions(session) -> list[Convention]:
    return list(session.scalars(select(Convention).order_by(Convention.reference)))


def _user(session, email: str) -> User:
    return session.scalars(select(User).where(User.email == email)).one()


def _of_type(session, kind: FunderType) -> list[Convention]:
    return [c for c in _conventions(session) if FunderType(c.funder.type) is kind]


def check_funders(session):
    funders = session.scalars(select(Funder)).all()
    assert 6 <= len(funders) <= 9
    types = {FunderType(f.type) for f in funders}
    assert {FunderType.ETAT, FunderType.FSE, FunderType.REGION, FunderType.BRANCHE,
            FunderType.MISSIONS_LOCALES, FunderType.FRANCE_TRAVAIL} <= types
    assert all(f.conventions for f in funders)
    financeur = _user(session, "financeur@demo.arml.fr")
    assert financeur.funder is not None
    assert FunderType(financeur.funder.type) is FunderType.REGION
    assert financeur.funder.contact_name == "Marion Castaing"
    # the financeur only sees the Région's conventions among the upcoming dues
    seen = {d.reference for d in queries.upcoming(session, financeur, TODAY)}
    assert seen and all(r.startswith("CRNA-") for r in seen)


def check_plans_balanced(session, demo):
    expected = {2025: Decimal("281680.00"), 2026: Decimal("343070.00")}
    for year, programme in demo.items():
        plan = cofinancing_plan(session, programme)
        assert plan.balanced, unbalanced_message(plan)
        assert plan.budget == expected[year]
        assert abs(plan.funded - plan.budget) <= plan.budget / 100
        assert len(plan.funders) >= 6
    assert ProgrammeStatus(demo[2025].status) is ProgrammeStatus.CLOTURE
    assert ProgrammeStatus(demo[2026].status) is ProgrammeStatus.EN_COURS


def check_dreets_and_region(session):
    dreets = _of_type(session, FunderType.ETAT)
    assert {c.first_year for c in dreets} == {2025, 2026}
    region = _of_type(session, FunderType.REGION)
    assert {c.first_year for c in region} == {2025, 2026}
    for convention in region:
        assert [i.percent for i in convention.instalments] == [Decimal(80), Decimal(20)]
        assert "dialogue de gestion" in convention.instalments[1].label
        # the 80 % advance is paid at signature, the balance is not yet
        advance, balance = queries.instalment_statuses(convention, TODAY)
        assert advance.remaining == 0 and balance.paid == 0


def check_fse(session, demo):
    fse = _of_type(session, FunderType.FSE)
    assert len(fse) == 1
    convention = fse[0]
    assert ConventionType(convention.type) is ConventionType.PROJET
    assert (convention.first_year, convention.last_year) == (2025, 2026)
    labels = " / ".join(d.label.lower() for d in convention.deadlines)
    assert "bilan intermédiaire" in labels and "bilan final" in labels
    years = {a.programme_id for a in convention.allocations}
    assert years == {demo[2025].id, demo[2026].id}
    axes = {a.action.objective.code[0] for a in convention.allocations}
    assert axes <= {"2", "3"}


def check_branche_funds_training(session):
    for convention in _of_type(session, FunderType.BRANCHE):
        codes = {a.action.objective.code for a in convention.allocations}
        assert codes and all(code.startswith("2.") for code in codes)
        titles = [a.action.title for a in convention.allocations]
        assert any(t.startswith("Programme régional de formation") for t in titles)


def check_in_kind(session):
    in_kind = [c for c in _conventions(session) if ConventionType(c.type).in_kind]
    assert in_kind and all(FunderType(c.funder.type) is FunderType.FRANCE_TRAVAIL
                           for c in in_kind)
    seconded = session.scalars(select(TeamMember).where(
        TeamMember.status == MemberStatus.MIS_A_DISPOSITION)).one()
    for convention in in_kind:
        assert not convention.payments and not convention.instalments
        assert convention.amount == Decimal(45000) * seconded.contract_etp


def check_axis_allocation(session):
    global_rows = session.scalars(select(FundingAllocation)
                                  .where(FundingAllocation.axis_id.is_not(None))).all()
    assert global_rows
    for row in global_rows:
        assert row.action_id is None
        assert FunderType(row.convention.funder.type) is FunderType.MISSIONS_LOCALES
        # the axis has budgeted actions to spread over: nothing stays unassigned
        actions = session.scalar(select(func.count()).select_from(Action)
                                 .join(Objective, Objective.id == Action.objective_id)
                                 .where(Action.programme_id == row.programme_id,
                                        Objective.axis_id == row.axis_id))
        assert actions >= 2


def check_amounts_consistent(session):
    for convention in _conventions(session):
        allocated = sum((a.amount for a in convention.allocations), Decimal(0))
        received = sum((p.amount for p in convention.payments), Decimal(0))
        assert isinstance(convention.amount, Decimal)
        assert allocated <= convention.amount, convention.reference
        assert received <= convention.amount, convention.reference
        assert all(p.received_on <= TODAY for p in convention.payments)
        if convention.instalments:
            assert sum(i.percent for i in convention.instalments) == Decimal(100)
            parts = split_by_percent(convention.amount,
                                     [i.percent for i in convention.instalments])
            for instalment, part in zip(convention.instalments, parts, strict=True):
                assert sum((p.amount for p in instalment.payments), Decimal(0)) <= part
        if ConventionStatus(convention.status) is ConventionStatus.SOLDEE:
            assert received == convention.amount


def check_late_and_upcoming(session):
    late = {c.reference: queries.convention_finance(session, c, TODAY).late_instalments
            for c in _conventions(session)}
    late = {ref: rows for ref, rows in late.items() if rows}
    assert len(late) >= 2
    assert any(ref.startswith("CRNA-2025") for ref in late)
    admin = _user(session, "admin@demo.arml.fr")
    dues = queries.upcoming(session, admin, TODAY)
    horizon = TODAY + timedelta(days=90)
    reports = [d for d in dues if d.kind == "rapport" and TODAY <= d.due_date <= horizon]
    payments = [d for d in dues if d.kind == "versement" and TODAY <= d.due_date <= horizon]
    assert len(reports) >= 3 and payments
    overdue = [d for d in dues if d.kind == "rapport" and d.late]
    assert len(overdue) == 1
    done = session.scalar(select(func.count()).select_from(ReportingDeadline)
                          .where(ReportingDeadline.done_date.is_not(None)))
    assert done >= 5


def check_execution(session):
    executed = queries.execution_by_convention(session, _conventions(session))
    rates = {c.reference: (c.last_year, executed[c.id] * 100 / c.amount)
             for c in _conventions(session)}
    closed = [rate for last, rate in rates.values() if last == 2025]
    assert closed and all(Decimal(80) <= rate <= Decimal(100) for rate in closed)
    running = [rate for last, rate in rates.values() if last == 2026]
    assert running and all(Decimal(0) < rate <= Decimal(100) for rate in running)
    assert sum(running) / len(running) < sum(closed) / len(closed)


# Building the demo takes a few seconds: the checks share one build per test.
def test_funders_plans_and_conventions(session, demo):
    check_funders(session)
    check_plans_balanced(session, demo)
    check_dreets_and_region(session)
    check_fse(session, demo)
    check_branche_funds_training(session)
    check_in_kind(session)
    check_axis_allocation(session)


def test_payments_deadlines_execution_and_second_build_adds_nothing(session, demo):
    check_amounts_consistent(session)
    check_late_and_upcoming(session)
    check_execution(session)
    before = {model.__name__: _count(session, model) for model in TABLES}
    build_demo(session)
    session.commit()
    assert {model.__name__: _count(session, model) for model in TABLES} == before
