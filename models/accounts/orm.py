"""The user table."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.accounts.roles import Role
from models.base import Audited, Base, TimestampMixin
from models.network.orm import MissionLocale

if TYPE_CHECKING:
    from models.funding.orm import Funder


class User(Audited, TimestampMixin, Base):
    """An account. Implements the attributes Flask-Login expects without importing it.

    ``session_epoch`` is part of the login cookie's id: bumping it (password
    reset, deactivation) logs the user out everywhere. ``version_id`` detects
    concurrent edits of the same account.
    """

    __tablename__ = "app_user"
    __audit_redact__ = ("password_hash",)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    full_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, create_constraint=True, name="role",
             values_callable=lambda roles: [r.value for r in roles], validate_strings=True)
    )
    mission_locale_id: Mapped[int | None] = mapped_column(
        ForeignKey("mission_locale.id", ondelete="RESTRICT"), index=True
    )
    funder_id: Mapped[int | None] = mapped_column(
        ForeignKey("funder.id", ondelete="RESTRICT"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None]
    session_epoch: Mapped[int] = mapped_column(default=0)
    version_id: Mapped[int] = mapped_column(default=1)

    mission_locale: Mapped[MissionLocale | None] = relationship()
    funder: Mapped[Funder | None] = relationship()

    # The version is bumped by edits of the account only (not by a login), and every
    # UPDATE still checks it in its WHERE clause, so a racing save fails instead of winning.
    __mapper_args__ = {"version_id_col": version_id, "version_id_generator": False}
    __table_args__ = (
        CheckConstraint("role <> 'ml' OR mission_locale_id IS NOT NULL", name="ml_has_scope"),
        CheckConstraint("role <> 'financeur' OR funder_id IS NOT NULL", name="funder_has_scope"),
    )

    # --- what Flask-Login reads ---
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"


class UserSession(Base):
    """One signed-in browser session, web or dashboard, held on the server.

    The browser's cookie carries only a signed random token; the table stores its
    SHA-256, so a leak of this table opens no session. Deleting the row ends the
    session at once (logout, password change, deactivation, "close all sessions"):
    a copy of the cookie taken earlier is then refused. ``user_id`` is NULL for a
    visitor not signed in yet (it holds the login form's CSRF token). A dashboard
    session opened from a web session through a sign-on token names it as ``parent``:
    closing the web session closes it too.
    """

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_session.id", ondelete="CASCADE"), index=True)
    via: Mapped[str] = mapped_column(String(20))  # web | dashboard
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime] = mapped_column(index=True)
    reauth_at: Mapped[datetime | None]
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    user: Mapped[User | None] = relationship()


class SignOnToken(Base):
    """A single-use ticket that opens a dashboard session for a web session (≤ 60 s)."""

    __tablename__ = "sign_on_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("user_session.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class LoginFailure(Base):
    """A failed password check, per account (by normalised e-mail, known or not).

    Stored in the database so every web worker and the dashboard share one count.
    """

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    ip: Mapped[str] = mapped_column(String(64), default="")
    occurred_at: Mapped[datetime] = mapped_column(index=True)
