"""The one decision register: record a decision (council meeting, copil meeting or
collective project), change its status with a trace, and never lose one.

Rules: exactly one owner (a team member, or a mission locale with a named person); a
due date on or after the meeting; closing (faite, abandonnée) needs a note; a decision
whose meeting's minutes are approved is never deleted or rewritten, only abandoned with
a reason. Writes flush, never commit (the caller's unit of work commits once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from models import clock
from models.councils.enums import DecisionStatus, MeetingStatus, MinutesStatus
from models.councils.orm import CollectiveProject, Decision, DecisionEvent, Meeting
from models.errors import ConcurrentEdit, DomainError, Errors, PermissionDenied
from models.network.orm import MissionLocale
from models.policy import can
from models.programme.orm import Action, CopilMeeting, TeamMember

MAX_TEXT = 4000

#: the statuses a mission locale may set on a decision it owns
ML_STATUSES = (DecisionStatus.EN_COURS, DecisionStatus.FAITE)


@dataclass
class DecisionData:
    text: str = ""
    owner_member_id: int | None = None
    owner_ml_id: int | None = None
    owner_person: str = ""
    due_date: date | None = None
    action_id: int | None = None


def actor_name(actor: Any) -> str:
    return getattr(actor, "full_name", None) or "système"


def _require_team(actor: Any) -> None:
    if actor is not None and not can(actor, "councils.manage"):
        raise PermissionDenied()


def flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError as exc:
        raise ConcurrentEdit() from exc


def check_version(obj: Any, expected: int | None) -> None:
    if expected is not None and expected != obj.version_id:
        raise ConcurrentEdit()


def locked(decision: Decision) -> bool:
    """True once the meeting's minutes are approved: the decision is part of the record."""
    meeting = decision.meeting
    minutes = meeting.minutes if meeting is not None else None
    return minutes is not None and MinutesStatus(minutes.status) is MinutesStatus.APPROUVE


def _validate(session: Session, data: DecisionData, decided_on: date,
              programme_id: int | None, errors: Errors) -> None:
    text = (data.text or "").strip()
    if not text:
        errors.add("text", "Le texte de la décision est obligatoire.")
    elif len(text) > MAX_TEXT:
        errors.add("text", f"Le texte de la décision dépasse {MAX_TEXT} caractères "
                           f"({len(text)}) : résumez-la et joignez le détail au compte rendu.")
    if data.owner_member_id is None and data.owner_ml_id is None:
        errors.add("owner", "Une décision a exactement un·e responsable : choisissez un membre "
                            "de l'équipe ou une mission locale avec une personne nommée.")
    elif data.owner_member_id is not None and data.owner_ml_id is not None:
        errors.add("owner", "Une décision n'a qu'un·e responsable : un membre de l'équipe "
                            "ou une mission locale, pas les deux.")
    elif data.owner_member_id is not None:
        member = session.get(TeamMember, data.owner_member_id)
        if member is None:
            errors.add("owner_member_id", "Membre de l'équipe introuvable.")
        elif member.end_date is not None and member.end_date < clock.today():
            errors.add("owner_member_id", f"{member.full_name} a quitté l'équipe : confiez "
                                          "la décision à un membre présent.")
    else:
        ml = session.get(MissionLocale, data.owner_ml_id)
        if ml is None:
            errors.add("owner_ml_id", "Mission locale introuvable.")
        elif not ml.active:
            errors.add("owner_ml_id", f"La mission locale « {ml.name} » n'est plus active.")
        person = (data.owner_person or "").strip()
        if not person:
            errors.add("owner_person", "Nommez la personne responsable dans la mission locale.")
        elif len(person) > 120:
            errors.add("owner_person", "Le nom de la personne dépasse 120 caractères.")
    if data.due_date is None:
        errors.add("due_date", "L'échéance est obligatoire.")
    elif data.due_date < decided_on:
        errors.add("due_date", f"L'échéance ({data.due_date:%d/%m/%Y}) précède la réunion "
                               f"où la décision est prise ({decided_on:%d/%m/%Y}).")
    if data.action_id is not None:
        action = session.get(Action, data.action_id)
        if action is None or (programme_id is not None and action.programme_id != programme_id):
            errors.add("action_id", "Action introuvable dans ce programme.")


def _apply(decision: Decision, data: DecisionData) -> None:
    decision.text = data.text.strip()
    decision.owner_member_id = data.owner_member_id
    decision.owner_ml_id = data.owner_ml_id
    decision.owner_person = (data.owner_person or "").strip() if data.owner_ml_id else ""
    decision.due_date = data.due_date  # type: ignore[assignment]
    decision.action_id = data.action_id


def record_decision(session: Session, actor: Any, data: DecisionData, *,
                    meeting: Meeting | None = None, copil_meeting: CopilMeeting | None = None,
                    project: CollectiveProject | None = None,
                    status: DecisionStatus = DecisionStatus.OUVERTE, note: str = "",
                    transition_id: int | None = None) -> Decision:
    """Record a decision taken at ``meeting`` (a council), ``copil_meeting`` or in
    ``project`` (outside a meeting). Exactly one of meeting / copil meeting; a project
    decision may also name its meeting."""
    _require_team(actor)
    errors = Errors()
    if (meeting is None) == (copil_meeting is None) and project is None:
        raise DomainError("Une décision est prise en réunion (conseil ou copil) ou dans un "
                          "projet collectif.")
    if meeting is not None and copil_meeting is not None:
        raise DomainError("Une décision est prise dans une seule réunion.")
    if meeting is not None:
        decided_on = meeting.day
        if MeetingStatus(meeting.status) is MeetingStatus.ANNULE:
            errors.add("__all__", "Cette réunion est annulée : aucune décision n'y est prise.")
        if meeting.minutes is not None and MinutesStatus(meeting.minutes.status) \
                is MinutesStatus.APPROUVE:
            errors.add("__all__", "Le compte rendu de cette réunion est approuvé : il n'est "
                                  "plus possible d'y ajouter une décision.")
    elif copil_meeting is not None:
        decided_on = copil_meeting.meeting_date
    else:
        decided_on = clock.today()
    programme_id = copil_meeting.programme_id if copil_meeting is not None else None
    _validate(session, data, decided_on, programme_id, errors)
    status = DecisionStatus(status)
    if status.closed and not (note or "").strip():
        errors.add("note", "Clore une décision demande une note (ce qui a été fait, ou "
                           "pourquoi elle est abandonnée).")
    errors.raise_if_any()
    series_id = meeting.series_id if meeting is not None else (
        project.series_id if project is not None else None)
    decision = Decision(meeting=meeting, copil_meeting=copil_meeting, project=project,
                        series_id=series_id, decided_on=decided_on, status=status,
                        transition_id=transition_id)
    _apply(decision, data)
    if status.closed:
        decision.closing_note = note.strip()
        decision.closed_on = decided_on
    session.add(decision)
    decision.events.append(DecisionEvent(
        actor_id=getattr(actor, "id", None), actor_name=actor_name(actor), from_status=None,
        to_status=status, meeting_id=meeting.id if meeting is not None else None,
        new_due_date=data.due_date, note=(note or "").strip()))
    flush(session)
    return decision


def update_decision(session: Session, actor: Any, decision: Decision, data: DecisionData, *,
                    expected_version: int | None = None) -> Decision:
    """Correct a decision's text, owner, due date or action — only while its meeting's
    minutes are not approved (afterwards: change its status, with a trace)."""
    _require_team(actor)
    check_version(decision, expected_version)
    if locked(decision):
        raise DomainError("Le compte rendu de la réunion est approuvé : la décision ne se "
                          "modifie plus. Changez son statut (reportée, abandonnée…) avec "
                          "une explication.")
    errors = Errors()
    programme_id = (decision.copil_meeting.programme_id
                    if decision.copil_meeting is not None else None)
    _validate(session, data, decision.decided_on, programme_id, errors)
    errors.raise_if_any()
    _apply(decision, data)
    flush(session)
    return decision


def change_status(session: Session, actor: Any, decision: Decision,
                  status: DecisionStatus | str, *, note: str = "",
                  meeting: Meeting | None = None, new_due_date: date | None = None,
                  expected_version: int | None = None) -> Decision:
    """Move a decision along (ouverte, en cours, faite, abandonnée, reportée) and record
    who, when, at which meeting and why. Closed decisions stay closed."""
    if not can(actor, "decisions.progress", decision) and actor is not None:
        raise PermissionDenied()
    check_version(decision, expected_version)
    errors = Errors()
    try:
        target = DecisionStatus(status)
    except ValueError:
        raise DomainError("Statut de décision inconnu.") from None
    current = DecisionStatus(decision.status)
    note = (note or "").strip()
    if current.closed:
        errors.add("status", f"Cette décision est close ({current.label.lower()}) : elle ne "
                             "change plus de statut.")
    team = actor is None or can(actor, "councils.manage")
    if not team and target not in ML_STATUSES:
        errors.add("status", "Une mission locale indique l'avancement (en cours, faite) ; "
                             "reporter ou abandonner se décide en conseil.")
    if not team and (new_due_date is not None or meeting is not None):
        errors.add("status", "Une mission locale indique l'avancement ; l'échéance et la "
                             "réunion se fixent en conseil, par l'équipe.")
    if target is current and new_due_date is None and not note:
        errors.add("status", "Rien à enregistrer : choisissez un autre statut ou écrivez "
                             "une note.")
    if target.closed and not note:
        errors.add("note", "Clore une décision demande une note (ce qui a été fait, ou "
                           "pourquoi elle est abandonnée).")
    if len(note) > MAX_TEXT:
        errors.add("note", f"La note dépasse {MAX_TEXT} caractères.")
    if target is DecisionStatus.REPORTEE:
        if new_due_date is None:
            errors.add("new_due_date", "Reporter une décision demande une nouvelle échéance.")
        elif new_due_date <= decision.due_date:
            errors.add("new_due_date", "La nouvelle échéance doit être postérieure à "
                                       f"l'actuelle ({decision.due_date:%d/%m/%Y}).")
    elif new_due_date is not None and new_due_date < decision.decided_on:
        errors.add("new_due_date", "L'échéance ne peut précéder la réunion de la décision.")
    if meeting is not None and (decision.series_id is None
                                or meeting.series_id != decision.series_id):
        errors.add("meeting_id", "Cette réunion n'est pas de la même instance que la décision.")
    elif meeting is not None:
        if MeetingStatus(meeting.status) is MeetingStatus.ANNULE:
            errors.add("meeting_id", "Cette réunion est annulée.")
        elif meeting.day < decision.decided_on:
            errors.add("meeting_id", "Cette réunion précède celle où la décision a été prise.")
        elif meeting.day > clock.today():
            errors.add("meeting_id", "Cette réunion n'a pas encore eu lieu : enregistrez le "
                                     "changement le jour venu.")
    errors.raise_if_any()
    decision.status = target
    if new_due_date is not None:
        decision.due_date = new_due_date
    if target.closed:
        decision.closing_note = note
        decision.closed_on = meeting.day if meeting is not None else clock.today()
    decision.events.append(DecisionEvent(
        actor_id=getattr(actor, "id", None), actor_name=actor_name(actor), from_status=current,
        to_status=target, meeting_id=meeting.id if meeting is not None else None,
        new_due_date=new_due_date, note=note))
    flush(session)
    return decision


def delete_decision(session: Session, actor: Any, decision: Decision) -> None:
    """Remove a decision typed by mistake — never once its meeting's minutes are approved
    or once it has moved (then it is abandoned with a reason)."""
    _require_team(actor)
    if locked(decision):
        raise DomainError("Le compte rendu de la réunion est approuvé : une décision ne se "
                          "supprime plus. Abandonnez-la en expliquant pourquoi.")
    if len(decision.events) > 1:
        raise DomainError("Cette décision a déjà un historique : abandonnez-la en "
                          "expliquant pourquoi plutôt que de la supprimer.")
    session.delete(decision)
    flush(session)
