"""Lookups shared by the funding views: objects in scope or 404, form choices, list totals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_login import current_user
from sqlalchemy import Select

from models import clock
from models.formatting import format_date
from models.funding import queries
from models.funding.orm import Convention, Funder
from models.policy import can
from webapp.access import ensure
from webapp.extensions import db

ZERO = Decimal("0.00")


def today() -> date:
    return clock.today()


def funder_or_404(funder_id: int) -> Funder:
    """The funder if the current user may read it (a funder's account: only its own)."""
    funder = db.session.get(Funder, funder_id)
    ensure(funder is not None and can(current_user, "funding.view", funder))
    return funder


def convention_or_404(convention_id: int) -> Convention:
    """Another funder's convention does not exist for a funder's account (404, not 403)."""
    convention = db.session.get(Convention, convention_id)
    ensure(convention is not None and can(current_user, "funding.view", convention))
    return convention


def child_or_404(model: type, item_id: int, convention: Convention):
    """An allocation, payment or deadline, only through its own convention's URL."""
    item = db.session.get(model, item_id)
    ensure(item is not None and item.convention_id == convention.id)
    return item


def funder_choices(current_id: int | None = None) -> list[tuple[int, str]]:
    """Active funders, plus the convention's own funder even if it became inactive."""
    active = queries.funder_choices(db.session, active_only=True)
    if current_id and all(i != current_id for i, _ in active):
        funder = db.session.get(Funder, current_id)
        if funder is not None:
            active = [*active, (funder.id, f"{funder.name} (inactif)")]
    return active


def allocation_targets(convention: Convention) -> dict[str, list[tuple[str, str]]]:
    """Grouped choices for the allocation form: each programme's actions, then its axes."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for programme, actions, axes in queries.allocation_targets(db.session, convention):
        groups[f"Programme {programme.year} — actions"] = [
            (f"{programme.id}:action:{i}", label) for i, label in actions]
        groups[f"Programme {programme.year} — financement global d'un axe"] = [
            (f"{programme.id}:axe:{i}", label) for i, label in axes]
    return groups


def instalment_choices(convention: Convention) -> list[tuple[int, str]]:
    return [(i.id, f"{i.label} ({format_date(i.due_date)})") for i in convention.instalments]


def totals(stmt: Select, on: date) -> queries.Totals:
    """The KPIs of the conventions a (filtered) list selects."""
    return queries.totals(db.session, [row[0].id for row in db.session.execute(stmt)], on)


def convention_sums(conventions: list[Convention]) -> dict[int, tuple[Decimal, Decimal]]:
    """(allocated, received) per convention of a list page."""
    return queries.convention_sums(db.session, [c.id for c in conventions])


def funder_sums(funders: list[Funder]) -> dict[int, tuple[int, Decimal]]:
    """(number of conventions, total amount) per funder of a list page."""
    return queries.funder_sums(db.session, [f.id for f in funders])
