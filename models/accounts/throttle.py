"""Failed sign-ins per account, shared by every worker and the dashboard (in the database).

After ``limit`` failures on one account within ``window``, that account refuses every
attempt — right password included, whatever the IP — for a delay that doubles with each
further failure (1, 2, 4… minutes, at most an hour). A success clears the count. Unknown
e-mails are counted the same way, so the answer never tells whether an account exists.
With the defaults (10 in 15 minutes) an account can take at most about 40 failures an
hour (OWASP ASVS 2.2.1 asks ≤ 100).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models import clock
from models.accounts.orm import LoginFailure
from models.settings import positive_int_env

MAX_DELAY = timedelta(hours=1)


@dataclass(frozen=True)
class ThrottleSettings:
    limit: int = 10
    window: timedelta = timedelta(minutes=15)

    @classmethod
    def from_env(cls) -> ThrottleSettings:
        """``LOGIN_ACCOUNT_LIMIT`` (10) failures within ``LOGIN_ACCOUNT_WINDOW_MINUTES`` (15)."""
        return cls(limit=positive_int_env("LOGIN_ACCOUNT_LIMIT", 10),
                   window=timedelta(minutes=positive_int_env("LOGIN_ACCOUNT_WINDOW_MINUTES",
                                                             15)))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def locked_until(session: Session, email: str, settings: ThrottleSettings) -> datetime | None:
    """When the account accepts attempts again, or None if it does now."""
    now = clock.now()
    count, last = session.execute(
        select(func.count(), func.max(LoginFailure.occurred_at))
        .where(LoginFailure.email == email, LoginFailure.occurred_at > now - settings.window)
    ).one()
    if count < settings.limit or last is None:
        return None
    delay = min(timedelta(minutes=2 ** (count - settings.limit)), MAX_DELAY)
    until = _aware(last) + delay
    return until if until > now else None


def record_failure(session: Session, email: str, ip: str, settings: ThrottleSettings) -> None:
    now = clock.now()
    session.add(LoginFailure(email=email[:254], ip=(ip or "")[:64], occurred_at=now))
    # the table keeps only what the window needs
    session.execute(delete(LoginFailure).where(
        LoginFailure.occurred_at <= now - max(settings.window, MAX_DELAY)))
    session.flush()


def clear(session: Session, email: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.email == email))


def wait_message(until: datetime) -> str:
    minutes = max(1, -(-int((until - clock.now()).total_seconds()) // 60))
    return ("Trop de tentatives de connexion sur ce compte. Par sécurité, il est bloqué "
            f"pendant encore {minutes} minute{'s' if minutes > 1 else ''}, quelle que soit la "
            "connexion utilisée. Si vous avez oublié votre mot de passe, demandez à l'équipe "
            "de l'ARML de le réinitialiser.")
