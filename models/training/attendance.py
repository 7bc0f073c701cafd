"""Attendance per half-day: recording it, and what it says about each trainee.

A mark exists per (confirmed registration, half-day slot): présent, absent or
excusé. From the marks come a trainee's attendance rate (present half-days over
the session's half-days), the hours actually attended (the present slots'
durations: what the certificate states) and whether the presence was complete,
partial or nil. Writes flush, never commit; ``actor`` ``None`` is trusted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import clock
from models.errors import DomainError, Errors, PermissionDenied
from models.formatting import format_date
from models.policy import can
from models.training.enums import HalfDay, Presence, RegistrationStatus, SessionStatus
from models.training.orm import Attendance, Registration, SessionSlot, TrainingSession
from models.training.registrations import lock_session

#: What a mark may be: a Presence, its value ("present"…), or None/"" to clear it.
Mark = Presence | str | None

# Derived presence of a trainee over the whole session.
COMPLETE, PARTIAL, NIL, UNKNOWN = "complete", "partielle", "aucune", "non_renseignee"
PRESENCE_LABELS = {COMPLETE: "Complète", PARTIAL: "Partielle", NIL: "Aucune",
                   UNKNOWN: "Non renseignée"}


def slot_hours(slot: SessionSlot) -> Decimal:
    """A half-day's length in hours (3 h 30 → 3.50), exact to the minute."""
    minutes = ((slot.ends_at.hour * 60 + slot.ends_at.minute)
               - (slot.starts_at.hour * 60 + slot.starts_at.minute))
    return (Decimal(minutes) / Decimal(60)).quantize(Decimal("0.01"))


def confirmed_registrations(session: Session, ts: TrainingSession) -> list[Registration]:
    """The trainees of the attendance sheet: confirmed seats, by last then first name."""
    return list(session.scalars(
        select(Registration).where(Registration.session_id == ts.id,
                                   Registration.status == RegistrationStatus.CONFIRMEE)
        .options(selectinload(Registration.mission_locale),
                 selectinload(Registration.attendances))
        .order_by(Registration.last_name, Registration.first_name, Registration.id)))


@dataclass
class TraineeAttendance:
    """One trainee's marks and what follows from them."""

    registration: Registration
    marks: dict[int, Presence]  # slot id → mark (unmarked slots absent from the dict)
    slots: int
    present: int
    absent: int
    excused: int
    hours: Decimal

    @property
    def marked(self) -> int:
        return self.present + self.absent + self.excused

    @property
    def rate(self) -> Decimal | None:
        """Present half-days over the session's half-days (None for a session without any)."""
        if not self.slots:
            return None
        return (Decimal(self.present) / Decimal(self.slots)).quantize(Decimal("0.0001"))

    @property
    def presence(self) -> str:
        if self.present and self.present == self.slots:
            return COMPLETE
        if self.present:
            return PARTIAL
        return NIL if self.marked else UNKNOWN

    @property
    def presence_label(self) -> str:
        return PRESENCE_LABELS[self.presence]

    @property
    def attended(self) -> bool:
        return self.present > 0


@dataclass
class SessionAttendance:
    session: TrainingSession
    slots: list[SessionSlot]
    trainees: list[TraineeAttendance] = field(default_factory=list)

    @property
    def total_hours(self) -> Decimal:
        return sum((slot_hours(s) for s in self.slots), Decimal("0.00"))

    @property
    def attendees(self) -> list[TraineeAttendance]:
        return [t for t in self.trainees if t.attended]

    @property
    def complete(self) -> bool:
        """Every confirmed trainee has a mark for every half-day."""
        return all(t.marked == len(self.slots) for t in self.trainees)

    def trainee(self, registration_id: int) -> TraineeAttendance | None:
        return next((t for t in self.trainees if t.registration.id == registration_id), None)


def _summarise(reg: Registration, slots: list[SessionSlot]) -> TraineeAttendance:
    by_slot = {s.id: s for s in slots}
    marks = {a.slot_id: Presence(a.presence) for a in reg.attendances if a.slot_id in by_slot}
    present = [sid for sid, m in marks.items() if m is Presence.PRESENT]
    return TraineeAttendance(
        registration=reg, marks=marks, slots=len(slots), present=len(present),
        absent=sum(m is Presence.ABSENT for m in marks.values()),
        excused=sum(m is Presence.EXCUSE for m in marks.values()),
        hours=sum((slot_hours(by_slot[sid]) for sid in present), Decimal("0.00")))


def session_attendance(session: Session, ts: TrainingSession) -> SessionAttendance:
    """The grid of a session: every confirmed trainee × every half-day, with the totals."""
    slots = list(session.scalars(select(SessionSlot).where(SessionSlot.session_id == ts.id)
                                 .order_by(SessionSlot.day, SessionSlot.starts_at)))
    return SessionAttendance(ts, slots, [_summarise(r, slots)
                                         for r in confirmed_registrations(session, ts)])


def trainee_attendance(session: Session, reg: Registration) -> TraineeAttendance:
    slots = list(session.scalars(select(SessionSlot).where(
        SessionSlot.session_id == reg.session_id).order_by(SessionSlot.day, SessionSlot.starts_at)))
    return _summarise(reg, slots)


def _presence(value: Mark) -> Presence | None:
    if value is None or value == "":
        return None
    return Presence(value)  # ValueError for anything else


def record_attendance(session: Session, actor: Any, ts: TrainingSession,
                      marks: Mapping[tuple[int, int], Mark], *,
                      today: date | None = None) -> int:
    """Set the marks ``{(registration id, slot id): presence or None}``, all or nothing.

    Only the team records attendance, only for confirmed registrations of this session
    and its own half-days, never for a cancelled session nor for a half-day still to
    come. ``None`` clears a mark. Returns how many marks changed.
    """
    today = today or clock.today()
    if actor is not None and not can(actor, "training.manage"):
        raise PermissionDenied()
    ts = lock_session(session, ts.id)  # one writer per session: no duplicate marks
    if ts.status is SessionStatus.ANNULEE:
        raise DomainError("La session est annulée : il n'y a pas de présence à enregistrer.")
    slots = {s.id: s for s in session.scalars(
        select(SessionSlot).where(SessionSlot.session_id == ts.id))}
    regs = {r.id: r for r in confirmed_registrations(session, ts)}
    errors = Errors()
    said: set[tuple[str, str]] = set()

    def refuse(key: str, message: str) -> None:
        if (key, message) not in said:  # one message per kind explains a refused grid
            said.add((key, message))
            errors.add(key, message)

    wanted: dict[tuple[int, int], Presence | None] = {}
    for (reg_id, slot_id), value in marks.items():
        reg, slot = regs.get(reg_id), slots.get(slot_id)
        if reg is None:
            refuse("__all__", "La présence ne s'enregistre que pour les inscriptions "
                                  "confirmées de cette session.")
            continue
        if slot is None:
            refuse("__all__", "Cette demi-journée n'appartient pas à la session.")
            continue
        try:
            presence = _presence(value)
        except ValueError:
            refuse(f"p_{reg_id}_{slot_id}", f"{reg.full_name} : choisissez présent·e, "
                                                "absent·e ou excusé·e.")
            continue
        if presence is not None and slot.day > today:
            refuse(f"p_{reg_id}_{slot_id}",
                       f"La demi-journée du {format_date(slot.day)} "
                       f"({HalfDay(slot.half).label.lower()}) n'a pas encore eu lieu.")
            continue
        wanted[(reg_id, slot_id)] = presence
    errors.raise_if_any()

    existing = {(a.registration_id, a.slot_id): a for r in regs.values() for a in r.attendances}
    changed = 0
    for (reg_id, slot_id), presence in wanted.items():
        row = existing.get((reg_id, slot_id))
        if presence is None:
            if row is not None:
                session.delete(row)
                regs[reg_id].attendances.remove(row)
                changed += 1
        elif row is None:
            regs[reg_id].attendances.append(
                Attendance(registration_id=reg_id, slot_id=slot_id, presence=presence))
            changed += 1
        elif Presence(row.presence) is not presence:
            row.presence = presence
            changed += 1
    session.flush()
    from models.mentoring.trainings import note_attendance

    note_attendance(session, regs.values())  # a mentor present is trained
    return changed
