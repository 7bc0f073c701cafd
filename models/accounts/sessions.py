"""Signed-in sessions held on the server: open, find, touch, close, re-authenticate, sign on.

The web app's session store and the dashboard call these with a database session; they
flush, never commit. A session is alive while it was used within the idle timeout and
is younger than the absolute timeout; a dead one is deleted when met.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, Signer
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from models import clock
from models.accounts.orm import SignOnToken, User, UserSession
from models.audit.context import actor_of
from models.audit.orm import AuditEvent
from models.errors import PermissionDenied
from models.policy import can
from models.settings import positive_int_env

#: a dashboard sign-on token is worth this long, once
SIGN_ON_LIFETIME = timedelta(seconds=60)
#: how recent a typed password must be for a dangerous administration step
REAUTH_WINDOW = timedelta(minutes=10)
#: last_seen is written at most this often (a page polling every 2 s is not a write each)
TOUCH_EVERY = timedelta(seconds=15)


@dataclass(frozen=True)
class Timeouts:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)

    @classmethod
    def from_env(cls) -> Timeouts:
        """``SESSION_IDLE_MINUTES`` (30) and ``SESSION_ABSOLUTE_HOURS`` (12), as the web
        app reads them (the dashboard calls this)."""
        return cls(idle=timedelta(minutes=positive_int_env("SESSION_IDLE_MINUTES", 30)),
                   absolute=timedelta(hours=positive_int_env("SESSION_ABSOLUTE_HOURS", 12)))


COOKIE_SALT = "animareseau-session"


def sign_cookie(token: str, secret: str) -> str:
    """The session cookie's value: the token, signed (HMAC) with the application's key."""
    return Signer(secret, salt=COOKIE_SALT, key_derivation="hmac").sign(token).decode()


def cookie_token(value: str | None, secret: str) -> str | None:
    """The token in a session cookie, or None if absent or not signed by us."""
    if not value:
        return None
    try:
        return Signer(secret, salt=COOKIE_SALT, key_derivation="hmac").unsign(value).decode()
    except (BadSignature, UnicodeDecodeError):
        return None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive date-times (stored as UTC)."""
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def expiry_reason(row: UserSession, timeouts: Timeouts, now: datetime | None = None) -> str | None:
    """``"idle"`` or ``"absolute"`` when the session is dead, else None."""
    now = now or clock.now()
    if now - _aware(row.created_at) >= timeouts.absolute:
        return "absolute"
    if now - _aware(row.last_seen_at) >= timeouts.idle:
        return "idle"
    return None


def expires_at(row: UserSession, timeouts: Timeouts) -> datetime:
    """When the session dies if nothing happens (the sooner of the two timeouts)."""
    return min(_aware(row.last_seen_at) + timeouts.idle, _aware(row.created_at) + timeouts.absolute)


def _audit(session: Session, row: UserSession, action: str, motif: str) -> None:
    """Sign-ins and closures go to the audit log (the rows themselves are not audited:
    every request touches them)."""
    if row.user_id is None:
        return
    actor_id, actor_email, via = actor_of(session)
    session.execute(AuditEvent.__table__.insert().values(
        occurred_at=clock.now(), actor_id=actor_id if actor_id is not None else row.user_id,
        actor_email=actor_email, via=via, entity="user_session", entity_id=str(row.id),
        action=action, changes={"user_id": row.user_id, "via": row.via, "ip": row.ip,
                                "motif": motif}))


def open_session(session: Session, user: User | None, *, via: str, ip: str = "",
                 user_agent: str = "", data: dict[str, Any] | None = None,
                 parent: UserSession | None = None) -> tuple[UserSession, str]:
    """A new session (a sign-in, or a visitor's first form); returns the row and its token.

    A sign-in counts as a fresh password check (``reauth_at``).
    """
    token = new_token()
    now = clock.now()
    row = UserSession(token_hash=_hash(token), user_id=user.id if user else None,
                      parent_id=parent.id if parent else None, via=via, created_at=now,
                      last_seen_at=now, reauth_at=now if user is not None and parent is None
                      else None, ip=(ip or "")[:64], user_agent=(user_agent or "")[:300],
                      data=data or {})
    session.add(row)
    session.flush()
    _audit(session, row, "insert", "connexion" if parent is None else "tableaux de bord")
    return row, token


def find_live(session: Session, token: str | None,
              timeouts: Timeouts) -> tuple[UserSession | None, str | None]:
    """The live session of a token, or (None, why): ``"idle"``/``"absolute"`` for a session
    that just died (it is deleted), ``None`` for an unknown token."""
    if not token:
        return None, None
    row = session.scalars(select(UserSession).where(UserSession.token_hash == _hash(token))
                          ).first()
    if row is None:
        return None, None
    reason = expiry_reason(row, timeouts)
    if reason is None and row.user_id is not None:
        user = session.get(User, row.user_id)
        if user is None or not user.active:
            reason = "closed"
    if reason is not None:
        _audit(session, row, "delete", {"idle": "inactivité", "absolute": "durée maximale",
                                        "closed": "compte désactivé"}[reason])
        _delete(session, [row.id])
        return None, reason
    return row, None


def touch(row: UserSession, *, data: dict[str, Any] | None = None, force: bool = False) -> bool:
    """Record activity (and new session data); True if the row changed."""
    now = clock.now()
    changed = False
    if data is not None and data != row.data:
        row.data = data
        changed = True
    if changed or force or now - _aware(row.last_seen_at) >= TOUCH_EVERY:
        row.last_seen_at = now
        changed = True
    return changed


def _delete(session: Session, ids: list[int]) -> None:
    if not ids:
        return
    # children first: SQLite enforces ON DELETE CASCADE, but be explicit for any engine
    session.execute(delete(SignOnToken).where(SignOnToken.session_id.in_(ids)))
    children = list(session.scalars(select(UserSession.id).where(UserSession.parent_id.in_(ids))))
    if children:
        _delete(session, children)
    session.execute(delete(UserSession).where(UserSession.id.in_(ids))
                    .execution_options(synchronize_session=False))
    for obj in list(session.identity_map.values()):
        if isinstance(obj, UserSession) and obj.id in ids:
            session.expunge(obj)


def close(session: Session, row: UserSession, motif: str) -> None:
    """End one session (and the dashboard sessions opened from it)."""
    _audit(session, row, "delete", motif)
    _delete(session, [row.id])
    session.flush()


def close_all_for(session: Session, user: User, motif: str,
                  *, keep: UserSession | None = None) -> int:
    """End every session of ``user`` (but ``keep``, the one making the change)."""
    rows = list(session.scalars(select(UserSession).where(UserSession.user_id == user.id)))
    victims = [r for r in rows if keep is None or (r.id != keep.id and r.parent_id != keep.id)]
    for row in victims:
        _audit(session, row, "delete", motif)
    _delete(session, [r.id for r in victims])
    session.flush()
    return len(victims)


def sessions_of(session: Session, actor: User, user: User) -> list[UserSession]:
    """The open sessions of ``user``, newest first (one's own, or an admin's view)."""
    if actor.id != user.id and not can(actor, "users.manage", user):
        raise PermissionDenied()
    return list(session.scalars(select(UserSession).where(UserSession.user_id == user.id)
                                .order_by(UserSession.last_seen_at.desc(), UserSession.id)))


def close_one(session: Session, actor: User, user: User, session_id: int) -> bool:
    """Close one session of ``user`` by its id; False if it is not one of theirs."""
    row = session.get(UserSession, session_id)
    if row is None or row.user_id != user.id:
        return False
    if actor.id != user.id and not can(actor, "users.manage", user):
        raise PermissionDenied()
    close(session, row, "fermée par " + ("la personne" if actor.id == user.id
                                         else "un·e administrateur·rice"))
    return True


def purge_dead(session: Session, timeouts: Timeouts) -> int:
    """Delete sessions past either timeout (visitors' ones pile up otherwise)."""
    now = clock.now()
    dead = list(session.scalars(select(UserSession.id).where(or_(
        UserSession.last_seen_at <= now - timeouts.idle,
        UserSession.created_at <= now - timeouts.absolute)).limit(500)))
    _delete(session, dead)
    session.execute(delete(SignOnToken).where(SignOnToken.expires_at <= now))
    return len(dead)


# ---------------------------------------------------------------- re-authentication
def record_reauth(row: UserSession) -> None:
    row.reauth_at = clock.now()


def recently_authenticated(row: UserSession | None) -> bool:
    return (row is not None and row.reauth_at is not None
            and clock.now() - _aware(row.reauth_at) < REAUTH_WINDOW)


# ---------------------------------------------------------------- dashboard sign-on
def issue_sign_on(session: Session, row: UserSession) -> str:
    """A single-use token (≤ 60 s) that the dashboard exchanges for its own session."""
    token = new_token()
    session.add(SignOnToken(token_hash=_hash(token), session_id=row.id,
                            expires_at=clock.now() + SIGN_ON_LIFETIME))
    session.flush()
    return token


def redeem_sign_on(session: Session, token: str | None, timeouts: Timeouts, *, ip: str = "",
                   user_agent: str = "", browser_session: str | None = None
                   ) -> tuple[UserSession, str] | None:
    """Exchange a sign-on token for a dashboard session, once; None if unknown, used,
    expired, or its web session has ended.

    ``browser_session``: the web session token the browser itself holds, when the dashboard
    can read the web app's cookie (same host): a token issued to another session (someone
    else's link) is then refused.
    """
    if not token or len(token) > 200:
        return None
    now = clock.now()
    # Marking it used in the same statement that checks it: two tabs racing get one winner.
    used = session.execute(
        update(SignOnToken)
        .where(SignOnToken.token_hash == _hash(token), SignOnToken.used_at.is_(None),
               SignOnToken.expires_at > now)
        .values(used_at=now).returning(SignOnToken.session_id)).first()
    if used is None:
        return None
    parent = session.get(UserSession, used.session_id)
    if parent is None or parent.user_id is None or expiry_reason(parent, timeouts):
        return None
    if browser_session is not None and _hash(browser_session) != parent.token_hash:
        return None
    user = session.get(User, parent.user_id)
    if user is None or not user.active:
        return None
    return open_session(session, user, via="dashboard", ip=ip, user_agent=user_agent,
                        parent=parent)
