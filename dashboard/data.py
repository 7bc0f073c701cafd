"""Database access for the dashboard: one engine per URL, DataFrames in the cache.

ORM objects never enter ``st.cache_data``: queries from ``models/`` are turned
into DataFrames first.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pandas as pd
import streamlit as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import models  # noqa: F401  (registers tables and the audit listener)
from models import clock, policy
from models.accounts.orm import User
from models.database import make_engine, make_sessionmaker, transaction
from models.errors import PermissionDenied
from models.funding import queries as fund_queries
from models.funding.enums import ConventionStatus, ConventionType
from models.funding.plan import cofinancing_plan
from models.funding.rules import percent_of
from models.network.orm import MissionLocale
from models.network.queries import missions_by_departement, missions_locales_stmt
from models.programme import queries as prog_queries
from models.programme.enums import ProgrammeStatus
from models.programme.orm import Programme
from models.programme.rules import days_to_etp
from models.settings import database_url
from models.training.orm import TrainingSession
from models.training.stats import Period, TrainingStats, training_stats


@st.cache_resource
def engine(url: str) -> Engine:
    return make_engine(url)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A unit of work on the shared database: commit once, roll back on error."""
    with transaction(make_sessionmaker(engine(database_url()))) as session:
        session.info["via"] = "dashboard"
        yield session


@st.cache_data(ttl=60, show_spinner=False)
def network_by_departement(user_id: int) -> pd.DataFrame:
    with session_scope() as session:
        user = session.get(User, user_id)
        rows = missions_by_departement(session, user)
    return pd.DataFrame(
        [{"Département": r.label, "code": r.departement, "Actives": r.active,
          "Inactives": r.inactive} for r in rows],
        columns=["Département", "code", "Actives", "Inactives"],
    )


@st.cache_data(ttl=60, show_spinner=False)
def network_table(user_id: int) -> pd.DataFrame:
    with session_scope() as session:
        user = session.get(User, user_id)
        stmt = missions_locales_stmt(user)
        mls = session.scalars(stmt.order_by(MissionLocale.name)).all()
        rows = [{"Code": ml.code, "Mission locale": ml.name, "Département": ml.departement,
                 "Siège": ml.commune, "Direction": ml.director_name or "",
                 "Active": "oui" if ml.active else "non"} for ml in mls]
    return pd.DataFrame(rows, columns=["Code", "Mission locale", "Département", "Siège",
                                       "Direction", "Active"])


# ---------------------------------------------------------------- programme
# Every frame below is keyed by (user_id, programme_id): the user is re-read and the
# policy re-checked inside the cached function, so a cached frame is never served
# to someone the policy would refuse. Money and days stay Decimal in these frames
# (the page formats them through models.formatting); only charts turn them into floats.

PROGRAMME_COLUMNS = ["id", "year", "title", "status", "status_label", "etp_hours", "etp_days",
                     "current"]
PROGRESS_COLUMNS = ["axis", "axis_title", "code", "objective", "actions", "done", "abandoned",
                    "late", "indicators", "reached", "planned", "actual", "planned_days",
                    "actual_days", "late_deliverables"]
DAYS_COLUMNS = ["axis", "member", "planned_days", "actual_days", "planned_etp"]
LOAD_COLUMNS = ["member", "function", "capacity_days", "planned_days", "actual_days",
                "planned_etp", "actions", "load_rate", "over"]
LATE_COLUMNS = ["due_date", "deliverable", "action", "objective", "pilot", "days_late"]


def _overview_reader(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if not policy.can(user, "programme.overview"):
        raise PermissionDenied()
    return user


def _programme(session: Session, user_id: int, programme_id: int) -> tuple[User, Programme]:
    user = _overview_reader(session, user_id)
    programme = session.get(Programme, programme_id)
    if programme is None:
        raise LookupError(f"Programme {programme_id} introuvable.")
    return user, programme


@st.cache_data(ttl=60, show_spinner=False)
def programme_list(user_id: int) -> pd.DataFrame:
    """Every programme, most recent year first; ``current`` marks the one to open first."""
    with session_scope() as session:
        _overview_reader(session, user_id)
        current = prog_queries.current_programme(session, clock.today())
        rows = [{"id": p.id, "year": p.year, "title": p.title, "status": str(p.status),
                 "status_label": ProgrammeStatus(p.status).label, "etp_hours": p.etp_hours,
                 "etp_days": p.etp_days, "current": current is not None and p.id == current.id}
                for p in prog_queries.programmes(session)]
    return pd.DataFrame(rows, columns=PROGRAMME_COLUMNS)


@st.cache_data(ttl=60, show_spinner=False)
def programme_progress(user_id: int, programme_id: int) -> pd.DataFrame:
    """One row per objective (every objective, grouped by axis) of ``queries.overview``."""
    with session_scope() as session:
        _, programme = _programme(session, user_id, programme_id)
        view = prog_queries.overview(session, programme, clock.today())
        rows = []
        for ap in view.axes:
            for op in ap.objectives:
                p = op.progress
                rows.append({
                    "axis": ap.axis.number, "axis_title": ap.axis.title,
                    "code": op.objective.code, "objective": op.objective.title,
                    "actions": p.actions, "done": p.done, "abandoned": p.abandoned,
                    "late": p.late, "indicators": p.indicators, "reached": p.reached,
                    "planned": p.planned, "actual": p.actual, "planned_days": p.planned_days,
                    "actual_days": p.actual_days, "late_deliverables": p.late_deliverables,
                })
    return pd.DataFrame(rows, columns=PROGRESS_COLUMNS)


@st.cache_data(ttl=60, show_spinner=False)
def programme_days(user_id: int, programme_id: int) -> pd.DataFrame:
    """Staff days per axis and team member, with the ETP under the programme's convention."""
    with session_scope() as session:
        _, programme = _programme(session, user_id, programme_id)
        rows = [{"axis": axis, "member": name, "planned_days": planned, "actual_days": actual,
                 "planned_etp": days_to_etp(planned, programme.etp_days)}
                for axis, name, planned, actual
                in prog_queries.days_by_axis_and_member(session, programme)]
    return pd.DataFrame(rows, columns=DAYS_COLUMNS)


@st.cache_data(ttl=60, show_spinner=False)
def programme_team_load(user_id: int, programme_id: int) -> pd.DataFrame:
    """``queries.member_loads``: capacity in the programme's year against planned days."""
    with session_scope() as session:
        _, programme = _programme(session, user_id, programme_id)
        rows = [{"member": load.member.full_name, "function": load.member.function,
                 "capacity_days": load.capacity_days, "planned_days": load.planned_days,
                 "actual_days": load.actual_days, "planned_etp": load.planned_etp,
                 "actions": load.actions, "load_rate": load.load_rate, "over": load.over}
                for load in prog_queries.member_loads(session, programme)]
    return pd.DataFrame(rows, columns=LOAD_COLUMNS)


@st.cache_data(ttl=60, show_spinner=False)
def programme_late_deliverables(user_id: int, programme_id: int) -> pd.DataFrame:
    """Deliverables past their due date and not done, oldest first."""
    today = clock.today()
    with session_scope() as session:
        user, programme = _programme(session, user_id, programme_id)
        rows = [{"due_date": d.due_date, "deliverable": d.title, "action": d.action.title,
                 "objective": d.action.objective.code,
                 "pilot": d.action.pilot.full_name if d.action.pilot else "",
                 "days_late": (today - d.due_date).days}
                for d in prog_queries.late_deliverables(session, user, programme, today)]
    return pd.DataFrame(rows, columns=LATE_COLUMNS)


# ---------------------------------------------------------------- funding
# Policy ``funding.plan`` (team and copil): these frames show every funder's amounts, so
# a financeur never gets them, even by calling the function. Money stays Decimal.

FUNDING_PLAN_COLUMNS = ["axis", "action", "funder", "funder_type", "type_label", "amount"]
FUNDING_AXIS_COLUMNS = ["axis", "axis_title", "budget", "funded", "unassigned", "to_fix",
                        "tolerance"]
CONVENTION_COLUMNS = ["id", "reference", "funder", "type_label", "in_kind", "status",
                      "status_label", "amount", "received", "remaining_due", "late_instalments",
                      "executed", "execution_rate"]
CASHFLOW_COLUMNS = ["month", "expected", "received", "expected_cumulative",
                    "received_cumulative"]
UPCOMING_COLUMNS = ["due_date", "kind", "label", "reference", "funder", "amount", "late"]


def _plan_reader(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if not policy.can(user, "funding.plan"):
        raise PermissionDenied()
    return user


def _funded_programme(session: Session, user_id: int, programme_id: int
                      ) -> tuple[User, Programme]:
    user = _plan_reader(session, user_id)
    programme = session.get(Programme, programme_id)
    if programme is None:
        raise LookupError(f"Programme {programme_id} introuvable.")
    return user, programme


@st.cache_data(ttl=60, show_spinner=False)
def funding_programme_list(user_id: int) -> pd.DataFrame:
    """The programmes whose funding can be shown, most recent first (``current`` first open)."""
    with session_scope() as session:
        _plan_reader(session, user_id)
        current = prog_queries.current_programme(session, clock.today())
        rows = [{"id": p.id, "year": p.year, "title": p.title, "status": str(p.status),
                 "status_label": ProgrammeStatus(p.status).label, "etp_hours": p.etp_hours,
                 "etp_days": p.etp_days, "current": current is not None and p.id == current.id}
                for p in prog_queries.programmes(session)]
    return pd.DataFrame(rows, columns=PROGRAMME_COLUMNS)


@st.cache_data(ttl=60, show_spinner=False)
def funding_plan(user_id: int, programme_id: int) -> pd.DataFrame:
    """The co-financing plan flattened: one row per (action, funder) amount; an axis's
    global funding that no budgeted action can take has ``action`` empty."""
    with session_scope() as session:
        _, programme = _funded_programme(session, user_id, programme_id)
        plan = cofinancing_plan(session, programme)
        funders = {f.id: f for f in plan.funders}
        rows = []
        for axis in plan.axes:
            cells = [(line.title, line.by_funder) for line in axis.lines]
            cells.append(("", axis.unassigned))
            for action, amounts in cells:
                for funder_id, amount in amounts.items():
                    f = funders[funder_id]
                    rows.append({"axis": axis.number, "action": action, "funder": f.name,
                                 "funder_type": str(f.type), "type_label": f.type.label,
                                 "amount": amount})
    return pd.DataFrame(rows, columns=FUNDING_PLAN_COLUMNS)


@st.cache_data(ttl=60, show_spinner=False)
def funding_plan_axes(user_id: int, programme_id: int) -> pd.DataFrame:
    """Budget and funding per axis (every axis), with what makes the plan unbalanced."""
    with session_scope() as session:
        _, programme = _funded_programme(session, user_id, programme_id)
        plan = cofinancing_plan(session, programme)
        rows = [{"axis": a.number, "axis_title": a.title, "budget": a.budget,
                 "funded": a.funded, "unassigned": sum(a.unassigned.values(), Decimal("0.00")),
                 "to_fix": sum(1 for line in a.lines if not line.balanced) + bool(a.unassigned),
                 "tolerance": plan.tolerance_percent}
                for a in plan.axes]
    return pd.DataFrame(rows, columns=FUNDING_AXIS_COLUMNS)


@st.cache_data(ttl=60, show_spinner=False)
def funding_conventions(user_id: int, year: int) -> pd.DataFrame:
    """Every convention covering ``year``: amount, received, due, late instalments, execution.

    Late instalments and what remains due count signed conventions only (a convention in
    preparation owes nothing yet); in-kind secondments are never paid, so never due.
    """
    today = clock.today()
    with session_scope() as session:
        user = _plan_reader(session, user_id)
        conventions = fund_queries.year_conventions(session, user, year)
        executed = fund_queries.execution_by_convention(session, [c for c, _ in conventions])
        rows = []
        for c, received in conventions:
            kind, status = ConventionType(c.type), ConventionStatus(c.status)
            where = fund_queries.position(c, today)
            rows.append({
                "id": c.id, "reference": c.reference, "funder": c.funder.name,
                "type_label": kind.label, "in_kind": kind.in_kind, "status": str(status),
                "status_label": status.label, "amount": c.amount, "received": received,
                "remaining_due": where.remaining_due,
                "late_instalments": where.late_instalments,
                "executed": executed.get(c.id, Decimal("0.00")),
                "execution_rate": percent_of(executed.get(c.id, Decimal("0.00")), c.amount),
            })
    return pd.DataFrame(rows, columns=CONVENTION_COLUMNS)


@st.cache_data(ttl=60, show_spinner=False)
def funding_cashflow(user_id: int, year: int) -> pd.DataFrame:
    """Twelve months of ``year``: instalments expected by due date against payments received
    by date, monthly and cumulated, for conventions that owe cash."""
    with session_scope() as session:
        user = _plan_reader(session, user_id)
        conventions = [c for c, _ in fund_queries.year_conventions(session, user, year)]
        rows = [vars(m) for m in fund_queries.cashflow(conventions, year, clock.today())]
    return pd.DataFrame(rows, columns=CASHFLOW_COLUMNS)


@st.cache_data(ttl=60, show_spinner=False)
def funding_upcoming(user_id: int, days: int = 90) -> pd.DataFrame:
    """Payments expected and reports due in the next ``days`` days, plus everything overdue."""
    with session_scope() as session:
        user = _plan_reader(session, user_id)
        rows = [{"due_date": d.due_date, "kind": d.kind, "label": d.label,
                 "reference": d.reference, "funder": d.funder_name, "amount": d.amount,
                 "late": d.late}
                for d in fund_queries.upcoming(session, user, clock.today(), days)]
    return pd.DataFrame(rows, columns=UPCOMING_COLUMNS)


# ---------------------------------------------------------------- training
# Policy ``training.stats`` (team and copil): the figures name every mission locale, so an
# ml account never gets them, even by calling the function. Hours and rates stay Decimal.

TRAINING_SUMMARY_COLUMNS = ["sessions_held", "sessions_planned", "held_without_attendance",
                            "trainees", "trainee_days", "trainee_hours", "confirmed",
                            "capacity", "fill_rate", "no_show_rate", "answers", "satisfaction"]
TRAINING_MONTH_COLUMNS = ["month", "sessions", "trainees", "days", "hours"]
TRAINING_SESSION_COLUMNS = ["id", "title", "start_date", "status", "status_label", "capacity",
                            "confirmed", "fill_rate", "attendees", "no_shows", "hours"]
PARTICIPATION_COLUMNS = ["key", "label", "registrations", "trainees", "days", "hours"]
SATISFACTION_COLUMNS = ["training", "answers", "overall", "objectives_met", "trainer",
                        "organisation"]
BPF_COLUMNS = ["funder", "sessions", "trainees", "days", "hours"]


def _training_stats(session: Session, user_id: int, year: int) -> TrainingStats:
    user = session.get(User, user_id)
    if not policy.can(user, "training.stats"):
        raise PermissionDenied()
    return training_stats(session, Period.year(year))


@st.cache_data(ttl=60, show_spinner=False)
def training_years(user_id: int) -> list[int]:
    """Years with at least one session, most recent first (the current year always)."""
    with session_scope() as session:
        user = session.get(User, user_id)
        if not policy.can(user, "training.stats"):
            raise PermissionDenied()
        years = {d.year for d in session.scalars(select(TrainingSession.start_date))}
    return sorted(years | {clock.today().year}, reverse=True)


@st.cache_data(ttl=60, show_spinner=False)
def training_summary(user_id: int, year: int) -> pd.DataFrame:
    """One row: the year's headline figures (``models.training.stats``)."""
    with session_scope() as session:
        stats = _training_stats(session, user_id, year)
        sat = stats.satisfaction
        row = {"sessions_held": stats.sessions_held, "sessions_planned": stats.sessions_planned,
               "held_without_attendance": stats.held_without_attendance,
               "trainees": stats.trainees, "trainee_days": stats.trainee_days,
               "trainee_hours": stats.trainee_hours, "confirmed": stats.confirmed,
               "capacity": stats.capacity, "fill_rate": stats.fill_rate,
               "no_show_rate": stats.no_show_rate, "answers": sat.answers,
               "satisfaction": sat.overall}
    return pd.DataFrame([row], columns=TRAINING_SUMMARY_COLUMNS)


@st.cache_data(ttl=60, show_spinner=False)
def training_months(user_id: int, year: int) -> pd.DataFrame:
    """Twelve rows: held sessions, trainees (distinct people), days and hours per month."""
    with session_scope() as session:
        rows = [{"month": m.key, "sessions": m.sessions, "trainees": m.trainees,
                 "days": m.days, "hours": m.hours}
                for m in _training_stats(session, user_id, year).by_month()]
    return pd.DataFrame(rows, columns=TRAINING_MONTH_COLUMNS)


@st.cache_data(ttl=60, show_spinner=False)
def training_sessions(user_id: int, year: int) -> pd.DataFrame:
    """Every session of the year not cancelled, with its fill rate and attendance."""
    with session_scope() as session:
        rows = [{"id": s.id, "title": s.title, "start_date": s.start_date,
                 "status": str(s.status), "status_label": s.status.label,
                 "capacity": s.capacity, "confirmed": s.confirmed, "fill_rate": s.fill_rate,
                 "attendees": s.attendees, "no_shows": s.no_shows, "hours": s.hours}
                for s in _training_stats(session, user_id, year).sessions]
    return pd.DataFrame(rows, columns=TRAINING_SESSION_COLUMNS)


@st.cache_data(ttl=60, show_spinner=False)
def training_participation(user_id: int, year: int, by: str) -> pd.DataFrame:
    """Participation by mission locale (``by="ml"``) or by job (``by="job"``)."""
    with session_scope() as session:
        stats = _training_stats(session, user_id, year)
        lines = stats.by_mission_locale() if by == "ml" else stats.by_job()
        rows = [{"key": p.key, "label": p.label, "registrations": p.registrations,
                 "trainees": p.trainees, "days": p.days, "hours": p.hours} for p in lines]
    return pd.DataFrame(rows, columns=PARTICIPATION_COLUMNS)


@st.cache_data(ttl=60, show_spinner=False)
def training_satisfaction(user_id: int, year: int) -> pd.DataFrame:
    """Average answers (1 to 5) per training; anonymous by construction."""
    with session_scope() as session:
        rows = [{"training": s.label, "answers": s.answers, "overall": s.average("overall"),
                 "objectives_met": s.average("objectives_met"),
                 "trainer": s.average("trainer"), "organisation": s.average("organisation")}
                for s in _training_stats(session, user_id, year).satisfaction_by_training()]
    return pd.DataFrame(rows, columns=SATISFACTION_COLUMNS)


@st.cache_data(ttl=60, show_spinner=False)
def training_bpf(user_id: int, year: int) -> pd.DataFrame:
    """The BPF-style table: held sessions, trainees, days and hours by funder."""
    with session_scope() as session:
        rows = [{"funder": p.label, "sessions": p.sessions, "trainees": p.trainees,
                 "days": p.days, "hours": p.hours}
                for p in _training_stats(session, user_id, year).bpf()]
    return pd.DataFrame(rows, columns=BPF_COLUMNS)
