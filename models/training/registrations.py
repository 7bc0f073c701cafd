"""Seats: registering, the waitlist, cancelling, promoting, offering a freed seat.

Every decision is taken under a write lock on the session row (``begin_write`` +
``SELECT … FOR UPDATE``) and counts from the database, never from objects loaded
earlier: two people clicking at the same time can never both get the last seat,
on SQLite or PostgreSQL. Writes flush, never commit; ``actor`` ``None`` is trusted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import clock
from models.accounts.roles import ARML_TEAM, Role
from models.base import utcnow
from models.database import begin_write
from models.errors import DomainError, Errors, PermissionDenied
from models.network.orm import MissionLocale
from models.training import notifications
from models.training.enums import Job, RegistrationStatus, SessionStatus
from models.training.orm import Registration, TrainingSession

R = RegistrationStatus
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
HOLDS_SEAT = (R.CONFIRMEE, R.OFFRE)


def _role(actor: Any) -> Role | None:
    return Role(actor.role) if actor is not None else None


def lock_session(session: Session, session_id: int) -> TrainingSession:
    """The session row, locked for the rest of the transaction, re-read from the database."""
    begin_write(session)
    ts = session.scalars(select(TrainingSession).where(TrainingSession.id == session_id)
                         .with_for_update()
                         .execution_options(populate_existing=True)).one_or_none()
    if ts is None:
        raise DomainError("Session de formation introuvable.")
    return ts


def seats_held(session: Session, ts: TrainingSession, mission_locale_id: int | None = None
               ) -> int:
    stmt = select(func.count()).select_from(Registration).where(
        Registration.session_id == ts.id, Registration.status.in_(HOLDS_SEAT))
    if mission_locale_id is not None:
        stmt = stmt.where(Registration.mission_locale_id == mission_locale_id)
    return session.scalar(stmt) or 0


def waitlist(session: Session, ts: TrainingSession) -> list[Registration]:
    """Waiting registrations in order (position = index + 1: never a gap)."""
    return list(session.scalars(
        select(Registration).where(Registration.session_id == ts.id,
                                   Registration.status == R.ATTENTE)
        .order_by(Registration.queued_at, Registration.id)
        .execution_options(populate_existing=True)))


def position(session: Session, reg: Registration) -> int | None:
    if reg.status is not R.ATTENTE:
        return None
    ahead = session.scalar(select(func.count()).select_from(Registration).where(
        Registration.session_id == reg.session_id, Registration.status == R.ATTENTE,
        (Registration.queued_at < reg.queued_at)
        | ((Registration.queued_at == reg.queued_at) & (Registration.id < reg.id))))
    return (ahead or 0) + 1


def _sync_status(session: Session, ts: TrainingSession) -> None:
    """Ouverte ↔ complète follows the seats; other statuses are set by people."""
    if ts.status in (SessionStatus.OUVERTE, SessionStatus.COMPLETE):
        full = seats_held(session, ts) >= ts.max_capacity
        ts.status = SessionStatus.COMPLETE if full else SessionStatus.OUVERTE
    ts.seat_version += 1


@dataclass
class RegistrationData:
    last_name: str
    first_name: str
    email: str
    job: str
    mission_locale_id: int | None


def register(session: Session, actor: Any, session_id: int, data: RegistrationData, *,
             today: date | None = None) -> Registration:
    """Confirm a seat if one is free (and the mission locale's quota allows), else queue."""
    today = today or clock.today()
    ts = lock_session(session, session_id)
    _lapse_offers(session, ts, utcnow())
    role = _role(actor)
    if actor is not None and role not in ARML_TEAM and role is not Role.ML:
        raise PermissionDenied()
    errors = Errors()
    if ts.status in (SessionStatus.ANNULEE, SessionStatus.REALISEE, SessionStatus.CLOSE):
        errors.add("__all__", f"Les inscriptions ne sont pas possibles : la session est "
                              f"« {SessionStatus(ts.status).label.lower()} ».")
    elif today < ts.registration_opens:
        errors.add("__all__", "Les inscriptions ouvrent le "
                              f"{ts.registration_opens.strftime('%d/%m/%Y')}.")
    elif today > ts.registration_closes:
        errors.add("__all__", "Les inscriptions sont closes depuis le "
                              f"{ts.registration_closes.strftime('%d/%m/%Y')}.")
    ml_id = data.mission_locale_id
    if role is Role.ML:
        if ml_id is not None and ml_id != actor.mission_locale_id:
            raise PermissionDenied("Vous ne pouvez inscrire que le personnel de votre "
                                   "mission locale.")
        ml_id = actor.mission_locale_id
    if ml_id is None or session.get(MissionLocale, ml_id) is None:
        errors.add("mission_locale_id", "Choisissez la mission locale de la personne.")
    if not (data.last_name or "").strip():
        errors.add("last_name", "Le nom est obligatoire.")
    if not (data.first_name or "").strip():
        errors.add("first_name", "Le prénom est obligatoire.")
    email = (data.email or "").strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 254:
        errors.add("email", "Adresse e-mail invalide (exemple : prenom.nom@ml-exemple.fr).")
    if data.job not in Job._value2member_map_:
        errors.add("job", "Choisissez la fonction de la personne.")
    existing = session.scalars(select(Registration).where(
        Registration.session_id == ts.id, func.lower(Registration.email) == email)
        .execution_options(populate_existing=True)).one_or_none() if email else None
    if existing is not None and existing.status is not R.ANNULEE:
        errors.add("email", f"{existing.full_name} ({email}) est déjà inscrit·e à cette "
                            f"session ({R(existing.status).label.lower()}).")
    errors.raise_if_any()

    free = seats_held(session, ts) < ts.max_capacity
    quota_ok = ts.ml_quota is None or seats_held(session, ts, ml_id) < ts.ml_quota
    reg = existing or Registration(session=ts)
    if existing is None:
        session.add(reg)
    reg.mission_locale_id = ml_id
    reg.last_name, reg.first_name = data.last_name.strip(), data.first_name.strip()
    reg.email, reg.job = email, data.job
    reg.status = R.CONFIRMEE if free and quota_ok else R.ATTENTE
    reg.queued_at = utcnow()
    reg.cancelled_at, reg.cancel_reason, reg.offer_expires_at = None, "", None
    reg.registered_by_id = getattr(actor, "id", None)
    from models.mentoring.trainings import link_registration

    link_registration(session, reg)  # one of the ML's mentors, registered as a volunteer
    session.flush()
    _sync_status(session, ts)
    session.flush()
    if reg.status is R.CONFIRMEE:
        notifications.confirmed(session, reg)
    else:
        notifications.waitlisted(session, reg, position(session, reg) or 0)
    return reg


def may_manage(actor: Any, reg: Registration) -> bool:
    """The team for everyone; a mission locale for its own staff."""
    role = _role(actor)
    return actor is None or role in ARML_TEAM or (
        role is Role.ML and reg.mission_locale_id == actor.mission_locale_id)


def cancel(session: Session, actor: Any, registration_id: int, reason: str = "", *,
           now: datetime | None = None) -> Registration:
    """Cancel a registration; a freed seat goes to the waitlist at once."""
    reg = session.get(Registration, registration_id)
    if reg is None:
        raise DomainError("Inscription introuvable.")
    ts = lock_session(session, reg.session_id)
    _lapse_offers(session, ts, now or utcnow())
    session.refresh(reg)
    if not may_manage(actor, reg):
        raise PermissionDenied()
    if reg.status is R.ANNULEE:
        raise DomainError(f"L'inscription de {reg.full_name} est déjà annulée.")
    if ts.status in (SessionStatus.ANNULEE, SessionStatus.REALISEE):
        raise DomainError("La session est terminée ou annulée : son inscription ne change plus.")
    held = reg.status in HOLDS_SEAT
    reg.status = R.ANNULEE
    reg.cancelled_at = now or utcnow()
    reg.cancel_reason = (reason or "").strip()
    session.flush()
    if held:
        fill_freed_seats(session, ts, now=now)
    _sync_status(session, ts)
    session.flush()
    return reg


def fill_freed_seats(session: Session, ts: TrainingSession, *,
                     now: datetime | None = None) -> list[Registration]:
    """Give free seats to the waitlist in order (skipping people over their ML's quota):
    confirmed at once, or offered for ``offer_days`` when the session says so."""
    now = now or utcnow()
    moved = []
    for reg in waitlist(session, ts):
        if seats_held(session, ts) >= ts.max_capacity:
            break
        if ts.ml_quota is not None and \
                seats_held(session, ts, reg.mission_locale_id) >= ts.ml_quota:
            continue
        if ts.offer_days:
            reg.status = R.OFFRE
            reg.offer_expires_at = now + timedelta(days=ts.offer_days)
            session.flush()
            notifications.offered(session, reg)
        else:
            reg.status = R.CONFIRMEE
            session.flush()
            notifications.promoted(session, reg)
        moved.append(reg)
    return moved


def answer_offer(session: Session, actor: Any, registration_id: int, accept: bool, *,
                 now: datetime | None = None) -> Registration:
    reg = session.get(Registration, registration_id)
    if reg is None:
        raise DomainError("Inscription introuvable.")
    ts = lock_session(session, reg.session_id)
    session.refresh(reg)
    if not may_manage(actor, reg):
        raise PermissionDenied()
    if reg.status is not R.OFFRE:
        raise DomainError("Aucune place n'est proposée à cette personne en ce moment.")
    now = now or utcnow()
    if reg.offer_expires_at is not None and _aware(reg.offer_expires_at) < now:
        raise DomainError("L'offre a expiré : la place passe à la personne suivante.")
    if accept:
        reg.status, reg.offer_expires_at = R.CONFIRMEE, None
        session.flush()
        notifications.confirmed(session, reg)
    else:
        reg.status, reg.cancelled_at = R.ANNULEE, now
        reg.cancel_reason = "Place proposée déclinée."
        session.flush()
        fill_freed_seats(session, ts, now=now)
    _sync_status(session, ts)
    session.flush()
    return reg


def expire_offers(session: Session, *, now: datetime | None = None) -> int:
    """Unanswered offers past their date lapse; each seat goes to the next person.

    Also done for one session whenever someone registers, cancels or answers on it
    (``_lapse_offers``), so a stale offer never blocks a seat; this sweep is for the
    sessions nobody touches (CLI, run daily).
    """
    now = now or utcnow()
    session_ids = session.scalars(select(Registration.session_id).distinct().where(
        Registration.status == R.OFFRE, Registration.offer_expires_at < now)).all()
    lapsed = 0
    for session_id in session_ids:
        ts = lock_session(session, session_id)
        lapsed += _lapse_offers(session, ts, now)
        _sync_status(session, ts)
        session.flush()
    return lapsed


def _lapse_offers(session: Session, ts: TrainingSession, now: datetime) -> int:
    """Under the session's lock: offers past their date are cancelled, seats passed on."""
    lapsed = 0
    for reg in session.scalars(select(Registration).where(
            Registration.session_id == ts.id, Registration.status == R.OFFRE,
            Registration.offer_expires_at < now)
            .execution_options(populate_existing=True)):
        reg.status, reg.cancelled_at = R.ANNULEE, now
        reg.cancel_reason = "Place proposée restée sans réponse dans le délai."
        lapsed += 1
    if lapsed:
        session.flush()
        fill_freed_seats(session, ts, now=now)
    return lapsed


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
