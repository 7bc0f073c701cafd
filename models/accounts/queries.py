"""Read-side queries on accounts."""

from __future__ import annotations

from sqlalchemy import Select, func, or_, select

from models.accounts.orm import User
from models.accounts.roles import Role


def users_stmt(*, search: str = "", role: str = "", active: bool | None = None) -> Select:
    stmt = select(User)
    if search:
        pattern = f"%{search.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(User.full_name).like(pattern), User.email.like(pattern)))
    if role in {r.value for r in Role}:
        stmt = stmt.where(User.role == Role(role))
    if active is not None:
        stmt = stmt.where(User.active.is_(active))
    return stmt
