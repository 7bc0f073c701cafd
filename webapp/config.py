"""Settings from the environment (twelve-factor); nothing secret is hard-coded."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from models.settings import (
    app_env,
    database_url,
    positive_int_env,
    secret_key,
    session_cookie_name,
)


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "oui", "on"}


def _megabytes(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise RuntimeError(f"{name}={raw!r} n'est pas un nombre entier de mégaoctets.") from None
    if value < 1:
        raise RuntimeError(f"{name} doit valoir au moins 1.")
    return value


def _upload_limit_mb() -> int:
    """``PARCOURS_MAX_UPLOAD_MB`` (default 1 024): the extract upload route's body limit;
    beyond it the upload is refused with a 413."""
    return _megabytes("PARCOURS_MAX_UPLOAD_MB", 1024)


def _form_limit_mb() -> int:
    """``MAX_FORM_MB`` (default 4): the body limit of every other request (forms, the
    largest text areas are a few dozen kilobytes); beyond it, the French 413 page."""
    return _megabytes("MAX_FORM_MB", 4)


def _public_base_url(env: str) -> str:
    """``PUBLIC_BASE_URL``: the address users reach the app at, the only base of the links
    sent by e-mail (never the request's Host header, which anyone can forge)."""
    url = os.environ.get("PUBLIC_BASE_URL", "").strip().rstrip("/")
    if not url:
        if env == "production":
            raise RuntimeError(
                "PUBLIC_BASE_URL est obligatoire en production : indiquez l'adresse publique "
                "de l'application (par exemple https://animareseau.arml-exemple.fr), celle "
                "des liens envoyés par courriel.")
        return "http://127.0.0.1:5000"
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query \
            or parts.fragment or "@" in parts.netloc:
        raise RuntimeError(
            f"PUBLIC_BASE_URL={url!r} n'est pas une adresse valide : écrivez-la comme "
            "https://animareseau.arml-exemple.fr (sans paramètres ni #).")
    return url


def load_config() -> dict:
    env = app_env()
    production = env == "production"
    return {
        "ENV_NAME": env,
        "SECRET_KEY": secret_key(),
        "SQLALCHEMY_DATABASE_URI": database_url(),
        "SQLALCHEMY_RECORD_QUERIES": False,
        # The session cookie carries only a signed token (webapp/sessions.py): never readable
        # from JavaScript, not sent cross-site, HTTPS-only and "__Host-" bound in production.
        "SESSION_COOKIE_NAME": session_cookie_name(),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production or _flag("SESSION_COOKIE_SECURE", False),
        "SESSION_COOKIE_PATH": "/",
        # Idle and absolute timeouts of a signed-in session (OWASP ASVS 3.3.2).
        "SESSION_IDLE_MINUTES": positive_int_env("SESSION_IDLE_MINUTES", 30),
        "SESSION_ABSOLUTE_HOURS": positive_int_env("SESSION_ABSOLUTE_HOURS", 12),
        # Failed sign-ins per account before it is paused (shared by every worker).
        "LOGIN_ACCOUNT_LIMIT": positive_int_env("LOGIN_ACCOUNT_LIMIT", 10),
        "LOGIN_ACCOUNT_WINDOW_MINUTES": positive_int_env("LOGIN_ACCOUNT_WINDOW_MINUTES", 15),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as its session, no longer
        "WTF_I18N_ENABLED": False,  # WTForms' built-in French messages (Form.Meta.locales)
        # Per-IP login throttling, on top of the per-account one. In memory: per worker
        # process; use a shared store (redis://…) when running several workers.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "5 per minute;30 per hour"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "BOOTSTRAP_SERVE_LOCAL": True,
        "BOOTSTRAP_BTN_STYLE": "primary",
        "DASHBOARD_URL": os.environ.get("DASHBOARD_URL", "http://127.0.0.1:8501"),
        "PROXY_FIX": _flag("PROXY_FIX", False),
        # Who to write to about accessibility (the statement's contact), e.g. an address.
        "ACCESSIBILITY_CONTACT": os.environ.get("ACCESSIBILITY_CONTACT", "").strip(),
        # Request bodies: small everywhere (MAX_FORM_MB); only the extract upload route takes
        # PARCOURS_MAX_UPLOAD_MB (webapp/quality/views_imports.py). Uploads are streamed to
        # disk by werkzeug; larger requests get a French 413 page. Imports run on the huey
        # worker ("inline": in the request, tests).
        "MAX_CONTENT_LENGTH": _form_limit_mb() * 1024 * 1024,
        "PARCOURS_MAX_CONTENT_LENGTH": _upload_limit_mb() * 1024 * 1024,
        "PUBLIC_BASE_URL": _public_base_url(env),
        "PARCOURS_JOBS": os.environ.get("PARCOURS_JOBS", "huey").strip() or "huey",
    }
