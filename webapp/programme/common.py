"""Lookups shared by the programme views: objects in scope or 404, form choices."""

from __future__ import annotations

from datetime import date

from flask_login import current_user

from models import clock
from models.network.queries import mission_locale_choices
from models.policy import can
from models.programme import queries
from models.programme.orm import Action, Programme
from webapp.access import ensure
from webapp.extensions import db


def today() -> date:
    return clock.today()


def programme_or_404(programme_id: int) -> Programme:
    programme = db.session.get(Programme, programme_id)
    ensure(programme is not None)
    return programme


def action_or_404(action_id: int) -> Action:
    """The action if the current user may see it; otherwise it does not exist (404)."""
    action = db.session.get(Action, action_id)
    ensure(action is not None and can(current_user, "action.view", action))
    return action


def objective_choices() -> list[tuple[int, str]]:
    return [(o.id, f"{o.code} — {o.title}") for o in queries.objectives(db.session)]


def member_choices(year: int | None = None) -> list[tuple[int, str]]:
    return [(m.id, f"{m.full_name} ({m.function})") for m in queries.team(db.session, year=year)]


def ml_choices() -> list[tuple[int, str]]:
    return mission_locale_choices(db.session, active_only=True)
