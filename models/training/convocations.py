"""Convocations: one e-mail per confirmed trainee, with the schedule and an .ics file.

The outbox is the only record (kind ``convocation``, the session's id): nothing else
about the trainees is written. Sending again (after a change of place or hours) is
allowed and sends to everyone confirmed at that moment.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.accounts.roles import ARML_TEAM, Role
from models.errors import DomainError, PermissionDenied
from models.formatting import format_date
from models.mail.orm import TRAINING_SESSION, OutboxMessage
from models.mail.outbox import Attachment, queue_mail
from models.training.calendar import location_of, session_ics
from models.training.enums import HalfDay, Modality, RegistrationStatus, SessionStatus
from models.training.notifications import SIGNATURE, session_line
from models.training.orm import Registration, TrainingSession

KIND = "convocation"
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def _hour(value) -> str:
    return f"{value.hour} h {value.minute:02d}"


def _hours(value: Decimal) -> str:
    """``14`` or ``3,5`` (no trailing ``,0``)."""
    return format(Decimal(value).normalize(), "f").replace(".", ",")


def schedule_lines(ts: TrainingSession) -> list[str]:
    """``- jeudi 10 décembre 2026, matin : 9 h 00 – 12 h 30`` for each half-day."""
    return [f"- {WEEKDAYS[slot.day.weekday()]} {format_date(slot.day)}, "
            f"{HalfDay(slot.half).label.lower()} : {_hour(slot.starts_at)} – "
            f"{_hour(slot.ends_at)}" for slot in ts.slots]


def convocation_body(ts: TrainingSession, reg: Registration) -> str:
    training = ts.training
    modality = Modality(training.modality)
    parts = [f"Bonjour {reg.first_name},",
             f"Vous êtes convoqué·e à la formation {session_line(ts)}.",
             "Horaires :\n" + "\n".join(schedule_lines(ts))]
    where = [f"Lieu : {location_of(ts)}"]
    if ts.access_details:
        where.append(f"Accès : {ts.access_details}")
    if ts.video_link and modality is not Modality.PRESENTIEL:
        where.append(f"Lien de la visioconférence : {ts.video_link}")
    parts.append("\n".join(where))
    about = [f"Modalité : {modality.label}",
             f"Durée : {_hours(training.duration_hours)} heures"]
    if ts.trainer or training.trainer:
        about.append(f"Formateur·rice : {ts.trainer or training.trainer}")
    if training.provider:
        about.append(f"Organisme de formation : {training.provider}")
    parts.append("\n".join(about))
    parts.append("Le fichier joint (convocation.ics) ajoute ces horaires à votre agenda. "
                 "Pensez à signer la feuille d'émargement à chaque demi-journée.\n"
                 "En cas d'empêchement, prévenez votre mission locale au plus tôt : votre "
                 "place pourra être proposée à une autre personne.")
    return "\n\n".join(parts) + SIGNATURE


def send_convocations(session: Session, actor: Any, training_session: TrainingSession, *,
                      now: datetime | None = None) -> int:
    """Queue one convocation per confirmed registration; returns how many."""
    if actor is not None and Role(actor.role) not in ARML_TEAM:
        raise PermissionDenied()
    ts = training_session
    status = SessionStatus(ts.status)
    if status is SessionStatus.ANNULEE:
        raise DomainError("La session est annulée : aucune convocation n'est envoyée.")
    if status is SessionStatus.REALISEE:
        raise DomainError("La session a déjà eu lieu : les convocations ne s'envoient plus.")
    if not ts.slots:
        raise DomainError("La session n'a pas encore de demi-journées : ajoutez ses horaires "
                          "avant d'envoyer les convocations.")
    confirmed = list(session.scalars(select(Registration).where(
        Registration.session_id == ts.id, Registration.status == RegistrationStatus.CONFIRMEE)
        .order_by(Registration.last_name, Registration.first_name, Registration.id)))
    if not confirmed:
        raise DomainError("Aucune inscription confirmée : il n'y a personne à convoquer.")
    ics = Attachment(filename="convocation.ics", mimetype="text/calendar",
                     content=session_ics(ts, now=now))
    for reg in confirmed:
        queue_mail(session, [reg.email], f"Convocation : {ts.training.title}",
                   convocation_body(ts, reg), kind=KIND, about=ts, attachments=[ics])
    session.flush()
    return len(confirmed)


def convocations_sent(session: Session, ts: TrainingSession) -> tuple[int, datetime | None]:
    """How many convocations were queued for the session, and when the last one was."""
    count, last = session.execute(select(func.count(), func.max(OutboxMessage.created_at))
                                  .where(OutboxMessage.subject_type == TRAINING_SESSION,
                                         OutboxMessage.subject_id == ts.id,
                                         OutboxMessage.kind == KIND)).one()
    return count or 0, last
