"""Read side of the programme: lists, progress roll-ups, team load, timeline.

Aggregates are computed with one grouped query per measure (never a query
per action), then rolled up objective → axis → programme in Python.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from models.policy import scope_actions
from models.programme.enums import ActionStatus, BudgetCategory
from models.programme.orm import (
    Action,
    ActionAmendment,
    ActionMissionLocale,
    Axis,
    BudgetLine,
    CopilMeeting,
    Deliverable,
    Indicator,
    Objective,
    Programme,
    StaffAllocation,
    TeamMember,
)
from models.programme.rules import SETTLED, capacity_days, days_to_etp, ratio

ZERO = Decimal("0.00")


# ---------------------------------------------------------------- programmes
def programmes(session: Session) -> list[Programme]:
    return list(session.scalars(select(Programme).order_by(Programme.year.desc())))


def action_counts(session: Session) -> dict[int, int]:
    """Number of actions per programme id (one grouped query for the programme list)."""
    rows = session.execute(select(Action.programme_id, func.count()).group_by(Action.programme_id))
    return dict(rows.tuples().all())


def current_programme(session: Session, today: date) -> Programme | None:
    """This year's programme, else the most recent one before it, else the next one."""
    rows = programmes(session)
    for p in rows:
        if p.year == today.year:
            return p
    past = [p for p in rows if p.year < today.year]
    return past[0] if past else (rows[-1] if rows else None)


def objectives(session: Session) -> list[Objective]:
    stmt = select(Objective).join(Objective.axis).options(joinedload(Objective.axis))
    return list(session.scalars(stmt.order_by(Axis.number, Objective.code)))


def axes(session: Session) -> list[Axis]:
    stmt = select(Axis).options(selectinload(Axis.objectives)).order_by(Axis.number)
    return list(session.scalars(stmt))


def programme_actions(session: Session, programme_id: int) -> list[Action]:
    """A programme's actions in objective order (grids, timesheets)."""
    return list(session.scalars(
        select(Action).join(Action.objective).where(Action.programme_id == programme_id)
        .order_by(Objective.code, Action.title)))


def action_choices(session: Session, programme_id: int | None = None) -> list[tuple[int, str]]:
    """Form choices: ``2.1 — Title`` within one programme, ``2026 — Title`` across all."""
    if programme_id is not None:
        rows = session.execute(
            select(Action.id, Action.title, Objective.code).join(Action.objective)
            .where(Action.programme_id == programme_id).order_by(Objective.code, Action.title))
        return [(i, f"{code} — {title}") for i, title, code in rows]
    rows = session.execute(
        select(Action.id, Action.title, Programme.year)
        .join(Programme, Action.programme_id == Programme.id)
        .order_by(Programme.year.desc(), Action.title))
    return [(i, f"{year} — {title}") for i, title, year in rows]


def team(session: Session, *, year: int | None = None) -> list[TeamMember]:
    """Team members, those under contract during ``year`` when given."""
    stmt = select(TeamMember).order_by(TeamMember.full_name)
    if year is not None:
        stmt = stmt.where(TeamMember.start_date <= date(year, 12, 31),
                          or_(TeamMember.end_date.is_(None),
                              TeamMember.end_date >= date(year, 1, 1)))
    return list(session.scalars(stmt))


# ---------------------------------------------------------------- action list
#: A postponed or dropped action's open deliverables are not "late": they are not due.
OPEN_ACTION = Action.status.not_in([ActionStatus.ABANDONNEE, ActionStatus.REPORTEE])


def late_deliverable_exists(today: date):
    return exists().where(Deliverable.action_id == Action.id, Deliverable.done_date.is_(None),
                          Deliverable.due_date < today, OPEN_ACTION)


def actions_stmt(user: Any, programme_id: int, *, today: date, axis: int | None = None,
                 objective_id: int | None = None, status: str = "", pilot_id: int | None = None,
                 mission_locale_id: int | None = None, late: bool = False,
                 search: str = "") -> Select[tuple[Action]]:
    """Actions of a programme the user may see, filtered; joined to objective and pilot so
    the caller can sort on them."""
    stmt = (select(Action).join(Action.objective).join(Objective.axis)
            .outerjoin(Action.pilot)
            .where(Action.programme_id == programme_id)
            .options(joinedload(Action.objective), joinedload(Action.pilot),
                     selectinload(Action.deliverables)))
    stmt = scope_actions(stmt, user)
    if axis:
        stmt = stmt.where(Axis.number == axis)
    if objective_id:
        stmt = stmt.where(Action.objective_id == objective_id)
    if status in {s.value for s in ActionStatus}:
        stmt = stmt.where(Action.status == ActionStatus(status))
    if pilot_id:
        stmt = stmt.where(Action.pilot_id == pilot_id)
    if mission_locale_id:
        stmt = stmt.where(Action.id.in_(select(ActionMissionLocale.action_id).where(
            ActionMissionLocale.mission_locale_id == mission_locale_id)))
    if late:
        stmt = stmt.where(late_deliverable_exists(today))
    if search:
        pattern = f"%{search.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Action.title).like(pattern),
                              func.lower(Action.description).like(pattern)))
    return stmt


ACTION_SORTS = {
    "objectif": Objective.code,
    "intitule": Action.title,
    "debut": Action.start_date,
    "fin": Action.end_date,
    "statut": Action.status,
    "pilote": TeamMember.full_name,
}


# ---------------------------------------------------------------- progress
@dataclass
class Progress:
    """What the copil asks of any slice of the programme."""

    actions: int = 0
    done: int = 0
    abandoned: int = 0
    late: int = 0
    indicators: int = 0
    reached: int = 0
    planned: Decimal = ZERO
    actual: Decimal = ZERO
    planned_days: Decimal = ZERO
    actual_days: Decimal = ZERO
    late_deliverables: int = 0

    def add(self, other: Progress) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def done_rate(self) -> Decimal | None:
        """Share of actions done, abandoned ones left out of the count."""
        return ratio(self.done, self.actions - self.abandoned)

    @property
    def indicator_rate(self) -> Decimal | None:
        return ratio(self.reached, self.indicators)

    @property
    def budget_rate(self) -> Decimal | None:
        return ratio(self.actual, self.planned)

    @property
    def days_rate(self) -> Decimal | None:
        return ratio(self.actual_days, self.planned_days)


@dataclass
class ObjectiveProgress:
    objective: Objective
    progress: Progress


@dataclass
class AxisProgress:
    axis: Axis
    progress: Progress = field(default_factory=Progress)
    objectives: list[ObjectiveProgress] = field(default_factory=list)


@dataclass
class Overview:
    axes: list[AxisProgress]
    total: Progress


def _by_objective(session: Session, programme_id: int, today: date) -> dict[int, Progress]:
    result: dict[int, Progress] = defaultdict(Progress)
    in_programme = Action.programme_id == programme_id
    rows = session.execute(
        select(Action.objective_id,
               func.count(),
               func.sum(case((Action.status == ActionStatus.REALISEE, 1), else_=0)),
               func.sum(case((Action.status == ActionStatus.ABANDONNEE, 1), else_=0)),
               func.sum(case((and_(Action.status.not_in(list(SETTLED)),
                                   Action.end_date < today), 1), else_=0)))
        .where(in_programme).group_by(Action.objective_id))
    for obj_id, n, done, abandoned, late in rows:
        p = result[obj_id]
        p.actions, p.done = n, int(done or 0)
        p.abandoned, p.late = int(abandoned or 0), int(late or 0)
    rows = session.execute(
        select(Action.objective_id, func.count(),
               func.sum(case((Indicator.achieved >= Indicator.target, 1), else_=0)))
        .join(Indicator, Indicator.action_id == Action.id)
        .where(in_programme).group_by(Action.objective_id))
    for obj_id, n, reached in rows:
        result[obj_id].indicators, result[obj_id].reached = n, int(reached or 0)
    rows = session.execute(
        select(Action.objective_id, func.sum(BudgetLine.planned),
               func.sum(func.coalesce(BudgetLine.actual, 0)))
        .join(BudgetLine, BudgetLine.action_id == Action.id)
        .where(in_programme).group_by(Action.objective_id))
    for obj_id, planned, actual in rows:
        result[obj_id].planned, result[obj_id].actual = _dec(planned), _dec(actual)
    rows = session.execute(
        select(Action.objective_id, func.sum(StaffAllocation.planned_days),
               func.sum(func.coalesce(StaffAllocation.actual_days, 0)))
        .join(StaffAllocation, StaffAllocation.action_id == Action.id)
        .where(in_programme).group_by(Action.objective_id))
    for obj_id, planned, actual in rows:
        result[obj_id].planned_days, result[obj_id].actual_days = _dec(planned), _dec(actual)
    rows = session.execute(
        select(Action.objective_id, func.count())
        .join(Deliverable, Deliverable.action_id == Action.id)
        .where(in_programme, OPEN_ACTION, Deliverable.done_date.is_(None),
               Deliverable.due_date < today)
        .group_by(Action.objective_id))
    for obj_id, n in rows:
        result[obj_id].late_deliverables = n
    return result


def _dec(value: Any) -> Decimal:
    """SQLite returns sums of Numeric as float-free Decimal via SQLAlchemy, or None."""
    if value is None:
        return ZERO
    return Decimal(str(value)).quantize(Decimal("0.01"))


def overview(session: Session, programme: Programme, today: date) -> Overview:
    """Progress of the programme by axis and objective (every objective listed)."""
    by_obj = _by_objective(session, programme.id, today)
    total = Progress()
    result: list[AxisProgress] = []
    for axis in axes(session):
        ap = AxisProgress(axis)
        for obj in axis.objectives:
            p = by_obj.get(obj.id, Progress())
            ap.objectives.append(ObjectiveProgress(obj, p))
            ap.progress.add(p)
        total.add(ap.progress)
        result.append(ap)
    return Overview(result, total)


# ---------------------------------------------------------------- team load
@dataclass
class MemberLoad:
    member: TeamMember
    capacity_days: Decimal
    planned_days: Decimal
    actual_days: Decimal
    planned_etp: Decimal
    actions: int

    @property
    def over(self) -> bool:
        """Allocated beyond what the contract gives in the programme's year."""
        return self.planned_days > self.capacity_days

    @property
    def load_rate(self) -> Decimal | None:
        return ratio(self.planned_days, self.capacity_days)


def member_loads(session: Session, programme: Programme) -> list[MemberLoad]:
    sums = {
        member_id: (planned, actual, n)
        for member_id, planned, actual, n in session.execute(
            select(StaffAllocation.member_id, func.sum(StaffAllocation.planned_days),
                   func.sum(func.coalesce(StaffAllocation.actual_days, 0)), func.count())
            .join(Action, Action.id == StaffAllocation.action_id)
            .where(Action.programme_id == programme.id)
            .group_by(StaffAllocation.member_id))
    }
    members = {m.id: m for m in team(session, year=programme.year)}
    if sums:
        extra = set(sums) - set(members)
        for m in session.scalars(select(TeamMember).where(TeamMember.id.in_(extra))):
            members[m.id] = m
    loads = []
    for member in sorted(members.values(), key=lambda m: m.full_name):
        planned, actual, n = sums.get(member.id, (None, None, 0))
        planned_days = _dec(planned)
        loads.append(MemberLoad(
            member=member,
            capacity_days=capacity_days(member.contract_etp, member.start_date, member.end_date,
                                        programme.year, programme.etp_days),
            planned_days=planned_days, actual_days=_dec(actual),
            planned_etp=days_to_etp(planned_days, programme.etp_days), actions=n))
    return loads


def days_by_axis_and_member(session: Session, programme: Programme
                            ) -> list[tuple[int, str, Decimal, Decimal]]:
    """(axis number, member name, planned days, actual days) for charts and exports."""
    rows = session.execute(
        select(Axis.number, TeamMember.full_name, func.sum(StaffAllocation.planned_days),
               func.sum(func.coalesce(StaffAllocation.actual_days, 0)))
        .select_from(StaffAllocation)
        .join(Action, Action.id == StaffAllocation.action_id)
        .join(Objective, Objective.id == Action.objective_id)
        .join(Axis, Axis.id == Objective.axis_id)
        .join(TeamMember, TeamMember.id == StaffAllocation.member_id)
        .where(Action.programme_id == programme.id)
        .group_by(Axis.number, TeamMember.full_name)
        .order_by(Axis.number, TeamMember.full_name))
    return [(n, name, _dec(p), _dec(a)) for n, name, p, a in rows]


def budget_by_axis_and_category(session: Session, programme: Programme
                                ) -> list[tuple[int, BudgetCategory, Decimal, Decimal]]:
    rows = session.execute(
        select(Axis.number, BudgetLine.category, func.sum(BudgetLine.planned),
               func.sum(func.coalesce(BudgetLine.actual, 0)))
        .select_from(BudgetLine)
        .join(Action, Action.id == BudgetLine.action_id)
        .join(Objective, Objective.id == Action.objective_id)
        .join(Axis, Axis.id == Objective.axis_id)
        .where(Action.programme_id == programme.id)
        .group_by(Axis.number, BudgetLine.category)
        .order_by(Axis.number, BudgetLine.category))
    return [(n, BudgetCategory(c), _dec(p), _dec(a)) for n, c, p, a in rows]


# ---------------------------------------------------------------- deliverables, timeline
def late_deliverables(session: Session, user: Any, programme: Programme,
                      today: date) -> list[Deliverable]:
    stmt = (select(Deliverable).join(Deliverable.action)
            .where(Action.programme_id == programme.id, Deliverable.done_date.is_(None),
                   Deliverable.due_date < today, OPEN_ACTION)
            .options(joinedload(Deliverable.action).joinedload(Action.objective),
                     joinedload(Deliverable.action).joinedload(Action.pilot))
            .order_by(Deliverable.due_date, Deliverable.id))
    return list(session.scalars(scope_actions(stmt, user)))


@dataclass
class TimelineRow:
    action: Action
    months: set[int]
    late: bool


def timeline(session: Session, user: Any, programme: Programme, today: date,
             *, axis: int | None = None) -> list[TimelineRow]:
    """Each visible action with the months of the programme's year it spans."""
    stmt = actions_stmt(user, programme.id, today=today, axis=axis).order_by(
        Objective.code, Action.start_date, Action.id)
    rows = []
    for action in session.scalars(stmt).unique():
        months = set()
        for month in range(1, 13):
            first = date(programme.year, month, 1)
            last = date(programme.year + (month == 12), month % 12 + 1, 1)
            if action.start_date < last and action.end_date >= first:
                months.add(month)
        late = ActionStatus(action.status) not in SETTLED and (
            action.end_date < today or any(d.is_late(today) for d in action.deliverables))
        rows.append(TimelineRow(action, months, late))
    return rows


def amendments(session: Session, programme: Programme) -> list[ActionAmendment]:
    stmt = (select(ActionAmendment).where(ActionAmendment.programme_id == programme.id)
            .order_by(ActionAmendment.occurred_at.desc(), ActionAmendment.id.desc()))
    return list(session.scalars(stmt))


def meetings(session: Session, programme: Programme) -> list[CopilMeeting]:
    stmt = (select(CopilMeeting).where(CopilMeeting.programme_id == programme.id)
            .options(selectinload(CopilMeeting.decisions))
            .order_by(CopilMeeting.meeting_date.desc()))
    return list(session.scalars(stmt))


def action_budget(action: Action) -> tuple[Decimal, Decimal]:
    planned = sum((b.planned for b in action.budget_lines), ZERO)
    actual = sum((b.actual or ZERO for b in action.budget_lines), ZERO)
    return planned, actual
