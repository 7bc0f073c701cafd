"""Read side of the training programme: the catalogue, a session's seats, registrations.

Seat counts come from the same definition as the seat decisions
(``registrations.HOLDS_SEAT``); registrations always go through
``policy.scope_registrations`` so a mission locale never reads another's staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, String, cast, func, or_, select
from sqlalchemy.orm import Session, selectinload

from models.network.orm import MissionLocale
from models.policy import scope_registrations
from models.training.enums import Job, Modality, RegistrationStatus, SessionStatus
from models.training.orm import Registration, Training, TrainingSession
from models.training.registrations import HOLDS_SEAT

R = RegistrationStatus
S = SessionStatus
LIVE = (S.OUVERTE, S.COMPLETE, S.CLOSE)

_HELD = (select(func.count()).where(Registration.session_id == TrainingSession.id,
                                    Registration.status.in_(HOLDS_SEAT))
         .correlate(TrainingSession).scalar_subquery())
_WAITING = (select(func.count()).where(Registration.session_id == TrainingSession.id,
                                       Registration.status == R.ATTENTE)
            .correlate(TrainingSession).scalar_subquery())


def _like(text: str) -> str:
    return f"%{text.strip().lower()}%"


def _month(value: str) -> tuple[date, date] | None:
    """``2026-12`` → first day of the month and first day of the next; garbage → None."""
    try:
        year, month = (int(part) for part in value.split("-"))
        first = date(year, month, 1)
    except (ValueError, TypeError):
        return None
    return first, (first + timedelta(days=32)).replace(day=1)


# ---------------------------------------------------------------- catalogue
def trainings_stmt(*, search: str = "", job: str = "", modality: str = "",
                   active: bool | None = None) -> Select:
    stmt = select(Training)
    if search.strip():
        stmt = stmt.where(or_(func.lower(Training.title).like(_like(search)),
                              func.lower(Training.objectives).like(_like(search)),
                              func.lower(Training.provider).like(_like(search))))
    if job in Job._value2member_map_:
        stmt = stmt.where(cast(Training.audience, String).like(f'%"{job}"%'))
    if modality in Modality._value2member_map_:
        stmt = stmt.where(Training.modality == Modality(modality))
    if active is not None:
        stmt = stmt.where(Training.active.is_(active))
    return stmt


TRAINING_SORTS = {"titre": Training.title, "modalite": Training.modality,
                  "duree": Training.duration_hours, "organisme": Training.provider}


def catalogue_stmt(*, today: date, month: str = "", job: str = "", modality: str = "",
                   seats_left: bool = False, search: str = "", period: str = "a_venir",
                   status: str = "") -> Select:
    """Sessions, upcoming by default, filterable (their seats: ``seat_counts``)."""
    stmt = (select(TrainingSession)
            .join(Training, TrainingSession.training_id == Training.id)
            .options(selectinload(TrainingSession.training),
                     selectinload(TrainingSession.slots)))
    if period == "a_venir":
        stmt = stmt.where(TrainingSession.end_date >= today)
    elif period == "passees":
        stmt = stmt.where(TrainingSession.end_date < today)
    bounds = _month(month) if month else None
    if bounds:
        stmt = stmt.where(TrainingSession.start_date >= bounds[0],
                          TrainingSession.start_date < bounds[1])
    if job in Job._value2member_map_:
        stmt = stmt.where(cast(Training.audience, String).like(f'%"{job}"%'))
    if modality in Modality._value2member_map_:
        stmt = stmt.where(Training.modality == Modality(modality))
    if seats_left:
        stmt = stmt.where(TrainingSession.status == S.OUVERTE,
                          TrainingSession.max_capacity > _HELD)
    if status in S._value2member_map_:
        stmt = stmt.where(TrainingSession.status == S(status))
    if search.strip():
        stmt = stmt.where(or_(func.lower(Training.title).like(_like(search)),
                              func.lower(TrainingSession.place).like(_like(search)),
                              func.lower(TrainingSession.trainer).like(_like(search))))
    return stmt


CATALOGUE_SORTS = {"date": TrainingSession.start_date, "formation": Training.title,
                   "places": TrainingSession.max_capacity - _HELD,
                   "statut": TrainingSession.status}


def seat_counts(session: Session, session_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(seats held, people waiting) per session id, for a list page."""
    rows = session.execute(
        select(Registration.session_id, Registration.status, func.count())
        .where(Registration.session_id.in_(session_ids))
        .group_by(Registration.session_id, Registration.status))
    counts = {i: [0, 0] for i in session_ids}
    for session_id, status, n in rows:
        if R(status) in HOLDS_SEAT:
            counts[session_id][0] += n
        elif R(status) is R.ATTENTE:
            counts[session_id][1] += n
    return {i: (held, waiting) for i, (held, waiting) in counts.items()}


def live_session_counts(session: Session, training_ids: list[int]) -> dict[int, int]:
    """Sessions still to come (open, full or closed) per training id."""
    rows = dict(session.execute(
        select(TrainingSession.training_id, func.count())
        .where(TrainingSession.training_id.in_(training_ids),
               TrainingSession.status.in_(LIVE))
        .group_by(TrainingSession.training_id)).all())
    return {i: rows.get(i, 0) for i in training_ids}


def months(session: Session) -> list[date]:
    """First days of the months that have sessions (for the month filter)."""
    days = session.scalars(select(TrainingSession.start_date).distinct()
                           .order_by(TrainingSession.start_date))
    return sorted({d.replace(day=1) for d in days})


def training_sessions(session: Session, training: Training) -> list[tuple[TrainingSession,
                                                                              int, int]]:
    rows = session.execute(
        select(TrainingSession, _HELD, _WAITING)
        .where(TrainingSession.training_id == training.id)
        .order_by(TrainingSession.start_date.desc()))
    return [(ts, held, waiting) for ts, held, waiting in rows]


# ---------------------------------------------------------------- one session
@dataclass
class Seats:
    confirmed: int  # confirmed + offered: the seats taken
    capacity: int
    waiting: int
    offered: int

    @property
    def left(self) -> int:
        return max(self.capacity - self.confirmed, 0)

    @property
    def fill_percent(self) -> int:
        """Rounded to 5 % steps (the CSS width classes)."""
        if not self.capacity:
            return 0
        return min(100, round(self.confirmed * 100 / self.capacity / 5) * 5)


def seat_counter(session: Session, ts: TrainingSession) -> Seats:
    counts = dict(session.execute(
        select(Registration.status, func.count()).where(Registration.session_id == ts.id)
        .group_by(Registration.status)).all())
    counts = {R(k): v for k, v in counts.items()}
    return Seats(confirmed=counts.get(R.CONFIRMEE, 0) + counts.get(R.OFFRE, 0),
                 capacity=ts.max_capacity, waiting=counts.get(R.ATTENTE, 0),
                 offered=counts.get(R.OFFRE, 0))


def waitlist_positions(session: Session, session_ids: list[int] | None = None
                       ) -> dict[int, int]:
    """Registration id → waitlist position (1, 2, … per session, never a gap)."""
    position = func.row_number().over(partition_by=Registration.session_id,
                                      order_by=(Registration.queued_at, Registration.id))
    stmt = select(Registration.id, position).where(Registration.status == R.ATTENTE)
    if session_ids is not None:
        stmt = stmt.where(Registration.session_id.in_(session_ids))
    return {reg_id: pos for reg_id, pos in session.execute(stmt)}


def session_registrations(session: Session, user: Any, ts: TrainingSession
                          ) -> list[Registration]:
    """The registrations of a session the user may see: confirmed and offered first, then
    the waitlist in order, then cancelled ones."""
    order = {R.CONFIRMEE: 0, R.OFFRE: 1, R.ATTENTE: 2, R.ANNULEE: 3}
    stmt = scope_registrations(
        select(Registration).where(Registration.session_id == ts.id)
        .options(selectinload(Registration.mission_locale)), user)
    regs = list(session.scalars(stmt.order_by(Registration.queued_at, Registration.id)))
    return sorted(regs, key=lambda r: order[R(r.status)])


# ---------------------------------------------------------------- registrations lists
def registrations_stmt(user: Any, *, today: date, mission_locale_id: int | None = None,
                       status: str = "", period: str = "", search: str = "",
                       session_id: int | None = None) -> Select:
    """Registrations across sessions, scoped to what the user may see."""
    stmt = (select(Registration)
            .join(TrainingSession, Registration.session_id == TrainingSession.id)
            .join(Training, TrainingSession.training_id == Training.id)
            .join(MissionLocale, Registration.mission_locale_id == MissionLocale.id)
            .options(selectinload(Registration.session).selectinload(TrainingSession.training),
                     selectinload(Registration.mission_locale)))
    stmt = scope_registrations(stmt, user)
    if mission_locale_id is not None:
        stmt = stmt.where(Registration.mission_locale_id == mission_locale_id)
    if status in R._value2member_map_:
        stmt = stmt.where(Registration.status == R(status))
    if period == "a_venir":
        stmt = stmt.where(TrainingSession.end_date >= today)
    elif period == "passees":
        stmt = stmt.where(TrainingSession.end_date < today)
    if session_id is not None:
        stmt = stmt.where(Registration.session_id == session_id)
    if search.strip():
        stmt = stmt.where(or_(func.lower(Registration.last_name).like(_like(search)),
                              func.lower(Registration.first_name).like(_like(search)),
                              func.lower(Registration.email).like(_like(search)),
                              func.lower(Training.title).like(_like(search))))
    return stmt


REGISTRATION_SORTS = {"date": TrainingSession.start_date, "formation": Training.title,
                      "nom": Registration.last_name, "statut": Registration.status,
                      "ml": MissionLocale.name, "inscrit": Registration.queued_at}


# ---------------------------------------------------------------- flags for the team
@dataclass
class BelowMinimum:
    session: TrainingSession
    confirmed: int

    @property
    def missing(self) -> int:
        return self.session.min_capacity - self.confirmed


def below_minimum(session: Session, today: date, days: int = 7) -> list[BelowMinimum]:
    """Live sessions starting within ``days`` days that do not reach their minimum."""
    rows = session.execute(
        select(TrainingSession, _HELD)
        .where(TrainingSession.status.in_(LIVE), TrainingSession.start_date >= today,
               TrainingSession.start_date <= today + timedelta(days=days),
               TrainingSession.min_capacity > _HELD)
        .options(selectinload(TrainingSession.training))
        .order_by(TrainingSession.start_date, TrainingSession.id))
    return [BelowMinimum(ts, held) for ts, held in rows]


def is_below_minimum(ts: TrainingSession, confirmed: int, today: date, days: int = 7) -> bool:
    return (S(ts.status) in LIVE and today <= ts.start_date <= today + timedelta(days=days)
            and confirmed < ts.min_capacity)


def sessions_for_feed(session: Session, today: date) -> list[TrainingSession]:
    """The agenda feed: sessions not cancelled, from a year back (no personal data)."""
    return list(session.scalars(
        select(TrainingSession)
        .where(TrainingSession.status != SessionStatus.ANNULEE,
               TrainingSession.end_date >= today - timedelta(days=365))
        .options(selectinload(TrainingSession.slots), selectinload(TrainingSession.training))
        .order_by(TrainingSession.start_date, TrainingSession.id)))
