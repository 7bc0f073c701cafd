"""The web app's session store: the cookie carries only a signed random token; the data
(signed-in user, CSRF token, flash messages) lives in the ``user_session`` table.

So logging out, a password change, a deactivation or an administrator closing sessions
deletes the row, and a copy of the cookie taken before is worth nothing. Idle and
absolute timeouts are checked on every request (``models.accounts.sessions``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, Request, Response, flash, redirect, request, url_for
from flask import session as flask_session
from flask.sessions import SessionInterface, SessionMixin, session_json_serializer
from werkzeug.datastructures import CallbackDict

from models.accounts import sessions
from models.accounts.orm import UserSession
from webapp.extensions import db

#: posted fields never kept across a sign-in (secrets, and the stale CSRF token)
NOT_KEPT = ("csrf_token", "password", "current_password", "confirm")


class ServerSession(CallbackDict, SessionMixin):
    """A dict-like session whose content is saved in a ``user_session`` row."""

    def __init__(self, initial: dict[str, Any] | None = None, *, row_id: int | None = None,
                 token: str | None = None, expired: str | None = None) -> None:
        def on_update(self_: ServerSession) -> None:
            self_.modified = True

        super().__init__(initial, on_update)
        self.row_id = row_id
        self.token = token
        #: "idle" / "absolute" / "closed" when the cookie named a session that just died
        self.expired = expired
        self.modified = False
        self.new_token = False

    def adopt(self, row: UserSession, token: str) -> None:
        """Become the freshly opened session ``row`` (a sign-in: a new token, no old data)."""
        self.clear()
        self.row_id, self.token, self.new_token, self.expired = row.id, token, True, None

    def restart(self) -> None:
        """Forget the current row (after it was closed): the next data opens a visitor's one."""
        self.clear()
        self.row_id, self.token, self.new_token = None, None, False

    def row(self) -> UserSession | None:
        return db.session.get(UserSession, self.row_id) if self.row_id else None


def timeouts(app: Flask) -> sessions.Timeouts:
    return sessions.Timeouts(idle=timedelta(minutes=app.config["SESSION_IDLE_MINUTES"]),
                             absolute=timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"]))


def client_ip() -> str:
    return request.remote_addr or ""


def user_agent() -> str:
    return request.headers.get("User-Agent", "")[:300]


class DatabaseSessionInterface(SessionInterface):
    def open_session(self, app: Flask, request: Request) -> ServerSession | None:
        if request.path.startswith((f"{app.static_url_path}/", "/bootstrap/")):
            return None  # assets: a null session, no database round trip on every file
        token = sessions.cookie_token(request.cookies.get(self.get_cookie_name(app)),
                                      app.secret_key)
        if token is None:
            return ServerSession()
        row, reason = sessions.find_live(db.session, token, timeouts(app))
        if row is None:
            if reason:
                db.session.commit()  # the dead row's deletion and its audit line
            return ServerSession(expired=reason)
        try:
            data = session_json_serializer.loads(row.data) if row.data else {}
        except ValueError:
            data = {}
        return ServerSession(data, row_id=row.id, token=token)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, ServerSession)
        name = self.get_cookie_name(app)
        # The view has committed what it wanted; whatever it left pending is not wanted.
        db.session.rollback()
        row = session.row()
        if row is None:
            if not session:
                if request.cookies.get(name):
                    response.delete_cookie(name, path=self.get_cookie_path(app),
                                           domain=self.get_cookie_domain(app))
                return
            # A visitor's first data (the login form's CSRF token, a flash): a new session.
            sessions.purge_dead(db.session, timeouts(app))
            row, token = sessions.open_session(db.session, None, via="web", ip=client_ip(),
                                               user_agent=user_agent())
            session.row_id, session.token, session.new_token = row.id, token, True
            session.modified = True
        data = session_json_serializer.dumps(dict(session)) if session.modified else None
        if sessions.touch(row, data=data):
            db.session.commit()
        if session.new_token:
            response.set_cookie(
                name, sessions.sign_cookie(session.token, app.secret_key),
                httponly=True, secure=self.get_cookie_secure(app),
                samesite=self.get_cookie_samesite(app), path=self.get_cookie_path(app),
                domain=self.get_cookie_domain(app))
        response.vary.add("Cookie")


def current_row() -> UserSession | None:
    session = flask_session
    return session.row() if isinstance(session, ServerSession) else None


def keep_form_and_go(target: str, message: str, category: str = "warning"):
    """Keep what was posted (no secret, no file) for the page at ``request.path``, then
    send the user to ``target``: back on the page after it, the form is filled again."""
    fields = [[key, value] for key, value in request.form.items(multi=True)
              if key not in NOT_KEPT]
    flask_session["kept_form"] = {"path": request.path, "fields": fields[:500]}
    flash(message, category)
    return redirect(target)


def kept_form_for(path: str) -> list[list[str]] | None:
    """The fields kept for ``path`` (once: they are forgotten when read)."""
    kept = flask_session.get("kept_form")
    if not kept or kept.get("path") != path:
        return None
    flask_session.pop("kept_form", None)
    return kept.get("fields") or None


def init_app(app: Flask) -> None:
    app.session_interface = DatabaseSessionInterface()

    def _expired_session() -> Any:
        """A form posted after the session died: keep it, ask to sign in, come back."""
        session = flask_session
        reason = getattr(session, "expired", None)
        if not reason or request.endpoint in (None, "static", "auth.login", "auth.logout"):
            return None
        minutes = app.config["SESSION_IDLE_MINUTES"]
        why = (f"Votre session a expiré après {minutes} minutes d'inactivité."
               if reason == "idle" else "Votre session a atteint sa durée maximale.")
        if request.method == "POST":
            return keep_form_and_go(
                url_for("auth.login", next=request.path),
                f"{why} Reconnectez-vous : votre saisie vous attend sur la page, "
                "à vérifier puis enregistrer (les fichiers joints sont à choisir de nouveau).")
        session["expired_notice"] = why
        return None

    # before CSRF protection: an expired session has no CSRF token left to check against
    app.before_request_funcs.setdefault(None, []).insert(0, _expired_session)
