"""Parsing amounts typed by people: the one way text becomes a Decimal.

``1 234,56``, ``1234.56`` and ``1 234,56 €`` give the same amount; anything
ambiguous (``12,345.6``: both separators) is refused with an example, never
guessed. Money never goes through float.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_SPACES = re.compile(r"[\s\u00a0\u202f']")
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")

EXAMPLE = "1 234,56"
#: The largest amount a ``Numeric(12, 2)`` column holds (PostgreSQL refuses more).
MAX_AMOUNT = Decimal("9999999999.99")


class AmountError(ValueError):
    """The French message says what was expected."""


def parse_decimal(text: str | None, *, places: int = 2, unit: str = "") -> Decimal | None:
    """A Decimal with at most ``places`` decimals, or None for an empty input."""
    raw = (text or "").strip()
    if unit:
        raw = raw.removesuffix(unit).strip()
    raw = raw.replace("€", "").strip()
    if not raw:
        return None
    compact = _SPACES.sub("", raw)
    if "," in compact and "." in compact:
        raise AmountError(f"Format ambigu « {text.strip()} » : utilisez la virgule pour les "
                          f"décimales et des espaces pour les milliers, par exemple {EXAMPLE}.")
    if not _NUMBER.match(compact):
        raise AmountError(f"« {text.strip()} » n'est pas un nombre ; exemple attendu : {EXAMPLE}.")
    value = Decimal(compact.replace(",", "."))
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise AmountError(f"« {text.strip()} » a trop de décimales ({places} au plus) ; "
                          f"exemple attendu : {EXAMPLE}.")
    try:
        return value.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation as exc:  # pragma: no cover - absurdly large input
        raise AmountError(f"« {text.strip()} » est trop grand.") from exc


def parse_amount(text: str | None) -> Decimal | None:
    """Euros with cents."""
    return parse_decimal(text, places=2)


def too_large(value: Decimal | None, ceiling: Decimal = MAX_AMOUNT) -> bool:
    """True when ``value`` would not fit its column (checked by the services)."""
    return value is not None and abs(value) > ceiling


def decimal_to_input(value: Decimal | None) -> str:
    """The value as a French input string (``1234,5``→``1 234,50``), for re-editing."""
    if value is None:
        return ""
    from models.formatting import format_number

    return format_number(value, digits=2).replace("\u202f", " ").replace("\u00a0", " ")
