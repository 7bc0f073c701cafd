"""Read side of funding: lists, the co-financing plan, payments and execution.

The plan and the execution rates are computed from three grouped queries per
programme (budgets, allocations, action axes), then combined in Decimal:
never a query per action or per convention.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from models.funding.enums import ConventionStatus, ConventionType, FunderType
from models.funding.orm import (
    Convention,
    Funder,
    FundingAllocation,
    FundingSettings,
    Instalment,
    Payment,
    ReportingDeadline,
)
from models.funding.rules import executed_share, is_balanced, percent_of, prorate, split_by_percent
from models.policy import scope_conventions
from models.programme.enums import ActionStatus
from models.programme.orm import Action, Axis, BudgetLine, Objective, Programme

ZERO = Decimal("0.00")
DEFAULT_TOLERANCE = Decimal("1.00")


def _dec(value: Any) -> Decimal:
    return Decimal(value if value is not None else 0).quantize(Decimal("0.01"))


# ---------------------------------------------------------------- funders
def funder_choices(session: Session, *, active_only: bool = False) -> list[tuple[int, str]]:
    stmt = select(Funder.id, Funder.name).order_by(Funder.name)
    if active_only:
        stmt = stmt.where(Funder.active.is_(True))
    return [(i, n) for i, n in session.execute(stmt)]


def funders_stmt(*, search: str = "", type: str = "", active: bool | None = None) -> Select:
    conventions = (select(func.count()).where(Convention.funder_id == Funder.id)
                   .correlate(Funder).scalar_subquery())
    amount = (select(func.coalesce(func.sum(Convention.amount), 0))
              .where(Convention.funder_id == Funder.id).correlate(Funder).scalar_subquery())
    stmt = select(Funder, conventions.label("conventions"), amount.label("amount"))
    if search.strip():
        like = f"%{search.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Funder.name).like(like),
                              func.lower(Funder.contact_name).like(like)))
    if type in FunderType._value2member_map_:
        stmt = stmt.where(Funder.type == FunderType(type))
    if active is not None:
        stmt = stmt.where(Funder.active.is_(active))
    return stmt


FUNDER_SORTS = {"nom": Funder.name, "type": Funder.type, "contact": Funder.contact_name}


# ---------------------------------------------------------------- conventions
_ALLOCATED = (select(func.coalesce(func.sum(FundingAllocation.amount), 0))
              .where(FundingAllocation.convention_id == Convention.id)
              .correlate(Convention).scalar_subquery())
_RECEIVED = (select(func.coalesce(func.sum(Payment.amount), 0))
             .where(Payment.convention_id == Convention.id)
             .correlate(Convention).scalar_subquery())


def conventions_stmt(user: Any, *, funder_id: int | None = None, status: str = "",
                     type: str = "", year: int | None = None, search: str = "") -> Select:
    """Conventions the user may see, with allocated and received totals for sorting."""
    stmt = (select(Convention, _ALLOCATED.label("allocated"), _RECEIVED.label("received"))
            .join(Convention.funder).options(joinedload(Convention.funder)))
    if funder_id:
        stmt = stmt.where(Convention.funder_id == funder_id)
    if status in ConventionStatus._value2member_map_:
        stmt = stmt.where(Convention.status == ConventionStatus(status))
    if type in ConventionType._value2member_map_:
        stmt = stmt.where(Convention.type == ConventionType(type))
    if year:
        stmt = stmt.where(Convention.first_year <= year, Convention.last_year >= year)
    if search.strip():
        like = f"%{search.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Convention.reference).like(like),
                              func.lower(Convention.object).like(like),
                              func.lower(Funder.name).like(like)))
    return scope_conventions(stmt, user)


CONVENTION_SORTS = {
    "reference": Convention.reference,
    "financeur": Funder.name,
    "montant": Convention.amount,
    "signature": Convention.signature_date,
    "annee": Convention.first_year,
    "statut": Convention.status,
    "affecte": _ALLOCATED,
    "recu": _RECEIVED,
}


def convention_sums(session: Session, ids: list[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """(allocated, received) per convention id, in two grouped queries (for a list page,
    whose paginated statement keeps only the entities)."""
    allocated = dict(session.execute(
        select(FundingAllocation.convention_id, func.sum(FundingAllocation.amount))
        .where(FundingAllocation.convention_id.in_(ids))
        .group_by(FundingAllocation.convention_id)).all())
    received = dict(session.execute(
        select(Payment.convention_id, func.sum(Payment.amount))
        .where(Payment.convention_id.in_(ids)).group_by(Payment.convention_id)).all())
    return {i: (_dec(allocated.get(i)), _dec(received.get(i))) for i in ids}


def convention_years(session: Session) -> list[int]:
    rows = session.execute(select(Convention.first_year, Convention.last_year)).all()
    return sorted({y for first, last in rows for y in range(first, last + 1)}, reverse=True)


def tolerance_percent(session: Session, region_id: int) -> Decimal:
    value = session.scalar(select(FundingSettings.tolerance_percent)
                           .where(FundingSettings.region_id == region_id))
    return Decimal(value) if value is not None else DEFAULT_TOLERANCE


# ---------------------------------------------------------------- programme funding
@dataclass
class ProgrammeFunding:
    """What each convention funds in one programme, global axis funding spread over the
    axis's actions pro rata to their budgets."""

    budgets: dict[int, Decimal]  # action id → planned budget
    actuals: dict[int, Decimal]  # action id → actual expenses
    action_axis: dict[int, int]  # action id → axis id
    direct: dict[tuple[int, int], Decimal]  # (convention id, action id) → allocated
    effective: dict[tuple[int, int], Decimal]  # direct + share of global axis funding
    unassigned: dict[tuple[int, int], Decimal]  # (convention id, axis id): no budgeted action
    convention_funder: dict[int, int]

    def funded(self, action_id: int) -> Decimal:
        return sum((v for (_, a), v in self.effective.items() if a == action_id), ZERO)


def programme_funding(session: Session, programme_id: int) -> ProgrammeFunding:
    actions = session.execute(
        select(Action.id, Objective.axis_id).join(Objective, Objective.id == Action.objective_id)
        .where(Action.programme_id == programme_id)).all()
    action_axis = {a: axis for a, axis in actions}
    budgets = {a: ZERO for a in action_axis}
    actuals = {a: ZERO for a in action_axis}
    for action_id, planned, actual in session.execute(
            select(BudgetLine.action_id, func.sum(BudgetLine.planned),
                   func.sum(func.coalesce(BudgetLine.actual, 0)))
            .join(Action, Action.id == BudgetLine.action_id)
            .where(Action.programme_id == programme_id).group_by(BudgetLine.action_id)):
        budgets[action_id], actuals[action_id] = _dec(planned), _dec(actual)
    direct: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    axis_money: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    convention_funder: dict[int, int] = {}
    for conv_id, funder_id, action_id, axis_id, amount in session.execute(
            select(FundingAllocation.convention_id, Convention.funder_id,
                   FundingAllocation.action_id, FundingAllocation.axis_id,
                   FundingAllocation.amount)
            .join(Convention, Convention.id == FundingAllocation.convention_id)
            .where(FundingAllocation.programme_id == programme_id)
            .order_by(FundingAllocation.id)):
        convention_funder[conv_id] = funder_id
        if action_id is not None:
            direct[(conv_id, action_id)] += _dec(amount)
        else:
            axis_money[(conv_id, axis_id)] += _dec(amount)
    effective = dict(direct)
    unassigned: dict[tuple[int, int], Decimal] = {}
    for (conv_id, axis_id), amount in axis_money.items():
        weights = {a: budgets[a] for a, ax in action_axis.items() if ax == axis_id}
        shares = prorate(amount, weights)
        if not shares:
            unassigned[(conv_id, axis_id)] = amount
        for action_id, share in shares.items():
            effective[(conv_id, action_id)] = effective.get((conv_id, action_id), ZERO) + share
    return ProgrammeFunding(budgets, actuals, action_axis, dict(direct), effective, unassigned,
                            convention_funder)


@dataclass
class FunderColumn:
    id: int
    name: str
    type: FunderType


@dataclass
class PlanLine:
    action_id: int
    title: str
    objective_code: str
    axis_number: int
    status: ActionStatus
    budget: Decimal
    by_funder: dict[int, Decimal]
    funded: Decimal
    balanced: bool

    @property
    def gap(self) -> Decimal:
        """Positive: surplus; negative: still to fund."""
        return self.funded - self.budget


@dataclass
class PlanAxis:
    number: int
    title: str
    lines: list[PlanLine] = field(default_factory=list)
    unassigned: dict[int, Decimal] = field(default_factory=dict)  # funder id → amount

    @property
    def budget(self) -> Decimal:
        return sum((line.budget for line in self.lines), ZERO)

    @property
    def funded(self) -> Decimal:
        return sum((line.funded for line in self.lines), ZERO) + sum(self.unassigned.values(),
                                                                     ZERO)

    def by_funder(self, funder_id: int) -> Decimal:
        return (sum((line.by_funder.get(funder_id, ZERO) for line in self.lines), ZERO)
                + self.unassigned.get(funder_id, ZERO))


@dataclass
class Plan:
    programme: Programme
    funders: list[FunderColumn]
    axes: list[PlanAxis]
    tolerance_percent: Decimal

    @property
    def lines(self) -> list[PlanLine]:
        return [line for axis in self.axes for line in axis.lines]

    @property
    def budget(self) -> Decimal:
        return sum((a.budget for a in self.axes), ZERO)

    @property
    def funded(self) -> Decimal:
        return sum((a.funded for a in self.axes), ZERO)

    def by_funder(self, funder_id: int) -> Decimal:
        return sum((a.by_funder(funder_id) for a in self.axes), ZERO)

    @property
    def unbalanced(self) -> list[PlanLine]:
        return [line for line in self.lines if not line.balanced]

    @property
    def unassigned_axes(self) -> list[PlanAxis]:
        return [a for a in self.axes if a.unassigned]

    @property
    def balanced(self) -> bool:
        return not self.unbalanced and not self.unassigned_axes

    def share_by_type(self) -> dict[FunderType, Decimal]:
        totals: dict[FunderType, Decimal] = defaultdict(lambda: ZERO)
        for f in self.funders:
            totals[f.type] += self.by_funder(f.id)
        return dict(totals)


def cofinancing_plan(session: Session, programme: Programme) -> Plan:
    """The matrix actions × funders with totals by axis, and each action's balance."""
    pf = programme_funding(session, programme.id)
    tolerance = tolerance_percent(session, programme.region_id)
    funder_ids = set(pf.convention_funder.values())
    funders = [FunderColumn(f.id, f.name, FunderType(f.type)) for f in session.scalars(
        select(Funder).where(Funder.id.in_(funder_ids)).order_by(Funder.type, Funder.name))]
    axes = {a.id: PlanAxis(a.number, a.title) for a in session.scalars(
        select(Axis).order_by(Axis.number))}
    rows = session.execute(
        select(Action.id, Action.title, Action.status, Objective.code, Objective.axis_id)
        .join(Objective, Objective.id == Action.objective_id)
        .where(Action.programme_id == programme.id)
        .order_by(Objective.code, Action.start_date, Action.id)).all()
    for action_id, title, status, code, axis_id in rows:
        by_funder: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for (conv_id, a), amount in pf.effective.items():
            if a == action_id:
                by_funder[pf.convention_funder[conv_id]] += amount
        funded = sum(by_funder.values(), ZERO)
        budget = pf.budgets[action_id]
        axes[axis_id].lines.append(PlanLine(
            action_id, title, code, axes[axis_id].number, ActionStatus(status), budget,
            dict(by_funder), funded, is_balanced(budget, funded, tolerance)))
    for (conv_id, axis_id), amount in pf.unassigned.items():
        funder_id = pf.convention_funder[conv_id]
        axes[axis_id].unassigned[funder_id] = axes[axis_id].unassigned.get(funder_id, ZERO) + amount
    return Plan(programme, funders, [a for a in axes.values()], tolerance)


def unbalanced_message(plan: Plan) -> str | None:
    """The French refusal listing what to fix before submitting, or None when balanced."""
    from models.formatting import format_money

    problems = []
    for line in plan.unbalanced:
        what = "reste à financer" if line.gap < 0 else "excédent"
        problems.append(f"« {line.title} » (budget {format_money(line.budget)}, financé "
                        f"{format_money(line.funded)}, {what} {format_money(abs(line.gap))})")
    for axis in plan.unassigned_axes:
        problems.append(f"Axe {axis.number} : un financement global de "
                        f"{format_money(sum(axis.unassigned.values(), ZERO))} n'a aucune action "
                        "budgétée sur laquelle se répartir")
    if not problems:
        return None
    return ("Le plan de cofinancement n'est pas équilibré (tolérance "
            f"{plan.tolerance_percent.normalize():f} % du budget de chaque action). "
            "Actions à corriger : " + " ; ".join(problems) + ".")


# ---------------------------------------------------------------- one convention
@dataclass
class InstalmentStatus:
    instalment: Instalment
    amount: Decimal
    paid: Decimal
    late: bool

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.paid


@dataclass
class AllocationRow:
    allocation: FundingAllocation
    programme_year: int
    budget: Decimal  # of the action or the axis
    actual: Decimal
    executed: Decimal


@dataclass
class ConventionFinance:
    convention: Convention
    allocated: Decimal
    received: Decimal
    instalments: list[InstalmentStatus]
    allocations: list[AllocationRow]
    executed: Decimal

    @property
    def in_kind(self) -> bool:
        return ConventionType(self.convention.type).in_kind

    @property
    def unallocated(self) -> Decimal:
        return self.convention.amount - self.allocated

    @property
    def remaining_due(self) -> Decimal:
        return self.convention.amount - self.received if is_cash_due(self.convention) else ZERO

    @property
    def late_instalments(self) -> list[InstalmentStatus]:
        return [i for i in self.instalments if i.late]

    @property
    def execution_rate(self) -> Decimal | None:
        return percent_of(self.executed, self.convention.amount)

    @property
    def received_rate(self) -> Decimal | None:
        return percent_of(self.received, self.convention.amount)


def is_cash_due(convention: Convention) -> bool:
    """Money is owed only on a signed (or settled) convention that is paid in cash:
    a convention in preparation owes nothing yet, a secondment is never paid."""
    return (ConventionStatus(convention.status) is not ConventionStatus.EN_PREPARATION
            and not ConventionType(convention.type).in_kind)


def instalment_statuses(convention: Convention, today: date) -> list[InstalmentStatus]:
    amounts = split_by_percent(convention.amount, [i.percent for i in convention.instalments])
    due = is_cash_due(convention)
    rows = []
    for instalment, amount in zip(convention.instalments, amounts, strict=True):
        paid = sum((p.amount for p in instalment.payments), ZERO)
        late = due and paid < amount and instalment.due_date < today
        rows.append(InstalmentStatus(instalment, amount, paid, late))
    return rows


@dataclass
class Position:
    """Where a convention's money stands today (lists, KPIs, dashboard: one definition)."""

    received: Decimal
    remaining_due: Decimal
    late_instalments: int


def position(convention: Convention, today: date) -> Position:
    received = sum((p.amount for p in convention.payments), ZERO)
    due = is_cash_due(convention)
    return Position(received, convention.amount - received if due else ZERO,
                    sum(1 for s in instalment_statuses(convention, today) if s.late))


def convention_finance(session: Session, convention: Convention, today: date) -> ConventionFinance:
    allocations = list(session.scalars(
        select(FundingAllocation).where(FundingAllocation.convention_id == convention.id)
        .options(joinedload(FundingAllocation.programme), joinedload(FundingAllocation.action),
                 joinedload(FundingAllocation.axis))
        .order_by(FundingAllocation.programme_id, FundingAllocation.axis_id,
                  FundingAllocation.id)))
    rows, executed_total = [], ZERO
    by_programme: dict[int, ProgrammeFunding] = {}
    for allocation in allocations:
        pf = by_programme.get(allocation.programme_id)
        if pf is None:
            pf = by_programme[allocation.programme_id] = programme_funding(
                session, allocation.programme_id)
        if allocation.action_id is not None:
            targets = [allocation.action_id]
        else:
            targets = [a for a, ax in pf.action_axis.items() if ax == allocation.axis_id]
        budget = sum((pf.budgets[a] for a in targets), ZERO)
        actual = sum((pf.actuals[a] for a in targets), ZERO)
        rows.append(AllocationRow(allocation, allocation.programme.year, budget, actual, ZERO))
    # execution per action, once (an action may be reached directly and through its axis)
    for programme_id, pf in by_programme.items():
        for (conv_id, action_id), amount in pf.effective.items():
            if conv_id != convention.id:
                continue
            share = executed_share(pf.actuals[action_id], amount, pf.funded(action_id))
            executed_total += share
            for row in rows:
                a = row.allocation
                if a.programme_id != programme_id:
                    continue
                if a.action_id == action_id:
                    direct = pf.direct.get((conv_id, action_id), ZERO)
                    row.executed += share * direct / amount if amount else ZERO
                elif a.axis_id is not None and pf.action_axis.get(action_id) == a.axis_id:
                    direct = pf.direct.get((conv_id, action_id), ZERO)
                    row.executed += share * (amount - direct) / amount if amount else ZERO
    for row in rows:
        row.executed = row.executed.quantize(Decimal("0.01"))
    return ConventionFinance(
        convention=convention,
        allocated=sum((a.amount for a in allocations), ZERO),
        received=sum((p.amount for p in convention.payments), ZERO),
        instalments=instalment_statuses(convention, today),
        allocations=rows, executed=executed_total)


def execution_by_convention(session: Session, conventions: list[Convention]) -> dict[int, Decimal]:
    """Executed amount per convention (for lists and dashboards): one pass per programme."""
    wanted = {c.id for c in conventions}
    programme_ids = session.scalars(
        select(FundingAllocation.programme_id).distinct()
        .where(FundingAllocation.convention_id.in_(wanted))).all()
    executed: dict[int, Decimal] = {c: ZERO for c in wanted}
    for programme_id in programme_ids:
        pf = programme_funding(session, programme_id)
        for (conv_id, action_id), amount in pf.effective.items():
            if conv_id in wanted:
                executed[conv_id] += executed_share(pf.actuals[action_id], amount,
                                                    pf.funded(action_id))
    return executed


# ---------------------------------------------------------------- deadlines
@dataclass
class Due:
    kind: str  # "versement" | "rapport"
    due_date: date
    label: str
    convention_id: int
    reference: str
    funder_name: str
    amount: Decimal | None
    late: bool


def upcoming(session: Session, user: Any, today: date, days: int = 90) -> list[Due]:
    """Payments expected and reports due in the next ``days`` days, plus everything overdue."""
    horizon = today + timedelta(days=days)
    conventions = list(session.scalars(scope_conventions(
        select(Convention).join(Convention.funder)
        .where(Convention.status != ConventionStatus.SOLDEE)
        .options(joinedload(Convention.funder),
                 selectinload(Convention.instalments).selectinload(Instalment.payments),
                 selectinload(Convention.deadlines)), user)).unique())
    rows: list[Due] = []
    for c in conventions:
        if is_cash_due(c):
            for status in instalment_statuses(c, today):
                if status.remaining > 0 and status.instalment.due_date <= horizon:
                    rows.append(Due("versement", status.instalment.due_date,
                                    status.instalment.label, c.id, c.reference, c.funder.name,
                                    status.remaining, status.late))
        for d in c.deadlines:
            if d.done_date is None and d.due_date <= horizon:
                rows.append(Due("rapport", d.due_date, d.label, c.id, c.reference,
                                c.funder.name, None, d.due_date < today))
    return sorted(rows, key=lambda r: (r.due_date, r.reference, r.kind))


def payments_of(session: Session, convention: Convention) -> list[Payment]:
    return list(session.scalars(select(Payment).where(Payment.convention_id == convention.id)
                                .options(joinedload(Payment.instalment))
                                .order_by(Payment.received_on, Payment.id)))


def deadlines_of(convention: Convention) -> list[ReportingDeadline]:
    return list(convention.deadlines)


def allocation_targets(session: Session, convention: Convention
                       ) -> list[tuple[Programme, list[tuple[int, str]], list[tuple[int, str]]]]:
    """Per programme the convention may fund: its actions and axes (form choices)."""
    programmes = session.scalars(select(Programme).where(
        Programme.year >= convention.first_year, Programme.year <= convention.last_year)
        .order_by(Programme.year)).all()
    out = []
    for p in programmes:
        actions = [(i, f"{code} — {title}") for i, title, code in session.execute(
            select(Action.id, Action.title, Objective.code)
            .join(Objective, Objective.id == Action.objective_id)
            .where(Action.programme_id == p.id).order_by(Objective.code, Action.title))]
        axes = [(a.id, f"{a.short} — {a.title}") for a in session.scalars(
            select(Axis).order_by(Axis.number))]
        out.append((p, actions, axes))
    return out
