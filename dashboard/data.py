"""Database access for the dashboard: one engine per URL, DataFrames in the cache.

ORM objects never enter ``st.cache_data``: queries from ``models/`` are turned
into DataFrames first.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

import models  # noqa: F401  (registers tables and the audit listener)
from models.accounts.orm import User
from models.database import make_engine, make_sessionmaker, transaction
from models.network.orm import MissionLocale
from models.network.queries import missions_by_departement, missions_locales_stmt
from models.settings import database_url


@st.cache_resource
def engine(url: str) -> Engine:
    return make_engine(url)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A unit of work on the shared database: commit once, roll back on error."""
    with transaction(make_sessionmaker(engine(database_url()))) as session:
        session.info["via"] = "dashboard"
        yield session


@st.cache_data(ttl=60, show_spinner=False)
def network_by_departement(user_id: int) -> pd.DataFrame:
    with session_scope() as session:
        user = session.get(User, user_id)
        rows = missions_by_departement(session, user)
    return pd.DataFrame(
        [{"Département": r.label, "code": r.departement, "Actives": r.active,
          "Inactives": r.inactive} for r in rows],
        columns=["Département", "code", "Actives", "Inactives"],
    )


@st.cache_data(ttl=60, show_spinner=False)
def network_table(user_id: int) -> pd.DataFrame:
    with session_scope() as session:
        user = session.get(User, user_id)
        stmt = missions_locales_stmt(user)
        mls = session.scalars(stmt.order_by(MissionLocale.name)).all()
        rows = [{"Code": ml.code, "Mission locale": ml.name, "Département": ml.departement,
                 "Siège": ml.commune, "Direction": ml.director_name or "",
                 "Active": "oui" if ml.active else "non"} for ml in mls]
    return pd.DataFrame(rows, columns=["Code", "Mission locale", "Département", "Siège",
                                       "Direction", "Active"])
