"""Reading the decision register: the "Suivi des décisions" of a meeting, the filtered
register (page, CSV/XLSX), overdue decisions.

A decision of a series appears at **every later meeting** of that series until it is
closed: at meeting M (day d) it shows when it was decided before d and is still open,
or was closed on or after d (so a past meeting shows what was open then, and the
meeting where it is closed shows it one last time, closed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session, selectinload

from models import clock
from models.accounts.roles import NETWORK_READERS, Role
from models.councils.enums import OPEN_STATUSES, DecisionStatus
from models.councils.orm import Decision, Meeting
from models.programme.orm import CopilMeeting


def _loaded(stmt: Select) -> Select:
    return stmt.options(
        selectinload(Decision.owner_member), selectinload(Decision.owner_ml),
        selectinload(Decision.meeting).selectinload(Meeting.series),
        selectinload(Decision.copil_meeting), selectinload(Decision.project),
        selectinload(Decision.series), selectinload(Decision.action))


def is_overdue(decision: Decision, today: date | None = None) -> bool:
    today = today or clock.today()
    return DecisionStatus(decision.status) in OPEN_STATUSES and decision.due_date < today


def source_label(decision: Decision) -> str:
    if decision.meeting is not None:
        return f"{decision.meeting.series.name} du {decision.meeting.day:%d/%m/%Y}"
    if decision.copil_meeting is not None:
        return f"Copil du {decision.copil_meeting.meeting_date:%d/%m/%Y}"
    if decision.project is not None:
        return f"Projet « {decision.project.title} »"
    return ""


def follow_up(session: Session, meeting: Meeting) -> list[Decision]:
    """The decisions the "Suivi des décisions" of ``meeting`` goes through."""
    stmt = (select(Decision)
            .where(Decision.series_id == meeting.series_id,
                   Decision.decided_on < meeting.day,
                   or_(Decision.closed_on.is_(None), Decision.closed_on >= meeting.day))
            .order_by(Decision.decided_on, Decision.id))
    return list(session.scalars(_loaded(stmt)))


def copil_follow_up(session: Session, meeting: CopilMeeting) -> list[Decision]:
    """The same rule for copil meetings (one series: the copil)."""
    stmt = (select(Decision)
            .where(Decision.copil_meeting_id.is_not(None),
                   Decision.decided_on < meeting.meeting_date,
                   or_(Decision.closed_on.is_(None),
                       Decision.closed_on >= meeting.meeting_date))
            .order_by(Decision.decided_on, Decision.id))
    return list(session.scalars(_loaded(stmt)))


def taken_at(session: Session, meeting: Meeting) -> list[Decision]:
    stmt = select(Decision).where(Decision.meeting_id == meeting.id).order_by(Decision.id)
    return list(session.scalars(_loaded(stmt)))


@dataclass
class RegisterFilters:
    series_id: int | None = None  # 0: the copil
    owner_member_id: int | None = None
    ml_id: int | None = None
    statuses: list[DecisionStatus] = field(default_factory=list)
    overdue: bool = False
    text: str = ""
    project_id: int | None = None


def scope(stmt: Select, user: Any) -> Select:
    """Team and copil: the whole register; a mission locale: the decisions its ML owns;
    anyone else: nothing."""
    if user is None:  # CLI, jobs
        return stmt
    role = Role(user.role) if getattr(user, "role", None) else None
    if role in NETWORK_READERS:
        return stmt
    if role is Role.ML and user.mission_locale_id is not None:
        return stmt.where(Decision.owner_ml_id == user.mission_locale_id)
    return stmt.where(Decision.id.is_(None))


def register_stmt(user: Any, filters: RegisterFilters, today: date | None = None) -> Select:
    today = today or clock.today()
    stmt = scope(select(Decision), user)
    if filters.series_id == 0:
        stmt = stmt.where(Decision.copil_meeting_id.is_not(None))
    elif filters.series_id is not None:
        stmt = stmt.where(Decision.series_id == filters.series_id)
    if filters.project_id is not None:
        stmt = stmt.where(Decision.project_id == filters.project_id)
    if filters.owner_member_id is not None:
        stmt = stmt.where(Decision.owner_member_id == filters.owner_member_id)
    if filters.ml_id is not None:
        stmt = stmt.where(Decision.owner_ml_id == filters.ml_id)
    if filters.statuses:
        stmt = stmt.where(Decision.status.in_(filters.statuses))
    if filters.overdue:
        stmt = stmt.where(Decision.status.in_(OPEN_STATUSES), Decision.due_date < today)
    text = (filters.text or "").strip()
    if text:
        stmt = stmt.where(Decision.text.ilike(f"%{text}%"))
    return _loaded(stmt)


def register(session: Session, user: Any, filters: RegisterFilters,
             today: date | None = None) -> list[Decision]:
    stmt = register_stmt(user, filters, today).order_by(Decision.decided_on.desc(),
                                                        Decision.id.desc())
    return list(session.scalars(stmt))


def status_counts(session: Session, user: Any, year: int | None = None,
                  today: date | None = None) -> dict[str, int]:
    """Decisions by status (and overdue) — for the register's header. One aggregate
    query: its cost does not grow with the register's history."""
    today = today or clock.today()
    late = case((Decision.status.in_(OPEN_STATUSES) & (Decision.due_date < today), 1), else_=0)
    stmt = scope(select(Decision.status, func.count(), func.sum(late)), user)
    if year is not None:
        stmt = stmt.where(Decision.decided_on >= date(year, 1, 1),
                          Decision.decided_on <= date(year, 12, 31))
    counts = {s.value: 0 for s in DecisionStatus}
    counts["en_retard"] = 0
    for status, count, overdue in session.execute(stmt.group_by(Decision.status)):
        counts[DecisionStatus(status).value] = count
        counts["en_retard"] += int(overdue or 0)
    return counts


EXPORT_HEADER = ("numero", "instance", "reunion", "date_decision", "decision", "responsable",
                 "mission_locale", "echeance", "statut", "en_retard", "action", "note_cloture",
                 "cloturee_le")


def export_rows(decisions: list[Decision], today: date | None = None) -> list[tuple]:
    today = today or clock.today()
    rows = []
    for d in decisions:
        instance = (d.series.name if d.series is not None
                    else ("Copil" if d.copil_meeting is not None
                          else (d.project.title if d.project is not None else "")))
        rows.append((
            d.id, instance, source_label(d), d.decided_on, d.text,
            d.owner_member.full_name if d.owner_member is not None else d.owner_person,
            d.owner_ml.name if d.owner_ml is not None else "", d.due_date,
            DecisionStatus(d.status).label, "oui" if is_overdue(d, today) else "non",
            d.action.title if d.action is not None else "", d.closing_note,
            d.closed_on))
    return rows
