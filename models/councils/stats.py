"""Figures of the councils and collective projects over a year: the dashboard page
"Conseils et projets" and the programme's computed indicators ("Réunions tenues",
"Taux de présence des directeurs") read the same definitions.

Definitions (a meeting belongs to the year of its ``day``):

- *meetings held*: meetings whose status is ``tenu`` (planned, convened and cancelled
  meetings count nowhere, whatever their date);
- *attendance rate*: over the held meetings of the year, the invitees of kind
  ``membre`` whose presence is ``présent`` or ``représenté``, divided by all the
  invitees of kind ``membre`` — "present + represented over invited members". Guests
  (kind ``invité``: DREETS, Région…) count nowhere. A member whose presence was never
  recorded counts as invited and not present. No member invited at all: ``None``
  (nothing to measure, never 0). Rates are fractions (0.625, not 62.5) rounded half up
  to 4 places, so ``rate * 100`` has the two decimals of an indicator's value;
- *per mission locale*: the same count restricted to the member invitees carrying that
  mission locale (``Invitee.mission_locale_id``); members without a mission locale count
  in the totals only;
- *decisions*: the one register (councils, copil, projects), by status as it stands
  today; *overdue* is ``models.councils.register.is_overdue`` (an open status —
  ouverte, en cours, reportée — and a due date before today); the year, when given, is
  the year the decision was taken (``decided_on``).

Every function is a pure read (no permission check: the callers check theirs) and runs
a handful of grouped queries, never one per meeting.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from models import clock
from models.councils.enums import (
    OPEN_STATUSES,
    DecisionStatus,
    InviteeKind,
    MeetingStatus,
    ParticipantStatus,
    Presence,
    ProjectKind,
    ProjectPhase,
)
from models.councils.orm import (
    CollectiveProject,
    CouncilSeries,
    Decision,
    Invitee,
    Meeting,
    ProjectParticipant,
)
from models.councils.projects import evaluation_due
from models.councils.register import RegisterFilters, register, source_label
from models.network.orm import MissionLocale

RATE_PLACES = Decimal("0.0001")


def rate(part: int, whole: int) -> Decimal | None:
    """``part / whole`` as a fraction rounded half up to 4 places; None when ``whole`` is 0."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def _year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def _held(stmt: Select, year: int, series_id: int | None) -> Select:
    first, last = _year_bounds(year)
    stmt = stmt.where(Meeting.status == MeetingStatus.TENU, Meeting.day >= first,
                      Meeting.day <= last)
    if series_id is not None:
        stmt = stmt.where(Meeting.series_id == series_id)
    return stmt


@dataclass
class Tally:
    """Member invitations and what became of them."""

    invited: int = 0
    present: int = 0
    represented: int = 0
    excused: int = 0
    absent: int = 0
    unrecorded: int = 0  # held, but no presence recorded for this member

    def add(self, presence: Presence | str | None) -> None:
        self.invited += 1
        if presence is None:
            self.unrecorded += 1
            return
        name = {Presence.PRESENT: "present", Presence.REPRESENTE: "represented",
                Presence.EXCUSE: "excused", Presence.ABSENT: "absent"}[Presence(presence)]
        setattr(self, name, getattr(self, name) + 1)

    @property
    def attending(self) -> int:
        """Present + represented: the numerator of the attendance rate."""
        return self.present + self.represented

    @property
    def rate(self) -> Decimal | None:
        return rate(self.attending, self.invited)


@dataclass
class MeetingAttendance(Tally):
    meeting_id: int = 0
    series_id: int = 0
    series: str = ""
    title: str = ""
    day: date | None = None

    @property
    def label(self) -> str:
        return self.title or f"{self.series} du {self.day:%d/%m/%Y}"


@dataclass
class MlAttendance(Tally):
    mission_locale_id: int = 0
    name: str = ""
    meetings: set[int] = field(default_factory=set)

    @property
    def meetings_invited(self) -> int:
        """Held meetings of the year where one of its people was invited as a member."""
        return len(self.meetings)


def _member_presences(session: Session, year: int, series_id: int | None
                      ) -> list[tuple[int, int | None, Presence | None]]:
    """(meeting id, mission locale id, presence) of every member invitation of the held
    meetings of the year."""
    stmt = _held(select(Invitee.meeting_id, Invitee.mission_locale_id, Invitee.presence)
                 .join(Meeting, Meeting.id == Invitee.meeting_id)
                 .where(Invitee.kind == InviteeKind.MEMBRE), year, series_id)
    return [tuple(row) for row in session.execute(stmt)]


def meetings_held(session: Session, year: int, series_id: int | None = None) -> int:
    """Meetings with status ``tenu`` whose day falls in ``year`` ("Réunions tenues")."""
    stmt = _held(select(func.count(Meeting.id)), year, series_id)
    return session.scalar(stmt) or 0


def attendance(session: Session, year: int, series_id: int | None = None) -> Tally:
    """The year's member invitations over the held meetings, counted by presence."""
    tally = Tally()
    for _, _, presence in _member_presences(session, year, series_id):
        tally.add(presence)
    return tally


def attendance_rate(session: Session, year: int, series_id: int | None = None
                    ) -> Decimal | None:
    """The "Taux de présence des directeurs": (members present + represented) / members
    invited, over the held meetings of ``year``; None when no member was invited."""
    return attendance(session, year, series_id).rate


def attendance_by_meeting(session: Session, year: int, series_id: int | None = None
                          ) -> list[MeetingAttendance]:
    """One row per held meeting of the year (in date order), even without any member
    invited (its rate is then None)."""
    stmt = _held(select(Meeting.id, Meeting.series_id, CouncilSeries.name, Meeting.title,
                        Meeting.day)
                 .join(CouncilSeries, CouncilSeries.id == Meeting.series_id), year, series_id)
    rows = {mid: MeetingAttendance(meeting_id=mid, series_id=sid, series=name, title=title,
                                   day=day)
            for mid, sid, name, title, day in session.execute(
                stmt.order_by(Meeting.day, Meeting.starts_at, Meeting.id))}
    for meeting_id, _, presence in _member_presences(session, year, series_id):
        rows[meeting_id].add(presence)
    return list(rows.values())


def attendance_by_ml(session: Session, year: int, series_id: int | None = None
                     ) -> list[MlAttendance]:
    """One row per mission locale with at least one member invitation to a held meeting of
    the year, by name."""
    lines: dict[int, MlAttendance] = {}
    for meeting_id, ml_id, presence in _member_presences(session, year, series_id):
        if ml_id is None:
            continue
        line = lines.setdefault(ml_id, MlAttendance(mission_locale_id=ml_id))
        line.add(presence)
        line.meetings.add(meeting_id)
    if lines:
        names = dict(session.execute(select(MissionLocale.id, MissionLocale.name)
                                     .where(MissionLocale.id.in_(lines))).all())
        for ml_id, line in lines.items():
            line.name = names.get(ml_id, "")
    return sorted(lines.values(), key=lambda line: (line.name.casefold(), line.mission_locale_id))


def years(session: Session) -> list[int]:
    """Years with a meeting or a decision, most recent first."""
    days = set(session.scalars(select(Meeting.day))) | set(
        session.scalars(select(Decision.decided_on)))
    return sorted({d.year for d in days}, reverse=True)


# ---------------------------------------------------------------- decisions
@dataclass
class DecisionCounts:
    """Decisions by status today, and among the open ones those overdue."""

    by_status: dict[DecisionStatus, int]
    overdue_by_status: dict[DecisionStatus, int]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def open(self) -> int:
        """Ouverte + en cours + reportée: what the later meetings still follow."""
        return sum(self.by_status[s] for s in OPEN_STATUSES)

    @property
    def overdue(self) -> int:
        return sum(self.overdue_by_status.values())


def decisions_by_status(session: Session, year: int | None = None, *,
                        series_id: int | None = None, today: date | None = None
                        ) -> DecisionCounts:
    """Counts of the register per status (every status present, 0 included), and the
    overdue ones per open status; ``year`` restricts to the decisions taken that year,
    ``series_id`` to one council series."""
    today = today or clock.today()
    filters = []
    if year is not None:
        first, last = _year_bounds(year)
        filters += [Decision.decided_on >= first, Decision.decided_on <= last]
    if series_id is not None:
        filters.append(Decision.series_id == series_id)
    by_status = {s: 0 for s in DecisionStatus}
    for status, count in session.execute(
            select(Decision.status, func.count(Decision.id)).where(*filters)
            .group_by(Decision.status)):
        by_status[DecisionStatus(status)] = count
    overdue = {s: 0 for s in OPEN_STATUSES}
    for status, count in session.execute(
            select(Decision.status, func.count(Decision.id))
            .where(*filters, Decision.status.in_(OPEN_STATUSES), Decision.due_date < today)
            .group_by(Decision.status)):
        overdue[DecisionStatus(status)] = count
    return DecisionCounts(by_status, overdue)


@dataclass
class OverdueDecision:
    id: int
    text: str
    source: str
    owner: str
    due_date: date
    status: DecisionStatus
    days_late: int


def overdue_decisions(session: Session, year: int | None = None, *,
                      today: date | None = None) -> list[OverdueDecision]:
    """The overdue decisions (``register.is_overdue``), the oldest due date first."""
    today = today or clock.today()
    found = [d for d in register(session, None, RegisterFilters(overdue=True), today)
             if year is None or d.decided_on.year == year]
    found.sort(key=lambda d: (d.due_date, d.id))
    return [OverdueDecision(d.id, d.text, source_label(d), d.owner_label, d.due_date,
                            DecisionStatus(d.status), (today - d.due_date).days)
            for d in found]


# ---------------------------------------------------------------- projects
@dataclass
class ProjectLine:
    id: int
    title: str
    kind: ProjectKind
    phase: ProjectPhase
    retained: int  # participating missions locales ("MLs participantes")
    candidates: int
    withdrawn: int
    evaluation_due: date | None


@dataclass
class ProjectsByPhase:
    counts: dict[ProjectPhase, int]  # every phase, in the projects' order, 0 included
    projects: list[ProjectLine]  # in phase order, then by title


def projects_by_phase(session: Session) -> ProjectsByPhase:
    """Every collective project by phase, with its missions locales by status."""
    participants: dict[int, dict[ParticipantStatus, int]] = defaultdict(
        lambda: {s: 0 for s in ParticipantStatus})
    for project_id, status, count in session.execute(
            select(ProjectParticipant.project_id, ProjectParticipant.status,
                   func.count(ProjectParticipant.id))
            .group_by(ProjectParticipant.project_id, ProjectParticipant.status)):
        participants[project_id][ParticipantStatus(status)] = count
    order = {phase: i for i, phase in enumerate(ProjectPhase)}
    lines = []
    for p in session.scalars(select(CollectiveProject)):
        by = participants[p.id]
        lines.append(ProjectLine(p.id, p.title, ProjectKind(p.kind), ProjectPhase(p.phase),
                                 by[ParticipantStatus.RETENU], by[ParticipantStatus.CANDIDAT],
                                 by[ParticipantStatus.RETIRE], evaluation_due(session, p)))
    lines.sort(key=lambda line: (order[line.phase], line.title.casefold(), line.id))
    counts = {phase: 0 for phase in ProjectPhase}
    for line in lines:
        counts[line.phase] += 1
    return ProjectsByPhase(counts, lines)
