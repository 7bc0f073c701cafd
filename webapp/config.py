"""Settings from the environment (twelve-factor); nothing secret is hard-coded."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from models.settings import app_env, database_url, instance_path


def _secret_key(env: str, instance: Path) -> str:
    key = os.environ.get("SECRET_KEY", "").strip()
    if key:
        return key
    if env == "production":
        raise RuntimeError(
            "SECRET_KEY est obligatoire en production : définissez une valeur longue et "
            "aléatoire (par exemple `python -c \"import secrets; print(secrets.token_hex(32))\"`)."
        )
    # Development and tests: one random key per machine, kept under instance/.
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "oui", "on"}


def _upload_limit_mb() -> int:
    """``PARCOURS_MAX_UPLOAD_MB`` (default 1 024): beyond it an upload is refused with a 413."""
    raw = os.environ.get("PARCOURS_MAX_UPLOAD_MB", "").strip()
    try:
        value = int(raw) if raw else 1024
    except ValueError:
        raise RuntimeError(
            f"PARCOURS_MAX_UPLOAD_MB={raw!r} n'est pas un nombre entier de mégaoctets.") from None
    if value < 1:
        raise RuntimeError("PARCOURS_MAX_UPLOAD_MB doit valoir au moins 1.")
    return value


def load_config() -> dict:
    env = app_env()
    instance = instance_path()
    production = env == "production"
    return {
        "ENV_NAME": env,
        "SECRET_KEY": _secret_key(env, instance),
        "SQLALCHEMY_DATABASE_URI": database_url(),
        "SQLALCHEMY_RECORD_QUERIES": False,
        # Cookies: never readable from JavaScript, not sent cross-site, HTTPS-only in production.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", production),
        "REMEMBER_COOKIE_DURATION": timedelta(days=14),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=10),
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "WTF_I18N_ENABLED": False,  # WTForms' built-in French messages (Form.Meta.locales)
        # Login throttling. Use a shared store (redis://…) when running several workers.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "5 per minute;30 per hour"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "BOOTSTRAP_SERVE_LOCAL": True,
        "BOOTSTRAP_BTN_STYLE": "primary",
        "DASHBOARD_URL": os.environ.get("DASHBOARD_URL", "http://127.0.0.1:8501"),
        "PROXY_FIX": _flag("PROXY_FIX", False),
        # Parcours extracts: uploads are streamed to disk by werkzeug; larger requests get a
        # French 413 page. Imports run on the huey worker ("inline": in the request, tests).
        "MAX_CONTENT_LENGTH": _upload_limit_mb() * 1024 * 1024,
        "PARCOURS_JOBS": os.environ.get("PARCOURS_JOBS", "huey").strip() or "huey",
    }
