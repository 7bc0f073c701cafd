"""Funding arithmetic that does not touch the database.

Every split of an amount (schedule instalments, a global axis allocation spread
over the axis's actions, a funder's share of an action's expenses) is done here
in Decimal cents with the remainder placed deterministically, so the parts
always add up to the whole, to the cent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
K = TypeVar("K")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def split_by_percent(amount: Decimal, percents: Sequence[Decimal]) -> list[Decimal]:
    """The schedule's amounts: each instalment rounded, the last one takes the remainder."""
    if not percents:
        return []
    parts = [cents(amount * p / HUNDRED) for p in percents[:-1]]
    return [*parts, amount - sum(parts, Decimal(0))]


def prorate(amount: Decimal, weights: Mapping[K, Decimal]) -> dict[K, Decimal]:
    """Spread ``amount`` over keys pro rata to ``weights`` (largest remainder, to the cent).

    Keys with a zero weight get nothing; with no positive weight, nothing is spread.
    """
    positive = {k: w for k, w in weights.items() if w > 0}
    total = sum(positive.values(), Decimal(0))
    if not positive or amount <= 0:
        return {}
    raw = {k: amount * w / total for k, w in positive.items()}
    floors = {k: v.quantize(CENT, rounding=ROUND_DOWN) for k, v in raw.items()}
    left = int(((amount - sum(floors.values(), Decimal(0))) / CENT).to_integral_value())
    # the keys that lost the most to rounding get the remaining cents (ties: key order)
    order = sorted(positive, key=lambda k: (-(raw[k] - floors[k]), list(positive).index(k)))
    for k in order[:left]:
        floors[k] += CENT
    return floors


def tolerance_amount(budget: Decimal, tolerance_percent: Decimal) -> Decimal:
    return cents(budget * tolerance_percent / HUNDRED)


def is_balanced(budget: Decimal, funded: Decimal, tolerance_percent: Decimal) -> bool:
    """An action is balanced when its funding is within the tolerance of its budget."""
    return abs(funded - budget) <= tolerance_amount(budget, tolerance_percent)


def executed_share(actual: Decimal, allocated: Decimal, funded_total: Decimal) -> Decimal:
    """The part of an action's actual expenses a funder paid for.

    Expenses are shared between the action's funders pro rata to what each one
    gives; a funder never pays for more than it allocated.
    """
    if funded_total <= 0 or actual <= 0:
        return Decimal("0.00")
    return min(cents(actual * allocated / funded_total), allocated)


def percent_of(part: Decimal, whole: Decimal) -> Decimal | None:
    if whole <= 0:
        return None
    return (part * HUNDRED / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def contract_hours_per_month(contract_etp: Decimal, etp_hours: int) -> Decimal:
    """What a month of the contract is worth in hours (1 ETP = etp_hours a year)."""
    return cents(contract_etp * Decimal(etp_hours) / 12)


def hours_per_day(etp_hours: int, etp_days: int) -> Decimal:
    return Decimal(etp_hours) / Decimal(etp_days)


def month_start(value: date) -> date:
    return value.replace(day=1)


def months_between(start: date, end: date) -> list[date]:
    """First days of every month from ``start``'s to ``end``'s, inclusive."""
    months, current = [], month_start(start)
    while current <= end:
        months.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


def convention_warnings(convention: Any) -> list[str]:
    """Things worth a second look that are not errors (the user decides)."""
    warnings = []
    years = range(convention.first_year, convention.last_year + 1)
    signed = convention.signature_date
    if signed is not None and signed.year not in years:
        warnings.append(
            f"La date de signature ({signed.strftime('%d/%m/%Y')}) est en dehors de "
            f"l'année du programme financé ({convention.years_label}).")
    if convention.period_start.year > convention.last_year or \
            convention.period_end.year < convention.first_year:
        warnings.append(
            f"La période de la convention ne recouvre pas l'année du programme financé "
            f"({convention.years_label}).")
    return warnings
