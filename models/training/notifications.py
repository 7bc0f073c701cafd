"""The e-mails of the training programme, queued in the outbox (see ``models.mail``).

Each function builds the French text of one event and queues it; nothing here sends.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.accounts.orm import User
from models.accounts.roles import Role
from models.formatting import format_date
from models.mail.outbox import queue_mail
from models.training.orm import Registration, TrainingSession

SIGNATURE = "\n\n— L'équipe d'animation régionale (message envoyé par Animaréseau)"


def ml_contacts(session: Session, mission_locale_id: int) -> list[str]:
    """Who hears about a mission locale's registrations: its director and its accounts."""
    from models.network.orm import MissionLocale

    ml = session.get(MissionLocale, mission_locale_id)
    emails = list(session.scalars(select(User.email).where(
        User.mission_locale_id == mission_locale_id, User.role == Role.ML,
        User.active.is_(True))))
    if ml is not None and ml.director_email:
        emails.append(ml.director_email)
    return emails


def session_line(ts: TrainingSession) -> str:
    dates = format_date(ts.start_date)
    if ts.end_date != ts.start_date:
        dates = f"du {format_date(ts.start_date)} au {format_date(ts.end_date)}"
    return f"« {ts.training.title} », {dates}"


def confirmed(session: Session, reg: Registration) -> None:
    ts = reg.session
    queue_mail(session, [reg.email], f"Inscription confirmée : {ts.training.title}",
               f"Bonjour {reg.first_name},\n\nVotre inscription à la formation "
               f"{session_line(ts)} est confirmée. Vous recevrez votre convocation (lieu, "
               f"horaires, accès) avant la session." + SIGNATURE,
               kind="confirmation", about=ts)


def waitlisted(session: Session, reg: Registration, position: int) -> None:
    ts = reg.session
    queue_mail(session, [reg.email], f"Liste d'attente : {ts.training.title}",
               f"Bonjour {reg.first_name},\n\nLa formation {session_line(ts)} est complète : "
               f"vous êtes inscrit·e sur la liste d'attente, en position {position}. Si une "
               f"place se libère, vous serez prévenu·e par e-mail." + SIGNATURE,
               kind="liste_attente", about=ts)


def promoted(session: Session, reg: Registration) -> None:
    ts = reg.session
    text = (f"Une place s'est libérée : l'inscription de {reg.full_name} à la formation "
            f"{session_line(ts)} est désormais confirmée.")
    queue_mail(session, [reg.email], f"Place confirmée : {ts.training.title}",
               f"Bonjour {reg.first_name},\n\n{text}" + SIGNATURE,
               kind="promotion", about=ts)
    queue_mail(session, ml_contacts(session, reg.mission_locale_id),
               f"Place confirmée pour {reg.full_name} : {ts.training.title}",
               f"Bonjour,\n\n{text}" + SIGNATURE, kind="promotion_ml", about=ts)


def offered(session: Session, reg: Registration) -> None:
    ts = reg.session
    until = format_date(reg.offer_expires_at) if reg.offer_expires_at else ""
    queue_mail(session, [reg.email], f"Une place vous est proposée : {ts.training.title}",
               f"Bonjour {reg.first_name},\n\nUne place s'est libérée pour la formation "
               f"{session_line(ts)}. Elle vous est réservée jusqu'au {until} : votre mission "
               f"locale (ou l'équipe de l'ARML) peut l'accepter depuis Animaréseau. Sans "
               f"réponse, elle sera proposée à la personne suivante." + SIGNATURE,
               kind="offre", about=ts)


def session_cancelled(session: Session, ts: TrainingSession, regs: list[Registration]) -> None:
    for reg in regs:
        queue_mail(session, [reg.email], f"Session annulée : {ts.training.title}",
                   f"Bonjour {reg.first_name},\n\nLa formation {session_line(ts)} est "
                   f"annulée.\nMotif : {ts.cancel_reason}\n\nVotre inscription est close ; "
                   f"vous serez informé·e des prochaines sessions." + SIGNATURE,
                   kind="annulation", about=ts)


def dates_changed(session: Session, ts: TrainingSession, regs: list[Registration]) -> None:
    for reg in regs:
        queue_mail(session, [reg.email], f"Changement de dates : {ts.training.title}",
                   f"Bonjour {reg.first_name},\n\nLes dates de la formation « "
                   f"{ts.training.title} » ont changé : elle aura lieu "
                   f"{session_line(ts).split('», ', 1)[1]}. Si vous ne pouvez plus y "
                   f"participer, prévenez votre mission locale pour libérer votre place."
                   + SIGNATURE, kind="changement_dates", about=ts)
