"""Writes on programmes and actions. Validate everything, then flush; never commit.

Every function takes the session and the acting user, so the web app, the
CLI, the seed and the tests share it. ``actor=None`` is a trusted entry point
(seed, CLI) and skips the permission check, not the business rules.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.errors import DomainError, Errors, PermissionDenied
from models.network.orm import MissionLocale, Region
from models.programme.enums import ActionStatus, ProgrammeStatus
from models.programme.guards import (
    actor_name,
    check_version,
    flush,
    record_amendment,
    require_manage,
)
from models.programme.orm import (
    Action,
    ActionMissionLocale,
    BudgetLine,
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
    require_manage(actor)
    errors = Errors()
    _validate_programme(session, region, data, errors, None)
    errors.raise_if_any()
    programme = Programme(region=region, year=data.year, title=data.title.strip(),
                          etp_hours=data.etp_hours, etp_days=data.etp_days,
                          status=ProgrammeStatus.BROUILLON)
    session.add(programme)
    session.flush()
    log.info("programme %s created by %s", data.year, actor_name(actor))
    return programme


def update_programme(session: Session, actor: Any, programme: Programme, data: ProgrammeData,
                     *, expected_version: int | None = None) -> Programme:
    require_manage(actor)
    ensure_editable(programme)
    check_version(programme, expected_version)
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
    flush(session)
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
    require_manage(actor)
    check_version(programme, expected_version)
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
    if move is not None and target is ProgrammeStatus.SOUMIS:
        # The copil only receives a programme whose co-financing plan is balanced.
        from models.funding.plan import cofinancing_plan, unbalanced_message

        problem = unbalanced_message(cofinancing_plan(session, programme))
        if problem:
            errors.add("__all__", problem)
    errors.raise_if_any()
    programme.status = target
    if target is ProgrammeStatus.VALIDE:
        programme.validated_at = when
    programme.version_id += 1
    record = ProgrammeTransition(programme=programme, from_status=source, to_status=target,
                                 actor_id=getattr(actor, "id", None),
                                 actor_name=actor_name(actor), occurred_at=when,
                                 comment=(comment or "").strip())
    session.add(record)
    flush(session)
    if meeting is not None:
        text = f"Programme {programme.year} : {target.label.lower()}."
        if record.comment:
            text += f" {record.comment}"
        _record_transition_decision(session, meeting, text, record)
    log.info("programme %s: %s -> %s by %s", programme.year, source, target, actor_name(actor))
    return record


def _record_transition_decision(session: Session, meeting: CopilMeeting, text: str,
                                record: ProgrammeTransition) -> None:
    """The copil's decision behind a workflow move, in the one register: already done
    (the move is recorded), owned by the ARML's direction (or the first team member).
    Without any team member yet, the transition record alone keeps the trace."""
    from models.councils.decisions import DecisionData, record_decision
    from models.councils.enums import DecisionStatus
    from models.programme.team import default_owner

    owner = default_owner(session, meeting.meeting_date)
    if owner is None:
        return
    record_decision(session, None, DecisionData(text=text, owner_member_id=owner.id,
                                                due_date=meeting.meeting_date),
                    copil_meeting=meeting, status=DecisionStatus.FAITE,
                    note="Passage du programme enregistré.", transition_id=record.id)


def duplicate_programme(session: Session, actor: Any, programme: Programme,
                        year: int | None = None) -> Programme:
    """A new draft for the next year with the same actions as ``prévue``, without actuals.

    Dates move by the same number of years; deliverables keep their due dates (shifted)
    but not their done dates; indicators keep their targets, budget lines their planned
    amounts, allocations their planned days.
    """
    require_manage(actor)
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
    log.info("programme %s duplicated to %s by %s", programme.year, new_year, actor_name(actor))
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
    require_manage(actor)
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
    record_amendment(session, actor, programme, action, action.title, "ajout",
                     "Nouvelle action ajoutée au programme validé.", data.amendment_reason)
    session.flush()
    return action


def update_action(session: Session, actor: Any, action: Action, data: ActionData,
                  *, expected_version: int | None = None) -> Action:
    """Save an action; a plan change on a validated programme needs a reason and is logged."""
    require_manage(actor)
    programme = action.programme
    ensure_editable(programme)
    check_version(action, expected_version)
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
    flush(session)
    if changed:
        record_amendment(session, actor, programme, action, action.title, "modification",
                         "Modifié : " + ", ".join(changed) + ".", data.amendment_reason)
        session.flush()
    return action


def delete_action(session: Session, actor: Any, action: Action, reason: str = "") -> None:
    """Delete an action that has nothing recorded against it; otherwise explain why not."""
    require_manage(actor)
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
    record_amendment(session, actor, programme, None, action.title, "suppression",
                     "Action retirée du programme validé.", reason)
    session.delete(action)
    session.flush()
