"""Settings both apps read from the environment, resolved in one place."""

from __future__ import annotations

import os
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
