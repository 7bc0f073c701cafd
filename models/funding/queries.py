"""Read side of funding: lists, one convention's money, execution and deadlines.

Execution rates reuse the co-financing plan's per-programme funding
(``models.funding.plan``): never a query per action or per convention.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    Instalment,
    Payment,
    ReportingDeadline,
)
from models.funding.plan import ProgrammeFunding, programme_funding
from models.funding.rules import executed_share, percent_of, split_by_percent
from models.policy import scope_conventions
from models.programme.orm import Axis, Programme
from models.programme.queries import action_choices

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


def funder_sums(session: Session, ids: list[int]) -> dict[int, tuple[int, Decimal]]:
    """(number of conventions, total amount) per funder id (for a list page)."""
    rows = {i: (n, a) for i, n, a in session.execute(
        select(Convention.funder_id, func.count(), func.sum(Convention.amount))
        .where(Convention.funder_id.in_(ids)).group_by(Convention.funder_id))}
    return {i: (rows.get(i, (0, 0))[0], _dec(rows.get(i, (0, 0))[1])) for i in ids}


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
        actions = action_choices(session, p.id)
        axes = [(a.id, f"{a.short} — {a.title}") for a in session.scalars(
            select(Axis).order_by(Axis.number))]
        out.append((p, actions, axes))
    return out


# ---------------------------------------------------------------- year views (KPIs, dashboard)
def year_conventions(session: Session, user: Any, year: int) -> list[tuple[Convention, Decimal]]:
    """Conventions covering ``year`` the user may see, with what each received, their
    schedule and payments loaded (no N+1)."""
    stmt = (conventions_stmt(user, year=year)
            .options(selectinload(Convention.instalments).selectinload(Instalment.payments),
                     selectinload(Convention.payments))
            .order_by(Convention.reference))
    return [(c, _dec(received)) for c, _, received in session.execute(stmt).unique()]


@dataclass
class MonthFlow:
    month: date
    expected: Decimal  # instalments falling due that month
    received: Decimal  # payments received that month
    expected_cumulative: Decimal
    received_cumulative: Decimal


def cashflow(conventions: list[Convention], year: int, today: date) -> list[MonthFlow]:
    """Twelve months of ``year``: what falls due against what was received, for conventions
    that owe cash (``is_cash_due``)."""
    expected = dict.fromkeys(range(1, 13), ZERO)
    received = dict.fromkeys(range(1, 13), ZERO)
    for c in conventions:
        if not is_cash_due(c):
            continue
        for s in instalment_statuses(c, today):
            if s.instalment.due_date.year == year:
                expected[s.instalment.due_date.month] += s.amount
        for p in c.payments:
            if p.received_on.year == year:
                received[p.received_on.month] += p.amount
    rows, cum_expected, cum_received = [], ZERO, ZERO
    for month in range(1, 13):
        cum_expected += expected[month]
        cum_received += received[month]
        rows.append(MonthFlow(date(year, month, 1), expected[month], received[month],
                              cum_expected, cum_received))
    return rows


@dataclass
class Totals:
    """The figures on top of a list of conventions."""

    count: int
    amount: Decimal
    received: Decimal
    remaining_due: Decimal
    late_instalments: int
    in_kind: Decimal


def totals(session: Session, ids: list[int], today: date) -> Totals:
    conventions = session.scalars(
        select(Convention).where(Convention.id.in_(ids))
        .options(selectinload(Convention.payments),
                 selectinload(Convention.instalments).selectinload(Instalment.payments))).all()
    amount = received = remaining = in_kind = ZERO
    late = 0
    for c in conventions:
        where = position(c, today)
        amount += c.amount
        received += where.received
        remaining += where.remaining_due
        late += where.late_instalments
        if ConventionType(c.type).in_kind:
            in_kind += c.amount
    return Totals(len(conventions), amount, received, remaining, late, in_kind)
