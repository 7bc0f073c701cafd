"""Settings both apps read from the environment, resolved in one place."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

ENVIRONMENTS = ("development", "test", "production")


def app_env() -> str:
    """``ANIMARESEAU_ENV``: development (default), test or production."""
    env = os.environ.get("ANIMARESEAU_ENV", "development").strip().lower()
    if env not in ENVIRONMENTS:
        raise RuntimeError(
            f"ANIMARESEAU_ENV={env!r} inconnu : valeurs possibles {', '.join(ENVIRONMENTS)}."
        )
    return env


def instance_path() -> Path:
    """Where local state lives (SQLite database, generated secret key, outbox)."""
    return Path(os.environ.get("ANIMARESEAU_INSTANCE_PATH", PROJECT_ROOT / "instance")).resolve()


def database_url() -> str:
    """``DATABASE_URL``, or an SQLite file under the instance folder."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        # Accept the URL forms hosting platforms hand out.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://"):]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    path = instance_path()
    path.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path / 'animareseau.db'}"


def positive_int_env(name: str, default: int) -> int:
    """A whole number ≥ 1 from the environment, or a French error naming the variable."""
    raw = os.environ.get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise RuntimeError(f"{name}={raw!r} n'est pas un nombre entier.") from None
    if value < 1:
        raise RuntimeError(f"{name} doit valoir au moins 1.")
    return value


def secret_key() -> str:
    """``SECRET_KEY``: signs the session cookie (the web app; the dashboard checks it)."""
    key = os.environ.get("SECRET_KEY", "").strip()
    if key:
        return key
    if app_env() == "production":
        raise RuntimeError(
            "SECRET_KEY est obligatoire en production : définissez une valeur longue et "
            "aléatoire (par exemple `python -c \"import secrets; print(secrets.token_hex(32))\"`)."
        )
    return instance_secret("secret_key")


def instance_secret(name: str) -> str:
    """Outside production: one random secret per machine, made once under instance/."""
    folder = instance_path()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def session_cookie_name() -> str:
    """The web session cookie: ``__Host-`` bound (HTTPS, this host only, path /) in
    production."""
    return "__Host-animareseau" if app_env() == "production" else "animareseau_session"
