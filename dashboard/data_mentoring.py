"""Cached frames of the "Parrainage" page (see ``dashboard.data``).

Everything comes from ``models.mentoring.yearly.yearly_table``: the State's yearly table
already protected by the observatory's statistical secrecy, hidden cells as « s ». A
hidden value therefore never enters a DataFrame, the cache or a figure sent to the
browser. Every function re-reads the user and re-checks the policy inside the cached
call; an ml account gets its own mission locale and the region, as on the web page.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.data import session_scope
from models import clock, policy
from models.accounts.orm import User
from models.errors import PermissionDenied
from models.formatting import format_number
from models.mentoring import yearly
from models.mentoring.enums import Outcome
from models.mentoring.yearly_export import EXPORT_SHEET, export_header, export_rows, legend
from models.spreadsheet import csv_text, xlsx_table

#: the page's policy rule: every account (the table is protected)
RULE = "mentoring.stats"
HIDDEN = "s"
TABLE_COLUMNS = ["Rubrique", "Indicateur"]


def may_read(user) -> bool:
    return policy.can(user, RULE)


def _reader(session, user_id: int) -> User:
    user = session.get(User, user_id)
    if not may_read(user):
        raise PermissionDenied()
    return user


def _text(cell, kind: str) -> str:
    if cell.hidden:
        return HIDDEN
    if cell.value is None:
        return "—"
    return format_number(cell.value, digits=0 if kind == "count" else 1)


@st.cache_data(ttl=60, show_spinner=False)
def mentoring_years(user_id: int) -> list[int]:
    """Years with a counted pairing (the current one always), most recent first."""
    with session_scope() as session:
        _reader(session, user_id)
        return yearly.available_years(session, clock.today())


@st.cache_data(ttl=60, show_spinner="Calcul du tableau protégé…")
def mentoring_table(user_id: int, year: int) -> dict:
    """The year's protected table as text (French numbers, « s »), and its facts."""
    with session_scope() as session:
        user = _reader(session, user_id)
        table = yearly.yearly_table(session, user, year)
        # the region first (mostly published), then each mission locale, as on the web page
        order = [len(table.columns) - 1, *range(len(table.columns) - 1)]
        labels = [table.columns[i].label for i in order]
        rows = []
        for row, cells in table.lines():
            name = f"{row.group} : {row.label}" if row.group else row.indicator
            rows.append([row.section_label, name, *(_text(cells[i], row.kind) for i in order)])
        frame = pd.DataFrame(rows, columns=[*TABLE_COLUMNS, *labels])
        region = len(table.columns) - 1
        outcomes = []
        for outcome in Outcome:
            cell = table.cell(f"o.{outcome.value}", region)
            outcomes.append((outcome.label, None if cell.hidden else cell.value))
        return {"frame": frame, "k": table.k, "hidden": table.hidden_count,
                "legend": legend(table), "region": table.region_name,
                "columns": labels, "mls": len(table.columns) - 1,
                "outcomes": pd.DataFrame(outcomes, columns=["situation", "binomes"])}


@st.cache_data(ttl=60, show_spinner="Calcul des tableaux protégés…")
def mentoring_started_by_year(user_id: int) -> pd.DataFrame:
    """Pairings started each year in the region (None: hidden by secrecy)."""
    with session_scope() as session:
        user = _reader(session, user_id)
        out = []
        for year in sorted(yearly.available_years(session, clock.today())):
            table = yearly.yearly_table(session, user, year)
            cell = table.cell("p.started", len(table.columns) - 1)
            out.append((year, None if cell.hidden else cell.value))
    return pd.DataFrame(out, columns=["year", "started"])


@st.cache_data(ttl=60, show_spinner=False)
def mentoring_csv(user_id: int, year: int) -> bytes:
    with session_scope() as session:
        user = _reader(session, user_id)
        table = yearly.yearly_table(session, user, year)
        return csv_text(export_header(table), export_rows(table)).encode("utf-8")


@st.cache_data(ttl=60, show_spinner=False)
def mentoring_xlsx(user_id: int, year: int) -> bytes:
    with session_scope() as session:
        user = _reader(session, user_id)
        table = yearly.yearly_table(session, user, year)
        return xlsx_table(EXPORT_SHEET, export_header(table), export_rows(table))
