"""Glue between domain validation errors and WTForms fields."""

from __future__ import annotations

from flask import flash
from flask_wtf import FlaskForm

from models.errors import ValidationFailed


class Form(FlaskForm):
    """Base form: WTForms' own messages in French (\"Ce champ est requis.\", …)."""

    class Meta:
        locales = ("fr_FR", "fr")


def flash_errors(errors: dict[str, list[str]]) -> None:
    """For forms posted from another page (buttons on a list): messages as banners."""
    for messages in errors.values():
        for message in messages:
            flash(message, "danger")


def apply_errors(form: FlaskForm, exc: ValidationFailed) -> None:
    """Show each domain error next to its field (or at the top of the form)."""
    for field_name, messages in exc.errors.items():
        field = getattr(form, field_name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, *messages]
        else:
            for message in messages:
                flash(message, "danger")
