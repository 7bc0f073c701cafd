"""The one place dates and amounts are turned into French text (web, dashboard, PDFs)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.numbers import format_currency, format_decimal, format_percent

LOCALE = "fr_FR"
TIMEZONE = ZoneInfo("Europe/Paris")


def format_date(value: date | datetime | None, *, empty: str = "—") -> str:
    """``3 septembre 2026``; the first of the month reads ``1er mars 2026``."""
    if value is None:
        return empty
    if isinstance(value, datetime):
        value = _local(value).date()
    text = _babel_date(value, format="d MMMM y", locale=LOCALE)
    return "1er" + text[1:] if value.day == 1 else text


def format_datetime(value: datetime | None, *, empty: str = "—") -> str:
    """``3 septembre 2026 à 14:05`` in Paris time (``1er mars 2026 à 09:00``)."""
    if value is None:
        return empty
    local = _local(value)
    text = _babel_datetime(local, format="d MMMM y 'à' HH:mm", locale=LOCALE)
    return "1er" + text[1:] if local.day == 1 else text


def format_money(value: Decimal | int | None, *, empty: str = "—") -> str:
    """``49 100 000,00 €``. Takes a Decimal in euros; ints are euros too, never cents."""
    if value is None:
        return empty
    if isinstance(value, float):
        raise TypeError("Les montants sont des Decimal, jamais des float.")
    return format_currency(Decimal(value), "EUR", locale=LOCALE)


def format_number(value: Decimal | int | float | None, *, digits: int = 0, empty: str = "—") -> str:
    """``1 607`` or ``0,75``: French grouping and decimal comma."""
    if value is None:
        return empty
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=LOCALE)


def format_ratio(value: Decimal | float | None, *, empty: str = "—") -> str:
    """``62 %`` (no-break space before %) from a fraction (0.62); None (nothing to
    measure) gives ``empty``."""
    if value is None:
        return empty
    return format_percent(value, format="#,##0\u00a0%", locale=LOCALE)


def _local(value: datetime) -> datetime:
    if value.tzinfo is None:  # SQLite returns naive datetimes; we store UTC
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(TIMEZONE)
