"""Reminders of the six-month follow-ups: the référents of the mission locale are told
which outcomes are due and not yet recorded.

One e-mail per due follow-up, queued in the outbox, to the active ``ml`` accounts of the
pairing's mission locale. It names the mentee by their pseudonymous code only (no other
attribute of the young person, nor the mentor), with the due date and the link to the
follow-ups page. Idempotent: ``FollowUp.reminded_on`` keeps the day of the last reminder,
so a daily run sends nothing twice and reminds again every ``AGAIN_AFTER_DAYS`` while
the outcome is still missing.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from models import clock
from models.accounts.orm import User
from models.accounts.roles import Role
from models.formatting import format_date
from models.mail.outbox import queue_mail
from models.mentoring.orm import FollowUp, Mentee, Pairing

#: a follow-up still not recorded is reminded again after this many days
AGAIN_AFTER_DAYS = 14
#: the page where the référent records the outcome (``mentoring.follow_ups``)
FOLLOW_UPS_PATH = "/parrainage/suivis"
KIND = "relance_suivi_parrainage"
SIGNATURE = "\n\n— L'équipe d'animation régionale (message envoyé par Animaréseau)"


def referents(session: Session, mission_locale_id: int) -> list[str]:
    """The active ``ml`` accounts of a mission locale (its référents parrainage)."""
    return list(session.scalars(select(User.email).where(
        User.mission_locale_id == mission_locale_id, User.role == Role.ML,
        User.active.is_(True)).order_by(User.email)))


def due_for_reminder(session: Session, today: date) -> list[FollowUp]:
    """Due, unrecorded follow-ups never reminded, or last reminded long enough ago."""
    stmt = (select(FollowUp).join(Pairing).where(
        FollowUp.outcome.is_(None), FollowUp.due_on <= today)
        .options(joinedload(FollowUp.pairing).joinedload(Pairing.mentee))
        .order_by(Pairing.mission_locale_id, FollowUp.due_on, FollowUp.id))
    return [f for f in session.scalars(stmt)
            if f.reminded_on is None or (today - f.reminded_on).days >= AGAIN_AFTER_DAYS]


def _body(mentee: Mentee, follow_up: FollowUp, link: str, again: bool) -> str:
    opening = "Rappel : la" if again else "La"
    return (f"Bonjour,\n\n{opening} situation à six mois du filleul ou de la filleule "
            f"{mentee.code} est à saisir depuis le {format_date(follow_up.due_on)}.\n\n"
            f"Saisissez-la dans Animaréseau, rubrique Parrainage > Suivis à 6 mois :\n{link}\n\n"
            "Si vous ne connaissez pas sa situation, indiquez « inconnu » : le suivi sera "
            "clos et ce rappel ne reviendra plus." + SIGNATURE)


def send_follow_up_reminders(session: Session, *, today: date | None = None,
                             base_url: str = "") -> int:
    """Queue the reminders due ``today``; returns how many e-mails were queued. Flushes,
    the caller commits. A mission locale without an active account gets none (and is
    tried again at the next run)."""
    today = today or clock.today()
    link = base_url.rstrip("/") + FOLLOW_UPS_PATH
    recipients: dict[int, list[str]] = {}
    queued = 0
    for follow_up in due_for_reminder(session, today):
        pairing = follow_up.pairing
        if pairing.mission_locale_id not in recipients:
            recipients[pairing.mission_locale_id] = referents(session,
                                                              pairing.mission_locale_id)
        to = recipients[pairing.mission_locale_id]
        if not to:
            continue
        code = pairing.mentee.code
        queue_mail(session, to, f"Parrainage : situation à 6 mois à saisir ({code})",
                   _body(pairing.mentee, follow_up, link, follow_up.reminded_on is not None),
                   kind=KIND, about=follow_up)
        follow_up.reminded_on = today
        queued += 1
    session.flush()
    return queued
