"""The access log of youth-level data: who viewed or exported a mission locale's
record-by-record findings (they carry ``id_jeune``), when, and what.

The web views of those findings call :func:`record_access` (one row per page shown or
file downloaded); the admin page ``/admin/acces`` reads :func:`access_select`. Rows are
kept at most a year (``models.operations.retention``, ``DATA_ACCESS_RETENTION_DAYS``).

A row names the person by id and e-mail (the log survives the account), their role at the
time, the mission locale and a short description of what was read: never the search typed
(an ``id_jeune`` searched for is itself youth-level data), nor a query string.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from models.operations.orm import DataAccess
from models.operations.retention import start_of

CONSULTATION, EXPORT = "consultation", "export"
KIND_LABELS = {CONSULTATION: "Consultation", EXPORT: "Export"}
WHAT_MAX = 120


def record_access(session: Session, user: Any, *, mission_locale_id: int | None, kind: str,
                  what: str) -> DataAccess:
    """Log that ``user`` viewed (``consultation``) or exported (``export``) youth-level
    data of the mission locale ``mission_locale_id``. Flushes; the caller commits."""
    if kind not in KIND_LABELS:
        raise ValueError(f"unknown access kind {kind!r}")
    role = getattr(user, "role", "")
    row = DataAccess(user_id=getattr(user, "id", None),
                     user_email=(getattr(user, "email", "") or "")[:254],
                     role=str(getattr(role, "value", role) or "")[:20],
                     mission_locale_id=mission_locale_id, kind=kind,
                     what=(what or "").strip()[:WHAT_MAX])
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class AccessFilters:
    """The admin page's filters; ``None`` means any. Dates are French local days,
    both ends included."""

    mission_locale_id: int | None = None
    user_id: int | None = None
    kind: str | None = None
    start: date | None = None
    end: date | None = None


def access_select(filters: AccessFilters = AccessFilters()) -> Select:
    """The access rows matching ``filters``, unordered (the page sorts, newest first)."""
    stmt = select(DataAccess)
    if filters.mission_locale_id is not None:
        stmt = stmt.where(DataAccess.mission_locale_id == filters.mission_locale_id)
    if filters.user_id is not None:
        stmt = stmt.where(DataAccess.user_id == filters.user_id)
    if filters.kind is not None:
        stmt = stmt.where(DataAccess.kind == filters.kind)
    if filters.start is not None:
        stmt = stmt.where(DataAccess.occurred_at >= start_of(filters.start))
    if filters.end is not None:
        stmt = stmt.where(DataAccess.occurred_at < start_of(filters.end + timedelta(days=1)))
    return stmt


def newest_first(stmt: Select) -> Select:
    return stmt.order_by(DataAccess.occurred_at.desc(), DataAccess.id.desc())


@dataclass
class AccessPage:
    items: list[DataAccess]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def page_of_accesses(session: Session, filters: AccessFilters = AccessFilters(), *,
                     page: int = 1, per_page: int = 25) -> AccessPage:
    """One page of the matching rows, newest first (pages from 1)."""
    stmt = access_select(filters)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(1, page)
    items = list(session.scalars(newest_first(stmt).limit(per_page)
                                 .offset((page - 1) * per_page)))
    return AccessPage(items, total, page, per_page)


def people_in_log(session: Session) -> list[tuple[int, str]]:
    """(user id, e-mail) of everyone in the log, for the page's "personne" filter: the
    latest e-mail each id was logged with, sorted by e-mail."""
    latest = (select(func.max(DataAccess.id)).where(DataAccess.user_id.is_not(None))
              .group_by(DataAccess.user_id))
    rows = session.execute(select(DataAccess.user_id, DataAccess.user_email)
                           .where(DataAccess.id.in_(latest))).all()
    return sorted(((user_id, email) for user_id, email in rows),
                  key=lambda item: (item[1], item[0]))
