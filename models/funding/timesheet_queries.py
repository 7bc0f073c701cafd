"""Read side of staff-time justification: the year grid of one person, the team
overview, and the monthly sheet the ESF timesheet PDF prints."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from models.funding.orm import Convention, Funder, FundingAllocation, TimeEntry, TimesheetSignoff
from models.funding.rules import (
    cents,
    contract_hours_per_month,
    hours_per_day,
    month_start,
)
from models.funding.timesheets import (
    DIRECTION,
    SALARIE,
    ZERO,
    contract_hours,
    month_label,
    programme_of_year,
    signoffs_of,
    year_months,
)
from models.programme.enums import MemberStatus
from models.programme.orm import Action, Axis, Objective, Programme, StaffAllocation, TeamMember


@dataclass
class MonthStatus:
    """One month of one person: hours, contract, signatures."""

    month: date
    contract_hours: Decimal | None  # None: not under contract that month
    total: Decimal = ZERO
    signoffs: dict[str, TimesheetSignoff] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return month_label(self.month)

    @property
    def employed(self) -> bool:
        return self.contract_hours is not None

    @property
    def over(self) -> bool:
        return self.total > (self.contract_hours or ZERO)

    @property
    def locked(self) -> bool:
        return bool(self.signoffs)

    @property
    def signed_by_person(self) -> TimesheetSignoff | None:
        return self.signoffs.get(SALARIE)

    @property
    def signed_by_direction(self) -> TimesheetSignoff | None:
        return self.signoffs.get(DIRECTION)

    @property
    def status_label(self) -> str:
        if self.signed_by_direction:
            return "Signée (personne et direction)"
        if self.signed_by_person:
            return "Signée par la personne"
        return "À signer" if self.total > 0 else "Vide"


@dataclass
class TimesheetGrid:
    """A person's year: months × actions, with the totals each way."""

    member: TeamMember
    year: int
    programme: Programme | None
    months: list[MonthStatus]
    actions: list[Action]
    hours: dict[tuple[int, date], Decimal]
    planned_hours: dict[int, Decimal]
    action_totals: dict[int, Decimal]

    def cell(self, action_id: int, month: date) -> Decimal | None:
        return self.hours.get((action_id, month))

    @property
    def total(self) -> Decimal:
        return sum((m.total for m in self.months), ZERO)

    @property
    def contract_total(self) -> Decimal:
        return sum((m.contract_hours or ZERO for m in self.months), ZERO)

    @property
    def monthly_contract(self) -> Decimal | None:
        """A full month of the contract, in hours (None without a programme)."""
        if self.programme is None:
            return None
        return contract_hours_per_month(Decimal(self.member.contract_etp),
                                        self.programme.etp_hours)


def _signoffs_by_month(session: Session, member_ids: Iterable[int], year: int
                       ) -> dict[tuple[int, date], dict[str, TimesheetSignoff]]:
    rows = session.scalars(select(TimesheetSignoff).where(
        TimesheetSignoff.member_id.in_(list(member_ids)),
        TimesheetSignoff.month >= date(year, 1, 1), TimesheetSignoff.month <= date(year, 12, 31)))
    found: dict[tuple[int, date], dict[str, TimesheetSignoff]] = defaultdict(dict)
    for s in rows:
        found[(s.member_id, s.month)][s.role] = s
    return found


def timesheet(session: Session, member: TeamMember, year: int) -> TimesheetGrid:
    """The grid of the year's programme: actions where the person has time planned or spent."""
    programme = programme_of_year(session, year)
    hours: dict[tuple[int, date], Decimal] = {}
    planned: dict[int, Decimal] = {}
    actions: list[Action] = []
    if programme is not None:
        rows = session.execute(
            select(TimeEntry.action_id, TimeEntry.month, TimeEntry.hours)
            .join(Action, Action.id == TimeEntry.action_id)
            .where(TimeEntry.member_id == member.id, Action.programme_id == programme.id))
        hours = {(a, m): Decimal(h) for a, m, h in rows}
        per_day = hours_per_day(programme.etp_hours, programme.etp_days)
        planned = {a: cents(Decimal(d) * per_day) for a, d in session.execute(
            select(StaffAllocation.action_id, StaffAllocation.planned_days)
            .join(Action, Action.id == StaffAllocation.action_id)
            .where(StaffAllocation.member_id == member.id,
                   Action.programme_id == programme.id))}
        ids = set(planned) | {a for a, _ in hours}
        if ids:
            actions = list(session.scalars(
                select(Action).join(Action.objective).where(Action.id.in_(ids))
                .options(joinedload(Action.objective).joinedload(Objective.axis))
                .order_by(Objective.code, Action.start_date, Action.title)))
    signoffs = _signoffs_by_month(session, [member.id], year)
    months = []
    for month in year_months(year):
        status = MonthStatus(month, contract_hours(member, programme, month),
                             signoffs=signoffs.get((member.id, month), {}))
        status.total = sum((h for (_, m), h in hours.items() if m == month), ZERO)
        months.append(status)
    action_totals: dict[int, Decimal] = defaultdict(Decimal)
    for (action_id, _), h in hours.items():
        action_totals[action_id] += h
    return TimesheetGrid(member, year, programme, months, actions, hours, planned,
                         dict(action_totals))


@dataclass
class PersonYear:
    member: TeamMember
    months: list[MonthStatus]

    @property
    def total(self) -> Decimal:
        return sum((m.total for m in self.months), ZERO)

    @property
    def signed_months(self) -> int:
        return sum(1 for m in self.months if m.signed_by_direction)

    @property
    def over_months(self) -> int:
        return sum(1 for m in self.months if m.over)


def overview(session: Session, year: int) -> list[PersonYear]:
    """Every team member under contract in ``year``: hours per month against the contract."""
    from models.programme.queries import team

    programme = programme_of_year(session, year)
    members = team(session, year=year)
    totals = {(mid, m): Decimal(h) for mid, m, h in session.execute(
        select(TimeEntry.member_id, TimeEntry.month, func.sum(TimeEntry.hours))
        .where(TimeEntry.month >= date(year, 1, 1), TimeEntry.month <= date(year, 12, 31))
        .group_by(TimeEntry.member_id, TimeEntry.month))}
    signoffs = _signoffs_by_month(session, [m.id for m in members], year)
    return [PersonYear(member, [
        MonthStatus(month, contract_hours(member, programme, month),
                    totals.get((member.id, month), ZERO), signoffs.get((member.id, month), {}))
        for month in year_months(year)]) for member in members]


@dataclass
class SheetRow:
    action_id: int
    title: str
    objective_code: str
    axis: str
    funders: list[str]
    hours: Decimal


@dataclass
class MonthSheet:
    """One person's monthly timesheet, as the ESF audit asks for it."""

    member: TeamMember
    month: date
    programme: Programme | None
    rows: list[SheetRow]
    contract_hours: Decimal | None
    signoffs: dict[str, TimesheetSignoff]

    @property
    def label(self) -> str:
        return month_label(self.month)

    @property
    def total(self) -> Decimal:
        return sum((r.hours for r in self.rows), ZERO)

    @property
    def consistent(self) -> bool:
        """The total fits in the contract hours of the month."""
        return self.contract_hours is not None and self.total <= self.contract_hours

    @property
    def contract_share(self) -> Decimal | None:
        if not self.contract_hours:
            return None
        return self.total / self.contract_hours

    @property
    def status_label(self) -> str:
        status = MemberStatus(self.member.status)
        if status is MemberStatus.MIS_A_DISPOSITION and self.member.seconded_by:
            return f"{status.label} par {self.member.seconded_by}"
        return status.label

    @property
    def arml_name(self) -> str:
        return self.programme.region.arml_name if self.programme is not None else ""


def _funders_of(session: Session, programme: Programme, actions: list[tuple[int, int]]
                ) -> dict[int, list[str]]:
    """Funders of each action: direct allocations, then global allocations to its axis."""
    action_ids = [a for a, _ in actions]
    axis_ids = {ax for _, ax in actions}
    rows = session.execute(
        select(FundingAllocation.action_id, FundingAllocation.axis_id, Funder.name)
        .join(Convention, Convention.id == FundingAllocation.convention_id)
        .join(Funder, Funder.id == Convention.funder_id)
        .where(FundingAllocation.programme_id == programme.id,
               or_(FundingAllocation.action_id.in_(action_ids),
                   FundingAllocation.axis_id.in_(axis_ids)))
        .order_by(Funder.name))
    direct: dict[int, list[str]] = defaultdict(list)
    by_axis: dict[int, list[str]] = defaultdict(list)
    for action_id, axis_id, name in rows:
        if action_id is not None:
            direct[action_id].append(name)
        else:
            by_axis[axis_id].append(f"{name} (financement global de l'axe)")
    return {a: list(dict.fromkeys(direct[a] + by_axis[ax])) for a, ax in actions}


def month_sheet(session: Session, member: TeamMember, month: date) -> MonthSheet:
    month = month_start(month)
    programme = programme_of_year(session, month.year)
    rows: list[SheetRow] = []
    if programme is not None:
        found = session.execute(
            select(Action.id, Action.title, Objective.code, Axis.id, Axis.number,
                   TimeEntry.hours)
            .join(Action, Action.id == TimeEntry.action_id)
            .join(Objective, Objective.id == Action.objective_id)
            .join(Axis, Axis.id == Objective.axis_id)
            .where(TimeEntry.member_id == member.id, TimeEntry.month == month,
                   Action.programme_id == programme.id, TimeEntry.hours > 0)
            .order_by(Objective.code, Action.title)).all()
        funders = _funders_of(session, programme, [(r[0], r[3]) for r in found])
        rows = [SheetRow(action_id, title, code, f"Axe {number}", funders[action_id],
                         Decimal(hours))
                for action_id, title, code, _, number, hours in found]
    return MonthSheet(member, month, programme, rows,
                      contract_hours(member, programme, month),
                      signoffs_of(session, member.id, month))
