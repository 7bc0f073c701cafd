"""Reading councils: the meetings list, one meeting's page, a mission locale's
invitations, the councils home. Scoped to the reader (a funder's account only sees the
meetings it is invited to as a guest)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, extract, false, func, select
from sqlalchemy.orm import Session, selectinload

from models import clock
from models.accounts.roles import NETWORK_READERS, Role
from models.councils.agenda import (
    APPROVAL_MINUTES,
    approval_due,
    backlog_items,
    ordered_items,
)
from models.councils.enums import InviteeKind, ItemKind, MeetingStatus, Presence
from models.councils.meetings import earlier_than, later_than, previous_held
from models.councils.orm import (
    AgendaAttachment,
    AgendaItem,
    CouncilSeries,
    Decision,
    Invitee,
    Meeting,
)
from models.councils.register import follow_up, is_overdue
from models.policy import can


def _role(user: Any) -> Role | None:
    if user is None:
        return None
    try:
        return Role(user.role)
    except (AttributeError, ValueError):
        return None


def _loaded(stmt: Select) -> Select:
    # attachments with their items, without their bytes (the page lists file names)
    return stmt.options(selectinload(Meeting.series), selectinload(Meeting.invitees),
                        selectinload(Meeting.items).selectinload(AgendaItem.attachments)
                        .defer(AgendaAttachment.content),
                        selectinload(Meeting.minutes))


def scope_meetings(stmt: Select, user: Any) -> Select:
    """Team, copil and missions locales: every meeting; a funder's account: those it
    is invited to (by its e-mail); anyone else nothing. ``None`` (CLI): everything."""
    if user is None:
        return stmt
    role = _role(user)
    if role in NETWORK_READERS or role is Role.ML:
        return stmt
    email = (getattr(user, "email", "") or "").strip().lower()
    if role is Role.FINANCEUR and email:
        return stmt.where(Meeting.id.in_(select(Invitee.meeting_id)
                                         .where(Invitee.email == email)))
    return stmt.where(false())


def guest_meetings(session: Session, user: Any, limit: int = 5) -> list[Meeting]:
    """The coming meetings a funder's account is invited to (its home page links them: it
    has no councils menu)."""
    stmt = scope_meetings(select(Meeting), user).where(
        Meeting.day >= clock.today(), Meeting.status != MeetingStatus.ANNULE)
    return list(session.scalars(_loaded(stmt).order_by(Meeting.day).limit(limit)))


# ---------------------------------------------------------------- the list
@dataclass
class MeetingFilters:
    series_id: int | None = None
    status: MeetingStatus | None = None
    year: int | None = None


def list_meetings(session: Session, user: Any, filters: MeetingFilters,
                  today: date | None = None) -> list[Meeting]:
    """Upcoming meetings first (soonest first), then past ones (latest first)."""
    today = today or clock.today()
    stmt = scope_meetings(select(Meeting), user)
    if filters.series_id is not None:
        stmt = stmt.where(Meeting.series_id == filters.series_id)
    if filters.status is not None:
        stmt = stmt.where(Meeting.status == filters.status)
    if filters.year is not None:
        stmt = stmt.where(extract("year", Meeting.day) == filters.year)
    meetings = list(session.scalars(_loaded(stmt)))
    upcoming = sorted((m for m in meetings if m.day >= today),
                      key=lambda m: (m.day, m.starts_at, m.id))
    past = sorted((m for m in meetings if m.day < today),
                  key=lambda m: (m.day, m.starts_at, m.id), reverse=True)
    return upcoming + past


def meeting_years(session: Session) -> list[int]:
    days = session.execute(select(func.min(Meeting.day), func.max(Meeting.day))).one()
    if days[0] is None:
        return [clock.today().year]
    return list(range(days[1].year, days[0].year - 1, -1))


def series_choices(session: Session, *, active_only: bool = False) -> list[tuple[int, str]]:
    stmt = select(CouncilSeries).order_by(CouncilSeries.name)
    if active_only:
        stmt = stmt.where(CouncilSeries.active.is_(True))
    return [(s.id, s.name) for s in session.scalars(stmt)]


# ---------------------------------------------------------------- one meeting
@dataclass
class FollowRow:
    decision: Decision
    overdue: bool


@dataclass
class MeetingPage:
    meeting: Meeting
    items: list[AgendaItem]
    total_minutes: int
    approval_pending: Meeting | None  # the approval item still to be added
    follow_up: list[FollowRow]
    hidden_follow_up: int
    members: list[Invitee]
    guests: list[Invitee]
    answers: dict[str, int]
    previous: Meeting | None
    next: Meeting | None
    previous_held: Meeting | None
    mine: list[Invitee] = field(default_factory=list)  # an ml account's own invitees

    @property
    def overdue_count(self) -> int:
        return sum(1 for row in self.follow_up if row.overdue)

    @property
    def open_count(self) -> int:
        return sum(1 for row in self.follow_up if not row.decision.is_closed)


def _neighbour(session: Session, meeting: Meeting, before: bool) -> Meeting | None:
    stmt = select(Meeting).where(Meeting.series_id == meeting.series_id,
                                 earlier_than(meeting) if before else later_than(meeting))
    if before:
        stmt = stmt.order_by(Meeting.day.desc(), Meeting.starts_at.desc(), Meeting.id.desc())
    else:
        stmt = stmt.order_by(Meeting.day, Meeting.starts_at, Meeting.id)
    return session.scalars(stmt).first()


def answer_counts(invitees: list[Invitee]) -> dict[str, int]:
    counts = Counter(Presence(i.answer).value if i.answer is not None else "sans_reponse"
                     for i in invitees)
    return {key: counts.get(key, 0)
            for key in ("present", "excuse", "represente", "absent", "sans_reponse")}


def meeting_page(session: Session, user: Any, meeting: Meeting,
                 today: date | None = None) -> MeetingPage:
    today = today or clock.today()
    items = ordered_items(meeting)
    rows, hidden = [], 0
    for decision in follow_up(session, meeting):
        # a mission locale reads the decisions its ML owns (the rest: a count)
        if user is not None and not can(user, "decisions.view", decision):
            hidden += 1
            continue
        rows.append(FollowRow(decision, is_overdue(decision, today)))
    invitees = sorted(meeting.invitees, key=lambda i: (i.full_name.lower(), i.id))
    members = [i for i in invitees if InviteeKind(i.kind) is InviteeKind.MEMBRE]
    guests = [i for i in invitees if InviteeKind(i.kind) is InviteeKind.INVITE]
    mine: list[Invitee] = []
    if _role(user) is Role.ML and user.mission_locale_id is not None:
        mine = [i for i in invitees if i.mission_locale_id == user.mission_locale_id]
    pending = approval_due(session, meeting)
    if pending is not None and any(i.minutes_of_id == pending.id for i in items):
        pending = None
    total = sum(i.duration_minutes or 0 for i in items)
    if pending is not None:
        total += APPROVAL_MINUTES
    return MeetingPage(
        meeting=meeting, items=items, total_minutes=total, approval_pending=pending,
        follow_up=rows, hidden_follow_up=hidden, members=members, guests=guests,
        answers=answer_counts([*members, *guests]),
        previous=_neighbour(session, meeting, True), next=_neighbour(session, meeting, False),
        previous_held=previous_held(session, meeting), mine=mine)


def has_follow_up_item(page: MeetingPage) -> bool:
    return any(ItemKind(i.kind) is ItemKind.SUIVI for i in page.items)


# ---------------------------------------------------------------- invitations of an ML
def ml_invitations(session: Session, user: Any, *, upcoming_only: bool = True,
                   today: date | None = None) -> list[Invitee]:
    """The invitees of the user's mission locale (its director, mostly), with their
    meeting: upcoming meetings first."""
    ml_id = getattr(user, "mission_locale_id", None)
    if _role(user) is not Role.ML or ml_id is None:
        return []
    today = today or clock.today()
    stmt = (select(Invitee).join(Meeting, Invitee.meeting_id == Meeting.id)
            .where(Invitee.mission_locale_id == ml_id)
            .options(selectinload(Invitee.meeting).selectinload(Meeting.series),
                     selectinload(Invitee.meeting).selectinload(Meeting.invitees),
                     selectinload(Invitee.proxy_holder)))
    if upcoming_only:
        stmt = stmt.where(Meeting.day >= today,
                          Meeting.status.in_((MeetingStatus.PLANIFIE, MeetingStatus.CONVOQUE)))
        stmt = stmt.order_by(Meeting.day, Meeting.starts_at, Invitee.id)
    else:
        stmt = stmt.order_by(Meeting.day.desc(), Meeting.starts_at.desc(), Invitee.id)
    return list(session.scalars(stmt))


def guest_invitations(session: Session, user: Any, today: date | None = None) -> list[Meeting]:
    """The upcoming meetings a funder's (or any) account is invited to by its e-mail."""
    email = (getattr(user, "email", "") or "").strip().lower()
    if not email:
        return []
    today = today or clock.today()
    stmt = (select(Meeting).join(Invitee, Invitee.meeting_id == Meeting.id)
            .where(Invitee.email == email, Meeting.day >= today)
            .order_by(Meeting.day, Meeting.starts_at))
    return list(session.scalars(_loaded(stmt)).unique())


# ---------------------------------------------------------------- series
@dataclass
class SeriesRow:
    series: CouncilSeries
    next: Meeting | None
    held: int
    planned: int
    backlog: int


def series_rows(session: Session, today: date | None = None) -> list[SeriesRow]:
    today = today or clock.today()
    rows = []
    all_series = session.scalars(select(CouncilSeries).order_by(
        CouncilSeries.active.desc(), CouncilSeries.name)).all()
    backlog = dict(session.execute(
        select(AgendaItem.series_id, func.count()).where(AgendaItem.meeting_id.is_(None))
        .group_by(AgendaItem.series_id)).all())
    for series in all_series:
        meetings = series.meetings
        upcoming = [m for m in meetings if m.day >= today
                    and MeetingStatus(m.status) in (MeetingStatus.PLANIFIE,
                                                    MeetingStatus.CONVOQUE)]
        rows.append(SeriesRow(
            series=series, next=upcoming[0] if upcoming else None,
            held=sum(1 for m in meetings if MeetingStatus(m.status) is MeetingStatus.TENU),
            planned=len(upcoming), backlog=backlog.get(series.id, 0)))
    return rows


def series_backlog(session: Session, series: CouncilSeries) -> list[AgendaItem]:
    return backlog_items(session, series)


def schedulable_meetings(session: Session, series: CouncilSeries) -> list[Meeting]:
    """The meetings a backlog topic may go to: planned or convoked ones."""
    return list(session.scalars(
        select(Meeting).where(Meeting.series_id == series.id,
                              Meeting.status.in_((MeetingStatus.PLANIFIE,
                                                  MeetingStatus.CONVOQUE)))
        .order_by(Meeting.day, Meeting.starts_at, Meeting.id)))


# ---------------------------------------------------------------- the home
@dataclass
class Home:
    upcoming: list[Meeting]
    invitations: list[Invitee]
    series: list[SeriesRow]
    recent: list[Meeting]


def home(session: Session, user: Any, today: date | None = None) -> Home:
    today = today or clock.today()
    upcoming_stmt = (scope_meetings(select(Meeting), user)
                     .where(Meeting.day >= today,
                            Meeting.status.in_((MeetingStatus.PLANIFIE, MeetingStatus.CONVOQUE)))
                     .order_by(Meeting.day, Meeting.starts_at).limit(8))
    recent_stmt = (scope_meetings(select(Meeting), user)
                   .where(Meeting.day < today, Meeting.day >= today - timedelta(days=400),
                          Meeting.status == MeetingStatus.TENU)
                   .order_by(Meeting.day.desc()).limit(5))
    return Home(
        upcoming=list(session.scalars(_loaded(upcoming_stmt))),
        invitations=ml_invitations(session, user, today=today),
        series=series_rows(session, today),
        recent=list(session.scalars(_loaded(recent_stmt))))


def feed_meetings(session: Session, today: date | None = None) -> list[Meeting]:
    """The meetings of the ICS feed: from a year back, not cancelled."""
    today = today or clock.today()
    stmt = (select(Meeting).where(Meeting.day >= today - timedelta(days=365),
                                  Meeting.status != MeetingStatus.ANNULE)
            .order_by(Meeting.day, Meeting.starts_at))
    return list(session.scalars(stmt.options(selectinload(Meeting.series))))
