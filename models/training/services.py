"""Writes of the catalogue and of sessions: validate everything, then flush (never commit).

Seats are not decided here: anything that depends on them (lowering the capacity,
raising it, cancelling) goes through ``models.training.registrations`` and its lock.
``actor`` ``None`` is a trusted entry point (seed, CLI).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.errors import DomainError, Errors, PermissionDenied
from models.formatting import format_date, format_money
from models.funding.orm import Funder
from models.money import MAX_AMOUNT, too_large
from models.policy import can
from models.programme.guards import check_version, flush
from models.programme.orm import Action
from models.training import notifications
from models.training import registrations as seats
from models.training.enums import HalfDay, Job, Modality, RegistrationStatus, SessionStatus
from models.training.orm import Registration, SessionSlot, Training, TrainingSession

S = SessionStatus
MAX_DAYS = Decimal("365")
MAX_HOURS = Decimal("2000")
MAX_SEATS = 10_000


def require_manage(actor: Any) -> None:
    if actor is not None and not can(actor, "training.manage"):
        raise PermissionDenied()


def _text(value: str | None) -> str:
    return (value or "").strip()


# ---------------------------------------------------------------- catalogue
@dataclass
class TrainingData:
    title: str
    duration_days: Decimal | None
    duration_hours: Decimal | None
    modality: str
    audience: list[str] = field(default_factory=list)
    objectives: str = ""
    content: str = ""
    prerequisites: str = ""
    provider: str = ""
    trainer: str = ""
    cost_per_trainee: Decimal | None = None
    action_id: int | None = None
    funder_id: int | None = None
    active: bool = True


def save_training(session: Session, actor: Any, training: Training | None, data: TrainingData,
                  expected_version: int | None = None) -> Training:
    """Create or update a catalogue entry."""
    require_manage(actor)
    if training is not None:
        check_version(training, expected_version)
    errors = Errors()
    title = _text(data.title)
    if not title:
        errors.add("title", "L'intitulé de la formation est obligatoire.")
    elif len(title) > 200:
        errors.add("title", "L'intitulé ne peut pas dépasser 200 caractères.")
    for name, value, what, ceiling in (
            ("duration_days", data.duration_days, "La durée en jours", MAX_DAYS),
            ("duration_hours", data.duration_hours, "La durée en heures", MAX_HOURS)):
        if value is None:
            errors.add(name, f"{what} est obligatoire.")
        elif value <= 0:
            errors.add(name, f"{what} doit être supérieure à zéro.")
        elif value > ceiling:
            errors.add(name, f"{what} ne peut pas dépasser {ceiling}.")
    if data.modality not in Modality._value2member_map_:
        errors.add("modality", "Choisissez la modalité : présentiel, distanciel ou mixte.")
    audience = list(dict.fromkeys(data.audience or []))
    if not audience:
        errors.add("audience", "Choisissez au moins une fonction visée.")
    elif any(job not in Job._value2member_map_ for job in audience):
        errors.add("audience", "Fonction inconnue dans le public visé.")
    cost = data.cost_per_trainee
    if cost is not None and cost < 0:
        errors.add("cost_per_trainee", "Le coût par stagiaire ne peut pas être négatif.")
    elif too_large(cost):
        errors.add("cost_per_trainee",
                   f"Le coût par stagiaire ne peut pas dépasser {format_money(MAX_AMOUNT)}.")
    if data.action_id is not None and session.get(Action, data.action_id) is None:
        errors.add("action_id", "Action du programme introuvable.")
    if data.funder_id is not None and session.get(Funder, data.funder_id) is None:
        errors.add("funder_id", "Financeur introuvable.")
    errors.raise_if_any()
    if training is None:
        training = Training(title=title, modality=Modality(data.modality))
        session.add(training)
    else:
        training.version_id += 1
    training.title, training.modality = title, Modality(data.modality)
    training.audience = audience
    training.duration_days, training.duration_hours = data.duration_days, data.duration_hours
    training.objectives, training.content = _text(data.objectives), _text(data.content)
    training.prerequisites = _text(data.prerequisites)
    training.provider, training.trainer = _text(data.provider), _text(data.trainer)
    training.cost_per_trainee = cost
    training.action_id, training.funder_id = data.action_id, data.funder_id
    training.active = data.active
    flush(session)
    return training


# ---------------------------------------------------------------- sessions
class SlotData(NamedTuple):
    day: date | None
    half: str
    starts_at: time | None
    ends_at: time | None


@dataclass
class SessionData:
    slots: list[SlotData]
    max_capacity: int | None
    registration_opens: date | None
    registration_closes: date | None
    min_capacity: int | None = 0
    ml_quota: int | None = None
    offer_days: int | None = None
    place: str = ""
    video_link: str = ""
    access_details: str = ""
    trainer: str = ""


@dataclass
class SavedSession:
    """The session, and what the team should know but that does not block (trainer busy)."""

    session: TrainingSession
    warnings: list[str]


def _check_slots(errors: Errors, slots: list[SlotData]) -> list[SlotData]:
    clean: list[SlotData] = []
    seen: set[tuple[date, str]] = set()
    for n, slot in enumerate(slots, start=1):
        if slot.day is None:
            continue
        if slot.half not in HalfDay._value2member_map_:
            errors.add("slots", f"Demi-journée {n} : choisissez matin ou après-midi.")
            continue
        if slot.starts_at is None or slot.ends_at is None:
            errors.add("slots", f"Demi-journée du {format_date(slot.day)} : indiquez l'heure "
                                "de début et l'heure de fin.")
            continue
        if slot.ends_at <= slot.starts_at:
            errors.add("slots", f"Demi-journée du {format_date(slot.day)} : l'heure de fin "
                                "doit suivre l'heure de début.")
            continue
        if (slot.day, slot.half) in seen:
            errors.add("slots", f"Le {format_date(slot.day)} "
                                f"({HalfDay(slot.half).label.lower()}) figure deux fois.")
            continue
        seen.add((slot.day, slot.half))
        clean.append(slot)
    if not clean and not errors:
        errors.add("slots", "Indiquez au moins une demi-journée (date, matin ou après-midi, "
                            "horaires).")
    return sorted(clean, key=lambda s: (s.day, s.half != HalfDay.MATIN.value))


def _count(errors: Errors, name: str, value: int | None, what: str, *, required: bool,
           minimum: int) -> int | None:
    if value is None:
        if required:
            errors.add(name, f"{what} est obligatoire.")
        return None
    if value < minimum:
        errors.add(name, f"{what} doit être au moins {minimum}.")
    elif value > MAX_SEATS:
        errors.add(name, f"{what} ne peut pas dépasser {MAX_SEATS}.")
    return value


def trainer_conflicts(session: Session, ts: TrainingSession) -> list[str]:
    """Other live sessions of the same trainer on one of this session's half-days."""
    trainer = _text(ts.trainer).lower()
    if not trainer or not ts.slots:
        return []
    mine = {(s.day, HalfDay(s.half)) for s in ts.slots}
    rows = session.execute(
        select(TrainingSession, SessionSlot.day, SessionSlot.half)
        .join(SessionSlot, SessionSlot.session_id == TrainingSession.id)
        .where(TrainingSession.id != ts.id,
               func.lower(TrainingSession.trainer) == trainer,
               TrainingSession.status != S.ANNULEE,
               SessionSlot.day.in_({d for d, _ in mine}))
        .order_by(SessionSlot.day, SessionSlot.starts_at)).all()
    found: dict[int, list[str]] = {}
    titles: dict[int, str] = {}
    for other, day, half in rows:
        if (day, HalfDay(half)) in mine:
            titles[other.id] = other.training.title
            found.setdefault(other.id, []).append(
                f"{format_date(day)} ({HalfDay(half).label.lower()})")
    return [f"{ts.trainer} anime déjà « {titles[i]} » le {', le '.join(when)} : vérifiez sa "
            f"disponibilité." for i, when in found.items()]


def save_session(session: Session, actor: Any, training: Training, ts: TrainingSession | None,
                 data: SessionData, expected_version: int | None = None) -> SavedSession:
    """Create or update a session. Lowering the capacity below the seats already held is
    refused; raising it gives the freed seats to the waitlist; changing the half-days of
    a session people registered to tells them."""
    require_manage(actor)
    held = 0
    if ts is not None:
        ts = seats.lock_session(session, ts.id)  # the seat count must not move under us
        check_version(ts, expected_version)
        if ts.status in (S.ANNULEE, S.REALISEE):
            raise DomainError(f"La session est « {S(ts.status).label.lower()} » : elle ne se "
                              "modifie plus.")
        held = seats.seats_held(session, ts)
    errors = Errors()
    slots = _check_slots(errors, data.slots)
    modality = Modality(training.modality)
    place, link = _text(data.place), _text(data.video_link)
    if modality in (Modality.PRESENTIEL, Modality.MIXTE) and not place:
        errors.add("place", "Indiquez le lieu (adresse) : la formation a lieu en présentiel.")
    if modality in (Modality.DISTANCIEL, Modality.MIXTE) and not link:
        errors.add("video_link", "Indiquez le lien de visioconférence : la formation a lieu "
                                 "à distance.")
    if link and not link.lower().startswith(("https://", "http://")):
        errors.add("video_link", "Le lien de visioconférence doit commencer par https://.")
    if len(link) > 500:
        errors.add("video_link", "Le lien ne peut pas dépasser 500 caractères.")
    maximum = _count(errors, "max_capacity", data.max_capacity, "La capacité maximale",
                     required=True, minimum=1)
    minimum = _count(errors, "min_capacity", data.min_capacity, "La capacité minimale",
                     required=False, minimum=0) or 0
    quota = _count(errors, "ml_quota", data.ml_quota, "Le quota par mission locale",
                   required=False, minimum=1)
    offer_days = _count(errors, "offer_days", data.offer_days, "Le délai de réponse à une "
                        "place proposée", required=False, minimum=1)
    if maximum is not None and minimum > maximum:
        errors.add("min_capacity", "La capacité minimale ne peut pas dépasser la capacité "
                                   "maximale.")
    if maximum is not None and maximum < held:
        errors.add("max_capacity", f"Impossible de descendre à {maximum} places : {held} "
                                   f"places sont déjà attribuées. Annulez d'abord des "
                                   f"inscriptions.")
    opens, closes = data.registration_opens, data.registration_closes
    if opens is None:
        errors.add("registration_opens", "La date d'ouverture des inscriptions est "
                                         "obligatoire.")
    if closes is None:
        errors.add("registration_closes", "La date de clôture des inscriptions est "
                                          "obligatoire.")
    if opens and closes and closes < opens:
        errors.add("registration_closes", "La clôture des inscriptions doit suivre leur "
                                          "ouverture.")
    if closes and slots and closes > slots[0].day:
        errors.add("registration_closes", "Les inscriptions doivent être closes au plus tard "
                                          f"le premier jour ({format_date(slots[0].day)}).")
    errors.raise_if_any()

    existed = ts is not None
    before = {(s.day, HalfDay(s.half), s.starts_at, s.ends_at) for s in ts.slots} if ts else set()
    if ts is None:
        ts = TrainingSession(training=training, status=S.OUVERTE)
        session.add(ts)
    else:
        ts.version_id += 1
    ts.start_date, ts.end_date = slots[0].day, slots[-1].day
    ts.place, ts.video_link = place, link
    ts.access_details, ts.trainer = _text(data.access_details), _text(data.trainer)
    ts.min_capacity, ts.max_capacity, ts.ml_quota = minimum, maximum, quota
    ts.registration_opens, ts.registration_closes = opens, closes
    ts.offer_days = offer_days
    _apply_slots(ts, slots)
    flush(session)
    after = {(s.day, HalfDay(s.half), s.starts_at, s.ends_at) for s in ts.slots}
    if existed and before != after:
        notifications.dates_changed(session, ts, _live_registrations(session, ts))
    if existed:
        seats.fill_freed_seats(session, ts)  # a raised capacity goes to the waitlist
    seats._sync_status(session, ts)  # ouverte ↔ complète after a capacity change
    flush(session)
    return SavedSession(ts, trainer_conflicts(session, ts))


def _live_registrations(session: Session, ts: TrainingSession) -> list[Registration]:
    return list(session.scalars(select(Registration).where(
        Registration.session_id == ts.id, Registration.status != RegistrationStatus.ANNULEE)
        .order_by(Registration.queued_at, Registration.id)))


def _apply_slots(ts: TrainingSession, slots: list[SlotData]) -> None:
    """Keep a half-day that stays (its attendance with it), drop the others, add the new."""
    wanted = {(s.day, HalfDay(s.half)): s for s in slots}
    for existing in list(ts.slots):
        key = (existing.day, HalfDay(existing.half))
        if key in wanted:
            slot = wanted.pop(key)
            existing.starts_at, existing.ends_at = slot.starts_at, slot.ends_at
        else:
            ts.slots.remove(existing)
    for (day, half), slot in wanted.items():
        ts.slots.append(SessionSlot(day=day, half=half, starts_at=slot.starts_at,
                                    ends_at=slot.ends_at))


def cancel_session(session: Session, actor: Any, session_id: int, reason: str,
                   expected_version: int | None = None) -> TrainingSession:
    """Cancel a session and tell everyone registered; registrations stay for history."""
    require_manage(actor)
    ts = seats.lock_session(session, session_id)
    check_version(ts, expected_version)
    errors = Errors()
    if not _text(reason):
        errors.add("reason", "Indiquez le motif de l'annulation : il est envoyé aux "
                             "personnes inscrites.")
    if ts.status in (S.ANNULEE, S.REALISEE):
        errors.add("__all__", f"La session est déjà « {S(ts.status).label.lower()} ».")
    errors.raise_if_any()
    ts.status, ts.cancel_reason = S.ANNULEE, _text(reason)
    ts.version_id += 1
    ts.seat_version += 1
    flush(session)
    notifications.session_cancelled(session, ts, _live_registrations(session, ts))
    flush(session)
    return ts


#: Transitions people make (ouverte ↔ complète follows the seats by itself).
TRANSITIONS = {
    "close": ({S.OUVERTE, S.COMPLETE}, S.CLOSE),
    "reopen": ({S.CLOSE}, S.OUVERTE),
    "realise": ({S.OUVERTE, S.COMPLETE, S.CLOSE}, S.REALISEE),
}


def change_status(session: Session, actor: Any, session_id: int, transition: str, *,
                  today: date, expected_version: int | None = None) -> TrainingSession:
    """Close registrations, reopen them, or record that the session took place."""
    require_manage(actor)
    if transition not in TRANSITIONS:
        raise DomainError("Changement de statut inconnu.")
    ts = seats.lock_session(session, session_id)
    check_version(ts, expected_version)
    sources, target = TRANSITIONS[transition]
    if ts.status not in sources:
        raise DomainError(f"Impossible depuis le statut « {S(ts.status).label.lower()} ».")
    if target is S.REALISEE and today < ts.end_date:
        raise DomainError("La session n'est pas terminée : elle se termine le "
                          f"{format_date(ts.end_date)}.")
    ts.status = target
    ts.version_id += 1
    if target is S.OUVERTE:
        seats._sync_status(session, ts)  # may be complète at once
    flush(session)
    return ts
