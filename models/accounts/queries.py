"""Read-side queries on accounts."""

from __future__ import annotations

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from models.accounts.orm import User
from models.accounts.roles import Role


def users_stmt(*, search: str = "", role: str = "", active: bool | None = None) -> Select:
    stmt = select(User).options(selectinload(User.mission_locale))  # no query per row
    if search:
        pattern = f"%{search.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(User.full_name).like(pattern), User.email.like(pattern)))
    if role in {r.value for r in Role}:
        stmt = stmt.where(User.role == Role(role))
    if active is not None:
        stmt = stmt.where(User.active.is_(active))
    return stmt


def accounts_of_mission_locale(session: Session, mission_locale_id: int) -> list[User]:
    stmt = select(User).where(User.mission_locale_id == mission_locale_id).order_by(User.full_name)
    return list(session.scalars(stmt))


def active_accounts_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User).where(User.active.is_(True))) or 0
