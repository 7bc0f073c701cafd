"""Read-side queries on the network, shared by the web app and the dashboard."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from models.accounts.orm import User
from models.network.departements import departement_label
from models.network.orm import MissionLocale, Region
from models.policy import scope_missions_locales


@dataclass(frozen=True)
class DepartementCount:
    departement: str
    label: str
    active: int
    inactive: int


def missions_locales_stmt(user: User, *, search: str = "", departement: str = "",
                          active: bool | None = None) -> Select[tuple[MissionLocale]]:
    """Missions locales the user may see, filtered; the caller orders and paginates."""
    stmt = scope_missions_locales(select(MissionLocale), user)
    if search:
        pattern = f"%{search.strip().lower()}%"
        stmt = stmt.where(func.lower(MissionLocale.name).like(pattern)
                          | func.lower(MissionLocale.commune).like(pattern)
                          | func.lower(MissionLocale.code).like(pattern))
    if departement:
        stmt = stmt.where(MissionLocale.departement == departement)
    if active is not None:
        stmt = stmt.where(MissionLocale.active.is_(active))
    return stmt


def missions_by_departement(session: Session, user: User) -> list[DepartementCount]:
    """Count of active/inactive missions locales per département, in the user's scope."""
    base = scope_missions_locales(select(MissionLocale), user).subquery()
    stmt = (
        select(base.c.departement, base.c.active, func.count())
        .group_by(base.c.departement, base.c.active)
        .order_by(base.c.departement)
    )
    counts: dict[str, list[int]] = {}
    for dep, is_active, n in session.execute(stmt):
        pair = counts.setdefault(dep, [0, 0])
        pair[0 if is_active else 1] += n
    return [DepartementCount(dep, departement_label(dep), a, i) for dep, (a, i) in counts.items()]


@dataclass(frozen=True)
class NetworkSummary:
    active: int
    departements: int


def network_summary(session: Session, user: User) -> NetworkSummary:
    """Headline figures of the network, in the user's scope."""
    base = scope_missions_locales(select(MissionLocale), user).subquery()
    active = session.scalar(select(func.count()).select_from(base).where(base.c.active.is_(True)))
    deps = session.scalar(select(func.count(func.distinct(base.c.departement))))
    return NetworkSummary(active or 0, deps or 0)


def departements_in_use(session: Session, user: User) -> list[tuple[str, str]]:
    stmt = scope_missions_locales(select(MissionLocale.departement), user).distinct()
    codes = sorted(session.scalars(stmt))
    return [(code, departement_label(code)) for code in codes]


def current_region(session: Session) -> Region | None:
    """The deployment's region (one ARML, one region)."""
    return session.scalars(select(Region).order_by(Region.id).limit(1)).first()


def mission_locale_choices(session: Session, *, active_only: bool = False
                           ) -> list[tuple[int, str]]:
    """``(id, "Name (dép.)")`` pairs for select fields, by name."""
    stmt = select(MissionLocale.id, MissionLocale.name, MissionLocale.departement)
    if active_only:
        stmt = stmt.where(MissionLocale.active.is_(True))
    rows = session.execute(stmt.order_by(MissionLocale.name))
    return [(id_, f"{name} ({dep})") for id_, name, dep in rows]
