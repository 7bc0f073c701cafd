"""Settings from the environment, SQLite connection pragmas, French formatting."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text

from models.database import SQLITE_BUSY_TIMEOUT_MS, make_engine
from models.formatting import format_date, format_datetime, format_money, format_number
from models.settings import database_url
from webapp.config import load_config


def _plain(text_: str) -> str:
    """Babel uses no-break spaces; compare with ordinary ones."""
    return text_.replace("\u202f", " ").replace("\xa0", " ")


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.setenv("ANIMARESEAU_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY est obligatoire"):
        load_config()
    monkeypatch.setenv("SECRET_KEY", "s" * 64)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://animareseau.arml-test.fr")
    config = load_config()
    assert config["SECRET_KEY"] == "s" * 64
    assert config["SESSION_COOKIE_SECURE"] is True


def test_development_generates_and_keeps_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("ANIMARESEAU_ENV", "development")
    monkeypatch.setenv("ANIMARESEAU_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_config()["SECRET_KEY"]
    assert len(first) == 64 and (tmp_path / "secret_key").read_text() == first
    assert load_config()["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("ANIMARESEAU_ENV", "prod")
    with pytest.raises(RuntimeError, match="inconnu"):
        load_config()


def test_database_url(monkeypatch, tmp_path):
    monkeypatch.setenv("ANIMARESEAU_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_url() == f"sqlite:///{tmp_path / 'animareseau.db'}"
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@h/db")
    assert database_url() == "postgresql+psycopg://u:p@h/db"


def test_sqlite_connections_get_wal_foreign_keys_and_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_TIMEOUT_MS == 20000
    engine.dispose()


def test_dates_in_french():
    assert format_date(date(2026, 9, 3)) == "3 septembre 2026"
    assert format_date(None) == "—"
    # 23:30 UTC on 31 December is already the next day in Paris
    assert format_date(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "1er janvier 2027"
    assert format_datetime(datetime(2026, 7, 14, 8, 5, tzinfo=UTC)) == "14 juillet 2026 à 10:05"


def test_amounts_in_euros():
    assert _plain(format_money(Decimal("49100000"))) == "49 100 000,00 €"
    assert _plain(format_money(Decimal("1234.5"))) == "1 234,50 €"
    assert format_money(None) == "—"
    with pytest.raises(TypeError):
        format_money(12.5)  # money is never a float
    assert _plain(format_number(1607)) == "1 607"
    assert format_number(Decimal("0.75"), digits=2) == "0,75"
