"""Sign in, sign out, change one's own password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from models.accounts.passwords import MIN_LENGTH, verify_password
from models.accounts.roles import Role
from models.accounts.services import authenticate, set_password
from models.errors import ValidationFailed
from webapp.access import access, public
from webapp.auth import bp
from webapp.auth.forms import ChangePasswordForm, LoginForm, LogoutForm
from webapp.extensions import db, limiter
from webapp.forms_common import apply_errors

BAD_CREDENTIALS = "Adresse e-mail ou mot de passe incorrect, ou compte désactivé."


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths: no open redirect through ``?next=``."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") \
                and not target.startswith("//"):
            return target
    return url_for("main.home")


@bp.route("/connexion", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data, form.password.data)
        if user is None:
            error = BAD_CREDENTIALS
        else:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            flash(f"Bienvenue, {user.full_name}.", "success")
            if not request.args.get("next") and Role(user.role) is Role.FINANCEUR:
                # a funder's account has one place to go: its conventions
                return redirect(url_for("funding.index"))
            if not request.args.get("next") and Role(user.role) is Role.ML:
                # a mission locale comes here mostly to register its staff to trainings
                return redirect(url_for("training.index"))
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form, error=error)


@bp.route("/deconnexion", methods=["POST"])
@public
def logout():
    form = LogoutForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        logout_user()
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
                set_password(db.session, current_user, current_user, form.password.data)
            except ValidationFailed as exc:
                apply_errors(form, exc)
            else:
                db.session.commit()
                login_user(current_user)  # new epoch: keep this session, close the others
                flash("Votre mot de passe a été changé. Vos autres sessions sont fermées.",
                      "success")
                return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form, min_length=MIN_LENGTH)
