"""Pairings: propose, activate, close, cancel; meetings; the six-month follow-up.

Every decision that depends on other pairings (a mentee's pairings never overlap, a
mentor's active pairings stay within capacity) runs under a database lock: SQLite takes
the write lock first (``begin_write``), PostgreSQL locks the mentee and mentor rows
(``SELECT … FOR UPDATE``), so two activations from two browsers queue and the second
sees the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import clock
from models.councils.projects import add_months
from models.database import begin_write
from models.errors import DomainError, Errors, ValidationFailed
from models.formatting import format_date
from models.mentoring import access, config
from models.mentoring.enums import (
    CloseReason,
    MeetingMode,
    Outcome,
    PairingStatus,
    TrainingRule,
)
from models.mentoring.mentees import age_at
from models.mentoring.orm import (
    FollowUp,
    Mentee,
    Mentor,
    Pairing,
    PairingMeeting,
    PairingStatusChange,
)

P = PairingStatus
#: pairings that hold their period (a proposal does not, until it is activated)
HOLDS_PERIOD = (P.ACTIF, P.TERMINE, P.ROMPU)


@dataclass
class Decision:
    """The pairing, and what the référent was warned about and confirmed."""

    pairing: Pairing
    warnings: list[str] = field(default_factory=list)


def _lock(session: Session, mentee_id: int, mentor_id: int) -> None:
    """The write lock (SQLite) and the mentee then mentor rows (PostgreSQL), re-read."""
    begin_write(session)
    for cls, pk in ((Mentee, mentee_id), (Mentor, mentor_id)):
        session.scalars(select(cls).where(cls.id == pk).with_for_update()
                        .execution_options(populate_existing=True)).one_or_none()


def _record(session: Session, pairing: Pairing, actor: Any, old: P | None, new: P,
            reason: str = "") -> None:
    session.add(PairingStatusChange(pairing=pairing, changed_by_id=getattr(actor, "id", None),
                                    from_status=old, to_status=new, reason=reason))


def _check_period(errors: Errors, start: date | None, end: date | None, today: date) -> bool:
    if start is None:
        errors.add("start_date", "La date de début est obligatoire.")
    if end is None:
        errors.add("planned_end", "La date de fin prévue est obligatoire.")
    if start is None or end is None:
        return False
    ok = True
    if end < start:
        errors.add("planned_end", "La date de fin doit suivre la date de début.")
        ok = False
    limit = add_months(today, config.MAX_START_AHEAD_MONTHS)
    if start > limit:
        errors.add("start_date", f"Le binôme ne peut pas commencer plus de "
                                 f"{config.MAX_START_AHEAD_MONTHS} mois à l'avance "
                                 f"(au plus tard le {format_date(limit)}).")
        ok = False
    return ok


def _check_people(errors: Errors, warnings: list[str], mentee: Mentee, mentor: Mentor,
                  start: date | None, *, activating: bool) -> None:
    if mentor.mission_locale_id != mentee.mission_locale_id:
        errors.add("mentor_id", "Le parrain ou la marraine doit être suivi·e par la même "
                                "mission locale que le jeune.")
    if mentor.anonymised_on is not None or not mentor.active:
        errors.add("mentor_id", f"{mentor.full_name} n'est pas actif·ve.")
    elif mentor.charter_signed_on is None:
        errors.add("mentor_id", f"{mentor.full_name} n'a pas signé la charte du parrainage.")
    if mentor.trained_on is None and mentor.active and mentor.anonymised_on is None:
        message = f"{mentor.full_name} n'a pas encore suivi la formation des parrains."
        if config.TRAINING_RULE is TrainingRule.BLOCKING:
            errors.add("mentor_id", message)
        else:
            warnings.append(message)
    if start is not None:
        age = age_at(mentee.birth_year, mentee.birth_month, start)
        if age < config.MIN_AGE:
            errors.add("start_date", f"Le jeune aura {age} ans au début du binôme : le "
                                     "parrainage commence à 16 ans.")
        elif age > config.WARN_UNTIL_AGE:
            errors.add("start_date", f"Le jeune aura {age} ans au début du binôme : le "
                                     "parrainage s'adresse aux 16–25 ans.")
        elif age > config.MAX_AGE:
            warnings.append(f"Le jeune aura {age} ans au début du binôme : le parrainage "
                            "s'adresse aux 16–25 ans.")
        if age < config.MAJORITY and mentee.minor_consent_on is None:
            errors.add("__all__", "Le jeune est mineur : indiquez d'abord sur sa fiche la "
                                  "date du consentement de son représentant légal.")
    if activating and not mentee.project_validated:
        errors.add("__all__", "Le projet professionnel du jeune doit être validé avant "
                                "de démarrer le binôme.")


def _overlapping(session: Session, mentee_id: int, start: date, end: date,
                 exclude: int | None) -> Pairing | None:
    """A pairing of this mentee holding a period that meets [start, end]."""
    effective_end = func.coalesce(Pairing.ended_on, Pairing.planned_end)
    return session.scalars(select(Pairing).where(
        Pairing.mentee_id == mentee_id, Pairing.status.in_(HOLDS_PERIOD),
        Pairing.id != (exclude or -1), Pairing.start_date <= end,
        effective_end >= start).order_by(Pairing.start_date)
        .execution_options(populate_existing=True)).first()


def active_count(session: Session, mentor_id: int, exclude: int | None = None) -> int:
    return session.scalar(select(func.count()).select_from(Pairing).where(
        Pairing.mentor_id == mentor_id, Pairing.status == P.ACTIF,
        Pairing.id != (exclude or -1))) or 0


def _check_overlap(session: Session, errors: Errors, mentee: Mentee, start: date, end: date,
                   exclude: int | None, field: str = "__all__") -> None:
    other = _overlapping(session, mentee.id, start, end, exclude)
    if other is not None:
        errors.add(field, f"Le jeune {mentee.code} a déjà un binôme "
                              f"({P(other.status).label.lower()}) du "
                              f"{format_date(other.start_date)} au "
                              f"{format_date(other.effective_end)} : les périodes se "
                              "chevauchent.")


def _check_bookings(session: Session, errors: Errors, mentee: Mentee, mentor: Mentor,
                    start: date, end: date, exclude: int | None) -> None:
    _check_overlap(session, errors, mentee, start, end, exclude)
    held = active_count(session, mentor.id, exclude)
    if held >= mentor.capacity:
        errors.add("mentor_id", f"{mentor.full_name} suit déjà {held} filleul·e(s), sa "
                                f"capacité est de {mentor.capacity}.")


def propose(session: Session, actor: Any, mentee_id: int, mentor_id: int, start_date: date,
            planned_end: date, *, confirm: bool = False, today: date | None = None
            ) -> Decision:
    """A proposed pairing (nothing is paired automatically: a person proposes)."""
    today = today or clock.today()
    access.check_may_create(actor)
    mentee = access.load(session, actor, Mentee, mentee_id, write=True)
    if mentor_id is None:  # the form's « — choisir — »: a message, not « introuvable »
        raise ValidationFailed({"mentor_id": ["Choisissez un parrain ou une marraine."]})
    mentor = access.load(session, actor, Mentor, mentor_id, write=True)
    _lock(session, mentee.id, mentor.id)
    errors, warnings = Errors(), []
    period_ok = _check_period(errors, start_date, planned_end, today)
    _check_people(errors, warnings, mentee, mentor, start_date if period_ok else None,
                  activating=False)
    if period_ok:
        _check_overlap(session, errors, mentee, start_date, planned_end, None)
    errors.raise_if_any()
    access.raise_warnings(warnings, confirm)
    pairing = Pairing(mission_locale_id=mentee.mission_locale_id, mentee=mentee, mentor=mentor,
                      start_date=start_date, planned_end=planned_end, status=P.PROPOSE)
    session.add(pairing)
    _record(session, pairing, actor, None, P.PROPOSE)
    session.flush()
    return Decision(pairing, warnings)


def activate(session: Session, actor: Any, pairing_id: int, version_id: int | None = None, *,
             start_date: date | None = None, confirm: bool = False,
             today: date | None = None) -> Decision:
    """Proposé → actif, under the lock: no overlap for the mentee, the mentor's capacity."""
    today = today or clock.today()
    pairing = access.load(session, actor, Pairing, pairing_id, write=True)
    _lock(session, pairing.mentee_id, pairing.mentor_id)
    session.refresh(pairing)
    access.check_version(pairing, version_id)
    errors, warnings = Errors(), []
    if pairing.status is not P.PROPOSE:
        raise DomainError(f"Ce binôme est « {P(pairing.status).label.lower()} » : seul un "
                          "binôme proposé peut démarrer.")
    start = start_date or pairing.start_date
    period_ok = _check_period(errors, start, pairing.planned_end, today)
    _check_people(errors, warnings, pairing.mentee, pairing.mentor,
                  start if period_ok else None, activating=True)
    if period_ok:
        _check_bookings(session, errors, pairing.mentee, pairing.mentor, start,
                        pairing.planned_end, pairing.id)
    errors.raise_if_any()
    access.raise_warnings(warnings, confirm)
    pairing.start_date, pairing.status = start, P.ACTIF
    pairing.version_id += 1
    _record(session, pairing, actor, P.PROPOSE, P.ACTIF)
    access.flush(session)
    return Decision(pairing, warnings)


def cancel_proposal(session: Session, actor: Any, pairing_id: int,
                    version_id: int | None = None) -> None:
    """A proposal that never started leaves no trace in the statistics: deleted."""
    pairing = access.load(session, actor, Pairing, pairing_id, write=True)
    access.check_version(pairing, version_id)
    if pairing.status is not P.PROPOSE:
        raise DomainError("Seul un binôme proposé peut être annulé ; un binôme démarré se "
                          "clôture.")
    session.delete(pairing)
    access.flush(session)


def close(session: Session, actor: Any, pairing_id: int, ended_on: date | None,
          reason: str | None, outcome: str | None, version_id: int | None = None, *,
          today: date | None = None) -> Pairing:
    """Actif → terminé or rompu (before 6 weeks, always rompu), with the outcome at the end;
    creates the follow-up due six months later."""
    today = today or clock.today()
    pairing = access.load(session, actor, Pairing, pairing_id, write=True)
    _lock(session, pairing.mentee_id, pairing.mentor_id)
    session.refresh(pairing)
    access.check_version(pairing, version_id)
    if pairing.status is not P.ACTIF:
        raise DomainError(f"Ce binôme est « {P(pairing.status).label.lower()} » : seul un "
                          "binôme actif peut être clôturé.")
    errors = Errors()
    if ended_on is None:
        errors.add("ended_on", "La date de fin est obligatoire.")
    elif ended_on < pairing.start_date:
        errors.add("ended_on", "La date de fin doit suivre la date de début "
                               f"({format_date(pairing.start_date)}).")
    elif ended_on > today:
        errors.add("ended_on", "La date de fin ne peut pas être dans le futur.")
    else:
        last = session.scalar(select(func.max(PairingMeeting.held_on))
                              .where(PairingMeeting.pairing_id == pairing.id))
        if last is not None and ended_on < last:
            errors.add("ended_on", "La date de fin ne peut pas précéder la dernière rencontre "
                                   f"enregistrée ({format_date(last)}).")
        elif ended_on > pairing.planned_end:
            # ending later than planned takes a period the mentee's next pairing may hold
            _check_overlap(session, errors, pairing.mentee, pairing.start_date, ended_on,
                           pairing.id, field="ended_on")
    if reason not in CloseReason._value2member_map_:
        errors.add("reason", "Indiquez le motif de fin (objectif atteint, durée échue, ou "
                             "rompu par le jeune, le parrain ou la structure).")
    if outcome not in Outcome._value2member_map_:
        errors.add("outcome", "Indiquez la situation du jeune à la fin du binôme (inconnu si "
                              "vous ne la connaissez pas).")
    errors.raise_if_any()
    why = CloseReason(reason)
    short = (ended_on - pairing.start_date).days < config.SHORT_PAIRING_DAYS
    new = P.TERMINE if why.ends_normally and not short else P.ROMPU
    pairing.ended_on, pairing.close_reason, pairing.outcome = ended_on, why, Outcome(outcome)
    pairing.status = new
    pairing.version_id += 1
    _record(session, pairing, actor, P.ACTIF, new, why.value)
    session.add(FollowUp(pairing=pairing,
                         due_on=add_months(ended_on, config.FOLLOW_UP_MONTHS)))
    access.flush(session)
    return pairing


def record_follow_up(session: Session, actor: Any, follow_up_id: int, outcome: str | None,
                     version_id: int | None = None, *, today: date | None = None) -> FollowUp:
    """The situation six months after the end, typed on or after its due date. Once
    recorded, it is corrected only by posting the version that was read (a form shown
    before someone else recorded it must not overwrite their answer)."""
    today = today or clock.today()
    follow_up = access.load(session, actor, FollowUp, follow_up_id, write=True)
    access.check_version(follow_up, version_id)
    if follow_up.recorded_on is not None and version_id is None:
        raise DomainError("La situation à 6 mois de ce binôme a déjà été saisie le "
                          f"{format_date(follow_up.recorded_on)} : rechargez la page pour "
                          "la voir avant de la corriger.")
    errors = Errors()
    if today < follow_up.due_on:
        errors.add("outcome", "La situation à 6 mois ne peut être saisie qu'à partir du "
                              f"{format_date(follow_up.due_on)}.")
    if outcome not in Outcome._value2member_map_:
        errors.add("outcome", "Indiquez la situation du jeune six mois après la fin du "
                              "binôme (inconnu si vous ne la connaissez pas).")
    errors.raise_if_any()
    follow_up.outcome, follow_up.recorded_on = Outcome(outcome), today
    follow_up.recorded_by_id = getattr(actor, "id", None)
    follow_up.version_id += 1
    access.flush(session)
    return follow_up


def due_follow_ups(session: Session, actor: Any, *, today: date | None = None
                   ) -> list[FollowUp]:
    """Follow-ups due and not yet recorded, in the actor's scope."""
    from models.mentoring import rules

    today = today or clock.today()
    stmt = (select(FollowUp).join(Pairing).where(FollowUp.outcome.is_(None),
                                                  FollowUp.due_on <= today)
            .order_by(FollowUp.due_on, FollowUp.id))
    scope = rules.ml_scope(actor) if actor is not None else None
    if scope is not None:
        stmt = stmt.where(Pairing.mission_locale_id == scope)
    return list(session.scalars(stmt))


def log_meeting(session: Session, actor: Any, pairing_id: int, held_on: date | None,
                mode: str | None, duration_minutes: Any, *,
                today: date | None = None) -> PairingMeeting:
    """A meeting of the pair: date, mode, duration — no content about the young person."""
    today = today or clock.today()
    pairing = access.load(session, actor, Pairing, pairing_id, write=True)
    errors = Errors()
    if pairing.status is P.PROPOSE:
        errors.add("__all__", "Le binôme n'a pas encore démarré.")
    if held_on is None:
        errors.add("held_on", "La date de la rencontre est obligatoire.")
    elif held_on > today:
        errors.add("held_on", "La rencontre ne peut pas être dans le futur.")
    elif held_on < pairing.start_date or held_on > pairing.effective_end:
        errors.add("held_on", "La rencontre doit avoir lieu pendant le binôme "
                              f"({format_date(pairing.start_date)} – "
                              f"{format_date(pairing.effective_end)}).")
    if mode not in MeetingMode._value2member_map_:
        errors.add("mode", "Choisissez le mode de la rencontre.")
    if (not isinstance(duration_minutes, int) or isinstance(duration_minutes, bool)
            or not 1 <= duration_minutes <= 600):
        errors.add("duration_minutes", "La durée est un nombre de minutes entre 1 et 600.")
    errors.raise_if_any()
    meeting = PairingMeeting(pairing=pairing, held_on=held_on, mode=MeetingMode(mode),
                             duration_minutes=duration_minutes)
    session.add(meeting)
    session.flush()
    return meeting
