"""Engines and sessions usable without Flask (dashboard, CLI, scripts).

Every SQLite connection, whoever opens it, gets WAL, foreign keys and a busy
timeout: the listener is registered on the Engine class, not on one engine.

A unit of work that decides something from what it reads (a seat in a training
session) calls ``begin_write`` first: on SQLite it takes the write lock before the
decisive reads (``BEGIN IMMEDIATE``), so concurrent deciders queue on the busy
timeout instead of deciding from the same stale count.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

# Long enough for a burst of registrations queueing on the write lock (BEGIN IMMEDIATE):
# a waiting request must not give up before its turn while gunicorn (30 s) still waits.
SQLITE_BUSY_TIMEOUT_MS = 20000


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no branch
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def begin_write(session: Session) -> None:
    """Hold the database write lock for the rest of ``session``'s transaction.

    SQLite: the driver begins a transaction only at the first write, so reads so far
    ran outside it; ``BEGIN IMMEDIATE`` now takes the write lock (waiting up to the busy
    timeout) and every read after it sees the latest commit. If a write already
    happened, the lock is held already. PostgreSQL needs nothing here: lock the rows
    the decision depends on with ``SELECT … FOR UPDATE``.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    dbapi = connection.connection.dbapi_connection
    if not dbapi.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def engine_options(url: str) -> dict:
    """Engine options shared by Flask-SQLAlchemy and the plain engines below."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
    return {"pool_pre_ping": True}


def make_engine(url: str) -> Engine:
    return create_engine(url, **engine_options(url))


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit once at the end, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
