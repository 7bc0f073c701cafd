"""Pure rules of the data-quality area: status colours, staleness, periods from names."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

GREEN, AMBER, RED, NONE = "vert", "orange", "rouge", "aucun"
STATUS_LABELS = {GREEN: "Vert", AMBER: "Orange", RED: "Rouge", NONE: "Aucune extraction"}
MARK_LABELS = {"acquitte": "Acquitté", "exception": "Exception acceptée"}
MIN_PERIOD_START = date(2010, 1, 1)
MAX_PERIOD_DAYS = 731  # two years: beyond, it is not a periodic extract

_NAME_PERIOD = re.compile(r"(\d{8})\D{1,3}(\d{8})")


def status_of(score: Decimal | None, green_min: Decimal, amber_min: Decimal) -> str:
    """Red / amber / green for a score in [0, 1] against thresholds in percent."""
    if score is None:
        return NONE
    percent = score * 100
    if percent >= green_min:
        return GREEN
    if percent >= amber_min:
        return AMBER
    return RED


def is_stale(period_end: date | None, today: date, stale_days: int) -> bool:
    """An extract is stale when its period ended more than ``stale_days`` ago (or none)."""
    return period_end is None or (today - period_end) > timedelta(days=stale_days)


def _eight_digits(text: str) -> date | None:
    for fmt in ("%Y%m%d", "%d%m%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def period_from_name(name: str) -> tuple[date, date] | None:
    """``extrait_20260101_20260930.zip`` (or JJMMAAAA) → (1 Jan 2026, 30 Sep 2026)."""
    match = _NAME_PERIOD.search(name or "")
    if not match:
        return None
    start, end = _eight_digits(match.group(1)), _eight_digits(match.group(2))
    if start is None or end is None or end < start:
        return None
    return start, end


def period_problems(start: date | None, end: date | None, today: date) -> dict[str, str]:
    """French messages per field for an import period (empty when valid)."""
    problems: dict[str, str] = {}
    if start is None:
        problems["period_start"] = "La date de début de la période est obligatoire."
    if end is None:
        problems["period_end"] = "La date de fin de la période est obligatoire."
    if start is None or end is None:
        return problems
    if start < MIN_PERIOD_START:
        problems["period_start"] = "La période ne peut pas commencer avant le 1er janvier 2010."
    if end < start:
        problems["period_end"] = "La fin de la période doit suivre son début."
    elif end > today:
        problems["period_end"] = "La période ne peut pas finir dans le futur."
    elif (end - start).days > MAX_PERIOD_DAYS:
        problems["period_end"] = "Une extraction couvre au plus deux ans."
    return problems
