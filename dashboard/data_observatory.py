"""Cached frames of the "Observatoire" page (see ``dashboard.data``).

Everything comes from ``models.observatory.queries.publication``: tables already
protected by statistical secrecy, hidden cells as ``None``. A hidden value therefore
never enters a DataFrame, the cache or a figure sent to the browser.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dashboard.data import session_scope
from models import policy
from models.accounts.orm import User
from models.errors import PermissionDenied
from models.observatory import exports, queries

CELL_COLUMNS = ["level", "code", "label", "dim1", "mod1", "dim2", "mod2", "value", "own"]
PERIOD_COLUMNS = ["start", "end", "granularity", "label"]
COVERAGE_COLUMNS = ["code", "name", "departement", "extract_start", "extract_end",
                    "activated_at"]


def _reader(session, user_id: int) -> User:
    user = session.get(User, user_id)
    if not policy.can(user, "observatory.view"):
        raise PermissionDenied()
    return user


@st.cache_data(ttl=60, show_spinner=False)
def observatory_periods(user_id: int) -> pd.DataFrame:
    with session_scope() as session:
        user = _reader(session, user_id)
        periods = queries.available_periods(session, user)
    return pd.DataFrame([(p.start, p.end, p.granularity, p.label) for p in periods],
                        columns=PERIOD_COLUMNS)


@st.cache_data(ttl=60, show_spinner="Calcul des tableaux protégés…")
def observatory_tables(user_id: int, start: date, end: date) -> dict:
    """The period's protected tables as frames, the coverage and the settings."""
    with session_scope() as session:
        user = _reader(session, user_id)
        pub = queries.publication(session, user, start, end)
        tables = {}
        for name, table in pub.tables.items():
            rows = []
            for cell in table.cells:
                dims = list(cell.dims) + [("", "")] * (2 - len(cell.dims))
                value = None if cell.value is None else float(cell.value)
                rows.append((cell.level, cell.code, cell.label, dims[0][0], dims[0][1],
                             dims[1][0], dims[1][1], value, cell.own))
            tables[name] = pd.DataFrame(rows, columns=CELL_COLUMNS)
        coverage = pd.DataFrame(
            [(c.code, c.name, c.departement, c.extract_start, c.extract_end, c.activated_at)
             for c in pub.coverage if c.extract_id is not None], columns=COVERAGE_COLUMNS)
        missing = pd.DataFrame([(c.code, c.name, c.departement) for c in pub.coverage
                                if c.extract_id is None], columns=["code", "name",
                                                                   "departement"])
        viewer = None
        if pub.viewer_ml is not None:
            viewer = next((c.code for c in pub.coverage if c.ml_id == pub.viewer_ml), None)
        return {"tables": tables, "coverage": coverage, "missing": missing, "k": pub.k,
                "jdi_months": pub.jdi_months, "label": pub.period.label,
                "granularity": pub.period.granularity, "region": pub.region_name,
                "viewer": viewer, "total": len(pub.coverage)}


@st.cache_data(ttl=60, show_spinner=False)
def observatory_csv(user_id: int, start: date, end: date, table: str) -> bytes:
    with session_scope() as session:
        user = _reader(session, user_id)
        pub = queries.publication(session, user, start, end)
        return exports.table_csv(pub.tables[table]).encode("utf-8")


@st.cache_data(ttl=60, show_spinner="Préparation du classeur…")
def observatory_xlsx(user_id: int, start: date, end: date) -> bytes:
    with session_scope() as session:
        user = _reader(session, user_id)
        pub = queries.publication(session, user, start, end)
        return exports.tables_xlsx(session, pub, [pub.tables[n] for n in sorted(pub.tables)])


@st.cache_data(ttl=60, show_spinner="Audit du secret statistique…")
def observatory_audit(user_id: int, start: date, end: date, table: str) -> pd.DataFrame:
    """Admin only: the hidden cells of a table, why, and what a reader could infer."""
    with session_scope() as session:
        user = session.get(User, user_id)
        if not policy.can(user, "observatory.audit"):
            raise PermissionDenied()
        rows = queries.audit(session, user, start, end, table)
    return pd.DataFrame(rows, columns=["level", "code", "label", "dims", "status", "value",
                                       "lo", "hi"])


@st.cache_data(ttl=60, show_spinner="Contrôle algébrique du secret…")
def observatory_audit_summary(user_id: int) -> pd.DataFrame:
    with session_scope() as session:
        user = session.get(User, user_id)
        if not policy.can(user, "observatory.audit"):
            raise PermissionDenied()
        rows = queries.audit_summary(session, user)
    return pd.DataFrame(rows, columns=["indicator", "cells", "primary", "secondary",
                                       "recoverable", "lines", "rounds"])
