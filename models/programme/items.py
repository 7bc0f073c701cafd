"""Writes on an action's items: deliverables, indicators, budget lines, staff time.

Changing the planned side of an item after validation (due date, target, planned
amount, planned days) is an amendment, logged for the copil.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.errors import DomainError, Errors
from models.money import too_large
from models.programme.enums import BudgetCategory
from models.programme.guards import record_amendment, require_manage
from models.programme.orm import (
    Action,
    BudgetLine,
    Deliverable,
    Indicator,
    StaffAllocation,
    TeamMember,
)
from models.programme.rules import ensure_editable


@dataclass
class DeliverableData:
    title: str
    due_date: date | None
    done_date: date | None = None


@dataclass
class IndicatorData:
    name: str
    unit: str
    target: Decimal | None
    achieved: Decimal | None = None
    comment: str = ""


@dataclass
class BudgetLineData:
    category: BudgetCategory | str
    planned: Decimal | None
    actual: Decimal | None = None
    label: str = ""


@dataclass
class AllocationData:
    member_id: int | None
    planned_days: Decimal | None
    actual_days: Decimal | None = None


def _validate_item(session: Session, action: Action, data: Any, errors: Errors,
                   item: Any) -> None:
    if isinstance(data, DeliverableData):
        if not (data.title or "").strip():
            errors.add("title", "L'intitulé du livrable est obligatoire.")
        if data.due_date is None:
            errors.add("due_date", "L'échéance est obligatoire.")
    elif isinstance(data, IndicatorData):
        if not (data.name or "").strip():
            errors.add("name", "Le nom de l'indicateur est obligatoire.")
        if not (data.unit or "").strip():
            errors.add("unit", "L'unité est obligatoire (participants, jours, %…).")
        if data.target is None:
            errors.add("target", "La cible est obligatoire.")
        elif data.target < 0:
            errors.add("target", "La cible ne peut pas être négative.")
        if data.achieved is not None and data.achieved < 0:
            errors.add("achieved", "La valeur atteinte ne peut pas être négative.")
        for name in ("target", "achieved"):
            if too_large(getattr(data, name)):
                errors.add(name, "Valeur trop élevée (9 999 999 999,99 au plus).")
    elif isinstance(data, BudgetLineData):
        try:
            BudgetCategory(data.category)
        except ValueError:
            errors.add("category", "Catégorie de dépense inconnue.")
        if data.planned is None:
            errors.add("planned", "Le montant prévu est obligatoire.")
        elif data.planned < 0:
            errors.add("planned", "Le montant prévu ne peut pas être négatif.")
        if data.actual is not None and data.actual < 0:
            errors.add("actual", "Le montant réalisé ne peut pas être négatif.")
        for name in ("planned", "actual"):
            if too_large(getattr(data, name)):
                errors.add(name, "Montant trop élevé (9 999 999 999,99 € au plus).")
    elif isinstance(data, AllocationData):
        if data.member_id is None or session.get(TeamMember, data.member_id) is None:
            errors.add("member_id", "Choisissez un membre de l'équipe.")
        else:
            taken = session.scalar(select(func.count()).select_from(StaffAllocation).where(
                StaffAllocation.action_id == action.id,
                StaffAllocation.member_id == data.member_id,
                StaffAllocation.id != (item.id if item is not None else -1)))
            if taken:
                errors.add("member_id", "Cette personne a déjà du temps sur cette action : "
                                        "modifiez la ligne existante.")
        if data.planned_days is None:
            errors.add("planned_days", "Le temps prévu est obligatoire.")
        elif data.planned_days < 0:
            errors.add("planned_days", "Le temps prévu ne peut pas être négatif.")
        elif data.planned_days > 366:
            errors.add("planned_days", "Le temps prévu ne peut pas dépasser 366 jours.")
        if data.actual_days is not None and data.actual_days < 0:
            errors.add("actual_days", "Le temps réalisé ne peut pas être négatif.")
        elif data.actual_days is not None and data.actual_days > 366:
            errors.add("actual_days", "Le temps réalisé ne peut pas dépasser 366 jours.")


ITEM_CLASSES: dict[type, type] = {
    DeliverableData: Deliverable, IndicatorData: Indicator,
    BudgetLineData: BudgetLine, AllocationData: StaffAllocation,
}
#: The planned side of each item: changing it after validation is an amendment.
ITEM_PLAN_FIELDS = {
    Deliverable: ("livrable", "due_date", "title"),
    Indicator: ("indicateur", "target", "name"),
    BudgetLine: ("budget", "planned", "label"),
    StaffAllocation: ("temps prévu", "planned_days", None),
}


def _item_values(data: Any) -> dict[str, Any]:
    if isinstance(data, DeliverableData):
        return {"title": data.title.strip(), "due_date": data.due_date,
                "done_date": data.done_date}
    if isinstance(data, IndicatorData):
        return {"name": data.name.strip(), "unit": data.unit.strip(), "target": data.target,
                "achieved": data.achieved, "comment": (data.comment or "").strip()}
    if isinstance(data, BudgetLineData):
        return {"category": BudgetCategory(data.category), "label": (data.label or "").strip(),
                "planned": data.planned, "actual": data.actual}
    return {"member_id": data.member_id, "planned_days": data.planned_days,
            "actual_days": data.actual_days}


def _item_label(item: Any) -> str:
    noun, _, name_attr = ITEM_PLAN_FIELDS[type(item)]
    if isinstance(item, StaffAllocation):
        return f"{noun} de {item.member.full_name}" if item.member else noun
    if isinstance(item, BudgetLine):
        return f"{noun} {BudgetCategory(item.category).label.lower()}" + (
            f" ({item.label})" if item.label else "")
    return f"{noun} « {getattr(item, name_attr)} »"


def save_item(session: Session, actor: Any, action: Action, data: Any, item: Any = None) -> Any:
    """Create or update a deliverable, indicator, budget line or staff allocation."""
    require_manage(actor)
    programme = action.programme
    ensure_editable(programme)
    cls = ITEM_CLASSES[type(data)]
    if item is not None and (not isinstance(item, cls) or item.action_id != action.id):
        raise DomainError("Cette ligne n'appartient pas à l'action.")
    errors = Errors()
    _validate_item(session, action, data, errors, item)
    errors.raise_if_any()
    values = _item_values(data)
    _, plan_attr, _ = ITEM_PLAN_FIELDS[cls]
    if item is None:
        item = cls(action_id=action.id, **values)
        session.add(item)
        session.flush()
        session.refresh(item)
        record_amendment(session, actor, programme, action, action.title, "modification",
                         f"Ajout : {_item_label(item)}.")
    else:
        old_plan = getattr(item, plan_attr)
        for key, value in values.items():
            setattr(item, key, value)
        session.flush()
        if old_plan != values[plan_attr]:
            record_amendment(session, actor, programme, action, action.title, "modification",
                             f"Modifié : {_item_label(item)} ({old_plan} → {values[plan_attr]}).")
    session.flush()
    session.expire(action)
    return item


def delete_item(session: Session, actor: Any, action: Action, item: Any) -> None:
    require_manage(actor)
    programme = action.programme
    ensure_editable(programme)
    if item is None or item.action_id != action.id:
        raise DomainError("Cette ligne n'appartient pas à l'action.")
    record_amendment(session, actor, programme, action, action.title, "modification",
                     f"Retrait : {_item_label(item)}.")
    session.delete(item)
    session.flush()
    session.expire(action)


