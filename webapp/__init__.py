"""Animaréseau web app: the editing side. Thin: views call ``models/``."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, abort, flash, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.routing import IntegerConverter

import models  # noqa: F401  (registers every table and the audit listener)
from models import policy
from models.accounts.services import load_for_login
from models.audit import set_actor
from models.settings import instance_path
from webapp import sessions
from webapp.access import undeclared_endpoints
from webapp.config import load_config
from webapp.extensions import bootstrap, csrf, db, limiter, login_manager, migrate

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'")
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=()"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(instance_path()))
    # An id beyond a database integer (…/conventions/99999999999999) is "not found", not a 500.
    app.url_map.converters["int"] = BoundedIntConverter
    app.config.from_mapping(load_config())
    if test_config:
        app.config.from_mapping(test_config)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    from models.database import engine_options

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **engine_options(app.config["SQLALCHEMY_DATABASE_URI"]),
        **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
    }
    logging.basicConfig(level=logging.INFO)

    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True,
                     compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    bootstrap.init_app(app)
    sessions.init_app(app)
    _init_login(app)
    _init_request_hooks(app)

    from webapp import errors, filters
    from webapp.admin import bp as admin_bp
    from webapp.auth import bp as auth_bp
    from webapp.cli import register_cli
    from webapp.councils import bp as councils_bp
    from webapp.funding import bp as funding_bp
    from webapp.main import bp as main_bp
    from webapp.mentoring import bp as mentoring_bp
    from webapp.network import bp as network_bp
    from webapp.programme import bp as programme_bp
    from webapp.quality import bp as quality_bp
    from webapp.training import bp as training_bp

    for bp in (auth_bp, main_bp, network_bp, programme_bp, funding_bp, training_bp, quality_bp,
               councils_bp, mentoring_bp, admin_bp):
        app.register_blueprint(bp)
    errors.register(app)
    filters.register(app)
    register_cli(app)

    missing = undeclared_endpoints(app)
    if missing:
        raise RuntimeError(f"Routes sans déclaration d'accès : {', '.join(missing)}")
    return app


class BoundedIntConverter(IntegerConverter):
    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def _migrations_dir():
    from models.settings import PROJECT_ROOT

    return PROJECT_ROOT / "migrations"


def _init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.unauthorized_handler
    def unauthorized():
        expired = session.pop("expired_notice", None)
        if expired:
            flash(f"{expired} Reconnectez-vous pour continuer.", "warning")
        elif request.path != "/":
            # No "please sign in" banner for someone simply opening the home page.
            flash(login_manager.login_message, "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")
                                if request.path != "/" else None))

    @login_manager.user_loader
    def load_user(cookie_id: str):
        # Only through a live server-side session of that same user: an old "remember me"
        # cookie, or a copied cookie whose session was closed, signs nobody in.
        row = sessions.current_row()
        if row is None or row.user_id is None or not cookie_id.startswith(f"{row.user_id}:"):
            return None
        return load_for_login(db.session, cookie_id)


def _init_request_hooks(app: Flask) -> None:
    @app.before_request
    def _refuse_nul_bytes() -> None:
        """PostgreSQL cannot store NUL in text: refuse it up front with a 400, not a 500."""
        values = [*request.args.values(), *(request.form.values() if request.form else [])]
        if any("\x00" in value for value in values):
            abort(400)

    @app.before_request
    def _bind_actor() -> None:
        user = current_user if current_user.is_authenticated else None
        set_actor(db.session, user, via="web")

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint != "static":
            # Pages, exports and documents may hold personal data: no copy in any cache
            # (browser history, shared proxies). Only the static assets are cached.
            headers["Cache-Control"] = "no-store"
            headers.pop("Expires", None)
        return response

    @app.context_processor
    def _policy_helpers() -> dict[str, Any]:
        def has(action: str, obj: Any = None) -> bool:
            return policy.can(current_user, action, obj)

        def kept_form() -> list[list[str]] | None:
            return sessions.kept_form_for(request.path)

        return {"has": has, "kept_form": kept_form}
