"""Lists of the mentoring domain, restricted to what the actor may see (a mission locale:
its own rows only, whatever it asks for; the team: every ML, or the one it filters on)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, select
from sqlalchemy.orm import Session

from models.mentoring import rules
from models.mentoring.enums import PairingStatus
from models.mentoring.orm import Mentee, Mentor, Pairing


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
