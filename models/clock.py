"""The application's one clock.

Everything that asks "what time is it?" — the web app, the dashboard, the CLI, the jobs,
the PDF builders, the seed — calls :func:`now` or :func:`today` here, never
``datetime.now()`` or ``date.today()`` (a test scans the code for that). So tests can set
the time the whole application sees, and the suite behaves the same whatever the real
date is.

The clock is the system clock plus an offset. In the test environment only
(``ANIMARESEAU_ENV=test``), ``ANIMARESEAU_CLOCK_START`` (an ISO date-time) makes the clock
start at that moment when the process starts, then run at real speed: child processes of
the tests (a job worker, the dashboard server, a CLI run) inherit the same clock.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

#: the ARML's local time: "today" is the date in France
LOCAL = ZoneInfo("Europe/Paris")

_offset = timedelta(0)


def _system_now() -> datetime:
    return datetime.now(UTC)


def now() -> datetime:
    """Aware UTC date-time."""
    return _system_now() + _offset


def today() -> date:
    """Today's date in France."""
    return now().astimezone(LOCAL).date()


def local_now() -> datetime:
    """Now, in French local time (for display and file names)."""
    return now().astimezone(LOCAL)


def travel_to(moment: datetime | date) -> None:
    """Make the clock read ``moment`` now, and run on from there (tests, the seed's CLI)."""
    global _offset
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time(10, 0), tzinfo=LOCAL)
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL)
    _offset = moment - _system_now()


def advance(delta: timedelta) -> None:
    """Move the clock forward by ``delta`` (an idle timeout, a token's expiry)."""
    global _offset
    _offset += delta


def reset() -> None:
    """Back to the system clock."""
    global _offset
    _offset = timedelta(0)


def _start_from_environment() -> None:
    raw = os.environ.get("ANIMARESEAU_CLOCK_START", "").strip()
    if not raw or os.environ.get("ANIMARESEAU_ENV", "").strip().lower() != "test":
        return
    try:
        travel_to(datetime.fromisoformat(raw))
    except ValueError:
        raise RuntimeError(
            f"ANIMARESEAU_CLOCK_START={raw!r} n'est pas une date ISO (AAAA-MM-JJTHH:MM).",
        ) from None


_start_from_environment()
