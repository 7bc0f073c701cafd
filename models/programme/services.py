"""Writes on programmes and actions. Validate everything, then flush; never commit.

Every function takes the session and the acting user, so the web app, the
CLI, the seed and the tests share it. ``actor=None`` is a trusted entry point
(seed, CLI) and skips the permission check, not the business rules.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from models.base import utcnow
from models.errors import ConcurrentEdit, DomainError, Errors, PermissionDenied
from models.network.orm import MissionLocale, Region
from models.policy import can
from models.programme.enums import ActionStatus, BudgetCategory, MemberStatus, ProgrammeStatus
from models.programme.orm import (
    Action,
    ActionAmendment,
    ActionMissionLocale,
    Axis,
    BudgetLine,
    CopilDecision,
    CopilMeeting,
    Deliverable,
    Indicator,
    Objective,
    Programme,
    ProgrammeTransition,
    StaffAllocation,
    TeamMember,
)
from models.programme.rules import (
    ensure_editable,
    find_transition,
    outside_year,
    transitions_from,
)

log = logging.getLogger(__name__)

MAX_TITLE = 200


def _require_manage(actor: Any) -> None:
    if actor is not None and not can(actor, "programme.manage"):
        raise PermissionDenied()


def _actor_name(actor: Any) -> str:
    return getattr(actor, "full_name", None) or "système"


def _flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError as exc:  # saved by someone else between our read and our write
        raise ConcurrentEdit() from exc


def _check_version(obj: Any, expected: int | None) -> None:
    if expected is not None and expected != obj.version_id:
        raise ConcurrentEdit()


# ================================================================ programmes
@dataclass
class ProgrammeData:
    title: str
    year: int
    etp_hours: int = 1607
    etp_days: int = 218


def _validate_programme(session: Session, region: Region, data: ProgrammeData, errors: Errors,
                        existing: Programme | None) -> None:
    if not (data.title or "").strip():
        errors.add("title", "Le titre est obligatoire.")
    elif len(data.title.strip()) > MAX_TITLE:
        errors.add("title", f"{MAX_TITLE} caractères au plus.")
    if data.year is None or not 2000 <= data.year <= 2100:
        errors.add("year", "Année invalide (entre 2000 et 2100).")
    else:
        other = session.scalars(select(Programme).where(
            Programme.region_id == region.id, Programme.year == data.year)).first()
        if other is not None and other is not existing:
            errors.add("year", f"Il existe déjà un programme pour {data.year}.")
    if not data.etp_hours or not 1 <= data.etp_hours <= 2500:
        errors.add("etp_hours", "Nombre d'heures pour 1 ETP invalide (ex. 1 607).")
    if not data.etp_days or not 1 <= data.etp_days <= 366:
        errors.add("etp_days", "Nombre de jours pour 1 ETP invalide (ex. 218).")


def create_programme(session: Session, actor: Any, region: Region,
                     data: ProgrammeData) -> Programme:
    _require_manage(actor)
    errors = Errors()
    _validate_programme(session, region, data, errors, None)
    errors.raise_if_any()
    programme = Programme(region=region, year=data.year, title=data.title.strip(),
                          etp_hours=data.etp_hours, etp_days=data.etp_days,
                          status=ProgrammeStatus.BROUILLON)
    session.add(programme)
    session.flush()
    log.info("programme %s created by %s", data.year, _actor_name(actor))
    return programme


def update_programme(session: Session, actor: Any, programme: Programme, data: ProgrammeData,
                     *, expected_version: int | None = None) -> Programme:
    _require_manage(actor)
    ensure_editable(programme)
    _check_version(programme, expected_version)
    errors = Errors()
    _validate_programme(session, programme.region, data, errors, programme)
    if data.year != programme.year and programme.actions:
        errors.add("year", "L'année ne peut plus changer : le programme a déjà des actions. "
                           "Utilisez « Dupliquer vers l'année suivante ».")
    errors.raise_if_any()
    programme.title = data.title.strip()
    programme.year = data.year
    programme.etp_hours = data.etp_hours
    programme.etp_days = data.etp_days
    programme.version_id += 1
    _flush(session)
    return programme


def transition(session: Session, actor: Any, programme: Programme, target: ProgrammeStatus | str,
               comment: str = "", *, meeting: CopilMeeting | None = None,
               expected_version: int | None = None,
               occurred_at: datetime | None = None) -> ProgrammeTransition:
    """Move the programme along its workflow and record who, when and why.

    With ``meeting``, the copil decision that triggered the move is recorded too.
    ``occurred_at`` backdates the record (history imports, demo) and is only honoured
    for trusted entry points (``actor=None``); a person's move is always "now".
    """
    when = occurred_at if actor is None and occurred_at is not None else utcnow()
    _require_manage(actor)
    _check_version(programme, expected_version)
    source = ProgrammeStatus(programme.status)
    try:
        target = ProgrammeStatus(target)
    except ValueError:
        raise DomainError("Statut de programme inconnu.") from None
    move = find_transition(source, target)
    errors = Errors()
    if move is None:
        errors.add("__all__", f"Passage impossible de « {source.label} » à « {target.label} ».")
    elif actor is not None and move not in transitions_from(source, actor):
        raise PermissionDenied("Seul·e un·e administrateur·rice peut effectuer ce passage.")
    elif move.needs_comment and not (comment or "").strip():
        errors.add("comment", "Un commentaire est obligatoire pour ce passage : expliquez-le.")
    if meeting is not None and meeting.programme_id != programme.id:
        errors.add("meeting_id", "Cette réunion du copil concerne un autre programme.")
    errors.raise_if_any()
    programme.status = target
    if target is ProgrammeStatus.VALIDE:
        programme.validated_at = when
    programme.version_id += 1
    record = ProgrammeTransition(programme=programme, from_status=source, to_status=target,
                                 actor_id=getattr(actor, "id", None),
                                 actor_name=_actor_name(actor), occurred_at=when,
                                 comment=(comment or "").strip())
    session.add(record)
    _flush(session)
    if meeting is not None:
        text = f"{move.verb} : {source.label} → {target.label}."  # type: ignore[union-attr]
        if record.comment:
            text += f" {record.comment}"
        session.add(CopilDecision(meeting=meeting, text=text, transition_id=record.id))
        session.flush()
    log.info("programme %s: %s -> %s by %s", programme.year, source, target, _actor_name(actor))
    return record


def duplicate_programme(session: Session, actor: Any, programme: Programme,
                        year: int | None = None) -> Programme:
    """A new draft for the next year with the same actions as ``prévue``, without actuals.

    Dates move by the same number of years; deliverables keep their due dates (shifted)
    but not their done dates; indicators keep their targets, budget lines their planned
    amounts, allocations their planned days.
    """
    _require_manage(actor)
    new_year = year or programme.year + 1
    shift = new_year - programme.year
    title = programme.title.replace(str(programme.year), str(new_year))
    if title == programme.title:
        title = f"{programme.title} ({new_year})"
    copy = create_programme(session, None, programme.region,
                            ProgrammeData(title=title, year=new_year,
                                          etp_hours=programme.etp_hours,
                                          etp_days=programme.etp_days))
    for action in programme.actions:
        if ActionStatus(action.status) is ActionStatus.ABANDONNEE:
            continue
        new = Action(
            programme_id=copy.id, objective_id=action.objective_id, title=action.title,
            description=action.description, pilot_id=action.pilot_id,
            start_date=_shift(action.start_date, shift), end_date=_shift(action.end_date, shift),
            status=ActionStatus.PREVUE, partners=list(action.partners or []),
            out_of_year_reason=action.out_of_year_reason,
        )
        session.add(new)
        new.ml_links = [ActionMissionLocale(mission_locale_id=link.mission_locale_id)
                        for link in action.ml_links]
        new.deliverables = [Deliverable(title=d.title, due_date=_shift(d.due_date, shift))
                            for d in action.deliverables]
        new.indicators = [Indicator(name=i.name, unit=i.unit, target=i.target,
                                    comment="") for i in action.indicators]
        new.budget_lines = [BudgetLine(category=b.category, label=b.label, planned=b.planned)
                            for b in action.budget_lines]
        new.allocations = [StaffAllocation(member_id=a.member_id, planned_days=a.planned_days)
                           for a in action.allocations]
    session.flush()
    session.expire(copy, ["actions"])
    log.info("programme %s duplicated to %s by %s", programme.year, new_year, _actor_name(actor))
    return copy


def _shift(value: date, years: int) -> date:
    try:
        return value.replace(year=value.year + years)
    except ValueError:  # 29 February
        return value.replace(year=value.year + years, day=28)


# ================================================================ actions
@dataclass
class ActionData:
    objective_id: int | None
    title: str
    start_date: date | None
    end_date: date | None
    description: str = ""
    pilot_id: int | None = None
    status: ActionStatus | str = ActionStatus.PREVUE
    status_reason: str = ""
    out_of_year_reason: str = ""
    partners: list[str] = field(default_factory=list)
    mission_locale_ids: list[int] = field(default_factory=list)
    amendment_reason: str = ""  # why a validated programme's plan changes


#: Fields of an action that make its plan: changing them after validation is an amendment.
PLAN_FIELDS = {
    "objective_id": "objectif", "title": "intitulé", "description": "description",
    "pilot_id": "pilote", "start_date": "date de début", "end_date": "date de fin",
    "partners": "partenaires", "mission_locale_ids": "missions locales",
}


def _validate_action(session: Session, programme: Programme, data: ActionData,
                     errors: Errors) -> ActionStatus | None:
    if not (data.title or "").strip():
        errors.add("title", "L'intitulé est obligatoire.")
    elif len(data.title.strip()) > MAX_TITLE:
        errors.add("title", f"{MAX_TITLE} caractères au plus.")
    if data.objective_id is None or session.get(Objective, data.objective_id) is None:
        errors.add("objective_id", "Choisissez l'objectif (axe) de l'action.")
    if data.pilot_id is not None and session.get(TeamMember, data.pilot_id) is None:
        errors.add("pilot_id", "Pilote introuvable.")
    if data.start_date is None:
        errors.add("start_date", "La date de début est obligatoire.")
    if data.end_date is None:
        errors.add("end_date", "La date de fin est obligatoire.")
    if data.start_date and data.end_date:
        if data.end_date < data.start_date:
            errors.add("end_date", "La date de fin précède la date de début.")
        elif (outside_year(data.start_date, data.end_date, programme.year)
              and not (data.out_of_year_reason or "").strip()):
            errors.add("out_of_year_reason",
                       f"Les dates débordent de l'année {programme.year} du programme : "
                       "c'est possible, mais indiquez pourquoi.")
    try:
        status = ActionStatus(data.status)
    except ValueError:
        errors.add("status", "Statut inconnu.")
        status = None
    if status is not None and status.needs_reason and not (data.status_reason or "").strip():
        errors.add("status_reason",
                   f"Indiquez la raison pour laquelle l'action est {status.label.lower()}.")
    ids = set(data.mission_locale_ids or [])
    if ids:
        found = set(session.scalars(select(MissionLocale.id).where(MissionLocale.id.in_(ids))))
        if found != ids:
            errors.add("mission_locale_ids", "Mission locale introuvable.")
    for partner in data.partners or []:
        if len(partner) > 200:
            errors.add("partners", "Un partenaire fait plus de 200 caractères.")
            break
    return status


def _clean_partners(partners: list[str]) -> list[str]:
    seen: list[str] = []
    for p in partners or []:
        p = p.strip()
        if p and p not in seen:
            seen.append(p)
    return seen


def _current_plan(action: Action) -> dict[str, Any]:
    return {
        "objective_id": action.objective_id, "title": action.title,
        "description": action.description or "", "pilot_id": action.pilot_id,
        "start_date": action.start_date, "end_date": action.end_date,
        "partners": list(action.partners or []),
        "mission_locale_ids": sorted(link.mission_locale_id for link in action.ml_links),
    }


def _plan_of(data: ActionData) -> dict[str, Any]:
    return {
        "objective_id": data.objective_id, "title": (data.title or "").strip(),
        "description": (data.description or "").strip(), "pilot_id": data.pilot_id,
        "start_date": data.start_date, "end_date": data.end_date,
        "partners": _clean_partners(data.partners),
        "mission_locale_ids": sorted(set(data.mission_locale_ids or [])),
    }


def _amend(session: Session, actor: Any, programme: Programme, action: Action | None,
           title: str, kind: str, summary: str, reason: str = "") -> None:
    """Record a change to a validated programme's plan (shown to the copil).

    The items of an action that was itself added after validation are part of that
    addition: they are not listed again one by one.
    """
    if not programme.is_validated:
        return
    if kind == "modification" and action is not None and session.scalar(
            select(func.count()).select_from(ActionAmendment).where(
                ActionAmendment.action_id == action.id, ActionAmendment.kind == "ajout")):
        return
    session.add(ActionAmendment(
        programme_id=programme.id, action_id=action.id if action is not None else None,
        action_title=title, kind=kind, summary=summary, reason=(reason or "").strip(),
        actor_id=getattr(actor, "id", None), actor_name=_actor_name(actor)))


def _apply(action: Action, data: ActionData, status: ActionStatus) -> None:
    plan = _plan_of(data)
    action.objective_id = plan["objective_id"]
    action.title = plan["title"]
    action.description = plan["description"]
    action.pilot_id = plan["pilot_id"]
    action.start_date = plan["start_date"]
    action.end_date = plan["end_date"]
    action.partners = plan["partners"]
    action.status = status
    action.status_reason = (data.status_reason or "").strip() if status.needs_reason else ""
    action.out_of_year_reason = (data.out_of_year_reason or "").strip()
    wanted = set(plan["mission_locale_ids"])
    action.ml_links = [link for link in action.ml_links if link.mission_locale_id in wanted]
    have = {link.mission_locale_id for link in action.ml_links}
    for ml_id in sorted(wanted - have):
        action.ml_links.append(ActionMissionLocale(mission_locale_id=ml_id))


def create_action(session: Session, actor: Any, programme: Programme,
                  data: ActionData) -> Action:
    _require_manage(actor)
    ensure_editable(programme)
    errors = Errors()
    status = _validate_action(session, programme, data, errors)
    if programme.is_validated and not (data.amendment_reason or "").strip():
        errors.add("amendment_reason", "Le programme est validé : indiquez le motif de cet "
                                       "ajout, il sera présenté au comité de pilotage.")
    errors.raise_if_any()
    assert status is not None
    action = Action(programme=programme)
    _apply(action, data, status)
    session.add(action)
    session.flush()
    _amend(session, actor, programme, action, action.title, "ajout",
           "Nouvelle action ajoutée au programme validé.", data.amendment_reason)
    session.flush()
    return action


def update_action(session: Session, actor: Any, action: Action, data: ActionData,
                  *, expected_version: int | None = None) -> Action:
    """Save an action; a plan change on a validated programme needs a reason and is logged."""
    _require_manage(actor)
    programme = action.programme
    ensure_editable(programme)
    _check_version(action, expected_version)
    errors = Errors()
    status = _validate_action(session, programme, data, errors)
    before, after = _current_plan(action), _plan_of(data)
    changed = [label for key, label in PLAN_FIELDS.items() if before[key] != after[key]]
    if changed and programme.is_validated and not (data.amendment_reason or "").strip():
        errors.add("amendment_reason",
                   "Le programme est validé : indiquez le motif de la modification "
                   f"({', '.join(changed)}), elle sera présentée au comité de pilotage.")
    errors.raise_if_any()
    assert status is not None
    _apply(action, data, status)
    action.version_id += 1
    _flush(session)
    if changed:
        _amend(session, actor, programme, action, action.title, "modification",
               "Modifié : " + ", ".join(changed) + ".", data.amendment_reason)
        session.flush()
    return action


def delete_action(session: Session, actor: Any, action: Action, reason: str = "") -> None:
    """Delete an action that has nothing recorded against it; otherwise explain why not."""
    _require_manage(actor)
    programme = action.programme
    ensure_editable(programme)
    blockers = []
    if action.deliverables:
        blockers.append(f"{len(action.deliverables)} livrable(s)")
    if action.budget_lines:
        blockers.append(f"{len(action.budget_lines)} ligne(s) de budget")
    if action.allocations:
        blockers.append("du temps de l'équipe affecté")
    if blockers:
        raise DomainError(
            f"Impossible de supprimer « {action.title} » : elle a {', '.join(blockers)}. "
            "Passez-la au statut « Abandonnée » (avec la raison) : elle restera tracée "
            "dans le bilan, sans compter dans l'avancement.")
    if programme.is_validated and not (reason or "").strip():
        raise DomainError("Le programme est validé : indiquez le motif de la suppression, "
                          "il sera présenté au comité de pilotage.")
    _amend(session, actor, programme, None, action.title, "suppression",
           "Action retirée du programme validé.", reason)
    session.delete(action)
    session.flush()


# ================================================================ action items
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
        if data.actual_days is not None and data.actual_days < 0:
            errors.add("actual_days", "Le temps réalisé ne peut pas être négatif.")


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
    _require_manage(actor)
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
        _amend(session, actor, programme, action, action.title, "modification",
               f"Ajout : {_item_label(item)}.")
    else:
        old_plan = getattr(item, plan_attr)
        for key, value in values.items():
            setattr(item, key, value)
        session.flush()
        if old_plan != values[plan_attr]:
            _amend(session, actor, programme, action, action.title, "modification",
                   f"Modifié : {_item_label(item)} ({old_plan} → {values[plan_attr]}).")
    session.flush()
    session.expire(action)
    return item


def delete_item(session: Session, actor: Any, action: Action, item: Any) -> None:
    _require_manage(actor)
    programme = action.programme
    ensure_editable(programme)
    if item is None or item.action_id != action.id:
        raise DomainError("Cette ligne n'appartient pas à l'action.")
    _amend(session, actor, programme, action, action.title, "modification",
           f"Retrait : {_item_label(item)}.")
    session.delete(item)
    session.flush()
    session.expire(action)


# ================================================================ team
@dataclass
class MemberData:
    full_name: str
    function: str
    contract_etp: Decimal | None
    status: MemberStatus | str
    start_date: date | None
    end_date: date | None = None
    seconded_by: str = ""


def _validate_member(data: MemberData, errors: Errors) -> None:
    if not (data.full_name or "").strip():
        errors.add("full_name", "Le nom est obligatoire.")
    if not (data.function or "").strip():
        errors.add("function", "La fonction est obligatoire.")
    if data.contract_etp is None:
        errors.add("contract_etp", "L'ETP du contrat est obligatoire (ex. 0,8).")
    elif not Decimal("0") < data.contract_etp <= Decimal("1"):
        errors.add("contract_etp", "L'ETP du contrat est compris entre 0,01 et 1.")
    try:
        status = MemberStatus(data.status)
    except ValueError:
        errors.add("status", "Statut inconnu.")
    else:
        if status is MemberStatus.MIS_A_DISPOSITION and not (data.seconded_by or "").strip():
            errors.add("seconded_by", "Indiquez l'organisme qui met la personne à disposition.")
    if data.start_date is None:
        errors.add("start_date", "La date d'arrivée est obligatoire.")
    elif data.end_date is not None and data.end_date < data.start_date:
        errors.add("end_date", "La date de fin précède la date d'arrivée.")


def save_member(session: Session, actor: Any, data: MemberData, member: TeamMember | None = None,
                *, expected_version: int | None = None) -> TeamMember:
    _require_manage(actor)
    if member is not None:
        _check_version(member, expected_version)
    errors = Errors()
    _validate_member(data, errors)
    errors.raise_if_any()
    if member is None:
        member = TeamMember()
        session.add(member)
    else:
        member.version_id += 1
    member.full_name = data.full_name.strip()
    member.function = data.function.strip()
    member.contract_etp = data.contract_etp  # type: ignore[assignment]
    member.status = MemberStatus(data.status)
    member.seconded_by = ((data.seconded_by or "").strip() or None
                          if member.status is MemberStatus.MIS_A_DISPOSITION else None)
    member.start_date = data.start_date  # type: ignore[assignment]
    member.end_date = data.end_date
    _flush(session)
    return member


# ================================================================ copil
@dataclass
class MeetingData:
    meeting_date: date | None
    place: str = ""
    participants: list[str] = field(default_factory=list)
    notes: str = ""


def save_meeting(session: Session, actor: Any, programme: Programme, data: MeetingData,
                 meeting: CopilMeeting | None = None) -> CopilMeeting:
    _require_manage(actor)
    errors = Errors()
    if data.meeting_date is None:
        errors.add("meeting_date", "La date de la réunion est obligatoire.")
    participants = [p.strip() for p in data.participants or [] if p.strip()]
    if any(len(p) > 200 for p in participants):
        errors.add("participants", "Une ligne de participant fait plus de 200 caractères.")
    errors.raise_if_any()
    if meeting is None:
        meeting = CopilMeeting(programme_id=programme.id)
        session.add(meeting)
    meeting.meeting_date = data.meeting_date  # type: ignore[assignment]
    meeting.place = (data.place or "").strip()
    meeting.participants = participants
    meeting.notes = (data.notes or "").strip()
    session.flush()
    return meeting


def add_decision(session: Session, actor: Any, meeting: CopilMeeting, text: str,
                 action_id: int | None = None) -> CopilDecision:
    _require_manage(actor)
    errors = Errors()
    if not (text or "").strip():
        errors.add("text", "Le texte de la décision est obligatoire.")
    if action_id is not None:
        action = session.get(Action, action_id)
        if action is None or action.programme_id != meeting.programme_id:
            errors.add("action_id", "Action introuvable dans ce programme.")
    errors.raise_if_any()
    decision = CopilDecision(meeting=meeting, text=text.strip(), action_id=action_id)
    session.add(decision)
    session.flush()
    return decision


def delete_decision(session: Session, actor: Any, decision: CopilDecision) -> None:
    _require_manage(actor)
    session.delete(decision)
    session.flush()


# ================================================================ reference data
def update_reference(session: Session, actor: Any, obj: Axis | Objective, title: str) -> None:
    """Regions adapt the wording of axes and objectives; codes stay fixed."""
    if actor is not None and not can(actor, "programme.reference"):
        raise PermissionDenied()
    errors = Errors()
    if not (title or "").strip():
        errors.add("title", "Le libellé est obligatoire.")
    elif len(title.strip()) > 300:
        errors.add("title", "300 caractères au plus.")
    errors.raise_if_any()
    obj.title = title.strip()
    session.flush()
