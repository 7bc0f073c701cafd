"""The co-financing plan: who funds each action of a programme, and is it balanced.

Global funding of an axis is spread over the axis's actions pro rata to their
budgets; everything is computed from three grouped queries per programme, then
combined in Decimal (never a query per action).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.funding.enums import FunderType
from models.funding.orm import Convention, Funder, FundingAllocation, FundingSettings
from models.funding.rules import is_balanced, prorate
from models.programme.enums import ActionStatus
from models.programme.orm import Action, Axis, BudgetLine, Objective, Programme

ZERO = Decimal("0.00")
DEFAULT_TOLERANCE = Decimal("1.00")


def _dec(value: Any) -> Decimal:
    return Decimal(value if value is not None else 0).quantize(Decimal("0.01"))


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


def global_axis_funding(session: Session, programme_id: int
                        ) -> dict[int, list[tuple[str, Decimal]]]:
    """Per axis number: (funder, amount) given to the axis as a whole (spread over its
    actions pro rata to their budgets in the plan)."""
    rows = session.execute(
        select(Axis.number, Funder.name, FundingAllocation.amount)
        .join(Axis, Axis.id == FundingAllocation.axis_id)
        .join(Convention, Convention.id == FundingAllocation.convention_id)
        .join(Funder, Funder.id == Convention.funder_id)
        .where(FundingAllocation.programme_id == programme_id)
        .order_by(Funder.name))
    out: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for number, name, amount in rows:
        out[number][name] += Decimal(amount)
    return {number: list(by_funder.items()) for number, by_funder in out.items()}
