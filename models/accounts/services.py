"""Writes on accounts. Each function validates everything first, then flushes; never commits.

The caller (a request, a CLI command, a test) owns the transaction.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from models import clock
from models.accounts.orm import User, UserSession
from models.accounts.passwords import (
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)
from models.accounts.roles import Role
from models.accounts.sessions import close_all_for
from models.base import utcnow
from models.errors import ConcurrentEdit, Errors, PermissionDenied
from models.formatting import format_datetime
from models.mail.outbox import queue_mail
from models.network.orm import MissionLocale
from models.policy import can, grantable_roles

log = logging.getLogger(__name__)

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_email(email: str) -> str:
    """The one form of an address, stored, compared and used as a key: NFKC (full-width
    letters, ligatures, compatibility forms → plain ones: ``ＡＤＭＩＮ@ＴＥＳＴ.ＦＲ`` is
    ``admin@test.fr``), lower case, stripped. Invisible characters (zero-width space…)
    are kept, so such an address never matches an account; ``_validate`` refuses it."""
    import unicodedata

    text = unicodedata.normalize("NFKC", email or "").lower()
    return unicodedata.normalize("NFKC", text).strip()  # lower() may leave a non-NFKC form


def find_by_email(session: Session, email: str) -> User | None:
    """The account of this address, compared in normalised form (see ``normalize_email``)."""
    return session.scalars(select(User).where(User.email == normalize_email(email))).first()


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with these credentials, or None — the caller shows one generic error.

    The password is checked even for an unknown e-mail, so response time does
    not reveal which accounts exist.
    """
    user = find_by_email(session, email)
    ok = verify_password(user.password_hash if user else None, password or "")
    if not ok or user is None or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    session.flush()
    return user


@dataclass
class UserData:
    """What a form (or the CLI) submits about an account."""

    email: str
    full_name: str
    role: Role | str
    mission_locale_id: int | None = None
    funder_id: int | None = None
    active: bool = True


def _validate(session: Session, actor: User | None, data: UserData, errors: Errors,
              existing: User | None) -> Role | None:
    import unicodedata

    email = normalize_email(data.email)
    # Control, format (zero-width space, joiners, direction marks), unassigned or private
    # characters and inner spaces: an address that looks like another one.
    if any(unicodedata.category(ch)[0] in "CZ" for ch in email):
        errors.add("email", "L'adresse e-mail contient un espace ou un caractère invisible "
                            "(par exemple un espace de largeur nulle venu d'un copier-coller) : "
                            "effacez-la et retapez-la au clavier.")
    elif not EMAIL_RE.match(email):
        errors.add("email", "Adresse e-mail invalide.")
    else:
        other = find_by_email(session, email)
        if other is not None and other is not existing:
            errors.add("email", "Un compte existe déjà avec cette adresse e-mail.")
    if not (data.full_name or "").strip():
        errors.add("full_name", "Le nom est obligatoire.")
    try:
        role = Role(data.role)
    except ValueError:
        errors.add("role", "Rôle inconnu.")
        return None
    # Keeping an account's current role is not granting it.
    keeps_role = existing is not None and Role(existing.role) is role
    if actor is not None and role not in grantable_roles(actor) and not keeps_role:
        errors.add("role", f"Vous ne pouvez pas attribuer le rôle « {role.label} ».")
    if role is Role.ML:
        if data.mission_locale_id is None:
            errors.add("mission_locale_id",
                       "Un compte « Mission locale » doit être rattaché à une mission locale.")
        elif session.get(MissionLocale, data.mission_locale_id) is None:
            errors.add("mission_locale_id", "Mission locale introuvable.")
    if role is Role.FINANCEUR:
        from models.funding.orm import Funder

        if data.funder_id is None:
            errors.add("funder_id", "Un compte « Financeur » doit être rattaché à un financeur.")
        elif session.get(Funder, data.funder_id) is None:
            errors.add("funder_id", "Financeur introuvable.")
    return role


def create_user(session: Session, actor: User | None, data: UserData, password: str) -> User:
    """Create an account. ``actor`` None means a trusted entry point (seed, CLI)."""
    if actor is not None and not can(actor, "users.view"):
        raise PermissionDenied()
    errors = Errors()
    role = _validate(session, actor, data, errors, None)
    for problem in password_problems(password, email=data.email, full_name=data.full_name):
        errors.add("password", problem)
    errors.raise_if_any()
    assert role is not None
    user = User(
        email=normalize_email(data.email),
        full_name=data.full_name.strip(),
        role=role,
        mission_locale_id=data.mission_locale_id if role is Role.ML else None,
        funder_id=data.funder_id if role is Role.FINANCEUR else None,
        active=data.active,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    log.info("user %s created by %s", user.email, getattr(actor, "email", "system"))
    return user


def _active_admins(session: Session) -> int:
    return session.scalar(
        select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.active.is_(True))
    ) or 0


def update_user(session: Session, actor: User | None, user: User, data: UserData,
                *, expected_version: int | None = None) -> User:
    """Update an account's identity, role, scope and active flag.

    ``expected_version`` is the version the editor loaded; a different current
    version means someone saved in between, and nothing is written.
    """
    if actor is not None and not can(actor, "users.manage", user):
        raise PermissionDenied()
    if expected_version is not None and expected_version != user.version_id:
        raise ConcurrentEdit()
    errors = Errors()
    role = _validate(session, actor, data, errors, user)
    was_admin = Role(user.role) is Role.ADMIN and user.active
    stays_admin = role is Role.ADMIN and data.active
    if was_admin and not stays_admin and _active_admins(session) <= 1:
        errors.add("__all__", "Impossible : c'est le dernier compte administrateur actif.")
    if actor is not None and actor.id == user.id:
        if not data.active:
            errors.add("active", "Vous ne pouvez pas désactiver votre propre compte.")
        if role is not None and role is not Role(user.role):
            errors.add("role", "Vous ne pouvez pas changer votre propre rôle.")
    errors.raise_if_any()
    assert role is not None
    deactivated = user.active and not data.active
    user.email = normalize_email(data.email)
    user.full_name = data.full_name.strip()
    user.role = role
    user.mission_locale_id = data.mission_locale_id if role is Role.ML else None
    user.funder_id = data.funder_id if role is Role.FINANCEUR else None
    user.active = data.active
    user.version_id += 1
    if deactivated:
        user.session_epoch += 1  # logs them out everywhere
        close_all_for(session, user, "compte désactivé")
    try:
        session.flush()
    except StaleDataError as exc:  # saved by someone else between our read and our write
        raise ConcurrentEdit() from exc
    return user


def set_active(session: Session, actor: User | None, user: User, active: bool,
               *, expected_version: int | None = None) -> User:
    """Deactivate or reactivate an account, with every rule of ``update_user``."""
    data = UserData(email=user.email, full_name=user.full_name, role=Role(user.role),
                    mission_locale_id=user.mission_locale_id, funder_id=user.funder_id,
                    active=active)
    return update_user(session, actor, user, data, expected_version=expected_version)


def set_password(session: Session, actor: User | None, user: User, password: str,
                 *, keep: UserSession | None = None) -> None:
    """Reset (admin) or change (self) a password.

    Every other session of the user ends (``keep``: the one making the change, if it is
    the user's own), and the user gets an e-mail saying so: a change they did not make
    is then noticed.
    """
    if actor is not None and actor.id != user.id and not can(actor, "users.manage", user):
        raise PermissionDenied()
    errors = Errors()
    for problem in password_problems(password, email=user.email, full_name=user.full_name):
        errors.add("password", problem)
    errors.raise_if_any()
    user.password_hash = hash_password(password)
    user.session_epoch += 1
    close_all_for(session, user, "mot de passe changé",
                  keep=keep if keep is not None and keep.user_id == user.id else None)
    by_self = actor is not None and actor.id == user.id
    how = ("modifié depuis votre compte" if by_self
           else "réinitialisé par un·e administrateur·rice de l'ARML")
    when = format_datetime(clock.now())
    queue_mail(session, [user.email], "Animaréseau : votre mot de passe a été modifié",
               f"Bonjour {user.full_name},\n\n"
               f"Le mot de passe de votre compte Animaréseau ({user.email}) a été "
               f"{how}"
               f" le {when}. Vos autres sessions ont été fermées.\n\n"
               "Si vous n'êtes pas à l'origine de ce changement, prévenez sans attendre "
               "l'équipe de l'ARML.\n", kind="password_changed")
    session.flush()


def load_for_login(session: Session, cookie_id: str) -> User | None:
    """Resolve Flask-Login's ``id:epoch`` cookie value to an active user, else None."""
    try:
        raw_id, raw_epoch = cookie_id.split(":", 1)
        user_id, epoch = int(raw_id), int(raw_epoch)
    except (ValueError, AttributeError):
        return None
    user = session.get(User, user_id)
    if user is None or not user.active or user.session_epoch != epoch:
        return None
    return user
