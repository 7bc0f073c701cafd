"""Figures of the regional training programme over a period (the dashboard, the BPF,
later the activity report).

Definitions (a session belongs to the period of its first day; cancelled sessions
count nowhere):

- *sessions held*: sessions marked ``réalisée``;
- *trainees*: distinct people (e-mail) with a confirmed seat who were present at least
  one half-day; *trainee-days* = present half-days / 2; *trainee-hours* = the present
  half-days' durations;
- *fill rate*: confirmed seats / capacity;
- *no-show rate*: confirmed trainees present at no half-day / confirmed trainees, over
  the held sessions whose attendance was recorded (a session without any mark would
  count everyone absent);
- *satisfaction*: averages of the anonymous evaluations (1 to 5).

Everything is read with a handful of grouped queries (never one per session), then
combined in Python.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from models.funding.orm import Funder
from models.network.orm import MissionLocale
from models.training.enums import Job, Presence, RegistrationStatus, SessionStatus
from models.training.orm import (
    Attendance,
    Evaluation,
    Registration,
    SessionSlot,
    Training,
    TrainingSession,
)

ZERO = Decimal("0.00")
NO_FUNDER = "Sans financeur identifié"
CRITERIA = ("overall", "objectives_met", "trainer", "organisation")
CRITERIA_LABELS = {"overall": "Satisfaction globale", "objectives_met": "Objectifs atteints",
                   "trainer": "Formateur·rice", "organisation": "Organisation"}


def _ratio(part: int | Decimal, whole: int | Decimal, places: str = "0.0001") -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal(places))


def _hours(start: time, end: time) -> Decimal:
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    return (Decimal(minutes) / Decimal(60)).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))


@dataclass
class SessionFacts:
    id: int
    training_id: int
    title: str
    funder: str
    start_date: date
    status: SessionStatus
    capacity: int
    confirmed: int = 0
    attendees: int = 0  # confirmed trainees present at least one half-day
    no_shows: int = 0  # confirmed trainees present at no half-day
    marks: int = 0  # attendance marks recorded (any presence)
    present_halfdays: int = 0
    hours: Decimal = ZERO

    @property
    def held(self) -> bool:
        return self.status is SessionStatus.REALISEE

    @property
    def fill_rate(self) -> Decimal | None:
        return _ratio(self.confirmed, self.capacity)


@dataclass
class RegistrationFacts:
    id: int
    session_id: int
    email: str
    mission_locale_id: int
    job: str
    present_halfdays: int
    marks: int
    hours: Decimal = ZERO

    @property
    def attended(self) -> bool:
        return self.present_halfdays > 0


@dataclass
class Participation:
    """One line of a breakdown (a mission locale, a job, a funder, a month)."""

    key: str
    label: str
    registrations: int = 0  # confirmed seats
    trainees: int = 0  # distinct people who attended
    present_halfdays: int = 0
    hours: Decimal = ZERO
    sessions: int = 0  # held sessions (months and funders only)

    @property
    def days(self) -> Decimal:
        return (Decimal(self.present_halfdays) / 2).quantize(Decimal("0.1"))


@dataclass
class Satisfaction:
    """Averages of the evaluations of one training (or of the whole period)."""

    key: int | None
    label: str
    answers: int = 0
    sums: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CRITERIA, 0))

    def average(self, criterion: str) -> Decimal | None:
        return _ratio(self.sums[criterion], self.answers, "0.01")

    @property
    def overall(self) -> Decimal | None:
        return self.average("overall")


@dataclass
class TrainingStats:
    period: Period
    sessions: list[SessionFacts]
    registrations: list[RegistrationFacts]
    missions_locales: dict[int, str]
    evaluations: dict[int, Satisfaction]  # by session id

    # ------------------------------------------------------------ headline figures
    @property
    def sessions_held(self) -> int:
        return sum(s.held for s in self.sessions)

    @property
    def sessions_planned(self) -> int:
        """Sessions of the period not (yet) held and not cancelled."""
        return sum(not s.held for s in self.sessions)

    @property
    def trainees(self) -> int:
        return len({r.email for r in self.registrations if r.attended})

    @property
    def present_halfdays(self) -> int:
        return sum(r.present_halfdays for r in self.registrations)

    @property
    def trainee_days(self) -> Decimal:
        return (Decimal(self.present_halfdays) / 2).quantize(Decimal("0.1"))

    @property
    def trainee_hours(self) -> Decimal:
        return sum((r.hours for r in self.registrations), ZERO)

    @property
    def capacity(self) -> int:
        return sum(s.capacity for s in self.sessions)

    @property
    def confirmed(self) -> int:
        return sum(s.confirmed for s in self.sessions)

    @property
    def fill_rate(self) -> Decimal | None:
        return _ratio(self.confirmed, self.capacity)

    def _recorded_held(self) -> list[SessionFacts]:
        return [s for s in self.sessions if s.held and s.marks]

    @property
    def held_without_attendance(self) -> int:
        """Held sessions whose attendance was never recorded (left out of the no-show rate)."""
        return sum(1 for s in self.sessions if s.held and not s.marks)

    @property
    def no_show_rate(self) -> Decimal | None:
        recorded = self._recorded_held()
        return _ratio(sum(s.no_shows for s in recorded), sum(s.confirmed for s in recorded))

    @property
    def satisfaction(self) -> Satisfaction:
        total = Satisfaction(None, "Ensemble des sessions")
        for ev in self.evaluations.values():
            total.answers += ev.answers
            for c in CRITERIA:
                total.sums[c] += ev.sums[c]
        return total

    # ------------------------------------------------------------ breakdowns
    def _breakdown(self, key_of, label_of) -> dict[str, Participation]:
        lines: dict[str, Participation] = {}
        people: dict[str, set[str]] = defaultdict(set)
        for r in self.registrations:
            key = key_of(r)
            line = lines.setdefault(key, Participation(key, label_of(key)))
            line.registrations += 1
            line.present_halfdays += r.present_halfdays
            line.hours += r.hours
            if r.attended:
                people[key].add(r.email)
        for key, line in lines.items():
            line.trainees = len(people[key])
        return lines

    def by_mission_locale(self) -> list[Participation]:
        """Every mission locale with a confirmed seat, most trainees first."""
        lines = self._breakdown(lambda r: str(r.mission_locale_id),
                                lambda k: self.missions_locales.get(int(k), "?"))
        return sorted(lines.values(), key=lambda p: (-p.trainees, -p.registrations, p.label))

    def by_job(self) -> list[Participation]:
        """Every job in the catalogue's order, including those with nobody."""
        lines = self._breakdown(lambda r: r.job,
                                lambda k: Job(k).label if k in Job._value2member_map_ else k)
        return [lines.get(j.value, Participation(j.value, j.label)) for j in Job] + [
            line for k, line in lines.items() if k not in Job._value2member_map_]

    def by_month(self) -> list[Participation]:
        """The twelve months (or every month of the period): held sessions and trainees."""
        month_of = {s.id: f"{s.start_date:%Y-%m}" for s in self.sessions}
        lines = self._breakdown(lambda r: month_of[r.session_id], lambda k: k)
        months, day = [], date(self.period.start.year, self.period.start.month, 1)
        while day <= self.period.end:
            key = f"{day:%Y-%m}"
            line = lines.get(key, Participation(key, key))
            line.sessions = sum(1 for s in self.sessions if s.held and month_of[s.id] == key)
            months.append(line)
            day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        return months

    def bpf(self) -> list[Participation]:
        """BPF-style table: held sessions, trainees and hours by funder of the training,
        the funders in alphabetical order, trainings without funder last."""
        funder_of = {s.id: s.funder for s in self.sessions}
        lines = self._breakdown(lambda r: funder_of[r.session_id], lambda k: k)
        for s in self.sessions:
            line = lines.setdefault(s.funder, Participation(s.funder, s.funder))
            line.sessions += s.held
        return sorted(lines.values(), key=lambda p: (p.key == NO_FUNDER, p.label))

    def satisfaction_by_training(self) -> list[Satisfaction]:
        titles = {s.training_id: s.title for s in self.sessions}
        training_of = {s.id: s.training_id for s in self.sessions}
        lines: dict[int, Satisfaction] = {}
        for session_id, ev in self.evaluations.items():
            tid = training_of[session_id]
            line = lines.setdefault(tid, Satisfaction(tid, titles[tid]))
            line.answers += ev.answers
            for c in CRITERIA:
                line.sums[c] += ev.sums[c]
        return sorted(lines.values(), key=lambda s: s.label)


def training_stats(session: Session, period: Period, *,
                   funder_id: int | None = None) -> TrainingStats:
    """Every figure of the period, from five grouped queries; ``funder_id`` keeps the
    sessions of the trainings that funder pays for (its activity report)."""
    in_period = (TrainingSession.start_date.between(period.start, period.end),
                 TrainingSession.status != SessionStatus.ANNULEE)
    if funder_id is not None:
        in_period += (TrainingSession.training_id.in_(
            select(Training.id).where(Training.funder_id == funder_id)),)
    sessions = {row.id: SessionFacts(
        id=row.id, training_id=row.training_id, title=row.title,
        funder=row.funder or NO_FUNDER, start_date=row.start_date,
        status=SessionStatus(row.status), capacity=row.max_capacity)
        for row in session.execute(
            select(TrainingSession.id, TrainingSession.training_id, Training.title,
                   Funder.name.label("funder"), TrainingSession.start_date,
                   TrainingSession.status, TrainingSession.max_capacity)
            .join(Training, Training.id == TrainingSession.training_id)
            .outerjoin(Funder, Funder.id == Training.funder_id)
            .where(*in_period).order_by(TrainingSession.start_date, TrainingSession.id))}

    confirmed = (Registration.status == RegistrationStatus.CONFIRMEE,)
    present = Attendance.presence == Presence.PRESENT
    registrations = {row.id: RegistrationFacts(
        id=row.id, session_id=row.session_id, email=row.email.lower(),
        mission_locale_id=row.mission_locale_id, job=row.job,
        present_halfdays=int(row.present or 0), marks=int(row.marks or 0))
        for row in session.execute(
            select(Registration.id, Registration.session_id, Registration.email,
                   Registration.mission_locale_id, Registration.job,
                   func.count(case((present, Attendance.id))).label("present"),
                   func.count(Attendance.id).label("marks"))
            .join(TrainingSession, TrainingSession.id == Registration.session_id)
            .outerjoin(Attendance, Attendance.registration_id == Registration.id)
            .where(*in_period, *confirmed)
            .group_by(Registration.id, Registration.session_id, Registration.email,
                      Registration.mission_locale_id, Registration.job))}

    # hours: present half-days grouped by their (identical) schedules
    for reg_id, starts, ends, n in session.execute(
            select(Attendance.registration_id, SessionSlot.starts_at, SessionSlot.ends_at,
                   func.count())
            .join(SessionSlot, SessionSlot.id == Attendance.slot_id)
            .join(Registration, Registration.id == Attendance.registration_id)
            .join(TrainingSession, TrainingSession.id == Registration.session_id)
            .where(*in_period, *confirmed, present)
            .group_by(Attendance.registration_id, SessionSlot.starts_at, SessionSlot.ends_at)):
        registrations[reg_id].hours += _hours(starts, ends) * n

    for r in registrations.values():
        s = sessions[r.session_id]
        s.confirmed += 1
        s.marks += r.marks
        s.present_halfdays += r.present_halfdays
        s.hours += r.hours
        s.attendees += r.attended
        s.no_shows += not r.attended

    ml_ids = {r.mission_locale_id for r in registrations.values()}
    names = dict(session.execute(select(MissionLocale.id, MissionLocale.name)
                                 .where(MissionLocale.id.in_(ml_ids))).all()) if ml_ids else {}

    evaluations: dict[int, Satisfaction] = {}
    for row in session.execute(
            select(Evaluation.session_id, func.count(),
                   *(func.sum(getattr(Evaluation, c)) for c in CRITERIA))
            .join(TrainingSession, TrainingSession.id == Evaluation.session_id)
            .where(*in_period).group_by(Evaluation.session_id)):
        ev = Satisfaction(row[0], sessions[row[0]].title, answers=int(row[1]))
        ev.sums = {c: int(v or 0) for c, v in zip(CRITERIA, row[2:], strict=True)}
        evaluations[row[0]] = ev

    return TrainingStats(period, list(sessions.values()), list(registrations.values()),
                         names, evaluations)


def bpf_table(session: Session, year: int) -> list[Participation]:
    """The yearly BPF-style table (see ``TrainingStats.bpf``)."""
    return training_stats(session, Period.year(year)).bpf()
