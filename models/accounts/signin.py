"""Signing in with a password, the same for the web app, the dashboard and re-authentication:
the per-account throttle first, then the password check."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from models.accounts import throttle
from models.accounts.orm import User
from models.accounts.passwords import verify_password
from models.accounts.services import authenticate, normalize_email

BAD_CREDENTIALS = "Adresse e-mail ou mot de passe incorrect, ou compte désactivé."


@dataclass
class SignIn:
    user: User | None
    error: str | None = None


def sign_in(session: Session, email: str, password: str, *, ip: str,
            settings: throttle.ThrottleSettings) -> SignIn:
    """Check the credentials unless the account is throttled; record a failure or clear
    the count. Flushes (the caller commits, the failures too)."""
    key = normalize_email(email)
    until = throttle.locked_until(session, key, settings)
    if until is not None:
        return SignIn(None, throttle.wait_message(until))
    user = authenticate(session, email, password)
    if user is None:
        throttle.record_failure(session, key, ip, settings)
        return SignIn(None, BAD_CREDENTIALS)
    throttle.clear(session, key)
    return SignIn(user)


def confirm_password(session: Session, user: User, password: str, *, ip: str,
                     settings: throttle.ThrottleSettings) -> str | None:
    """Re-authentication of a signed-in user: None if the password is right, else why not.
    Failures count against the same per-account budget as sign-ins."""
    key = normalize_email(user.email)
    until = throttle.locked_until(session, key, settings)
    if until is not None:
        return throttle.wait_message(until)
    if not verify_password(user.password_hash, password or ""):
        throttle.record_failure(session, key, ip, settings)
        return "Mot de passe incorrect."
    throttle.clear(session, key)
    return None
