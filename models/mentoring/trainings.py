"""Mentor trainings: the team's « Formation des parrains et marraines » in the training
catalogue, where a mission locale registers its volunteers.

A mentor training is a catalogue entry whose audience includes the volunteers' job
(``Job.BENEVOLE``). A registration linked to a mentor (``Registration.mentor_id``) is made
here from the mentor's record, or linked when a mission locale registers, in the training
module, one of its mentors by e-mail as a volunteer. Once the attendance sheet says the
mentor was present, the mentor's ``trained_on`` is set to that day (if still empty), which
the activation rule and the programme's « Parrains formés » read.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.errors import Errors
from models.mentoring import access
from models.mentoring.orm import Mentor
from models.training.enums import Job, Presence, RegistrationStatus
from models.training.orm import Registration, SessionSlot, Training, TrainingSession

MENTOR_JOB = Job.BENEVOLE


def is_mentor_training(training: Training) -> bool:
    return MENTOR_JOB.value in (training.audience or [])


def register_mentor(session: Session, actor: Any, session_id: int, mentor_id: int, *,
                    today: date | None = None) -> Registration:
    """Register a mentor of the actor's mission locale (the team: any) to a session of a
    mentor training, with the seat rules of the training module (confirmed or waiting,
    the same e-mails)."""
    from models.training.registrations import RegistrationData, register

    mentor = access.load(session, actor, Mentor, mentor_id, write=True)
    errors = Errors()
    ts = session.get(TrainingSession, session_id) if isinstance(session_id, int) else None
    if ts is None:
        errors.add("session_id", "Session introuvable.")
    elif not is_mentor_training(ts.training):
        errors.add("session_id", f"« {ts.training.title} » n'est pas ouverte aux parrains et "
                                 "marraines bénévoles.")
    if mentor.anonymised_on is not None or not mentor.active:
        errors.add("mentor_id", f"{mentor.full_name} n'est pas actif·ve.")
    errors.raise_if_any()
    reg = register(session, actor, ts.id, RegistrationData(
        last_name=mentor.last_name, first_name=mentor.first_name, email=mentor.email,
        job=MENTOR_JOB.value, mission_locale_id=mentor.mission_locale_id), today=today)
    reg.mentor_id = mentor.id
    session.flush()
    return reg


def link_registration(session: Session, reg: Registration) -> Mentor | None:
    """A volunteer registered in the training module whose e-mail is one of their mission
    locale's mentors: the registration is linked to the mentor."""
    if reg.mentor_id is not None or reg.job != MENTOR_JOB.value:
        return None
    mentor = session.scalars(select(Mentor).where(
        func.lower(Mentor.email) == (reg.email or "").lower(),
        Mentor.mission_locale_id == reg.mission_locale_id,
        Mentor.anonymised_on.is_(None))).first()
    if mentor is not None:
        reg.mentor_id = mentor.id
    return mentor


def note_attendance(session: Session, registrations: Iterable[Registration]) -> int:
    """After an attendance sheet is saved: each linked mentor present at a half-day gets
    ``trained_on`` = the last day they were present, unless already trained. Returns how
    many mentors became trained."""
    linked = [r for r in registrations
              if r.mentor_id is not None and r.status is RegistrationStatus.CONFIRMEE]
    trained = 0
    for reg in linked:
        days = [session.get(SessionSlot, a.slot_id).day for a in reg.attendances
                if Presence(a.presence) is Presence.PRESENT]
        mentor = session.get(Mentor, reg.mentor_id)
        if not days or mentor is None or mentor.trained_on is not None:
            continue
        mentor.trained_on = max(days)
        mentor.version_id += 1  # a form opened before sees the change (ConcurrentEdit)
        trained += 1
    if trained:
        session.flush()
    return trained


def anonymise_registrations(session: Session, mentor: Mentor) -> int:
    """A mentor anonymised is anonymised in their training registrations too (the
    registration keeps its seat and attendance as training evidence, without the person)."""
    regs = list(session.scalars(select(Registration).where(Registration.mentor_id == mentor.id)))
    for reg in regs:
        reg.last_name, reg.first_name = "Anonymisé", "Parrain ou marraine"
        reg.email = f"anonyme-{reg.id}@invalid"
        reg.cancel_reason = ""
    return len(regs)
