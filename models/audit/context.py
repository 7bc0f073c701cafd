"""Who is acting on a session: stored in ``session.info`` so no global is needed."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


def set_actor(session: Any, user: Any | None, *, via: str) -> None:
    """Record the acting user (or None) and the entry point (``web``, ``cli``, ``dashboard``…).

    ``session`` may be a Session or Flask-SQLAlchemy's scoped session proxy.
    """
    session.info["actor_id"] = getattr(user, "id", None)
    session.info["actor_email"] = getattr(user, "email", None)
    session.info["via"] = via


def actor_of(session: Session) -> tuple[int | None, str | None, str]:
    info = session.info
    return info.get("actor_id"), info.get("actor_email"), info.get("via", "inconnu")
