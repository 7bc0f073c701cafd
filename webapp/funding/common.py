"""Lookups shared by the funding views: objects in scope or 404, form choices, list totals."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_login import current_user
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from models.formatting import format_date
from models.funding import queries
from models.funding.enums import ConventionType
from models.funding.orm import Convention, Funder, FundingAllocation, Instalment
from models.policy import can
from models.programme.orm import Axis
from webapp.access import ensure
from webapp.extensions import db

ZERO = Decimal("0.00")


def today() -> date:
    return date.today()


def funder_or_404(funder_id: int) -> Funder:
    """The funder if the current user may read it (a funder's account: only its own)."""
    funder = db.session.get(Funder, funder_id)
    ensure(funder is not None and can(current_user, "funding.view", funder))
    return funder


def convention_or_404(convention_id: int) -> Convention:
    """Another funder's convention does not exist for a funder's account (404, not 403)."""
    convention = db.session.get(Convention, convention_id)
    ensure(convention is not None and can(current_user, "funding.view", convention))
    return convention


def child_or_404(model: type, item_id: int, convention: Convention):
    """An allocation, payment or deadline, only through its own convention's URL."""
    item = db.session.get(model, item_id)
    ensure(item is not None and item.convention_id == convention.id)
    return item


def funder_choices(current_id: int | None = None) -> list[tuple[int, str]]:
    """Active funders, plus the convention's own funder even if it became inactive."""
    active = queries.funder_choices(db.session, active_only=True)
    if current_id and all(i != current_id for i, _ in active):
        funder = db.session.get(Funder, current_id)
        if funder is not None:
            active = [*active, (funder.id, f"{funder.name} (inactif)")]
    return active


def allocation_targets(convention: Convention) -> dict[str, list[tuple[str, str]]]:
    """Grouped choices for the allocation form: each programme's actions, then its axes."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for programme, actions, axes in queries.allocation_targets(db.session, convention):
        groups[f"Programme {programme.year} — actions"] = [
            (f"{programme.id}:action:{i}", label) for i, label in actions]
        groups[f"Programme {programme.year} — financement global d'un axe"] = [
            (f"{programme.id}:axe:{i}", label) for i, label in axes]
    return groups


def instalment_choices(convention: Convention) -> list[tuple[int, str]]:
    return [(i.id, f"{i.label} ({format_date(i.due_date)})") for i in convention.instalments]


@dataclass
class Totals:
    """The figures on top of the conventions list, for everything the filters select."""

    count: int
    amount: Decimal
    received: Decimal
    remaining_due: Decimal
    late_instalments: int
    in_kind: Decimal


def totals(stmt: Select, on: date) -> Totals:
    ids = [row[0].id for row in db.session.execute(stmt)]
    conventions = db.session.scalars(
        select(Convention).where(Convention.id.in_(ids))
        .options(selectinload(Convention.payments),
                 selectinload(Convention.instalments).selectinload(Instalment.payments))).all()
    amount = received = remaining = in_kind = ZERO
    late = 0
    for c in conventions:
        where = queries.position(c, on)
        amount += c.amount
        received += where.received
        remaining += where.remaining_due
        late += where.late_instalments
        if ConventionType(c.type).in_kind:
            in_kind += c.amount
    return Totals(len(conventions), amount, received, remaining, late, in_kind)


def convention_sums(conventions: list[Convention]) -> dict[int, tuple[Decimal, Decimal]]:
    """(allocated, received) per convention of a list page."""
    return queries.convention_sums(db.session, [c.id for c in conventions])


def funder_sums(funders: list[Funder]) -> dict[int, tuple[int, Decimal]]:
    """(number of conventions, total amount) per funder of a list page."""
    ids = [f.id for f in funders]
    rows = dict((i, (n, a)) for i, n, a in db.session.execute(
        select(Convention.funder_id, func.count(), func.sum(Convention.amount))
        .where(Convention.funder_id.in_(ids)).group_by(Convention.funder_id)))
    return {i: (rows.get(i, (0, 0))[0], Decimal(rows.get(i, (0, 0))[1] or 0)) for i in ids}


def axis_global_funding(programme_id: int) -> dict[int, list[tuple[str, Decimal]]]:
    """Per axis number: (funder, amount) given to the axis as a whole (spread over its
    actions pro rata to their budgets in the plan)."""
    rows = db.session.execute(
        select(Axis.number, Funder.name, FundingAllocation.amount)
        .join(Axis, Axis.id == FundingAllocation.axis_id)
        .join(Convention, Convention.id == FundingAllocation.convention_id)
        .join(Funder, Funder.id == Convention.funder_id)
        .where(FundingAllocation.programme_id == programme_id)
        .order_by(Funder.name))
    out: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for axis_id, name, amount in rows:
        out[axis_id][name] += Decimal(amount)
    return {axis: list(by_funder.items()) for axis, by_funder in out.items()}
