"""Allocating a convention to the programme: to actions, or to an axis as a whole.

Never more than the convention has left, never more than the target's budget
still needs — the refusal says both amounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.errors import Errors
from models.formatting import format_money
from models.funding.orm import (
    Convention,
    FundingAllocation,
)
from models.funding.services import ZERO, check_amount, require_manage
from models.programme.guards import flush
from models.programme.orm import Action, Axis, BudgetLine, Objective, Programme
from models.programme.rules import ensure_editable


# ---------------------------------------------------------------- allocations
@dataclass
class AllocationData:
    programme_id: int | None
    action_id: int | None
    axis_id: int | None
    amount: Decimal | None
    comment: str = ""


def _allocated(session: Session, convention_id: int, exclude: int | None) -> Decimal:
    stmt = select(func.coalesce(func.sum(FundingAllocation.amount), 0)).where(
        FundingAllocation.convention_id == convention_id)
    if exclude is not None:
        stmt = stmt.where(FundingAllocation.id != exclude)
    return Decimal(session.scalar(stmt))


def save_allocation(session: Session, actor: Any, convention: Convention,
                    allocation: FundingAllocation | None, data: AllocationData
                    ) -> FundingAllocation:
    """Give part of a convention to an action (or an axis as a whole).

    Refused above what the convention has left, or above what the action's budget
    still needs, with the amounts in the message.
    """
    require_manage(actor)
    errors = Errors()
    programme = session.get(Programme, data.programme_id) if data.programme_id else None
    if programme is None:
        errors.add("programme_id", "Choisissez le programme financé.")
        errors.raise_if_any()
    ensure_editable(programme)
    if not convention.first_year <= programme.year <= convention.last_year:
        errors.add("programme_id", f"La convention finance {convention.years_label} : elle ne "
                                   f"peut pas financer le programme {programme.year}.")
    action = axis = None
    if (data.action_id is None) == (data.axis_id is None):
        errors.add("action_id", "Choisissez soit une action, soit un axe (financement global).")
    elif data.action_id is not None:
        action = session.get(Action, data.action_id)
        if action is None or action.programme_id != programme.id:
            errors.add("action_id", "Cette action n'appartient pas au programme choisi.")
    else:
        axis = session.get(Axis, data.axis_id)
        if axis is None:
            errors.add("axis_id", "Axe introuvable.")
    amount = check_amount(errors, "amount", data.amount, "Le montant")
    if amount is not None and amount > 0:
        left = convention.amount - _allocated(session, convention.id,
                                              allocation.id if allocation else None)
        if amount > left:
            errors.add("amount", f"Affectation refusée : {format_money(amount)} dépasse ce qui "
                                 f"reste à affecter sur la convention ({format_money(left)} sur "
                                 f"{format_money(convention.amount)}).")
        if action is not None:
            budget = Decimal(session.scalar(
                select(func.coalesce(func.sum(BudgetLine.planned), 0))
                .where(BudgetLine.action_id == action.id)))
            stmt = select(func.coalesce(func.sum(FundingAllocation.amount), 0)).where(
                FundingAllocation.action_id == action.id)
            if allocation is not None:
                stmt = stmt.where(FundingAllocation.id != allocation.id)
            funded = Decimal(session.scalar(stmt))
            if funded + amount > budget:
                errors.add("amount", f"Affectation refusée : l'action « {action.title} » a un "
                                     f"budget de {format_money(budget)}, déjà financé à hauteur "
                                     f"de {format_money(funded)} ; il reste "
                                     f"{format_money(max(budget - funded, ZERO))} à financer.")
        if axis is not None:
            budget = Decimal(session.scalar(
                select(func.coalesce(func.sum(BudgetLine.planned), 0))
                .join(Action, Action.id == BudgetLine.action_id)
                .join(Objective, Objective.id == Action.objective_id)
                .where(Action.programme_id == programme.id, Objective.axis_id == axis.id)))
            stmt = (select(func.coalesce(func.sum(FundingAllocation.amount), 0))
                    .outerjoin(Action, Action.id == FundingAllocation.action_id)
                    .outerjoin(Objective, Objective.id == Action.objective_id)
                    .where(FundingAllocation.programme_id == programme.id,
                           (FundingAllocation.axis_id == axis.id)
                           | (Objective.axis_id == axis.id)))
            if allocation is not None:
                stmt = stmt.where(FundingAllocation.id != allocation.id)
            funded = Decimal(session.scalar(stmt))
            if funded + amount > budget:
                errors.add("amount", f"Affectation refusée : l'{axis.short.lower()} a un budget "
                                     f"de {format_money(budget)} dans le programme "
                                     f"{programme.year}, déjà financé à hauteur de "
                                     f"{format_money(funded)} ; il reste "
                                     f"{format_money(max(budget - funded, ZERO))} à financer.")
    duplicate = session.scalar(select(FundingAllocation).where(
        FundingAllocation.convention_id == convention.id,
        FundingAllocation.programme_id == programme.id,
        FundingAllocation.action_id == data.action_id if data.action_id is not None
        else FundingAllocation.axis_id == data.axis_id))
    if duplicate is not None and duplicate is not allocation:
        errors.add("action_id", "Cette convention finance déjà cette cible : modifiez le montant "
                                "de l'affectation existante.")
    errors.raise_if_any()
    if allocation is None:
        allocation = FundingAllocation(convention=convention)
        session.add(allocation)
    allocation.programme_id = programme.id
    allocation.action_id = data.action_id if action is not None else None
    allocation.axis_id = data.axis_id if axis is not None else None
    allocation.amount = amount
    allocation.comment = (data.comment or "").strip()
    flush(session)
    return allocation


def delete_allocation(session: Session, actor: Any, allocation: FundingAllocation) -> None:
    require_manage(actor)
    ensure_editable(allocation.programme)
    session.delete(allocation)
    flush(session)
