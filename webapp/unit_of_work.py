"""The request's one commit: run a domain write, commit it, or roll back and explain why.

Every editing view goes through ``attempt`` so the rule is the same everywhere:
validation errors go next to the form's fields (or into banners when the form
was posted from another page), any other domain refusal (read-only programme,
concurrent edit, permission) becomes a warning banner, and nothing is half-written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import current_app, flash
from flask_wtf import FlaskForm

from models.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from models.mail.delivery import deliver_after_commit
from webapp.extensions import db
from webapp.forms_common import apply_errors, flash_errors

T = TypeVar("T")


@dataclass
class Outcome(Generic[T]):
    ok: bool
    value: T | None = None
    error: DomainError | None = None


def attempt(write: Callable[[], T], *, form: FlaskForm | None = None,
            label: str = "") -> Outcome[T]:
    """Run ``write``; commit on success, roll back and show the French messages otherwise.

    ``label`` prefixes banner messages (``"Ligne de budget : …"``) when several small
    forms share a page.
    """
    try:
        value = write()
    except ValidationFailed as exc:
        db.session.rollback()
        if form is not None:
            apply_errors(form, exc)
        else:
            flash_errors(_labelled(exc.errors, label))
        return Outcome(False, error=exc)
    except NotFound:
        db.session.rollback()
        raise  # another ML's id, even posted in a hidden field: the 404 page (webapp.errors)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "danger" if isinstance(exc, PermissionDenied) else "warning")
        return Outcome(False, error=exc)
    db.session.commit()
    # e-mails this change queued: sent now when SMTP is configured, else kept in the outbox
    deliver_after_commit(db.session, current_app.config.get("MAIL_SETTINGS"))
    return Outcome(True, value)


def _labelled(errors: dict[str, list[str]], label: str) -> dict[str, list[str]]:
    if not label:
        return errors
    return {key: [f"{label} : {m}" for m in messages] for key, messages in errors.items()}


def flash_form_errors(form: FlaskForm, label: str = "") -> None:
    """WTForms' own errors of a form posted from another page, as banners."""
    flash_errors(_labelled(dict(form.errors), label))


__all__ = ["Outcome", "attempt", "flash_form_errors"]
