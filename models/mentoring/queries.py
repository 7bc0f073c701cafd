"""Lists of the mentoring domain, restricted to what the actor may see (a mission locale:
its own rows only, whatever it asks for; the team: every ML, or the one it filters on)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, false, func, select
from sqlalchemy.orm import Session

from models import clock
from models.mentoring import rules
from models.mentoring.enums import PairingStatus
from models.mentoring.orm import FollowUp, Mentee, Mentor, Pairing
from models.network.orm import MissionLocale


def _scoped(stmt, cls, actor: Any, mission_locale_id: int | None):
    if actor is not None and not rules.view_record(actor, None):
        return stmt.where(false())
    scope = rules.ml_scope(actor) if actor is not None else None
    if scope is not None:
        stmt = stmt.where(cls.mission_locale_id == scope)
    if mission_locale_id is not None:
        stmt = stmt.where(cls.mission_locale_id == mission_locale_id)
    return stmt


def list_mentors(session: Session, actor: Any, *, mission_locale_id: int | None = None,
                 active_only: bool = False) -> list[Mentor]:
    stmt = select(Mentor).order_by(Mentor.last_name, Mentor.first_name, Mentor.id)
    if active_only:
        stmt = stmt.where(Mentor.active.is_(True), Mentor.anonymised_on.is_(None))
    return list(session.scalars(_scoped(stmt, Mentor, actor, mission_locale_id)))


def list_mentees(session: Session, actor: Any, *, mission_locale_id: int | None = None
                 ) -> list[Mentee]:
    stmt = select(Mentee).order_by(Mentee.created_at, Mentee.id)
    return list(session.scalars(_scoped(stmt, Mentee, actor, mission_locale_id)))


def list_pairings(session: Session, actor: Any, *, mission_locale_id: int | None = None,
                  status: PairingStatus | None = None) -> list[Pairing]:
    stmt = select(Pairing).order_by(Pairing.start_date, Pairing.id)
    if status is not None:
        stmt = stmt.where(Pairing.status == status)
    return list(session.scalars(_scoped(stmt, Pairing, actor, mission_locale_id)))


# ---------------------------------------------------------------- statements for list pages
def code_prefix(raw: str | None) -> str:
    """A code as typed (« abc-23 », spaces, lower case) reduced to what a code is made of."""
    return re.sub(r"[^A-Z0-9]", "", (raw or "").upper())[:12]


def mentees_stmt(actor: Any, *, mission_locale_id: int | None = None,
                 code: str | None = None) -> Select:
    """Mentees in scope, joined to their ML (sortable by code, ML, creation); ``code``: the
    codes equal to or starting with it, whatever the case (the référent finds the young
    person of i-milo)."""
    stmt = select(Mentee).join(MissionLocale, Mentee.mission_locale_id == MissionLocale.id)
    wanted = code_prefix(code)
    if wanted:
        stmt = stmt.where(Mentee.code.like(f"{wanted}%"))
    return _scoped(stmt, Mentee, actor, mission_locale_id)


def pairings_stmt(actor: Any, *, mission_locale_id: int | None = None,
                  status: PairingStatus | None = None) -> Select:
    """Pairings in scope, joined to mentee, mentor and ML (sortable on their columns)."""
    stmt = (select(Pairing).join(Mentee, Pairing.mentee_id == Mentee.id)
            .join(Mentor, Pairing.mentor_id == Mentor.id)
            .join(MissionLocale, Pairing.mission_locale_id == MissionLocale.id))
    if status is not None:
        stmt = stmt.where(Pairing.status == status)
    return _scoped(stmt, Pairing, actor, mission_locale_id)


def pending_follow_ups(session: Session, actor: Any, *, mission_locale_id: int | None = None
                       ) -> list[FollowUp]:
    """Follow-ups not yet recorded (due or upcoming), oldest due first, in scope."""
    stmt = (select(FollowUp).join(Pairing).where(FollowUp.outcome.is_(None))
            .order_by(FollowUp.due_on, FollowUp.id))
    return list(session.scalars(_scoped(stmt, Pairing, actor, mission_locale_id)))


def due_follow_ups_stmt(actor: Any, *, mission_locale_id: int | None = None,
                        today: date | None = None) -> Select:
    """Follow-ups due and not recorded, in scope (a page of them: the team's list spans
    every ML)."""
    today = today or clock.today()
    stmt = (select(FollowUp).join(Pairing).where(FollowUp.outcome.is_(None),
                                                  FollowUp.due_on <= today))
    return _scoped(stmt, Pairing, actor, mission_locale_id)


def recorded_follow_ups(session: Session, actor: Any, *, limit: int = 20,
                        mission_locale_id: int | None = None) -> list[FollowUp]:
    stmt = (select(FollowUp).join(Pairing).where(FollowUp.outcome.is_not(None))
            .order_by(FollowUp.recorded_on.desc(), FollowUp.id.desc()).limit(limit))
    return list(session.scalars(_scoped(stmt, Pairing, actor, mission_locale_id)))


# ---------------------------------------------------------------- the home page's figures
@dataclass
class Figures:
    """One ML's mentoring at a glance (counts only: nothing about a young person)."""

    mission_locale_id: int
    name: str
    active: int = 0
    proposed: int = 0
    follow_ups_due: int = 0
    mentors_available: int = 0


def home_figures(session: Session, actor: Any, *, today: date | None = None
                 ) -> list[Figures]:
    """Per ML in the actor's scope: active pairings, proposals waiting, follow-ups due,
    mentors available (active, charter signed, a seat left)."""
    today = today or clock.today()
    scope = rules.ml_scope(actor) if actor is not None else None
    if actor is not None and not rules.view_record(actor, None):
        return []
    mls = select(MissionLocale.id, MissionLocale.name).order_by(MissionLocale.name)
    if scope is not None:
        mls = mls.where(MissionLocale.id == scope)
    else:
        mls = mls.where(MissionLocale.active.is_(True))
    figures = {i: Figures(i, name) for i, name in session.execute(mls)}
    if not figures:
        return []
    wanted = list(figures)
    for ml_id, status, n in session.execute(
            select(Pairing.mission_locale_id, Pairing.status, func.count())
            .where(Pairing.mission_locale_id.in_(wanted),
                   Pairing.status.in_((PairingStatus.ACTIF, PairingStatus.PROPOSE)))
            .group_by(Pairing.mission_locale_id, Pairing.status)):
        if PairingStatus(status) is PairingStatus.ACTIF:
            figures[ml_id].active = n
        else:
            figures[ml_id].proposed = n
    for ml_id, n in session.execute(
            select(Pairing.mission_locale_id, func.count()).join(FollowUp)
            .where(Pairing.mission_locale_id.in_(wanted), FollowUp.outcome.is_(None),
                   FollowUp.due_on <= today).group_by(Pairing.mission_locale_id)):
        figures[ml_id].follow_ups_due = n
    held = (select(Pairing.mentor_id, func.count().label("n"))
            .where(Pairing.status == PairingStatus.ACTIF).group_by(Pairing.mentor_id)
            .subquery())
    for ml_id, n in session.execute(
            select(Mentor.mission_locale_id, func.count())
            .outerjoin(held, held.c.mentor_id == Mentor.id)
            .where(Mentor.mission_locale_id.in_(wanted), Mentor.active.is_(True),
                   Mentor.anonymised_on.is_(None), Mentor.charter_signed_on.is_not(None),
                   and_(func.coalesce(held.c.n, 0) < Mentor.capacity))
            .group_by(Mentor.mission_locale_id)):
        figures[ml_id].mentors_available = n
    return list(figures.values())
