"""Loading a mentoring record for an actor: another ML's id reads as « introuvable »
(the web answers 404), on reads and on writes alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from models.errors import ConcurrentEdit, NotFound, PermissionDenied, ValidationFailed
from models.mentoring import rules

_NOT_FOUND = {"Mentor": "Parrain ou marraine introuvable.", "Mentee": "Filleul·e introuvable.",
              "Pairing": "Binôme introuvable.", "FollowUp": "Suivi introuvable."}


def check_may_create(actor: Any) -> None:
    if actor is not None and not rules.edit_record(actor, None):
        raise PermissionDenied()


def ml_for_new_record(actor: Any, requested: int | None) -> int | None:
    """A mission locale creates only in its own ML (a posted id of another ML is ignored
    in favour of a refusal); the CLI names the ML."""
    if actor is None:
        return requested
    if requested is not None and requested != actor.mission_locale_id:
        raise PermissionDenied("Vous ne pouvez enregistrer que pour votre mission locale.")
    return actor.mission_locale_id


def load(session: Session, actor: Any, cls: type, record_id: Any, *, write: bool = False,
         lock: bool = False):
    """The record if ``actor`` may see it (``write``: change it), else « introuvable ».

    ``write`` re-reads the row even if the session holds it already: a copy loaded in an
    earlier transaction may carry an old version, and the version check must see the
    current one (else the UPDATE finds no row: ``StaleDataError``, a 500)."""
    message = _NOT_FOUND.get(cls.__name__, "Fiche introuvable.")
    if not isinstance(record_id, int) or isinstance(record_id, bool):
        raise NotFound(message)
    stmt = select(cls).where(cls.id == record_id)
    if lock:
        stmt = stmt.with_for_update()
    if lock or write:
        stmt = stmt.execution_options(populate_existing=True)
    obj = session.scalars(stmt).one_or_none()
    if obj is None:
        raise NotFound(message)
    holder = obj.pairing if cls.__name__ == "FollowUp" else obj
    if actor is not None:
        if not rules.view_record(actor, holder):
            raise NotFound(message)
        if write and not rules.edit_record(actor, holder):
            raise PermissionDenied()
    return obj


def check_version(obj: Any, version_id: int | None) -> None:
    if version_id is not None and obj.version_id != version_id:
        raise ConcurrentEdit()


def flush(session: Session) -> None:
    """Flush a versioned write: saved by someone else between our read and our write
    (the UPDATE matched no row) is a concurrent edit, told in French — never a 500."""
    try:
        session.flush()
    except StaleDataError as exc:
        raise ConcurrentEdit() from exc


class NeedsConfirmation(ValidationFailed):
    """Only warnings: nothing was written; the same command with ``confirm=True`` goes
    through (a form shows the messages and a « confirmer » box)."""


def raise_warnings(warnings: list[str], confirm: bool) -> None:
    if warnings and not confirm:
        raise NeedsConfirmation({"__warnings__": list(warnings)})
