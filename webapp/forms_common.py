"""Glue between domain validation errors and WTForms fields."""

from __future__ import annotations

from flask import flash
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import StopValidation

from models.errors import ValidationFailed
from models.money import AmountError, decimal_to_input, parse_decimal


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


class DecimalTextField(StringField):
    """A number typed the French way (``1 234,56``, ``1234.56``, ``1 234,56 €``).

    Parsing goes through ``models.money`` (never float); a bad value becomes a
    French field error and the typed text is kept in the form.
    """

    def __init__(self, label=None, validators=None, places: int = 2, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.places = places
        self.parse_error: str | None = None

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        self.parse_error = None
        try:
            self.data = parse_decimal(self.raw, places=self.places)
        except AmountError as exc:
            self.data = None
            self.parse_error = str(exc)

    def pre_validate(self, form):
        if self.parse_error:
            raise StopValidation(self.parse_error)

    def _value(self):
        if getattr(self, "raw", None) is not None and self.parse_error:
            return self.raw
        return decimal_to_input(self.data) if self.data is not None else ""


def lines(text: str | None) -> list[str]:
    """A textarea with one entry per line, as a clean list."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


#: Ids and numbers from the outside must fit a database integer (PostgreSQL refuses more).
DB_INT_MAX = 2**31 - 1


def db_int(value) -> int:
    """``int`` for ids typed or tampered with: out of a database integer's range is invalid.

    Usable as ``request.args.get(name, type=db_int)`` (ValueError → the default).
    """
    number = int(value)
    if not -DB_INT_MAX <= number <= DB_INT_MAX:
        raise ValueError(f"{value!r} is out of range")
    return number


def optional_int(value):
    """Coerce for optional select fields: '' → None; garbage → -1 (domain says "introuvable")."""
    if value in (None, "", "None"):
        return None
    try:
        return db_int(value)
    except (TypeError, ValueError):
        return -1


def id_choice(value) -> int:
    """Coerce for multi-selects of ids (``SelectMultipleField(coerce=id_choice)``), bounded
    like the single selects: garbage or out of range → -1 (domain says "introuvable")."""
    try:
        return db_int(value)
    except (TypeError, ValueError):
        return -1


def version_of(raw: str | None) -> int | None:
    """The version an editor loaded (hidden field); garbage never matches a real version."""
    try:
        return db_int(raw) if raw else None
    except ValueError:
        return -1
