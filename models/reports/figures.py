"""Figures of a report snapshot in French, as both renderers (PDF, HTML) show them.

A snapshot holds text, not numbers: what the funder reads is decided once, here, so the
PDF and the page cannot round differently.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from models.formatting import format_date, format_money, format_number
from models.formatting import format_ratio as _ratio_text
from models.funding.rules import percent_of

ZERO = Decimal("0.00")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")


def money(value: Decimal | None) -> str:
    return format_money(value) if value is not None else "—"


def rate(part: Decimal, whole: Decimal) -> str:
    value = percent_of(part, whole)
    return _ratio_text(value / 100) if value is not None else "—"


def num(value: Decimal | int | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    if digits == 0 and isinstance(value, Decimal) and value != value.to_integral_value():
        digits = 2 if value * 10 != (value * 10).to_integral_value() else 1
    return format_number(value, digits=digits)


def day(value: date | None) -> str:
    return format_date(value) if value is not None else "—"


def text(value: str | None) -> str:
    """Free text as typed, without control characters (the PDF and HTML escape it)."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", value or "").strip()

