"""Demo training programme 2026: catalogue, sessions, registrations, attendance, surveys.

Everything that decides something goes through the domain (``actor=None``, the
trusted entry point): the catalogue and the sessions through
``models.training.services``, every registration and cancellation through the seat
logic of ``models.training.registrations`` (so full sessions get real waitlists and
real promotions, and the outbox fills with the e-mails they queue), attendance
through ``models.training.attendance``. Only the anonymous survey answers are
written as rows, as the survey page would. Idempotent: nothing happens once a
training exists. Flushes only; the caller commits.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.funding.orm import Funder
from models.network.orm import MissionLocale
from models.programme.orm import Action, Objective, Programme
from models.training.attendance import record_attendance
from models.training.enums import Presence, RegistrationStatus, SessionStatus
from models.training.orm import Evaluation, Registration, Training, TrainingSession
from models.training.registrations import RegistrationData, cancel, register
from models.training.services import (
    SessionData,
    SlotData,
    TrainingData,
    cancel_session,
    change_status,
    save_session,
    save_training,
)
from seeds.funding_data import FUNDERS
from seeds.training_data import (
    ACCESS,
    COMMENTS_GOOD,
    COMMENTS_MIXED,
    DEFAULT_ACTION,
    FUNDER_KEY,
    HALF_DAYS,
    PLACES,
    SESSIONS,
    STAFF_FIRST,
    STAFF_JOBS,
    STAFF_LAST,
    TODAY,
    TRAININGS,
)

R = RegistrationStatus
CANCEL_REASONS = ["Arrêt maladie.", "Contrainte de service : remplacement d'un collègue absent.",
                  "Départ de la structure.", "Inscrite par erreur sur deux sessions.",
                  "Rendez-vous partenaires impossible à déplacer."]


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    email: str
    job: str
    ml_code: str
    ml_id: int


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_text.lower()).split())


def _d(value: str) -> date:
    return date.fromisoformat(value)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC) + timedelta(minutes=minute)


def _staff(mls: list[MissionLocale]) -> dict[str, list[Person]]:
    """Each mission locale's staff: its director and a team, e-mails at the ML's domain."""
    staff = {}
    for ml in mls:
        rng = random.Random(f"staff-{ml.code}")  # noqa: S311 - deterministic demo data
        domain = f"ml-{_slug(ml.commune)}.fr"
        names = list(zip(rng.sample(STAFF_FIRST, len(STAFF_JOBS)),
                         rng.sample(STAFF_LAST, len(STAFF_JOBS)), strict=True))
        first, _, last = (ml.director_name or "Direction Mission locale").partition(" ")
        people = [(first, last, "direction")] + [
            (f, la, job) for (f, la), job in zip(names, STAFF_JOBS, strict=True)]
        staff[ml.code] = [Person(f, la, f"{_slug(f)}.{_slug(la)}@{domain}",
                                 job, ml.code, ml.id) for f, la, job in people]
    return staff


def _axis2_actions(session: Session) -> dict[str, int]:
    """The 2026 programme's actions of axis 2 (objectives 2.x), by title."""
    return dict(session.execute(
        select(Action.title, Action.id).join(Programme, Action.programme_id == Programme.id)
        .join(Objective, Action.objective_id == Objective.id)
        .where(Programme.year == 2026, Objective.code.like("2.%"))).all())


def _catalogue(session: Session) -> dict[str, Training]:
    actions = _axis2_actions(session)
    funder_id = session.scalar(select(Funder.id).where(Funder.name == FUNDERS[FUNDER_KEY][0]))
    trainings = {}
    for spec in TRAININGS:
        trainings[spec["key"]] = save_training(session, None, None, TrainingData(
            title=spec["title"], duration_days=Decimal(spec["days"]),
            duration_hours=Decimal(spec["hours"]), modality=spec["modality"],
            audience=spec["audience"], objectives=spec["objectives"],
            content=spec["content"], prerequisites=spec["prerequisites"],
            provider=spec["provider"], trainer=spec["trainer"],
            cost_per_trainee=Decimal(spec["cost"]).quantize(Decimal("0.01")),
            action_id=actions.get(spec["action"], actions.get(DEFAULT_ACTION)),
            funder_id=funder_id))
    return trainings


def _session(session: Session, training: Training, spec: dict[str, Any]) -> TrainingSession:
    halves = ("matin", "apres_midi") if spec["halves"] == "both" else (spec["halves"],)
    slots = [SlotData(_d(day), half, time.fromisoformat(HALF_DAYS[half][0]),
                      time.fromisoformat(HALF_DAYS[half][1]))
             for day in spec["days"] for half in halves]
    city, modality = spec["city"], training.modality
    link = ""
    if modality != "presentiel":
        link = f"https://visio.arml-demo.fr/formation-{spec['training']}-{spec['days'][0]}"
    place = PLACES[city] if modality != "distanciel" else ""
    access = ACCESS[city] if modality != "mixte" else f"{ACCESS[city]} {ACCESS['visio']}"
    return save_session(session, None, training, None, SessionData(
        slots=slots, max_capacity=spec["capacity"], min_capacity=spec["minimum"],
        ml_quota=spec["quota"], offer_days=spec["offer_days"],
        registration_opens=_d(spec["opens"]), registration_closes=_d(spec["closes"]),
        place=place, video_link=link, access_details=access, trainer=training.trainer)).session


def _registrants(staff: dict[str, list[Person]], training: Training, spec: dict[str, Any],
                 rng: random.Random) -> list[Person]:
    """Who asks for a seat, in order: the listed missions locales first (the demo
    accounts' own staff), then people from across the region; when the session is
    oversubscribed, a second person of the first listed one comes last (waitlisted)."""
    pool = [p for people in staff.values() for p in people if p.job in training.audience]
    rng.shuffle(pool)
    first = [next(p for p in pool if p.ml_code == code) for code in spec["local"]]
    chosen = first + [p for p in pool if p not in first][:spec["demand"] - len(first)]
    if spec["local"] and spec["demand"] > spec["capacity"]:
        late = next((p for p in pool if p.ml_code == spec["local"][0] and p not in chosen),
                    None)
        if late is not None:
            chosen[-1] = late
    return chosen


def _register_all(session: Session, ts: TrainingSession, people: list[Person]) -> date:
    """Register everyone through the seat logic, on dates spread over the window (most
    in its first days: the rush); returns the day of the last registration."""
    last_day = min(ts.registration_closes, _d(TODAY))
    span = (last_day - ts.registration_opens).days
    day = ts.registration_opens
    for i, p in enumerate(people):
        day = ts.registration_opens + timedelta(days=int(span * (i / len(people)) ** 2))
        reg = register(session, None, ts.id, RegistrationData(
            last_name=p.last, first_name=p.first, email=p.email, job=p.job,
            mission_locale_id=p.ml_id), today=day)
        reg.queued_at = _at(day, 8, 7 * i)  # backdated, in the same order (same positions)
    session.flush()
    return day


def _registrations(session: Session, ts: TrainingSession, status: RegistrationStatus
                   ) -> list[Registration]:
    return list(session.scalars(
        select(Registration).where(Registration.session_id == ts.id,
                                   Registration.status == status)
        .order_by(Registration.queued_at, Registration.id)))


def _cancellations(session: Session, ts: TrainingSession, spec: dict[str, Any],
                   last_day: date, rng: random.Random) -> None:
    """Cancel a few confirmed seats a little before the session: the waitlist moves."""
    if not spec["cancel"]:
        return
    keep = len(spec["local"])
    confirmed = _registrations(session, ts, R.CONFIRMEE)[keep:]
    when = max(last_day, min(last_day + timedelta(days=3), ts.start_date - timedelta(days=1),
                             _d(TODAY) - timedelta(days=1)))
    for n, reg in enumerate(rng.sample(confirmed, spec["cancel"])):
        cancel(session, None, reg.id, rng.choice(CANCEL_REASONS), now=_at(when, 10, 30 * n))


def _scores(rng: random.Random, base: float) -> dict[str, int]:
    def score(shift: float) -> int:
        return max(1, min(5, round(rng.gauss(base + shift, 0.6))))

    return {"overall": score(0), "objectives_met": score(-0.1), "trainer": score(0.15),
            "organisation": score(-0.2)}


def _held(session: Session, ts: TrainingSession, spec: dict[str, Any],
          rng: random.Random) -> None:
    """A past session: its attendance per half-day, then the survey answers."""
    regs = _registrations(session, ts, R.CONFIRMEE)
    marks: dict[tuple[int, int], Presence] = {}
    attended = []
    for reg in regs:
        roll = rng.random()
        row = {slot.id: Presence.PRESENT for slot in ts.slots}
        if roll < 0.04:
            row = dict.fromkeys(row, Presence.ABSENT)  # no-show
        elif roll < 0.08:
            row = dict.fromkeys(row, Presence.EXCUSE)  # ill on the day
        elif roll < 0.18 and len(row) > 1:
            row[rng.choice(list(row))] = rng.choice([Presence.ABSENT, Presence.EXCUSE])
        marks.update({(reg.id, slot_id): mark for slot_id, mark in row.items()})
        if Presence.PRESENT in row.values():
            attended.append(reg)
    record_attendance(session, None, ts, marks, today=_d(TODAY))
    change_status(session, None, ts.id, "realise", today=_d(TODAY))

    sent = ts.end_date + timedelta(days=1)
    rate = 0.55 if (_d(TODAY) - ts.end_date).days < 10 else 0.85
    answers = []
    for reg in attended:
        reg.evaluation_sent_at = _at(sent, 8)
        if rng.random() > rate:
            continue
        submitted = min(sent + timedelta(days=int(rng.expovariate(0.6))), _d(TODAY))
        reg.evaluation_done_at = _at(submitted, 9, rng.randrange(600))
        scores = _scores(rng, spec["satisfaction"])
        comment = ""
        if rng.random() < 0.45:
            pool = COMMENTS_MIXED if scores["overall"] <= 3 or rng.random() < 0.2 \
                else COMMENTS_GOOD
            comment = rng.choice(pool)
        answers.append(Evaluation(session_id=ts.id, comment=comment, submitted_on=submitted,
                                  **scores))
    rng.shuffle(answers)  # the answers' order says nothing of who answered
    session.add_all(answers)


def _summary(session: Session) -> str:
    def count(model: type) -> int:
        return session.scalar(select(func.count()).select_from(model)) or 0

    return (f"{count(Training)} formations, {count(TrainingSession)} sessions, "
            f"{count(Registration)} inscriptions")


def build_training(session: Session) -> str:
    """Build the 2026 training programme unless a training already exists."""
    if session.scalars(select(Training.id)).first() is not None:
        return _summary(session)
    mls = list(session.scalars(select(MissionLocale).where(MissionLocale.active.is_(True))
                               .order_by(MissionLocale.code)))
    if not mls:
        return _summary(session)
    staff = _staff(mls)
    trainings = _catalogue(session)
    today = _d(TODAY)
    for index, spec in enumerate(SESSIONS):
        rng = random.Random(f"session-{index}")  # noqa: S311 - deterministic demo data
        training = trainings[spec["training"]]
        ts = _session(session, training, spec)
        last_day = _register_all(session, ts, _registrants(staff, training, spec, rng))
        _cancellations(session, ts, spec, last_day, rng)
        if spec["cancelled"]:
            cancel_session(session, None, ts.id, spec["cancelled"])
        elif ts.end_date < today:
            _held(session, ts, spec, rng)
        elif ts.registration_closes < today and ts.status is SessionStatus.OUVERTE:
            change_status(session, None, ts.id, "close", today=today)
    session.flush()
    return _summary(session)
