"""Sign in, sign out, one's password and sessions, re-authentication, the dashboard's sign-on."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask import session as flask_session
from flask_login import current_user, login_user, logout_user

from models.accounts import sessions
from models.accounts.passwords import MIN_LENGTH, verify_password
from models.accounts.roles import Role
from models.accounts.services import set_password
from models.accounts.signin import BAD_CREDENTIALS, confirm_password, sign_in  # noqa: F401
from models.accounts.throttle import ThrottleSettings
from models.audit import set_actor
from models.errors import ValidationFailed
from models.mail.delivery import deliver_after_commit
from webapp.access import access, public
from webapp.auth import bp
from webapp.auth.forms import (
    ChangePasswordForm,
    ConfirmPasswordForm,
    LoginForm,
    LogoutForm,
    PlainForm,
)
from webapp.extensions import db, limiter
from webapp.forms_common import apply_errors
from webapp.sessions import ServerSession, client_ip, current_row, timeouts, user_agent


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def throttle_settings() -> ThrottleSettings:
    from datetime import timedelta

    config = current_app.config
    return ThrottleSettings(limit=config["LOGIN_ACCOUNT_LIMIT"],
                            window=timedelta(minutes=config["LOGIN_ACCOUNT_WINDOW_MINUTES"]))


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths: no open redirect through ``?next=``."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") \
                and not target.startswith("//") and "\\" not in target:
            return target
    return None


@bp.route("/connexion", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        outcome = sign_in(db.session, form.email.data, form.password.data, ip=client_ip(),
                          settings=throttle_settings())
        if outcome.user is None:
            db.session.commit()  # the failure counts, for every worker
            error = outcome.error
        else:
            user = outcome.user
            set_actor(db.session, user, via="web")
            old = current_row()
            kept = flask_session.get("kept_form")
            row, token = sessions.open_session(db.session, user, via="web", ip=client_ip(),
                                               user_agent=user_agent())
            if old is not None and old.user_id is None:
                sessions.close(db.session, old, "connexion")
            db.session.commit()
            # a new token at sign-in: a token planted before it (session fixation) is dead
            assert isinstance(flask_session, ServerSession)
            flask_session.adopt(row, token)
            if kept:
                flask_session["kept_form"] = kept
            login_user(user)
            flash(f"Bienvenue, {user.full_name}.", "success")
            target = _safe_next(request.args.get("next"))
            if target:
                return redirect(target)
            if Role(user.role) is Role.FINANCEUR:
                # a funder's account has one place to go: its conventions
                return redirect(url_for("funding.index"))
            if Role(user.role) is Role.ML:
                # a mission locale comes here mostly to register its staff to trainings
                return redirect(url_for("training.index"))
            return redirect(url_for("main.home"))
    return render_template("auth/login.html", form=form, error=error)


@bp.route("/deconnexion", methods=["POST"])
@public
def logout():
    form = LogoutForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        row = current_row()
        if row is not None:
            sessions.close(db.session, row, "déconnexion")
            db.session.commit()
        logout_user()
        assert isinstance(flask_session, ServerSession)
        flask_session.restart()
        flash("Vous êtes déconnecté·e.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/mon-compte/mot-de-passe", methods=["GET", "POST"])
@access("home.view")
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current_password.data):
            form.current_password.errors = ["Mot de passe actuel incorrect."]
        else:
            try:
                set_password(db.session, current_user, current_user, form.password.data,
                             keep=current_row())
            except ValidationFailed as exc:
                db.session.rollback()
                apply_errors(form, exc)
            else:
                db.session.commit()
                deliver_after_commit(db.session, current_app.config.get("MAIL_SETTINGS"))
                login_user(current_user)  # new epoch: keep this session, close the others
                flash("Votre mot de passe a été changé. Vos autres sessions sont fermées ; "
                      "un e-mail vous le confirme.", "success")
                return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form, min_length=MIN_LENGTH)


@bp.route("/mon-compte/sessions")
@access("home.view")
def my_sessions():
    rows = sessions.sessions_of(db.session, current_user, current_user)
    return render_template("auth/sessions.html", rows=rows, current=current_row(),
                           form=PlainForm(), timeouts=timeouts(current_app),
                           expires_at=sessions.expires_at)


@bp.route("/mon-compte/sessions/<int:session_id>/fermer", methods=["POST"])
@access("home.view")
def close_my_session(session_id: int):
    form = PlainForm()
    if form.validate_on_submit():
        mine = current_row()
        if not sessions.close_one(db.session, current_user, current_user, session_id):
            flash("Cette session est déjà fermée.", "info")
        else:
            db.session.commit()
            if mine is not None and mine.id == session_id:
                logout_user()
                assert isinstance(flask_session, ServerSession)
                flask_session.restart()
                flash("Session fermée : vous êtes déconnecté·e.", "info")
                return redirect(url_for("auth.login"))
            flash("Session fermée.", "success")
    return redirect(url_for("auth.my_sessions"))


@bp.route("/mon-compte/sessions/fermer-les-autres", methods=["POST"])
@access("home.view")
def close_other_sessions():
    form = PlainForm()
    if form.validate_on_submit():
        count = sessions.close_all_for(db.session, current_user, "fermée par la personne",
                                       keep=current_row())
        db.session.commit()
        flash(f"{count} autre{'s' if count > 1 else ''} session{'s' if count > 1 else ''} "
              f"fermée{'s' if count > 1 else ''}." if count else "Aucune autre session ouverte.",
              "success")
    return redirect(url_for("auth.my_sessions"))


@bp.route("/mon-compte/session/prolonger", methods=["POST"])
@access("home.view")
def extend_session():
    """The idle-timeout warning's "Rester connecté·e" button: any request extends the
    session; this one says until when (JSON for the script, a page without it)."""
    form = PlainForm()
    row = current_row()
    if form.validate_on_submit() and row is not None:
        sessions.touch(row, force=True)
        db.session.commit()
    if request.accept_mimetypes.best == "application/json":
        return {"idle_seconds": current_app.config["SESSION_IDLE_MINUTES"] * 60}
    flash("Votre session est prolongée.", "success")
    return redirect(_safe_next(request.form.get("next")) or url_for("main.home"))


@bp.route("/mon-compte/confirmer", methods=["GET", "POST"])
@access("home.view")
def reauthenticate():
    """Type the password again before a dangerous step (role change, reset, import…)."""
    form = ConfirmPasswordForm()
    target = _safe_next(request.args.get("next")) or url_for("main.home")
    error = None
    if form.validate_on_submit():
        error = confirm_password(db.session, current_user, form.password.data, ip=client_ip(),
                                 settings=throttle_settings())
        row = current_row()
        if error is None and row is not None:
            sessions.record_reauth(row)
            db.session.commit()
            return redirect(target)
        db.session.commit()  # the failure counts
    return render_template("auth/confirm.html", form=form, error=error, target=target,
                           minutes=int(sessions.REAUTH_WINDOW.total_seconds() // 60))


@bp.route("/tableaux-de-bord")
@access("home.view")
def dashboard():
    """Open the dashboard signed in: a single-use token (≤ 60 s) bound to this session."""
    row = current_row()
    if row is None:  # pragma: no cover - a signed-in user always has a row
        return redirect(url_for("auth.login"))
    token = sessions.issue_sign_on(db.session, row)
    db.session.commit()
    base = current_app.config["DASHBOARD_URL"]
    separator = "&" if urlsplit(base).query else "?"
    return redirect(f"{base}{separator}{urlencode({'jeton': token})}")
