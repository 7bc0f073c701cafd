"""Helpers every programme write shares: permission, version check, amendment log.

Kept apart so the write modules (``services``, ``items``, ``team``) stay small and
apply the same rules the same way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from models.errors import ConcurrentEdit, PermissionDenied
from models.policy import can
from models.programme.orm import Action, ActionAmendment, Programme


def require_manage(actor: Any) -> None:
    if actor is not None and not can(actor, "programme.manage"):
        raise PermissionDenied()


def actor_name(actor: Any) -> str:
    return getattr(actor, "full_name", None) or "système"


def flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError as exc:  # saved by someone else between our read and our write
        raise ConcurrentEdit() from exc


def check_version(obj: Any, expected: int | None) -> None:
    if expected is not None and expected != obj.version_id:
        raise ConcurrentEdit()



def record_amendment(session: Session, actor: Any, programme: Programme, action: Action | None,
           title: str, kind: str, summary: str, reason: str = "") -> None:
    """Record a change to a validated programme's plan (shown to the copil).

    The items of an action that was itself added after validation are part of that
    addition: they are not listed again one by one.
    """
    if not programme.is_validated:
        return
    if kind == "modification" and action is not None and session.scalar(
            select(func.count()).select_from(ActionAmendment).where(
                ActionAmendment.action_id == action.id, ActionAmendment.kind == "ajout")):
        return
    session.add(ActionAmendment(
        programme_id=programme.id, action_id=action.id if action is not None else None,
        action_title=title, kind=kind, summary=summary, reason=(reason or "").strip(),
        actor_id=getattr(actor, "id", None), actor_name=actor_name(actor)))


